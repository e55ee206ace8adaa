package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
	"github.com/gisgw/gisgw/responder/store"
)

// decider matches a sub-request to premises, reads their court acts and applies the rules.
type decider struct {
	st  store.Store
	cal *calendar.Calendar
}

func newDecider(st store.Store, cal *calendar.Calendar) decider { return decider{st: st, cal: cal} }

// DecideBatch matches each of srs to premises and applies the rules to the court acts at
// them. It reads the premises of the whole batch in two queries (match.Prefetch) and their
// court acts in one, instead of two to four queries per sub-request.
func (d decider) DecideBatch(ctx context.Context, srs []domain.SubRequest, now time.Time) ([]domain.Decision, error) {
	l, err := match.Prefetch(ctx, d.st, srs)
	if err != nil {
		return nil, fmt.Errorf("match %d sub-requests: %w", len(srs), err)
	}
	ms := make([]match.Result, len(srs))
	idsOf := make([][]string, len(srs))
	var ids []string
	for i, sr := range srs {
		if ms[i], err = match.Match(ctx, l, sr); err != nil {
			return nil, fmt.Errorf("match %s: %w", sr.GUID, err)
		}
		idsOf[i] = ms[i].PremisesIDs()
		ids = append(ids, idsOf[i]...)
	}
	byPremises := map[string][]domain.CourtAct{}
	if len(ids) > 0 {
		acts, err := d.st.CourtActsByPremises(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("court acts for %d sub-requests: %w", len(srs), err)
		}
		for _, a := range acts {
			byPremises[a.PremisesID] = append(byPremises[a.PremisesID], a)
		}
	}
	out := make([]domain.Decision, len(srs))
	deadlines := map[deadlineKey]deadlineCheck{} // a batch's sub-requests mostly share their dates
	for i, sr := range srs {
		// Each sub-request sees the acts at its own premises only, in the store's order:
		// what CourtActsByPremises of its premises ids returns. Decide does not write into
		// them, so one premises' acts are passed as they are, clipped.
		var acts []domain.CourtAct
		if len(idsOf[i]) == 1 {
			acts = slices.Clip(byPremises[idsOf[i][0]])
		} else {
			for _, id := range idsOf[i] {
				acts = append(acts, byPremises[id]...)
			}
		}
		out[i] = d.rule(sr, ms[i], acts, now, deadlines)
	}
	return out, nil
}

type deadlineKey struct{ sent, response time.Time }

type deadlineCheck struct {
	ok       bool
	computed time.Time
}

// rule applies the decision rules and the deadline cross-check; deadlines keeps the
// cross-checks of the batch by date (counting working days is a good part of the rules'
// CPU).
func (d decider) rule(sr domain.SubRequest, m match.Result, acts []domain.CourtAct, now time.Time, deadlines map[deadlineKey]deadlineCheck) domain.Decision {
	dec := decide.Decide(sr, m, acts, calendar.Today(now))
	dec.DecidedAt = now // the rules see the date; the record keeps the moment
	// GIS's responseDate is binding; a difference from our calendar is worth a person's look
	// but does not hold the answer back.
	k := deadlineKey{sr.SentDate, sr.ResponseDate}
	c, ok := deadlines[k]
	if !ok {
		c.ok, c.computed = d.cal.CheckDeadline(sr.SentDate, sr.ResponseDate)
		deadlines[k] = c
	}
	if !c.ok {
		dec.Notes = append(dec.Notes, fmt.Sprintf("Срок ответа в ГИС ЖКХ (%s) не совпадает с расчётным по производственному календарю (%s); действует срок ГИС.",
			sr.ResponseDate.Format(time.DateOnly), c.computed.Format(time.DateOnly)))
	}
	return dec
}
