package decide

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

const org = "org-1"

var (
	today   = date("2026-04-10")
	ivanov  = domain.Debtor{LastName: "Иванов", FirstName: "Иван", MiddleName: "Иванович", SNILS: "11223344595"}
	petrova = domain.Debtor{LastName: "Петрова", FirstName: "Анна"}
	docA    = &domain.Document{Name: "a.pdf", Path: "/acts/a.pdf"}
	docB    = &domain.Document{Name: "b.pdf", Path: "/acts/b.pdf"}
)

// sub is a sub-request sent on 2026-04-01 with no period: the window is
// 2023-04-01..2026-04-01 (LEGAL-RULES §10.1: from the same day three years earlier).
func sub() domain.SubRequest {
	return domain.SubRequest{GUID: "sr-1", OrgGUID: org, SentDate: date("2026-04-01")}
}

func matched(ids ...string) match.Result {
	r := match.Result{Method: match.MethodHMObject}
	for _, id := range ids {
		r.Premises = append(r.Premises, domain.Premises{OrgGUID: org, ID: id})
	}
	return r
}

// act is a counting act at P1: in force, unpaid, debt months inside the default window.
func act(id string, edit ...func(*domain.CourtAct)) domain.CourtAct {
	a := domain.CourtAct{
		OrgGUID: org, ID: id, PremisesID: "P1", CaseNumber: "2-" + id + "/2025", Kind: domain.ActCourtOrder,
		PronouncedOn: date("2025-02-01"), EffectiveOn: date("2025-03-01"),
		DebtFrom: date("2024-01-01"), DebtTo: date("2024-12-31"),
		Amount: 1500000, Outstanding: 1234567, BalanceOn: date("2026-03-31"),
		Debtors: []domain.Debtor{ivanov}, Document: docA,
	}
	for _, e := range edit {
		e(&a)
	}
	return a
}

func TestDecideActRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sr      func(*domain.SubRequest)
		act     domain.CourtAct
		counted bool
		reason  string   // part of the evidence reason
		codes   []string // review codes
	}{
		{name: "counts", act: act("A"), counted: true, reason: "учтён: вступил в силу 01.03.2025, долг за 01.2024–12.2024, остаток 12 345,67 ₽"},
		{name: "not in force", act: act("A", func(a *domain.CourtAct) { a.EffectiveOn = time.Time{} }), reason: "не вступил в законную силу"},
		{name: "in force after the decision date", act: act("A", func(a *domain.CourtAct) { a.EffectiveOn = date("2026-04-11") }), reason: "вступает в законную силу 11.04.2026"},
		{name: "in force on the decision date", act: act("A", func(a *domain.CourtAct) { a.EffectiveOn = today }), counted: true, reason: "учтён"},
		{name: "cancelled", act: act("A", func(a *domain.CourtAct) { a.CancelledOn = date("2026-01-10") }), reason: "отменён 10.01.2026"},
		{name: "cancelled on the decision date", act: act("A", func(a *domain.CourtAct) { a.CancelledOn = today }), reason: "отменён 10.04.2026"},
		{name: "cancellation dated after the decision date", act: act("A", func(a *domain.CourtAct) { a.CancelledOn = date("2026-05-01") }), counted: true, reason: "ещё не наступила", codes: []string{CodeFutureCancel}},
		{name: "paid", act: act("A", func(a *domain.CourtAct) { a.Outstanding = 0 }), reason: "задолженность погашена (остаток на 31.03.2026: 0,00 ₽)"},
		{name: "overpaid", act: act("A", func(a *domain.CourtAct) { a.Outstanding = -100; a.BalanceOn = time.Time{} }), reason: "задолженность погашена"},
		{name: "partly paid counts", act: act("A", func(a *domain.CourtAct) { a.Outstanding = 1 }), counted: true, reason: "остаток 0,01 ₽"},
		{
			name: "debt before the default window", act: act("A", func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = date("2019-01-01"), date("2019-12-31") }),
			reason: "период долга 01.2019–12.2019 вне запрошенного периода 01.04.2023–01.04.2026",
		},
		{
			name: "debt ending in the window's first month overlaps", act: act("A", func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = date("2023-01-01"), date("2023-04-30") }),
			counted: true, reason: "частично вне", codes: []string{CodePartialPeriod},
		},
		{
			name: "debt ending the month before the window", act: act("A", func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = date("2023-01-01"), date("2023-03-31") }),
			reason: "вне запрошенного периода",
		},
		{
			name: "debt months given mid-month are whole months", act: act("A", func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = date("2023-04-15"), date("2026-04-15") }),
			counted: true, reason: "долг за 04.2023–04.2026",
		},
		{
			name: "debt partly after the window", act: act("A", func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = date("2026-01-01"), date("2026-05-31") }),
			counted: true, codes: []string{CodePartialPeriod},
		},
		{
			name: "requested period", sr: func(s *domain.SubRequest) { s.PeriodFrom, s.PeriodTo = date("2025-01-01"), date("2025-12-31") },
			act: act("A"), reason: "период долга 01.2024–12.2024 вне запрошенного периода 01.01.2025–31.12.2025",
		},
		{
			name: "requested period inside", sr: func(s *domain.SubRequest) { s.PeriodFrom, s.PeriodTo = date("2024-01-01"), date("2024-12-31") },
			act: act("A"), counted: true,
		},
		{
			name: "requested period reversed", sr: func(s *domain.SubRequest) { s.PeriodFrom, s.PeriodTo = date("2024-12-31"), date("2024-01-01") },
			act: act("A"), counted: true, codes: []string{CodeBadPeriod},
		},
		{
			name: "only the period end", sr: func(s *domain.SubRequest) { s.PeriodTo = date("2027-12-31") },
			act: act("A"), reason: "вне запрошенного периода 01.01.2025–31.12.2027",
		},
		{
			name: "no period and no sent date", sr: func(s *domain.SubRequest) { s.SentDate = time.Time{} },
			act: act("A"), counted: true, codes: []string{CodeNoPeriod},
		},
		{name: "unknown debt months", act: act("A", func(a *domain.CourtAct) { a.DebtTo = time.Time{} }), counted: true, reason: "месяцы долга неизвестны", codes: []string{CodeUnknownMonths}},
		{name: "reversed debt months", act: act("A", func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = a.DebtTo, a.DebtFrom }), counted: true, codes: []string{CodeUnknownMonths}},
		{name: "no document", act: act("A", func(a *domain.CourtAct) { a.Document = nil }), counted: true, reason: "нет файла акта", codes: []string{CodeNoDocument}},
		{name: "document without a file", act: act("A", func(a *domain.CourtAct) { a.Document = &domain.Document{Name: "a.pdf"} }), counted: true, codes: []string{CodeNoDocument}},
		{name: "no debtors", act: act("A", func(a *domain.CourtAct) { a.Debtors = nil }), counted: true, reason: "должник не указан", codes: []string{CodeNoDebtors}},
		{name: "not counting act needs no document", act: act("A", func(a *domain.CourtAct) { a.Outstanding = 0; a.Document = nil; a.Debtors = nil })},
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
			ev := d.Evidence[0]
			if ev.ActID != "A" || ev.Counted != tt.counted || !strings.Contains(ev.Reason, tt.reason) {
				t.Errorf("evidence = %+v; want counted=%v with %q", ev, tt.counted, tt.reason)
			}
			if d.HasDebt != tt.counted {
				t.Errorf("HasDebt = %v; want %v", d.HasDebt, tt.counted)
			}
			if got := codes(d.ReviewReasons); !slices.Equal(got, tt.codes) {
				t.Errorf("review codes = %v; want %v (%q)", got, tt.codes, d.ReviewReasons)
			}
			if d.Review != (len(tt.codes) > 0) {
				t.Errorf("Review = %v; want %v", d.Review, len(tt.codes) > 0)
			}
			if d.RuleVersion != RuleVersion || d.SubRequestGUID != "sr-1" || !d.DecidedAt.Equal(today) {
				t.Errorf("decision header = %q %q %v", d.RuleVersion, d.SubRequestGUID, d.DecidedAt)
			}
		})
	}
}

// codes returns the codes of "code: text" reasons.
func codes(reasons []string) []string {
	var out []string
	for _, r := range reasons {
		c, _, _ := strings.Cut(r, ": ")
		out = append(out, c)
	}
	return out
}

func TestDecideMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		m       match.Result
		acts    []domain.CourtAct
		hasDebt bool
		ids     []string
		codes   []string
	}{
		{name: "no premises", m: match.Result{NeedsReview: true, Reasons: []match.Reason{{Code: match.CodeNoMatch, Text: "нет"}}}, acts: []domain.CourtAct{act("A")}, codes: []string{match.CodeNoMatch, CodeNoPremises}},
		{name: "no premises without reasons", m: match.Result{}, codes: []string{CodeNoPremises}},
		{name: "no acts", m: matched("P1"), ids: []string{"P1"}},
		{
			name: "address-only match is reviewed",
			m: match.Result{Premises: []domain.Premises{{ID: "P1"}}, Method: match.MethodAddress, NeedsReview: true,
				Reasons: []match.Reason{{Code: match.CodeAddressOnly, Text: "по адресу"}}},
			acts: []domain.CourtAct{act("A")}, hasDebt: true, ids: []string{"P1"}, codes: []string{match.CodeAddressOnly},
		},
		{name: "act at another premises ignored", m: matched("P2"), acts: []domain.CourtAct{act("A")}, ids: []string{"P2"}},
		{name: "act of another organization ignored", m: matched("P1"), acts: []domain.CourtAct{act("A", func(a *domain.CourtAct) { a.OrgGUID = "org-2" })}, ids: []string{"P1"}},
		{name: "act without an organization counts", m: matched("P1"), acts: []domain.CourtAct{act("A", func(a *domain.CourtAct) { a.OrgGUID = "" })}, hasDebt: true, ids: []string{"P1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(sub(), tt.m, tt.acts, today)
			if d.HasDebt != tt.hasDebt {
				t.Errorf("HasDebt = %v; want %v", d.HasDebt, tt.hasDebt)
			}
			if !slices.Equal(d.PremisesIDs, tt.ids) && len(d.PremisesIDs)+len(tt.ids) > 0 {
				t.Errorf("PremisesIDs = %v; want %v", d.PremisesIDs, tt.ids)
			}
			if d.MatchMethod != string(tt.m.Method) {
				t.Errorf("MatchMethod = %q; want %q", d.MatchMethod, tt.m.Method)
			}
			if got := codes(d.ReviewReasons); !slices.Equal(got, tt.codes) {
				t.Errorf("review codes = %v; want %v (%q)", got, tt.codes, d.ReviewReasons)
			}
			if d.Review != (len(tt.codes) > 0) {
				t.Errorf("Review = %v", d.Review)
			}
			if !d.HasDebt && len(d.DebtInfo) > 0 {
				t.Errorf("hasDebt=false with debtInfo %+v", d.DebtInfo)
			}
		})
	}
}

func TestDecideDebtInfo(t *testing.T) {
	t.Parallel()
	ivanovNoSNILS := ivanov
	ivanovNoSNILS.SNILS = ""
	ivanovWithDoc := ivanov
	ivanovWithDoc.DocType, ivanovWithDoc.DocSeries, ivanovWithDoc.DocNumber = "1", "4500", "123456"
	acts := []domain.CourtAct{
		// Out of order on purpose: the decision orders acts by premises and id.
		act("C", func(a *domain.CourtAct) { a.PremisesID = "P2"; a.Debtors = []domain.Debtor{petrova}; a.Document = docB }),
		act("B", func(a *domain.CourtAct) { a.Debtors = []domain.Debtor{ivanovWithDoc, petrova}; a.Document = docB }),
		act("A"),
		act("D", func(a *domain.CourtAct) { a.Debtors = []domain.Debtor{ivanov}; a.Document = docA }), // same file as A
		act("E", func(a *domain.CourtAct) { a.Outstanding = 0; a.Debtors = []domain.Debtor{ivanovNoSNILS} }),
	}
	d := Decide(sub(), matched("P1", "P2"), acts, today)
	if !d.HasDebt || d.Review {
		t.Fatalf("HasDebt, Review = %v, %v (%q)", d.HasDebt, d.Review, d.ReviewReasons)
	}
	var evIDs []string
	for _, e := range d.Evidence {
		evIDs = append(evIDs, e.ActID)
	}
	if want := []string{"A", "B", "D", "E", "C"}; !slices.Equal(evIDs, want) {
		t.Errorf("evidence order = %v; want %v", evIDs, want)
	}
	if len(d.DebtInfo) != 2 {
		t.Fatalf("debtInfo = %+v; want Иванов and Петрова", d.DebtInfo)
	}
	iv, pe := d.DebtInfo[0], d.DebtInfo[1]
	if iv.Person.LastName != "Иванов" || iv.Person.SNILS != ivanov.SNILS || iv.Person.DocNumber != "123456" {
		t.Errorf("first debtor = %+v", iv.Person)
	}
	if got := docPaths(iv.Documents); !slices.Equal(got, []string{docA.Path, docB.Path}) {
		t.Errorf("Иванов's documents = %v", got)
	}
	if pe.Person.LastName != "Петрова" || pe.Person.SNILS != "" {
		t.Errorf("second debtor = %+v", pe.Person)
	}
	if got := docPaths(pe.Documents); !slices.Equal(got, []string{docB.Path}) {
		t.Errorf("Петрова's documents = %v", got)
	}
	// A document names the act it came from, so that its upload is recorded for that act.
	if doc := iv.Documents[0]; doc.ActID != "A" {
		t.Errorf("Иванов's first document comes from act %q; want A", doc.ActID)
	}
}

func docPaths(ds []domain.Document) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Path)
	}
	return out
}

func TestDecideIsPure(t *testing.T) {
	t.Parallel()
	acts := []domain.CourtAct{act("B"), act("A", func(a *domain.CourtAct) { a.Document = nil })}
	before := slices.Clone(acts)
	d1 := Decide(sub(), matched("P1"), acts, today)
	d2 := Decide(sub(), matched("P1"), acts, today)
	if !slices.EqualFunc([]domain.Decision{d1}, []domain.Decision{d2}, decisionsEqual) {
		t.Fatalf("two calls differ:\n%+v\n%+v", d1, d2)
	}
	if acts[0].ID != before[0].ID || acts[1].ID != before[1].ID {
		t.Fatalf("Decide reordered its input: %v", acts)
	}
}

func decisionsEqual(a, b domain.Decision) bool {
	return a.HasDebt == b.HasDebt && a.Review == b.Review &&
		slices.Equal(a.ReviewReasons, b.ReviewReasons) && slices.Equal(a.Evidence, b.Evidence) &&
		len(a.DebtInfo) == len(b.DebtInfo)
}

func TestReviewed(t *testing.T) {
	t.Parallel()
	at := date("2026-04-11").Add(10 * time.Hour)
	proposed := Decide(sub(), matched("P1"), []domain.CourtAct{act("A", func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = date("2023-01-01"), date("2023-12-31") })}, today)
	if !proposed.Review {
		t.Fatal("want a proposal that needs review")
	}
	got, err := reviewed(proposed, "ivanova", "подтверждаю", at)
	if err != nil {
		t.Fatal(err)
	}
	if got.DecidedBy != "ivanova" || got.Comment != "подтверждаю" || !got.DecidedAt.Equal(at) || got.Review {
		t.Errorf("reviewed = %+v", got)
	}
	if got.RuleVersion != RuleVersion || len(got.Evidence) != 1 || len(got.ReviewReasons) == 0 {
		t.Errorf("reviewed decision lost its evidence: %+v", got)
	}

	noDebt := proposed
	noDebt.HasDebt, noDebt.DebtInfo = false, nil
	if _, err := reviewed(noDebt, "ivanova", "", at); err != nil {
		t.Errorf("no-debt review: %v", err)
	}

	bad := []struct {
		name string
		d    func() domain.Decision
		who  string
		at   time.Time
	}{
		{"no reviewer", func() domain.Decision { return proposed }, " ", at},
		{"no time", func() domain.Decision { return proposed }, "ivanova", time.Time{}},
		{"debt without debtors", func() domain.Decision { d := proposed; d.DebtInfo = nil; return d }, "ivanova", at},
		{"debtor without document", func() domain.Decision {
			d := proposed
			d.DebtInfo = []domain.DebtInfo{{Person: domain.Person{LastName: "Иванов", FirstName: "Иван"}}}
			return d
		}, "ivanova", at},
		{"debtor without name", func() domain.Decision {
			d := proposed
			d.DebtInfo = []domain.DebtInfo{{Person: domain.Person{LastName: "Иванов"}, Documents: []domain.Document{*docA}}}
			return d
		}, "ivanova", at},
		{"no debt with debtors", func() domain.Decision { d := proposed; d.HasDebt = false; return d }, "ivanova", at},
		{"long description", func() domain.Decision {
			d := proposed
			d.Description = strings.Repeat("я", DescriptionMax+1)
			return d
		}, "ivanova", at},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := reviewed(tt.d(), tt.who, "", tt.at); !errors.Is(err, ErrInvalidDecision) || !strings.Contains(err.Error(), "sr-1") {
				t.Errorf("error = %v; want ErrInvalidDecision naming the sub-request", err)
			}
		})
	}
	long := proposed
	long.Description = strings.Repeat("я", DescriptionMax)
	if _, err := reviewed(long, "ivanova", "", at); err != nil {
		t.Errorf("description of exactly %d characters: %v", DescriptionMax, err)
	}
}
