package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
)

// pull records new sub-requests for org: the period from the last watermark (a day of
// overlap) or the pull window, to today, in spans GIS accepts (≤ 6 months), or day by day
// with PullConcurrency days exported at once.
func (p *Pipeline) pull(ctx context.Context, org string) (Progress, error) {
	var pr Progress
	unlock, ok, err := p.o.Store.TryLockOrg(ctx, org)
	if err != nil {
		return pr, err
	}
	if !ok {
		return pr, nil // another replica is pulling this organization
	}
	defer unlock()
	today := day(p.o.Now())
	wm, err := p.o.Store.Watermark(ctx, org)
	if err != nil {
		return pr, err
	}
	from := today.Add(-p.o.PullWindow)
	if !wm.IsZero() {
		from = day(wm).AddDate(0, 0, -1)
	}
	spans := Spans(from, today)
	if p.o.PullConcurrency > 1 {
		// Newest first: the recent days hold the sub-requests still to answer, and a
		// failure ends the pull (below) with them recorded.
		spans = days(spans, today.AddDate(0, 0, -(dayByDay-1)))
		slices.Reverse(spans)
	}
	// A retry after a failed pull asks only for the periods it has not finished yet: one
	// export that fails (stuck, going backwards) must not make every retry start over, or a
	// first pull of many periods would rarely get through them all.
	spans = p.unfinished(org, from, spans)
	var exported atomic.Int32
	complete := func(span [2]time.Time) {
		exported.Add(1)
		if span[1].Before(today) { // today's sub-requests keep coming: asked again every time
			p.finished(org, from, span)
		}
	}
	// Page by page whenever the port can: each page is recorded as it arrives, so a first
	// pull of a large organization holds one page in memory and the decide step starts on it.
	if pp, ok := p.o.GIS.(PagePuller); ok {
		pr.Pulled, err = p.pullPages(ctx, org, pp, spans, complete)
	} else {
		pr.Pulled, err = p.pullSpans(ctx, org, spans, complete)
	}
	pr.Exported = int(exported.Load())
	if err != nil {
		return pr, err
	}
	if err := ctx.Err(); err != nil {
		return pr, err
	}
	if err := p.o.Store.SetWatermark(ctx, org, today); err != nil {
		return pr, err
	}
	p.forgetFinished(org)
	if pr.Pulled > 0 {
		p.log.Info("pulled sub-requests", "org", org, "new", pr.Pulled, "from", from.Format(time.DateOnly), "to", today.Format(time.DateOnly))
	}
	return pr, nil
}

// PagePuller is implemented by a GIS port that can export one page at a time (gisport), so
// that the pages of several periods' exports take turns in PullConcurrency places.
type PagePuller interface {
	// PullPage returns one page of org's sub-requests sent in [from, to]: the first when
	// cursor is "", else the one the previous page's next names; next is "" after the last.
	PullPage(ctx context.Context, org string, from, to time.Time, cursor string) (srs []domain.SubRequest, next string, err error)
}

// pullSpans exports the spans, PullConcurrency at once, each whole, and returns how many
// new sub-requests were recorded. After a failure no more spans are started (a GIS that
// keeps exports unprocessed would hold each for the poll limit); what the others record
// is kept, and the watermark stays until a pull succeeds in full.
func (p *Pipeline) pullSpans(ctx context.Context, org string, spans [][2]time.Time, complete func([2]time.Time)) (int, error) {
	var (
		mu     sync.Mutex
		pulled int
		errs   []error
		wg     sync.WaitGroup
		sem    = make(chan struct{}, max(p.o.PullConcurrency, 1))
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(errs) > 0
	}
	for _, span := range spans {
		if failed() || ctx.Err() != nil {
			break // the watermark stays; the next pull asks again
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			n, err := p.pullSpan(ctx, org, span)
			mu.Lock()
			defer mu.Unlock()
			pulled += n
			if err != nil {
				errs = append(errs, err)
			} else {
				complete(span)
			}
		})
	}
	wg.Wait()
	return pulled, errors.Join(errs...)
}

// pullPages exports the spans page by page: PullConcurrency workers take the next page of
// the span at the head of a queue and put the span back at its tail, so that the spans'
// page chains (each page's cursor is in the previous result) advance side by side however
// unequal they are. A page's span goes back into the queue as soon as the page arrives, so
// that the next page's export overlaps its recording; a chain's pages are still recorded in
// order, each only after the one before it was. After a failure no more pages are asked for
// (the pages in flight are recorded, a chain's pages after one that failed to be recorded
// are not); the watermark stays until a pull succeeds in full.
func (p *Pipeline) pullPages(ctx context.Context, org string, pp PagePuller, spans [][2]time.Time, complete func([2]time.Time)) (int, error) {
	type chain struct {
		span    [2]time.Time
		cursor  string
		cursors map[string]bool
		// recorded is closed once the chain's latest page has been recorded or given up;
		// lost says that one of its pages was not recorded, so the later ones are not either.
		recorded chan struct{}
		lost     atomic.Bool
	}
	queue := make(chan *chain, len(spans)) // every chain is in it at most once
	for _, s := range spans {
		c := &chain{span: s, cursors: map[string]bool{}, recorded: make(chan struct{})}
		close(c.recorded)
		queue <- c
	}
	var (
		mu     sync.Mutex
		pulled int
		errs   []error
		left   = len(spans)
		wg     sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	// done ends a chain: only the worker that took it from the queue and did not put it
	// back does. The last one closes the queue.
	done := func() {
		mu.Lock()
		defer mu.Unlock()
		if left--; left == 0 {
			close(queue)
		}
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(errs) > 0
	}
	for range min(max(p.o.PullConcurrency, 1), len(spans)) {
		wg.Go(func() {
			for c := range queue {
				if failed() || ctx.Err() != nil || c.lost.Load() {
					done() // the watermark stays; the next pull asks again
					continue
				}
				period := c.span[0].Format(time.DateOnly) + "–" + c.span[1].Format(time.DateOnly)
				srs, next, perr := pp.PullPage(ctx, org, c.span[0], c.span[1], c.cursor)
				prev, mine := c.recorded, make(chan struct{})
				c.recorded = mine
				var end error // why the chain ends after this page, if it does
				k := strings.ToLower(next)
				switch {
				case perr != nil:
					end = fmt.Errorf("export %s: %w", period, perr)
				case next != "" && c.cursors[k]:
					end = fmt.Errorf("export %s: GIS returned the page cursor %s a second time; stopping to avoid a loop", period, next)
				}
				more := end == nil && next != ""
				if more {
					c.cursors[k], c.cursor = true, next
					queue <- c // another worker exports the next page while this one records
				}
				<-prev
				if len(srs) > 0 && !c.lost.Load() {
					n, err := p.o.Store.UpsertSubRequests(ctx, srs)
					if err != nil {
						c.lost.Store(true)
						fail(fmt.Errorf("export %s: record a page: %w", period, err))
					} else {
						p.o.Metrics.pulled(org, n)
						mu.Lock()
						pulled += n
						mu.Unlock()
					}
				}
				close(mine)
				if more {
					continue
				}
				switch {
				case end != nil:
					fail(end)
				case !c.lost.Load():
					complete(c.span)
				}
				done()
			}
		})
	}
	wg.Wait()
	return pulled, errors.Join(errs...)
}

// pullSpan exports one span and records what it got, also when the export failed after
// some pages, so that a long first pull makes progress across retries.
func (p *Pipeline) pullSpan(ctx context.Context, org string, span [2]time.Time) (int, error) {
	srs, perr := p.o.GIS.Pull(ctx, org, span[0], span[1])
	if len(srs) == 0 {
		return 0, perr
	}
	n, err := p.o.Store.UpsertSubRequests(ctx, srs)
	if err != nil {
		return 0, errors.Join(perr, err)
	}
	p.o.Metrics.pulled(org, n)
	return n, perr
}

// dayByDay is how many of the most recent days a pull with PullConcurrency > 1 exports
// one by one: new sub-requests are recent (GIS answers a sub-request by itself five
// working days after it was sent), and an empty day costs an export, so older periods
// stay whole.
const dayByDay = 31

// days cuts the part of spans from since on into single days; the part before since stays
// as it is. An export's pages come one after the other (each cursor is in the previous
// page's result), so a pull of one period takes a round trip per 100 sub-requests; the
// periods of different days are independent exports, which PullConcurrency sends side by
// side. A day is the finest period GIS takes (xs:date).
func days(spans [][2]time.Time, since time.Time) [][2]time.Time {
	var out [][2]time.Time
	for _, s := range spans {
		if s[0].Before(since) {
			if s[1].Before(since) {
				out = append(out, s)
				continue
			}
			out = append(out, [2]time.Time{s[0], since.AddDate(0, 0, -1)})
			s[0] = since
		}
		for d := s[0]; !d.After(s[1]); d = d.AddDate(0, 0, 1) {
			out = append(out, [2]time.Time{d, d})
		}
	}
	return out
}

// Spans cuts [from, to] into consecutive periods of at most six months, as GIS requires.
func Spans(from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	for !from.After(to) {
		end := from.AddDate(0, 6, -1)
		if end.After(to) {
			end = to
		}
		out = append(out, [2]time.Time{from, end})
		from = end.AddDate(0, 0, 1)
	}
	return out
}

// day is t's date in Moscow, as GIS counts dates, at midnight UTC.
func day(t time.Time) time.Time { return calendar.Today(t) }

// spanKey names a period in the record of finished ones.
func spanKey(span [2]time.Time) string {
	return span[0].Format(time.DateOnly) + "/" + span[1].Format(time.DateOnly)
}

// pulledSpans is what a process remembers of a pull that has not succeeded yet: the
// periods exported in full, for the pull starting at from.
type pulledSpans struct {
	from time.Time
	done map[string]bool
}

// unfinished drops from spans the periods this process exported in full since org's last
// successful pull, for a pull from the same day (another replica's success moves it).
func (p *Pipeline) unfinished(org string, from time.Time, spans [][2]time.Time) [][2]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	ps, ok := p.pulled[org]
	if !ok || !ps.from.Equal(from) {
		return spans
	}
	return slices.DeleteFunc(spans, func(s [2]time.Time) bool { return ps.done[spanKey(s)] })
}

// finished records that span of org's pull from from was exported in full.
func (p *Pipeline) finished(org string, from time.Time, span [2]time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pulled == nil {
		p.pulled = map[string]pulledSpans{}
	}
	ps, ok := p.pulled[org]
	if !ok || !ps.from.Equal(from) {
		ps = pulledSpans{from: from, done: map[string]bool{}}
		p.pulled[org] = ps
	}
	ps.done[spanKey(span)] = true
}

// forgetFinished drops org's record once a pull succeeded: the watermark now says it.
func (p *Pipeline) forgetFinished(org string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pulled, org)
}
