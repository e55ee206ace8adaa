package pipeline

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
)

// TestDeadlineRule: on the simulated clock (Wednesday 21 May 2025, deadline Friday 23 May)
// a review item whose reasons all say "no debt" is answered so one working day before the
// deadline and not earlier; any other stays with the person, which is recorded once; an
// automatic "debt" is never made (LEGAL-RULES §10.8).
func TestDeadlineRule(t *testing.T) {
	t.Parallel()
	cal, err := calendar.New()
	if err != nil {
		t.Fatal(err)
	}
	noHouse := []string{"no_house: дом не найден среди домов организации", "no_premises: помещение не сопоставлено"}
	const day = 24 * time.Hour
	tests := []struct {
		name     string
		reasons  []string
		premises []string
		debt     bool     // the proposal names a debtor
		noDebt   []string // the rule's no_debt reasons
		after    time.Duration
		answered bool   // sent "no debt" by the rule
		waits    bool   // the wait is recorded
		desc     string // the sent description
	}{
		{name: "unmatched house, two working days before: nothing yet", reasons: noHouse, noDebt: []string{"no_house", "no_premises"}, after: 0},
		{name: "unmatched house, one working day before: no debt", reasons: noHouse, noDebt: []string{"no_house", "no_premises"}, after: day, answered: true, desc: NoRecordsDescription},
		{name: "unmatched house, on the deadline day: no debt", reasons: noHouse, noDebt: []string{"no_house", "no_premises"}, after: 2 * day, answered: true, desc: NoRecordsDescription},
		{name: "unmatched house, past the deadline: left to GIS", reasons: noHouse, noDebt: []string{"no_house", "no_premises"}, after: 5 * day},
		{name: "unmatched house set to wait", reasons: noHouse, noDebt: []string{"no_premises"}, after: day, waits: true},
		{name: "doubtful court act waits", reasons: []string{"unknown_balance: акт 1: остаток долга не указан"}, premises: []string{"P1"}, noDebt: []string{"no_house", "no_premises"}, after: day, waits: true},
		{name: "one reason of two waits", reasons: append(slices.Clone(noHouse), "no_period: нет периода"), noDebt: []string{"no_house", "no_premises"}, after: day, waits: true},
		{name: "a proposal with a debtor never goes out automatically", reasons: []string{"ambiguous: две записи"}, premises: []string{"P1", "P2"}, debt: true, noDebt: []string{"ambiguous"}, after: day, waits: true},
		{name: "a reason set to no_debt inside a known house keeps the proposal's description", reasons: []string{"ambiguous: две записи"}, premises: []string{"P1", "P2"}, noDebt: []string{"ambiguous"}, after: day, answered: true},
		{name: "a reason without a code waits", reasons: []string{"сопоставление требует проверки"}, noDebt: []string{"no_house", "no_premises"}, after: day, waits: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sr := subRequest("s1")
			sr.ResponseDate = time.Date(2025, 5, 23, 0, 0, 0, 0, time.UTC) // Friday
			b := setup(t, func(o *Options) {
				o.Deadline = DeadlineRule{NoDebt: tc.noDebt, WorkingDaysLeft: cal.WorkingDaysLeft}
			}, sr)
			ctx := t.Context()
			if _, err := b.st.UpsertSubRequests(ctx, []domain.SubRequest{sr}); err != nil {
				t.Fatal(err)
			}
			proposal := domain.Decision{SubRequestGUID: "s1", RuleVersion: "test", Review: true, ReviewReasons: tc.reasons, PremisesIDs: tc.premises}
			if tc.debt {
				proposal.HasDebt = true
				proposal.DebtInfo = []domain.DebtInfo{{Person: domain.Person{LastName: "Иванов"}}}
			}
			if err := b.st.SaveDecision(ctx, proposal, domain.StateReview); err != nil {
				t.Fatal(err)
			}
			b.clk.advance(tc.after)
			for range 2 { // a second pass changes nothing more
				if _, err := b.p.Pass(ctx, false); err != nil {
					t.Fatalf("Pass: %v", err)
				}
			}

			d := b.st.decision("s1")
			var sent []domain.Decision
			for _, m := range b.gis.submitted {
				for _, a := range m.Actions {
					sent = append(sent, a.Decision)
				}
			}
			if !tc.answered {
				if len(sent) != 0 || b.st.state("s1") != domain.StateReview {
					t.Fatalf("state %s, sent %+v; want review and nothing sent", b.st.state("s1"), sent)
				}
				waits := 0
				for _, n := range d.Notes {
					if n == WaitNote {
						waits++
					}
				}
				if want := map[bool]int{true: 1, false: 0}[tc.waits]; waits != want {
					t.Fatalf("wait notes = %d (notes %q); want %d", waits, d.Notes, want)
				}
				if tc.debt && !d.HasDebt {
					t.Fatalf("the proposal lost its debt: %+v", d)
				}
				return
			}
			if len(sent) != 1 || sent[0].HasDebt || len(sent[0].DebtInfo) != 0 {
				t.Fatalf("sent %+v; want one \"no debt\"", sent)
			}
			if sent[0].Description != tc.desc {
				t.Fatalf("description = %q; want %q", sent[0].Description, tc.desc)
			}
			if d.DecidedBy != PolicyActor || !slices.Contains(d.Notes, PolicyNote) || !strings.Contains(d.Comment, "23.05.2025") {
				t.Fatalf("decision by %q, notes %q, comment %q; want the organization's rule with the deadline", d.DecidedBy, d.Notes, d.Comment)
			}
			audit := strings.Join(b.st.auditOf("s1"), "\n")
			// One entry, written with the answer in the same transaction (RecordReview is the
			// compare-and-set from review): by the rule, saying why.
			if !strings.Contains(audit, PolicyActor+" reviewed: ") || !strings.Contains(audit, "по правилу организации отправляется ответ «задолженности нет»") {
				t.Fatalf("audit trail lacks the rule's answer:\n%s", audit)
			}
			if got := b.st.state("s1"); got != domain.StateAnswered {
				t.Fatalf("state = %s; want answered", got)
			}
		})
	}
}

// TestDeadlineRuleYieldsToAPerson: a person's decision taken before the rule runs stands.
func TestDeadlineRuleYieldsToAPerson(t *testing.T) {
	t.Parallel()
	cal, err := calendar.New()
	if err != nil {
		t.Fatal(err)
	}
	sr := subRequest("s1")
	sr.ResponseDate = time.Date(2025, 5, 22, 0, 0, 0, 0, time.UTC) // Thursday: one working day away
	b := setup(t, func(o *Options) {
		o.Deadline = DeadlineRule{NoDebt: []string{"no_house"}, WorkingDaysLeft: cal.WorkingDaysLeft}
	}, sr)
	ctx := t.Context()
	if _, err := b.st.UpsertSubRequests(ctx, []domain.SubRequest{sr}); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SaveDecision(ctx, domain.Decision{SubRequestGUID: "s1", Review: true, ReviewReasons: []string{"no_house: нет дома"}}, domain.StateReview); err != nil {
		t.Fatal(err)
	}
	if err := b.st.RecordReview(ctx, "s1", "officer", "проверено", domain.Decision{Description: "решение сотрудника"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.p.Pass(ctx, false); err != nil {
		t.Fatal(err)
	}
	if d := b.st.decision("s1"); d.DecidedBy != "officer" || d.Description != "решение сотрудника" {
		t.Fatalf("decision = %+v; want the officer's", d)
	}
}
