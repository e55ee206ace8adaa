package app

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

// TestOpenGaugeCountsFailed checks that the gauge of open sub-requests counts what the
// dashboard and the report call open (domain.State.Open): a failed one included, closed ones
// not, and days counted from today in Moscow.
func TestOpenGaugeCountsFailed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// 22:00 UTC on 10 March 2026 is already 11 March in Moscow.
	now := time.Date(2026, 3, 10, 22, 0, 0, 0, time.UTC)
	st, err := storeopen.Open(ctx, filepath.Join(t.TempDir(), "gisgw.db"), storeopen.WithAutoMigrate(),
		storeopen.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	seeds := []struct {
		guid  string
		due   time.Time
		state domain.State
	}{
		{"new-today", day(11), domain.StateNew},
		{"review-in-1", day(12), domain.StateReview},
		{"failed-overdue", day(10), domain.StateFailed},
		{"failed-in-4", day(15), domain.StateFailed},
		{"answered-overdue", day(10), domain.StateAnswered},
		{"auto-overdue", day(9), domain.StateAutoAnswered},
	}
	var subs []domain.SubRequest
	for _, s := range seeds {
		subs = append(subs, domain.SubRequest{
			GUID: s.guid, OrgGUID: "org", RequestGUID: "rq-" + s.guid, HouseGUID: "h1", AddressType: "Apartment",
			Address: "г. Тверь, ул. Советская, д. 5", SentDate: s.due.AddDate(0, 0, -7), ResponseDate: s.due,
			ResponseStatus: "NotSent", State: domain.StateNew,
		})
	}
	if _, err := st.UpsertSubRequests(ctx, subs); err != nil {
		t.Fatalf("upsert: %v", err)
	}
	for _, s := range seeds {
		if s.state != domain.StateNew {
			if err := st.SetState(ctx, s.guid, domain.StateNew, s.state, "test", ""); err != nil {
				t.Fatalf("set state of %s: %v", s.guid, err)
			}
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(newStateCollector(st, func() time.Time { return now }))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	byDays := map[string]float64{}
	byState := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			label := m.GetLabel()[0].GetValue()
			switch mf.GetName() {
			case "gisgw_open_subrequests_by_days_left":
				byDays[label] = m.GetGauge().GetValue()
			case "gisgw_subrequests":
				byState[label] = m.GetGauge().GetValue()
			}
		}
	}
	wantDays := map[string]float64{"overdue": 1, "0": 1, "1": 1, "2": 0, "3-5": 1, "6+": 0}
	for k, v := range wantDays {
		if byDays[k] != v {
			t.Errorf("open by days left %q = %v; want %v (all: %v)", k, byDays[k], v, byDays)
		}
	}
	for _, s := range domain.States() {
		if _, ok := byState[string(s)]; !ok {
			t.Errorf("no gisgw_subrequests series for state %q", s)
		}
	}
	if byState[string(domain.StateFailed)] != 2 {
		t.Errorf("gisgw_subrequests{state=failed} = %v; want 2", byState[string(domain.StateFailed)])
	}
}
