package gisclient_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/gisclient/gissim"
)

// TestExportAgainstSimulator: against the simulator with 10% injected faults (HTTP 500,
// HTTP 503, EXP001000, dropped connections) and a processing delay, ExportDSRs lists every
// sub-request of the organization exactly once over several pages, and none of another
// organization. Client and simulator share the injected clock, so the official poll
// schedule and the backoff cost no wall-clock time and the run is reproducible.
func TestExportAgainstSimulator(t *testing.T) {
	t.Parallel()
	for _, pageSize := range []int{100, 7} {
		t.Run("page size "+strconv.Itoa(pageSize), func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			sim := gissim.New(gissim.Options{
				Delay:    15 * time.Second, // state 1/2 on the first getState, 3 on the second
				Faults:   gissim.Faults{HTTP500: 0.025, HTTP503: 0.025, EXP001000: 0.025, Drop: 0.025},
				Now:      clock.Now,
				Seed:     20261122,
				PageSize: pageSize,
			})
			const other = "0bad0bad-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
			sentFrom := time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
			sim.Generate(260, testOrg, sentFrom)
			sim.Generate(40, other, sentFrom)
			srv := httptest.NewServer(sim.Handler())
			t.Cleanup(srv.Close)

			c := newClient(t, srv.URL, clock, func(o *gisclient.Options) {
				o.NewGUID = nil // random, as in production
				o.Retry = gisclient.Retry{InitialInterval: time.Second, MaxInterval: 30 * time.Second, MaxElapsedTime: time.Hour, MaxRetries: 8}
			})
			f := gisclient.ExportFilter{Period: &gisclient.Period{From: sentFrom, To: sentFrom.AddDate(0, 6, 0)}}
			seen := map[string]int{}
			for sr, err := range c.ExportDSRs(context.Background(), f) {
				if err != nil {
					t.Fatalf("after %d sub-requests: %v", len(seen), err)
				}
				seen[strings.ToLower(string(*sr.SubrequestGUID))]++
			}
			want := 0
			for _, sr := range sim.SubRequests() {
				if sr.OrgPPAGUID != testOrg {
					if seen[strings.ToLower(sr.GUID)] > 0 {
						t.Errorf("sub-request %s of another organization listed", sr.GUID)
					}
					continue
				}
				want++
				if n := seen[strings.ToLower(sr.GUID)]; n != 1 {
					t.Errorf("sub-request %s listed %d times, want once", sr.GUID, n)
				}
			}
			if want != 260 || len(seen) != 260 {
				t.Errorf("listed %d sub-requests, the scenario holds %d for the organization (want 260)", len(seen), want)
			}
			st := sim.Stats()
			injected := st.Faults.HTTP500 + st.Faults.HTTP503 + st.Faults.EXP001000 + st.Faults.Drop
			calls := st.Calls.Export + st.Calls.GetState
			t.Logf("page size %d: %d SOAP calls (%d export, %d getState), %d injected faults %+v, %d messages acknowledged",
				pageSize, calls, st.Calls.Export, st.Calls.GetState, injected, st.Faults, st.Messages)
			if pageSize < 10 && injected < 5 {
				// ~130 calls at 10%: fewer than 5 faults means the injection is not working.
				t.Errorf("only %d faults injected: the test did not exercise the retries", injected)
			}
			pages := (260 + pageSize - 1) / pageSize
			if st.Messages != pages {
				t.Errorf("%d export messages acknowledged, want one per page (%d)", st.Messages, pages)
			}
		})
	}
}
