package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/report"
)

// TestReportAgreesOnOpen reads one store through the overview and through the deadline
// report: both must show the same open sub-requests (failed included) with the same counts
// of overdue and nearly due ones.
func TestReportAgreesOnOpen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		now           time.Time
		failedOverdue bool
	}{
		{"fixture day", time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC), false},
		// Monday 16 March: the failed one (due Friday 13 March) is past its deadline.
		{"after the failed one's deadline", time.Date(2026, 3, 16, 7, 0, 0, 0, time.UTC), true},
		// 22:30 UTC on Sunday 15 March is already Monday in Moscow.
		{"late UTC evening", time.Date(2026, 3, 15, 22, 30, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.clock.Set(tt.now)
			code, body, _ := f.do(t, f.client(t), http.MethodGet, "/", nil, bearer(testToken), nil)
			if code != http.StatusOK {
				t.Fatalf("GET / = %d\n%s", code, body)
			}
			var dash []string
			classes := map[string]string{}
			for _, m := range rowRE.FindAllStringSubmatch(body[strings.Index(body, `id="open"`):], -1) {
				dash = append(dash, m[2])
				classes[m[2]] = m[1]
			}
			counters := map[string]int{}
			for _, m := range counterRE.FindAllStringSubmatch(body, -1) {
				counters[m[1]], _ = strconv.Atoi(m[2])
			}

			rep, err := report.Build(t.Context(), f.st, report.Options{Today: calendar.Today(tt.now)})
			must(t, "build report", err)
			var rows []string
			overdue := map[string]bool{}
			for _, r := range rep.Rows {
				rows = append(rows, r.GUID)
				overdue[r.GUID] = r.Overdue
			}

			slices.Sort(dash)
			slices.Sort(rows)
			if !slices.Equal(dash, rows) {
				t.Errorf("open on the dashboard = %v; in the report = %v", dash, rows)
			}
			if !slices.Contains(rows, srFailed) {
				t.Errorf("the failed sub-request is not open in the report: %v", rows)
			}
			got := [3]int{counters["overdue"], counters["due1"], counters["due2"]}
			want := [3]int{rep.Totals.Overdue, rep.Totals.DueIn1, rep.Totals.DueIn2}
			if got != want {
				t.Errorf("dashboard overdue/due1/due2 = %v; report = %v", got, want)
			}
			if (classes[srFailed] == classOverdue) != tt.failedOverdue || overdue[srFailed] != tt.failedOverdue {
				t.Errorf("failed sub-request: row class %q, report overdue %v; want overdue = %v",
					classes[srFailed], overdue[srFailed], tt.failedOverdue)
			}
		})
	}
}
