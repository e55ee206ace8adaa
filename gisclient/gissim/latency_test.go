package gissim_test

import (
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/wsdl"
)

func TestLatencyProcessingTime(t *testing.T) {
	t.Parallel()
	l := gissim.Latency{PerAction: 100 * time.Millisecond, PerItem: 20 * time.Millisecond, MinWait: 3 * time.Second}
	for _, tc := range []struct {
		name   string
		l      gissim.Latency
		delay  time.Duration
		export bool
		n      int
		want   time.Duration
	}{
		{"import grows with actions", l, 2 * time.Second, false, 100, 12 * time.Second},
		{"import of 20", l, 2 * time.Second, false, 20, 4 * time.Second},
		{"small import waits the minimum", l, 2 * time.Second, false, 5, 3 * time.Second},
		{"export grows with the page", l, 2 * time.Second, true, 100, 4 * time.Second},
		{"export of 10 GUIDs waits the minimum", l, 2 * time.Second, true, 10, 3 * time.Second},
		{"scaled", gissim.Latency{PerAction: 100 * time.Millisecond, MinWait: 3 * time.Second, Scale: 0.01}, 2 * time.Second, false, 100, 120 * time.Millisecond},
		{"zero model is Delay", gissim.Latency{}, 2 * time.Second, false, 100, 2 * time.Second},
	} {
		if got := tc.l.ProcessingTime(tc.delay, tc.export, tc.n); got != tc.want {
			t.Errorf("%s: ProcessingTime(%s, %v, %d) = %s; want %s", tc.name, tc.delay, tc.export, tc.n, got, tc.want)
		}
	}
}

func TestLatencyEXPRate(t *testing.T) {
	t.Parallel()
	l := gissim.Latency{EXP001000: 0.01, Busy: 5, BusyRate: 0.05}
	for _, tc := range []struct {
		inFlight int
		want     float64
	}{{0, 0.01}, {5, 0.01}, {6, 0.06}, {8, 0.16}, {100, 1}} {
		if got := l.EXPRate(tc.inFlight); got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("EXPRate(%d) = %v; want %v", tc.inFlight, got, tc.want)
		}
	}
}

// The states of two imports of different sizes follow the model on a simulated clock: the
// small one waits the minimum, the large one longer, and is done after the small one
// although it was accepted first.
func TestLatencyImportStates(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHarness(t, gissim.Options{Now: clk.Now, Delay: 2 * time.Second, Latency: gissim.Latency{
		PerAction: 200 * time.Millisecond, MinWait: 6 * time.Second, Scale: 0.5,
	}})
	importScenario(t, h, 30)
	var actions []*wsdl.ImportDSRResponseActionType
	for i := 2; i <= 30; i++ {
		actions = append(actions, send(subGUID(i), noDebt()))
	}
	large := h.submit(orgA, importOf(actions...))                 // (2 s + 29 × 0.2 s) × 0.5 = 3.9 s
	small := h.submit(orgA, importOf(send(subGUID(1), noDebt()))) // max(2.2 s, 6 s) × 0.5 = 3 s
	steps := []struct {
		advance      time.Duration
		small, large wsdl.AsyncRequestStateType
	}{
		{0, "1", "1"},
		{1499 * time.Millisecond, "1", "1"},
		{time.Millisecond, "2", "1"},       // 1.5 s: half of the small one's time
		{450 * time.Millisecond, "2", "2"}, // 1.95 s: half of the large one's
		{1049 * time.Millisecond, "2", "2"},
		{time.Millisecond, "3", "2"}, // 3 s
		{899 * time.Millisecond, "3", "2"},
		{time.Millisecond, "3", "3"}, // 3.9 s
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		for _, m := range []struct {
			guid string
			want wsdl.AsyncRequestStateType
		}{{small, st.small}, {large, st.large}} {
			res, raw := h.state(orgA, m.guid)
			if *res.RequestState != m.want {
				t.Fatalf("step %d: RequestState %s for %s; want %s\n%s", i, *res.RequestState, m.guid, m.want, raw)
			}
		}
	}
	if a := answerOf(t, h, subGUID(30)); a.ResponseStatus != "Sent" {
		t.Errorf("answer of the large message: %s; want Sent", a.ResponseStatus)
	}
}

// With a threshold of 2 and a rise of 1 per message beyond it, the fourth message in flight
// is refused with EXP001000 for sure, and reading one result frees a place.
func TestLatencyEXP001000WhenBusy(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHarness(t, gissim.Options{Now: clk.Now, Delay: time.Second, Latency: gissim.Latency{Busy: 2, BusyRate: 1}})
	importScenario(t, h, 10)
	var guids []string
	for i := 1; i <= 3; i++ {
		guids = append(guids, h.submit(orgA, exportByPeriod("2026-11-01", "2026-11-20")))
	}
	if f := h.fault(orgA, exportByPeriod("2026-11-01", "2026-11-20")); f.ErrorCode != gissim.CodeTransfer {
		t.Fatalf("4th message in flight: fault %s; want %s", f.ErrorCode, gissim.CodeTransfer)
	}
	// Another organization has nothing in flight.
	h.submit(orgB, exportByPeriod("2026-11-01", "2026-11-20"))
	clk.Advance(time.Second)
	if res, _ := h.state(orgA, guids[0]); *res.RequestState != wsdl.AsyncRequestStateType3 {
		t.Fatalf("RequestState %s; want 3", *res.RequestState)
	}
	h.submit(orgA, exportByPeriod("2026-11-01", "2026-11-20")) // 2 in flight again, then 3
	if f := h.fault(orgA, exportByPeriod("2026-11-01", "2026-11-20")); f.ErrorCode != gissim.CodeTransfer {
		t.Fatalf("again 4 in flight: fault %s; want %s", f.ErrorCode, gissim.CodeTransfer)
	}
	if st := h.sim.Stats(); st.Faults.EXP001000 != 2 || st.Messages != 5 {
		t.Errorf("stats: %d EXP001000, %d messages; want 2 and 5", st.Faults.EXP001000, st.Messages)
	}
}

// The base rate is drawn per business message: over 400 messages with nothing in flight
// beyond the threshold, about a tenth are refused (seeded, so the count is fixed; the bounds
// hold for any seed with overwhelming probability).
func TestLatencyEXP001000BaseRate(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHarness(t, gissim.Options{Now: clk.Now, Latency: gissim.Latency{EXP001000: 0.1}})
	importScenario(t, h, 1)
	refused := 0
	for range 400 {
		m, _, _ := h.call(orgA, exportByPeriod("2026-11-01", "2026-11-20"))
		if f := m.Fault(); f != nil {
			if f.ErrorCode != gissim.CodeTransfer {
				t.Fatalf("fault %s; want %s", f.ErrorCode, gissim.CodeTransfer)
			}
			refused++
		}
	}
	if refused < 15 || refused > 70 {
		t.Errorf("%d of 400 messages refused with EXP001000; want about 40", refused)
	}
	if st := h.sim.Stats(); st.Faults.EXP001000 != refused || st.Messages != 400-refused {
		t.Errorf("stats: %d EXP001000, %d messages; want %d and %d", st.Faults.EXP001000, st.Messages, refused, 400-refused)
	}
}
