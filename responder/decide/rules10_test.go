package decide

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// TestDecideWindow: the months that count are the requested period within the three years
// before the sent date, from the same day three years earlier (LEGAL-RULES §10.1).
func TestDecideWindow(t *testing.T) {
	t.Parallel()
	months := func(from, to string) func(*domain.CourtAct) {
		return func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = date(from), date(to) }
	}
	period := func(from, to string) func(*domain.SubRequest) {
		return func(s *domain.SubRequest) { s.PeriodFrom, s.PeriodTo = date(from), date(to) }
	}
	tests := []struct {
		name    string
		sr      func(*domain.SubRequest)
		act     domain.CourtAct
		counted bool
		reason  string
		codes   []string
	}{
		{
			name: "older than three years although requested", sr: period("2018-01-01", "2026-03-31"), act: act("A", months("2019-01-01", "2019-12-31")),
			reason: "период долга 01.2019–12.2019 вне трёх последних лет до даты отправки запроса (01.04.2023–01.04.2026)",
		},
		{
			name: "requested period wholly before the three years", sr: period("2018-01-01", "2020-12-31"), act: act("A", months("2019-01-01", "2019-12-31")),
			reason: "вне трёх последних лет до даты отправки запроса",
		},
		{
			name: "inside both", sr: period("2018-01-01", "2026-03-31"), act: act("A", months("2024-01-01", "2024-12-31")),
			counted: true, reason: "учтён: вступил в силу",
		},
		{
			name: "partly older than three years", sr: period("2018-01-01", "2026-03-31"), act: act("A", months("2022-01-01", "2024-12-31")),
			counted: true, reason: "частично вне учитываемого периода 01.04.2023–31.03.2026", codes: []string{CodePartialPeriod},
		},
		{
			name: "the same day three years earlier counts", sr: func(s *domain.SubRequest) { s.SentDate = date("2026-05-31") },
			act: act("A", months("2023-05-01", "2023-05-31")), counted: true,
		},
		{
			name: "the month before the same day does not", sr: func(s *domain.SubRequest) { s.SentDate = date("2026-05-31") },
			act: act("A", months("2023-04-01", "2023-04-30")), reason: "вне трёх последних лет",
		},
		{
			name: "period given, sent date missing", sr: func(s *domain.SubRequest) {
				s.SentDate = time.Time{}
				s.PeriodFrom, s.PeriodTo = date("2024-01-01"), date("2024-12-31")
			},
			act: act("A"), counted: true, codes: []string{CodeNoSentDate},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sr := sub()
			if tt.sr != nil {
				tt.sr(&sr)
			}
			d := Decide(sr, matched("P1"), []domain.CourtAct{tt.act}, today)
			if len(d.Evidence) != 1 {
				t.Fatalf("evidence = %+v; want one entry", d.Evidence)
			}
			if ev := d.Evidence[0]; ev.Counted != tt.counted || !strings.Contains(ev.Reason, tt.reason) {
				t.Errorf("evidence = %+v; want counted=%v with %q", ev, tt.counted, tt.reason)
			}
			if d.HasDebt != tt.counted {
				t.Errorf("HasDebt = %v; want %v", d.HasDebt, tt.counted)
			}
			if got := codes(d.ReviewReasons); !slices.Equal(got, tt.codes) {
				t.Errorf("review codes = %v; want %v (%q)", got, tt.codes, d.ReviewReasons)
			}
		})
	}
}

// TestDecideUnknownBalance: a blank outstanding amount is neither paid nor unpaid; only an
// explicit 0 means repaid (LEGAL-RULES §10.3).
func TestDecideUnknownBalance(t *testing.T) {
	t.Parallel()
	unknown := func(a *domain.CourtAct) { a.Outstanding, a.OutstandingUnknown = 0, true }
	tests := []struct {
		name    string
		acts    []domain.CourtAct
		hasDebt bool
		reason  string // of the first act's evidence
		codes   []string
		debtors int
	}{
		{name: "blank balance goes to review, not a silent no", acts: []domain.CourtAct{act("A", unknown)}, reason: "остаток долга не указан", codes: []string{CodeUnknownBalance}},
		{name: "explicit zero is repaid", acts: []domain.CourtAct{act("A", func(a *domain.CourtAct) { a.Outstanding = 0 })}, reason: "задолженность погашена"},
		{
			name: "blank balance outside the window does not matter", acts: []domain.CourtAct{act("A", unknown, func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = date("2019-01-01"), date("2019-12-31") })},
			reason: "вне трёх последних лет",
		},
		{name: "blank balance of a cancelled act does not matter", acts: []domain.CourtAct{act("A", unknown, func(a *domain.CourtAct) { a.CancelledOn = date("2026-01-10") })}, reason: "отменён"},
		{
			name: "another act still counts", acts: []domain.CourtAct{act("A", unknown), act("B", func(a *domain.CourtAct) { a.Debtors = []domain.Debtor{petrova} })},
			hasDebt: true, reason: "остаток долга не указан", codes: []string{CodeUnknownBalance}, debtors: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(sub(), matched("P1"), tt.acts, today)
			if ev := d.Evidence[0]; ev.Counted || !strings.Contains(ev.Reason, tt.reason) {
				t.Errorf("evidence = %+v; want not counted with %q", ev, tt.reason)
			}
			if d.HasDebt != tt.hasDebt || len(d.DebtInfo) != tt.debtors {
				t.Errorf("HasDebt, debtors = %v, %d; want %v, %d", d.HasDebt, len(d.DebtInfo), tt.hasDebt, tt.debtors)
			}
			if got := codes(d.ReviewReasons); !slices.Equal(got, tt.codes) || d.Review != (len(tt.codes) > 0) {
				t.Errorf("review %v, codes = %v; want %v", d.Review, got, tt.codes)
			}
			for _, r := range d.ReviewReasons {
				_, text, _ := strings.Cut(r, ": ")
				for _, a := range tt.acts {
					text = strings.ReplaceAll(text, actName(a), "") // the test acts' ids are Latin
				}
				if hasLatin(text) {
					t.Errorf("review reason %q has Latin letters in its text", r)
				}
			}
		})
	}
}

func hasLatin(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' })
}

// TestDecideOnePersonOnce: one entry per person (LEGAL-RULES §10.5): the same SNILS, or,
// without SNILS, the same full name after ё→е and case folding.
func TestDecideOnePersonOnce(t *testing.T) {
	t.Parallel()
	person := func(last, first, middle, snils string) domain.Debtor {
		return domain.Debtor{LastName: last, FirstName: first, MiddleName: middle, SNILS: snils}
	}
	fyodorov := person("Фёдоров", "Пётр", "Семёнович", "")
	tests := []struct {
		name  string
		a, b  domain.Debtor
		want  int    // entries in debtInfo
		snils string // of the first entry
	}{
		{"same SNILS, names spelled differently", person("Иванов", "Иван", "", "11223344595"), person("ИВАНОВ", "Иван", "Иванович", "11223344595"), 1, "11223344595"},
		{"ё and case", fyodorov, person("ФЕДОРОВ", "петр", "семенович", ""), 1, ""},
		{"one of them has SNILS", fyodorov, person("Федоров", "Петр", "Семенович", "11223344595"), 1, "11223344595"},
		{"different SNILS, same name", person("Федоров", "Петр", "Семенович", "11223344595"), person("Федоров", "Петр", "Семенович", "12345678964"), 2, "11223344595"},
		{"different middle names", fyodorov, person("Фёдоров", "Пётр", "Сергеевич", ""), 2, ""},
		{"missing middle name is another full name", fyodorov, person("Фёдоров", "Пётр", "", ""), 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			acts := []domain.CourtAct{
				act("A", func(a *domain.CourtAct) { a.Debtors = []domain.Debtor{tt.a} }),
				act("B", func(a *domain.CourtAct) { a.Debtors = []domain.Debtor{tt.b}; a.Document = docB }),
			}
			d := Decide(sub(), matched("P1"), acts, today)
			if len(d.DebtInfo) != tt.want {
				t.Fatalf("debtInfo = %+v; want %d entries", d.DebtInfo, tt.want)
			}
			first := d.DebtInfo[0]
			if first.Person.SNILS != tt.snils {
				t.Errorf("first person's SNILS = %q; want %q", first.Person.SNILS, tt.snils)
			}
			wantDocs := []string{docA.Path}
			if tt.want == 1 {
				wantDocs = append(wantDocs, docB.Path) // every qualifying act's document
			}
			if got := docPaths(first.Documents); !slices.Equal(got, wantDocs) {
				t.Errorf("first person's documents = %v; want %v", got, wantDocs)
			}
		})
	}
}
