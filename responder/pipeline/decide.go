package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gisgw/gisgw/responder/domain"
)

// DecideNew runs only the decide step of a pass: it decides every new sub-request, batch by
// batch as Pass does, and returns how many it decided. Benchmarks and tools use it to time
// or drive that step without talking to GIS.
func (p *Pipeline) DecideNew(ctx context.Context) (int, error) {
	pr, err := p.decide(ctx)
	return pr.Decided, err
}

// decide decides every new sub-request, a claimed batch at a time: the batch is decided
// (with a few queries in all) and its decisions saved in one transaction. DecideConcurrency
// batches are worked on at once, so that one batch's queries overlap another's rules; that
// is safe because claims are disjoint (leases) and each batch's decisions are saved in a
// transaction of their own. One claimer claims for all of them (claimBatches).
func (p *Pipeline) decide(ctx context.Context) (Progress, error) {
	batches := make(chan []domain.SubRequest)
	stop := make(chan struct{}) // closed once every worker has stopped
	var (
		claimer  sync.WaitGroup
		claimErr error
	)
	claimer.Go(func() {
		defer close(batches)
		claimErr = p.claimBatches(ctx, batches, stop)
	})
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		errs  []error
	)
	for range p.o.DecideConcurrency {
		wg.Go(func() {
			n, err := p.decideSome(ctx, batches)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	close(stop)
	claimer.Wait()
	if claimErr != nil {
		errs = append(errs, claimErr)
	}
	return Progress{Decided: total}, errors.Join(errs...)
}

// claimBatches claims new sub-requests for the decide workers, DecideConcurrency batches in
// one claim, and hands them out a batch at a time until none is left or no worker takes
// them (stop). One claim for the workers together rather than one each: a claim is a write
// on the store's one writer (SQLite) and walks past the rows other claims hold, so four
// claims of 500 cost about four times one claim of 2,000.
func (p *Pipeline) claimBatches(ctx context.Context, out chan<- []domain.SubRequest, stop <-chan struct{}) error {
	size := p.o.DecideBatchSize
	for {
		srs, err := p.o.Store.ClaimForDecision(ctx, p.o.Owner, size*p.o.DecideConcurrency, p.o.Lease)
		if err != nil {
			return fmt.Errorf("claim sub-requests to decide: %w", err)
		}
		if len(srs) == 0 {
			return nil
		}
		for len(srs) > 0 {
			n := min(size, len(srs))
			select {
			case out <- srs[:n:n]:
			case <-stop:
				return nil // what is left keeps its lease until it expires, as a failed batch's does
			}
			srs = srs[n:]
		}
	}
}

// decideSome decides and saves the batches it is handed until there are no more or one
// fails.
func (p *Pipeline) decideSome(ctx context.Context, batches <-chan []domain.SubRequest) (int, error) {
	n := 0
	for srs := range batches {
		ds, err := p.decideBatch(ctx, srs)
		if err != nil {
			return n, err
		}
		ups := make([]domain.DecisionUpdate, len(ds))
		for i, d := range ds {
			ups[i] = domain.DecisionUpdate{Decision: d, State: domain.StateReady}
			if d.Review {
				ups[i].State = domain.StateReview
			}
		}
		err = p.o.Store.SaveDecisions(ctx, ups)
		if movedOn(err) {
			// One of the batch moved on meanwhile (closed by GIS past its deadline, say): save
			// them one by one, all but the ones that moved on.
			saved, err := p.saveEach(ctx, ups)
			n += saved
			p.readied()
			if err != nil {
				return n, err
			}
			continue
		}
		if err != nil {
			return n, fmt.Errorf("save %d decisions: %w", len(ups), err)
		}
		for _, u := range ups {
			p.o.Metrics.decided(u.State)
		}
		n += len(ups)
		p.readied()
	}
	return n, nil
}

// decideBatch asks the Decider about a claimed batch and checks that it answered each.
func (p *Pipeline) decideBatch(ctx context.Context, srs []domain.SubRequest) ([]domain.Decision, error) {
	ds, err := p.o.Decider.DecideBatch(ctx, srs, p.o.Now())
	if err != nil {
		return nil, fmt.Errorf("decide %d sub-requests: %w", len(srs), err)
	}
	if len(ds) != len(srs) {
		return nil, fmt.Errorf("decide %d sub-requests: the decider returned %d decisions", len(srs), len(ds))
	}
	return ds, nil
}

// movedOn reports whether a save failed because a sub-request can no longer be decided
// (closed, being sent, or gone): nothing to retry for that one.
func movedOn(err error) bool {
	return errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrNotFound)
}

// saveEach saves decisions one transaction each. A sub-request that moved on is skipped and
// reported with the others that did once all are through; any other failure stops it (the
// rest wait for their lease to expire and are decided again).
func (p *Pipeline) saveEach(ctx context.Context, ups []domain.DecisionUpdate) (int, error) {
	saved := 0
	var skipped []error
	for _, u := range ups {
		err := p.o.Store.SaveDecision(ctx, u.Decision, u.State)
		if movedOn(err) {
			skipped = append(skipped, fmt.Errorf("save decision for %s: %w", u.Decision.SubRequestGUID, err))
			continue
		}
		if err != nil {
			return saved, errors.Join(append(skipped, fmt.Errorf("save decision for %s: %w", u.Decision.SubRequestGUID, err))...)
		}
		p.o.Metrics.decided(u.State)
		saved++
	}
	return saved, errors.Join(skipped...)
}
