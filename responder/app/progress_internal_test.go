package app

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// TestUrgentReviewWarns: review items due today or on the next working day make one WARN
// naming them, earliest first; later or overdue ones do not (overdue ones are counted).
func TestUrgentReviewWarns(t *testing.T) {
	t.Parallel()
	cal, err := calendar.New()
	if err != nil {
		t.Fatal(err)
	}
	// Friday 20 November 2026: the next working day is Monday the 23rd.
	today := time.Date(2026, 11, 20, 10, 0, 0, 0, calendar.Moscow())
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	var buf bytes.Buffer
	a := &App{cal: cal, now: func() time.Time { return today }, log: slog.New(slog.NewJSONHandler(&buf, nil)),
		cfg: config.Config{Organizations: []config.Organization{{OrgPPAGUID: "org-1", Name: "УК"}}}}
	sr := func(guid string, st domain.State, due time.Time) store.SubRequestStatus {
		return store.SubRequestStatus{GUID: guid, State: st, ResponseDate: due}
	}
	before := orgSnapshot{"old": sr("old", domain.StateReview, day(24))}
	after := orgSnapshot{
		"old":     sr("old", domain.StateReview, day(24)), // two working days: no warning yet
		"monday":  sr("monday", domain.StateReview, day(23)),
		"today":   sr("today", domain.StateReview, day(20)),
		"late":    sr("late", domain.StateReview, day(19)), // overdue: counted, not warned about
		"waiting": sr("waiting", domain.StateNew, day(20)),
	}
	s := a.summarize(t.Context(), before, after)
	if s.pulled != 4 || s.review != 3 || s.waiting != 4 || s.overdue != 1 || len(s.urgent) != 2 {
		t.Fatalf("summary %+v; want 4 pulled, 3 to review, 4 waiting, 1 overdue, 2 urgent", s)
	}
	a.logCounts("org-1", s)
	var warn map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		if m["level"] == "WARN" {
			warn = m
		}
	}
	if warn == nil {
		t.Fatalf("no WARN line:\n%s", buf.String())
	}
	for k, want := range map[string]any{"count": 2.0, "earliest_deadline": "2026-11-20", "subrequests": "today,monday", "org_name": "УК"} {
		if warn[k] != want {
			t.Errorf("WARN %s = %v; want %v", k, warn[k], want)
		}
	}
}
