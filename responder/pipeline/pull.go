package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
)

// pull records new sub-requests for org: the period from the last watermark (a day of
// overlap) or the pull window, to today, in spans GIS accepts (≤ 6 months).
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
	record := func(srs []domain.SubRequest) error {
		n, err := p.o.Store.UpsertSubRequests(ctx, srs)
		if err != nil {
			return err
		}
		pr.Pulled += n
		p.o.Metrics.pulled(org, n)
		return nil
	}
	for _, span := range Spans(from, today) {
		if pp, ok := p.o.GIS.(PagePuller); ok {
			// Page by page: a first pull of a large organization holds one page in
			// memory and one page's transaction, and the decide step starts on the first.
			if err := pp.PullPages(ctx, org, span[0], span[1], record); err != nil {
				return pr, err
			}
			continue
		}
		srs, perr := p.o.GIS.Pull(ctx, org, span[0], span[1])
		// What a failed pull got before the failure is recorded all the same (the
		// watermark stays), so that a long first pull makes progress across retries.
		if len(srs) > 0 {
			if err := record(srs); err != nil {
				return pr, errors.Join(perr, err)
			}
		}
		if perr != nil {
			return pr, perr
		}
	}
	if err := p.o.Store.SetWatermark(ctx, org, today); err != nil {
		return pr, err
	}
	if pr.Pulled > 0 {
		p.log.Info("pulled sub-requests", "org", org, "new", pr.Pulled, "from", from.Format(time.DateOnly), "to", today.Format(time.DateOnly))
	}
	return pr, nil
}

// PagePuller is a GIS that hands a pull over page by page (gisport.Port does): fn records
// each page's sub-requests before the next is asked for, and its error stops the pull.
type PagePuller interface {
	PullPages(ctx context.Context, org string, from, to time.Time, fn func([]domain.SubRequest) error) error
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
