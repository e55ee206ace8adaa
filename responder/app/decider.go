package app

import (
	"context"
	"fmt"
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

func (d decider) Decide(ctx context.Context, sr domain.SubRequest, now time.Time) (domain.Decision, error) {
	m, err := match.Match(ctx, d.st, sr)
	if err != nil {
		return domain.Decision{}, fmt.Errorf("match %s: %w", sr.GUID, err)
	}
	var acts []domain.CourtAct
	if ids := m.PremisesIDs(); len(ids) > 0 {
		if acts, err = d.st.CourtActsByPremises(ctx, ids); err != nil {
			return domain.Decision{}, fmt.Errorf("court acts for %s: %w", sr.GUID, err)
		}
	}
	dec := decide.Decide(sr, m, acts, dayOf(now))
	dec.DecidedAt = now // the rules see the date; the record keeps the moment
	// GIS's responseDate is binding; a difference from our calendar is worth a person's look
	// but does not hold the answer back.
	if ok, computed := d.cal.CheckDeadline(sr.SentDate, sr.ResponseDate); !ok {
		dec.Notes = append(dec.Notes, fmt.Sprintf("Срок ответа в ГИС ЖКХ (%s) не совпадает с расчётным по производственному календарю (%s); действует срок ГИС.",
			sr.ResponseDate.Format(time.DateOnly), computed.Format(time.DateOnly)))
	}
	return dec, nil
}
