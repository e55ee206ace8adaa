package decide

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gisgw/gisgw/responder/domain"
)

func agreement(number string, edit ...func(*domain.Agreement)) domain.Agreement {
	g := domain.Agreement{OrgGUID: org, Number: number, Date: date("2026-03-01"), Kind: domain.AgreementRepayment,
		Amount: 4000000, Paid: 1200000, Status: domain.AgreementActive}
	for _, e := range edit {
		e(&g)
	}
	return g
}

func withAgreements(gs ...domain.Agreement) func(*domain.CourtAct) {
	return func(a *domain.CourtAct) {
		for _, g := range gs {
			g.ActID = a.ID
			a.Agreements = append(a.Agreements, g)
		}
	}
}

// nbsp turns the ordinary spaces of a readable expectation into the no-break spaces that
// ru.Money puts inside and before an amount.
func nbsp(s string) string {
	return strings.NewReplacer("12 000", "12\u00a0000", "40 000", "40\u00a0000", " ₽", "\u00a0₽").Replace(s)
}

func TestDecideAgreements(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		acts     []domain.CourtAct
		hasDebt  bool
		desc     string // the whole description
		evidence []string
	}{
		{
			name:    "active agreement: still debt, named in the description",
			acts:    []domain.CourtAct{act("A", withAgreements(agreement("15")))},
			hasDebt: true,
			desc:    nbsp("По судебному акту № 2-A/2025 заключено соглашение о погашении задолженности № 15 от 01.03.2026 (действует), оплачено 12 000,00 ₽ из 40 000,00 ₽."),
			evidence: []string{nbsp("учтён: вступил в силу 01.03.2025, долг за 01.2024–12.2024, остаток 12 345,67 ₽; " +
				"соглашение о погашении задолженности № 15 от 01.03.2026 (действует), оплачено 12 000,00 ₽ из 40 000,00 ₽")},
		},
		{
			name: "broken instalment with a schedule: still debt",
			acts: []domain.CourtAct{act("A", withAgreements(agreement("7-Р", func(g *domain.Agreement) {
				g.Kind, g.Status, g.ScheduleEnd, g.Paid = domain.AgreementInstalment, domain.AgreementBroken, date("2026-12-31"), 0
			})))},
			hasDebt: true,
			desc:    nbsp("По судебному акту № 2-A/2025 судом предоставлена рассрочка № 7-Р от 01.03.2026 (нарушена, график платежей до 31.12.2026), оплачено 0,00 ₽ из 40 000,00 ₽."),
		},
		{
			name:    "fulfilled agreement on an act still unpaid: still debt",
			acts:    []domain.CourtAct{act("A", withAgreements(agreement("15", func(g *domain.Agreement) { g.Status = domain.AgreementFulfilled })))},
			hasDebt: true,
			desc:    nbsp("По судебному акту № 2-A/2025 заключено соглашение о погашении задолженности № 15 от 01.03.2026 (исполнено), оплачено 12 000,00 ₽ из 40 000,00 ₽."),
		},
		{
			name:     "no agreement: unchanged, no description",
			acts:     []domain.CourtAct{act("A")},
			hasDebt:  true,
			evidence: []string{"учтён: вступил в силу 01.03.2025, долг за 01.2024–12.2024, остаток 12 345,67 ₽"},
		},
		{
			name: "agreement on a repaid act: no debt, no description, the evidence shows it",
			acts: []domain.CourtAct{act("A", func(a *domain.CourtAct) { a.Outstanding = 0 }, withAgreements(agreement("15")))},
			evidence: []string{nbsp("не учтён: задолженность погашена (остаток на 31.03.2026: 0,00 ₽); " +
				"соглашение о погашении задолженности № 15 от 01.03.2026 (действует), оплачено 12 000,00 ₽ из 40 000,00 ₽")},
		},
		{
			name: "several acts and agreements, in act order",
			acts: []domain.CourtAct{
				act("B", withAgreements(agreement("2"))),
				act("A", withAgreements(agreement("1"), agreement("1-Р", func(g *domain.Agreement) { g.Kind = domain.AgreementInstalment }))),
			},
			hasDebt: true,
			desc: nbsp("По судебному акту № 2-A/2025 заключено соглашение о погашении задолженности № 1 от 01.03.2026 (действует), оплачено 12 000,00 ₽ из 40 000,00 ₽. " +
				"По судебному акту № 2-A/2025 судом предоставлена рассрочка № 1-Р от 01.03.2026 (действует), оплачено 12 000,00 ₽ из 40 000,00 ₽. " +
				"По судебному акту № 2-B/2025 заключено соглашение о погашении задолженности № 2 от 01.03.2026 (действует), оплачено 12 000,00 ₽ из 40 000,00 ₽."),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(sub(), matched("P1"), tc.acts, today)
			if d.HasDebt != tc.hasDebt {
				t.Errorf("HasDebt = %v; want %v (evidence %v)", d.HasDebt, tc.hasDebt, d.Evidence)
			}
			if d.Description != tc.desc {
				t.Errorf("Description =\n%q\nwant\n%q", d.Description, tc.desc)
			}
			if d.Review {
				t.Errorf("an agreement sent the decision to review: %v", d.ReviewReasons)
			}
			if tc.evidence != nil {
				var got []string
				for _, e := range d.Evidence {
					got = append(got, e.Reason)
				}
				if !slices.Equal(got, tc.evidence) {
					t.Errorf("evidence =\n%q\nwant\n%q", got, tc.evidence)
				}
			}
		})
	}
}

// An agreement changes neither the answer nor the debtors (LEGAL-RULES §10.6).
func TestDecideAgreementKeepsTheAnswer(t *testing.T) {
	t.Parallel()
	plain := Decide(sub(), matched("P1"), []domain.CourtAct{act("A")}, today)
	with := Decide(sub(), matched("P1"), []domain.CourtAct{act("A", withAgreements(agreement("15")))}, today)
	if plain.HasDebt != with.HasDebt || plain.Review != with.Review || len(plain.DebtInfo) != len(with.DebtInfo) ||
		with.DebtInfo[0].Person != plain.DebtInfo[0].Person || !slices.Equal(docPaths(with.DebtInfo[0].Documents), docPaths(plain.DebtInfo[0].Documents)) {
		t.Fatalf("with an agreement %+v; without %+v", with, plain)
	}
}

func TestDecideAgreementsDescriptionLimit(t *testing.T) {
	t.Parallel()
	var gs []domain.Agreement
	for i := range 30 {
		gs = append(gs, agreement(fmt.Sprintf("%02d", i)))
	}
	long := agreement(strings.Repeat("№", 1500))
	tests := []struct {
		name     string
		act      domain.CourtAct
		wantHead string
		wantTail string
	}{
		{"many agreements", act("A", withAgreements(gs...)),
			"По судебному акту № 2-A/2025 заключено соглашение о погашении задолженности № 00 от 01.03.2026",
			"(полный список есть у организации)."},
		{"one agreement longer than the limit", act("A", withAgreements(long)), "По судебному акту № 2-A/2025 заключено", "№№№…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(sub(), matched("P1"), []domain.CourtAct{tc.act}, today)
			if n := utf8.RuneCountInString(d.Description); n > DescriptionMax || n < DescriptionMax-200 {
				t.Errorf("description has %d characters; want at most %d and not much less", n, DescriptionMax)
			}
			if !utf8.ValidString(d.Description) || !strings.HasPrefix(d.Description, tc.wantHead) || !strings.HasSuffix(d.Description, tc.wantTail) {
				t.Errorf("description = %q; want it to start with %q and end with %q", d.Description, tc.wantHead, tc.wantTail)
			}
			if !d.HasDebt {
				t.Error("HasDebt = false")
			}
		})
	}
	// The count names how many agreements were left out.
	d := Decide(sub(), matched("P1"), []domain.CourtAct{act("A", withAgreements(gs...))}, today)
	shown := strings.Count(d.Description, "По судебному акту")
	if want := fmt.Sprintf("Ещё соглашений и рассрочек: %d ", 30-shown); shown == 0 || !strings.Contains(d.Description, want) {
		t.Errorf("description shows %d agreements and %q; want the remaining count %q", shown, d.Description, want)
	}
}

func TestJoinWithin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    []string
		limit int
		want  string
	}{
		{nil, 10, ""},
		{[]string{"Аб.", "Вг."}, 7, "Аб. Вг."},
		{[]string{"Абвгд."}, 4, "Абв…"},
		{[]string{"А.", "Б.", "В."}, 60, "А. Б. В."},
		{[]string{"Ааааа.", strings.Repeat("Б", 80)}, 6 + 1 + 65, "Ааааа. Ещё соглашений и рассрочек: 1 (полный список есть у организации)."},
		// The first sentence does not fit beside the count: it is kept alone.
		{[]string{"Ааааа.", strings.Repeat("Б", 80)}, 6 + 65, "Ааааа."},
	}
	for _, tc := range tests {
		got := joinWithin(tc.in, tc.limit)
		if got != tc.want || utf8.RuneCountInString(got) > tc.limit {
			t.Errorf("joinWithin(%q, %d) = %q; want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}
