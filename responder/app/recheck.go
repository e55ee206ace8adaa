package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/pipeline"
	"github.com/gisgw/gisgw/responder/store"
)

// Recheck decides the answers GIS holds again with the data in st, for every organization
// that has one, and returns how many went back to a person as a proposed correction
// (LEGAL-RULES §10.7). The import commands run it after loading data, with the same rules
// as the daemon's re-check; calendarFiles are the configuration's calendar files, if any.
func Recheck(ctx context.Context, st store.Store, now time.Time, log *slog.Logger, calendarFiles ...string) (int, error) {
	cal, err := calendar.New(calendarFiles...)
	if err != nil {
		return 0, fmt.Errorf("re-check sent answers: %w", err)
	}
	srs, err := st.ListSubRequests(ctx, store.SubRequestFilter{States: []domain.State{domain.StateAnswered, domain.StateAutoAnswered}})
	if err != nil {
		return 0, fmt.Errorf("re-check sent answers: %w", err)
	}
	var orgs []string
	for _, sr := range srs {
		if !slices.Contains(orgs, sr.OrgGUID) {
			orgs = append(orgs, sr.OrgGUID)
		}
	}
	return pipeline.Recheck(ctx, st, newDecider(st, cal), orgs, now, log)
}
