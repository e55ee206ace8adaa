package alert_test

import (
	"slices"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
)

// TestReviewAlertedTwoWorkingDaysBefore: with days_before 1, a sub-request waiting for a
// person is still alerted two working days before its deadline (LEGAL-RULES §10.8), and
// again within days_before; other open ones only within days_before.
func TestReviewAlertedTwoWorkingDaysBefore(t *testing.T) {
	t.Parallel()
	s := newSetup(t, []seed{
		{"r2", day(2025, 3, 18), domain.StateReview}, // Tuesday: 2 working days from Friday
		{"r3", day(2025, 3, 19), domain.StateReview}, // Wednesday: 3
		{"n2", day(2025, 3, 18), domain.StateReady},  // Tuesday, not waiting for a person
	})
	check(t, s.alerter(t, 1, friday), 2) // r2 by e-mail and webhook
	if got := guids(s.hook.Payloads(), "deadline-2"); !slices.Equal(got, []string{"r2"}) {
		t.Fatalf("deadline-2 items on Friday = %v; want r2", got)
	}
	if got := decode(t, s.sink.Messages()[0]).subject; got != "gisgw: 1 подзапрос — срок ответа через ≤2 рабочих дня" {
		t.Fatalf("subject = %q", got)
	}
	check(t, s.alerter(t, 1, friday), 0)
	// Monday: r2 and n2 are one working day away (deadline-1); r3 is two (deadline-2).
	check(t, s.alerter(t, 1, day(2025, 3, 17)), 6)
	hooks := s.hook.Payloads()
	if got := guids(hooks, "deadline-1"); !slices.Equal(got, []string{"r2", "n2"}) && !slices.Equal(got, []string{"n2", "r2"}) {
		t.Fatalf("deadline-1 items on Monday = %v; want r2 and n2", got)
	}
	if got := guids(hooks, "deadline-2"); !slices.Equal(got, []string{"r2", "r3"}) {
		t.Fatalf("deadline-2 items = %v; want r2 (Friday), r3 (Monday)", got)
	}
}
