package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestTeardownRunsInReverseOnce(t *testing.T) {
	t.Parallel()
	var td teardown
	var ran []string
	for _, name := range []string{"store", "metrics", "HTTP server"} {
		td.push(name, func(context.Context) error {
			ran = append(ran, name)
			if name == "metrics" {
				return errors.New("boom")
			}
			return nil
		})
	}
	err := td.run(context.Background())
	if want := []string{"HTTP server", "metrics", "store"}; !slices.Equal(ran, want) {
		t.Errorf("ran %v; want %v (newest first, a failing step does not stop the rest)", ran, want)
	}
	if err == nil || !strings.Contains(err.Error(), "stop metrics: boom") {
		t.Errorf("run = %v; want the failing step named", err)
	}
	if err2 := td.run(context.Background()); err2 != err || len(ran) != 3 {
		t.Errorf("second run = %v after %d steps; want the first result %v and no step run again", err2, len(ran), err)
	}
}

func TestTeardownBoundedByContext(t *testing.T) {
	t.Parallel()
	var td teardown
	release := make(chan struct{})
	defer close(release)
	var older atomic.Bool
	td.push("older", func(context.Context) error { older.Store(true); return nil })
	td.push("stuck", func(context.Context) error { <-release; return nil })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := td.run(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("run = %v; want the deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %s; want it bounded by the context", d)
	}
	if older.Load() {
		t.Error("a step older than the stuck one ran before the stuck one finished")
	}
}
