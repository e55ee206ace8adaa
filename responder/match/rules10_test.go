package match_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
	"github.com/gisgw/gisgw/responder/store/storeopen"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// rulesWorld is one organization's premises and court acts for the LEGAL-RULES §10 cases.
func rulesWorld() ([]domain.Premises, []domain.CourtAct) {
	const addr = "г. Москва, ул. Ленина, д. 5, кв. "
	ps := []domain.Premises{
		{ID: "M1", HouseGUID: "mkd", Flat: "1", Address: addr + "1"},
		{ID: "M2", HouseGUID: "mkd", Flat: "2", Address: addr + "2"},
		{ID: "M3", HouseGUID: "mkd", Flat: "3", Address: addr + "3"},
		{ID: "M4", HouseGUID: "mkd", Flat: "4", Address: addr + "4"},
		{ID: "M5", HouseGUID: "mkd", Flat: "5", Address: addr + "5"},
		{ID: "M6", HouseGUID: "mkd", Flat: "6", Address: addr + "6"},
		{ID: "M12", HouseGUID: "mkd", Flat: "12", Address: addr + "12"},
		{ID: "M12-1", HouseGUID: "mkd", Flat: "12/1", Address: addr + "12/1"},
		{ID: "H1", HouseGUID: "izhs", Address: "д. Горки, ул. Садовая, д. 3"},
	}
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	act := func(id, premises, last, first, snils string, edit ...func(*domain.CourtAct)) domain.CourtAct {
		a := domain.CourtAct{ID: id, PremisesID: premises, CaseNumber: "2-" + id + "/2025", Kind: domain.ActCourtOrder,
			PronouncedOn: day("2025-02-01"), EffectiveOn: day("2025-03-01"), DebtFrom: day("2024-01-01"), DebtTo: day("2024-12-31"),
			Amount: 1000000, Outstanding: 500000, BalanceOn: day("2026-03-31"),
			Debtors:  []domain.Debtor{{LastName: last, FirstName: first, MiddleName: "Иванович", SNILS: snils}},
			Document: &domain.Document{Name: id + ".pdf", Path: "/acts/" + id + ".pdf", Size: 10}}
		for _, e := range edit {
			e(&a)
		}
		return a
	}
	acts := []domain.CourtAct{
		act("A1", "M1", "Первов", "Иван", "11223344595"),
		act("A2", "M2", "Второв", "Иван", ""),
		act("A3", "M3", "Третьяков", "Иван", ""),
		act("A4", "M4", "Четвертов", "Иван", "", func(a *domain.CourtAct) { a.Outstanding, a.OutstandingUnknown = 0, true }),
		act("A5", "M5", "Пятов", "Иван", "", func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = day("2019-01-01"), day("2019-12-31") }),
		act("A6", "M6", "Фёдоров", "Пётр", ""),
		act("A6b", "M6", "ФЕДОРОВ", "петр", "", func(a *domain.CourtAct) { a.DebtFrom, a.DebtTo = day("2025-01-01"), day("2025-06-30") }),
		act("A12", "M12", "Двенадцатов", "Иван", ""),
		act("A12-1", "M12-1", "Дробнов", "Иван", ""),
		act("AH", "H1", "Домов", "Иван", ""),
	}
	return ps, acts
}

// source is what match and decide read: a store, or the in-memory lookups below.
type source interface {
	match.Lookup
	CourtActsByPremises(ctx context.Context, premisesIDs []string) ([]domain.CourtAct, error)
}

// memory is an in-memory source of one organization's premises and acts.
type memory struct {
	ps   []domain.Premises
	acts []domain.CourtAct
}

func (m memory) find(pred func(domain.Premises) bool) []domain.Premises {
	var out []domain.Premises
	for _, p := range m.ps {
		if pred(p) {
			out = append(out, p)
		}
	}
	return out
}

func (m memory) PremisesByHMObject(_ context.Context, _, g string) ([]domain.Premises, error) {
	return m.find(func(p domain.Premises) bool { return g != "" && p.HMObjectGUID == g }), nil
}

func (m memory) PremisesByHouse(_ context.Context, _, g string) ([]domain.Premises, error) {
	return m.find(func(p domain.Premises) bool { return g != "" && (p.HouseGUID == g || p.FIASHouseGUID == g) }), nil
}

func (m memory) PremisesByAddressKey(_ context.Context, _, k string) ([]domain.Premises, error) {
	return m.find(func(p domain.Premises) bool { return k != "" && domain.AddressKey(p.Address) == k }), nil
}

func (m memory) CourtActsByPremises(_ context.Context, ids []string) ([]domain.CourtAct, error) {
	var out []domain.CourtAct
	for _, a := range m.acts {
		if slices.Contains(ids, a.PremisesID) {
			out = append(out, a)
		}
	}
	return out, nil
}

// TestRulesOfSection10 runs match and decide over the same premises and acts in memory, in
// a real SQLite file and in PostgreSQL: the cases of LEGAL-RULES §10.1, §10.3, §10.4 and
// §10.5, including the three that gisgw once got wrong.
func TestRulesOfSection10(t *testing.T) {
	t.Parallel()
	ps, acts := rulesWorld()
	open := func(t *testing.T, dsn string) source {
		ctx := context.Background()
		s, err := storeopen.Open(ctx, dsn, storeopen.WithAutoMigrate())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if _, err := s.ImportPremises(ctx, "", ps); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportCourtActs(ctx, "", acts); err != nil {
			t.Fatal(err)
		}
		return s
	}
	backends := []struct {
		name string
		open func(t *testing.T) source
	}{
		{"memory", func(*testing.T) source { return memory{ps: ps, acts: acts} }},
		{"sqlite", func(t *testing.T) source { return open(t, filepath.Join(t.TempDir(), "s.db")) }},
		{"postgres", func(t *testing.T) source { return open(t, storetest.PostgresSchema(t)) }},
	}

	sent := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	today := time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		sr       domain.SubRequest
		hasDebt  bool
		review   []string // review codes, in order
		debtors  []string // last names in debtInfo
		docs     int      // documents of the first debtor
		evidence string   // part of some evidence line
	}{
		{
			name:   "apartment building without a flat: review, no other flat's debtors",
			sr:     domain.SubRequest{HouseGUID: "mkd", Address: "г. Москва, ул. Ленина, д. 5"},
			review: []string{match.CodeBuilding, decide.CodeNoPremises},
		},
		{
			name:   "blank outstanding amount: review, not a silent no",
			sr:     domain.SubRequest{HouseGUID: "mkd", AddressDetails: "кв. 4"},
			review: []string{decide.CodeUnknownBalance}, evidence: "остаток долга не указан",
		},
		{
			name:    "кв 12/1 is the flat numbered 12/1, not flat 12 room 1",
			sr:      domain.SubRequest{HouseGUID: "mkd", AddressDetails: "кв 12/1"},
			hasDebt: true, debtors: []string{"Дробнов"}, docs: 1,
		},
		{
			name:     "debt older than three years, though inside the requested period",
			sr:       domain.SubRequest{HouseGUID: "mkd", AddressDetails: "5", PeriodFrom: time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC), PeriodTo: sent},
			evidence: "вне трёх последних лет до даты отправки запроса",
		},
		{
			name:    "one person once, with both acts' documents",
			sr:      domain.SubRequest{HouseGUID: "mkd", AddressDetails: "кв. 6"},
			hasDebt: true, debtors: []string{"Фёдоров"}, docs: 2,
		},
		{
			name:    "single-family house is one premises",
			sr:      domain.SubRequest{HouseGUID: "izhs", AddressType: "House"},
			hasDebt: true, debtors: []string{"Домов"}, docs: 1,
		},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			src := be.open(t)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ctx := context.Background()
					sr := tt.sr
					sr.GUID, sr.SentDate = "sr-1", sent
					m, err := match.Match(ctx, src, sr)
					if err != nil {
						t.Fatal(err)
					}
					var found []domain.CourtAct
					if ids := m.PremisesIDs(); len(ids) > 0 {
						if found, err = src.CourtActsByPremises(ctx, ids); err != nil {
							t.Fatal(err)
						}
					}
					d := decide.Decide(sr, m, found, today)
					var codes []string
					for _, r := range d.ReviewReasons {
						c, _, _ := strings.Cut(r, ": ")
						codes = append(codes, c)
					}
					if d.HasDebt != tt.hasDebt || !slices.Equal(codes, tt.review) || d.Review != (len(tt.review) > 0) {
						t.Errorf("hasDebt %v, review %v %v; want %v, %v", d.HasDebt, d.Review, d.ReviewReasons, tt.hasDebt, tt.review)
					}
					var names []string
					for _, di := range d.DebtInfo {
						names = append(names, di.Person.LastName)
					}
					if !slices.Equal(names, tt.debtors) {
						t.Errorf("debtors = %v; want %v", names, tt.debtors)
					}
					if len(d.DebtInfo) > 0 && len(d.DebtInfo[0].Documents) != tt.docs {
						t.Errorf("first debtor's documents = %d; want %d", len(d.DebtInfo[0].Documents), tt.docs)
					}
					if tt.evidence != "" && !slices.ContainsFunc(d.Evidence, func(e domain.Evidence) bool {
						return !e.Counted && strings.Contains(e.Reason, tt.evidence)
					}) {
						t.Errorf("evidence %+v; want a line with %q", d.Evidence, tt.evidence)
					}
				})
			}
		})
	}
}
