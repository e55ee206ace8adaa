package app

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// teardown is the stack of steps that undo what the App has built so far. New pushes a step
// right after making each part, so a failure midway undoes exactly the parts made, newest
// first, and Close undoes the whole App the same way.
type teardown struct {
	mu    sync.Mutex
	steps []teardownStep
	once  sync.Once
	err   error
}

type teardownStep struct {
	name string
	fn   func(context.Context) error
}

// push adds a step; name says what it stops, for the error that reports it failing.
func (t *teardown) push(name string, fn func(context.Context) error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.steps = append(t.steps, teardownStep{name, fn})
}

// run runs the steps in reverse order, once; later calls wait for the first and return its
// result. A step that fails does not keep the older ones from running. When ctx ends first,
// run returns without waiting for the remaining steps (they still run, in the background),
// so a stuck step cannot hold the process.
func (t *teardown) run(ctx context.Context) error {
	t.once.Do(func() {
		t.mu.Lock()
		steps := t.steps
		t.steps = nil
		t.mu.Unlock()
		done := make(chan error, 1)
		go func() {
			var errs []error
			for i := len(steps) - 1; i >= 0; i-- {
				if err := steps[i].fn(ctx); err != nil {
					errs = append(errs, fmt.Errorf("stop %s: %w", steps[i].name, err))
				}
			}
			done <- errors.Join(errs...)
		}()
		select {
		case t.err = <-done:
		case <-ctx.Done():
			t.err = fmt.Errorf("stop: not finished in time: %w", context.Cause(ctx))
		}
	})
	return t.err
}

// registerer registers metrics with reg and pushes their removal onto td, so that an App
// that fails or stops leaves the caller's registry as it found it (a retry may register
// the same metrics again).
type registerer struct {
	reg prometheus.Registerer
	td  *teardown
}

func (r registerer) Register(c prometheus.Collector) error {
	if err := r.reg.Register(c); err != nil {
		return err
	}
	r.td.push("metrics", func(context.Context) error {
		r.reg.Unregister(c)
		return nil
	})
	return nil
}

func (r registerer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

func (r registerer) Unregister(c prometheus.Collector) bool { return r.reg.Unregister(c) }
