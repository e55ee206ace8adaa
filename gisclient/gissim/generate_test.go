package gissim_test

import (
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
)

// TestGenerateRecent: sent dates lie in the last days up to the simulated today, never after
// it, and the deadlines fall on both sides of today (as gissim --generate promises).
func TestGenerateRecent(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	sim := gissim.New(gissim.Options{Seed: 7})
	sim.SetToday(today)
	sim.GenerateRecent(200, "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f", 15)
	subs := sim.SubRequests()
	if len(subs) != 200 {
		t.Fatalf("%d sub-requests; want 200", len(subs))
	}
	first := today.AddDate(0, 0, -14)
	var past, ahead int
	for _, sr := range subs {
		if sr.SentDate.After(today) || sr.SentDate.Before(first) {
			t.Errorf("%s sent %s; want within %s..%s", sr.GUID, sr.SentDate.Format(time.DateOnly), first.Format(time.DateOnly), today.Format(time.DateOnly))
		}
		if sr.ResponseDate.Before(today) {
			past++
		} else {
			ahead++
		}
	}
	if past < 40 || ahead < 40 {
		t.Errorf("deadlines: %d before today, %d from today on; want both sides well filled", past, ahead)
	}
}
