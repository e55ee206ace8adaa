package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// Orphans counts, by the store's own SQL, the rows whose parent is not stored: for
// RunActRelations acts without their premises, debtors, balance history rows and agreements
// without their act; for RunDecisionRelations decisions without their sub-request.
type Orphans func(t *testing.T) int

// RunActRelations stands for the foreign keys the court-act tables no longer have
// (migration 0012): it takes st through every write that could leave a row without its
// parent — an act moved to other premises, an act losing debtors, an import refused for
// missing premises, one rolled back after a written chunk, agreements refused for an
// unknown act — and then orphans must count none. st is empty and its clock is Start.
func RunActRelations(t *testing.T, st store.Store, orphans Orphans) {
	b := &bundle{ctx: t.Context(), st: st, clock: newClock(Start())}
	mustImportPremises(t, b, "", premises("1", ""), premises("2", ""))
	a1 := act("A1", "1", debtor("Иванов", "11223344595"), debtor("Иванова", ""))
	a2 := act("A2", "2", debtor("Петров", ""))
	mustImportActs(t, b, "", a1, a2)
	mustImportAgreements(t, b, "", agreementOf("A1", "1"))

	// A1 loses a debtor and gets a new balance (a second history row), A2 moves.
	a1.Debtors, a1.Outstanding, a1.BalanceOn = a1.Debtors[:1], 1, time.Time{}
	a2.PremisesID = "1"
	if got, want := mustImportActs(t, b, "", a1, a2), (store.ImportStats{Updated: 2}); got != want {
		t.Fatalf("update = %+v; want %+v", got, want)
	}

	var mp *store.MissingPremisesError
	if _, err := st.ImportCourtActs(b.ctx, "", []domain.CourtAct{act("A3", "1", debtor("Сидоров", "")), act("A4", "404", debtor("Кузнецов", ""))}); !errors.As(err, &mp) {
		t.Fatalf("import naming missing premises: err = %v; want *MissingPremisesError", err)
	}
	boom := errors.New("the file changed")
	calls := 0
	if _, err := st.ImportCourtActsStream(b.ctx, "", func() ([]domain.CourtAct, error) {
		if calls++; calls > 1 {
			return nil, boom
		}
		return []domain.CourtAct{act("A5", "2", debtor("Орлов", ""))}, nil
	}); !errors.Is(err, boom) {
		t.Fatalf("stream failing after a chunk: err = %v; want the error of next", err)
	}
	var me *store.MissingActsError
	if _, err := st.ImportAgreements(b.ctx, "", []domain.Agreement{agreementOf("A1", "2"), agreementOf("X", "1")}); !errors.As(err, &me) {
		t.Fatalf("agreements on an unknown act: err = %v; want *MissingActsError", err)
	}

	want1 := a1
	want1.Agreements = []domain.Agreement{agreementOf("A1", "1")}
	want1.BalanceOn = date(2025, 3, 14) // the import date (Start): the file gave none
	if got, want := actsAt(t, b, "1", "2", "404"), []domain.CourtAct{want1, a2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("acts after the refused imports =\n%+v\nwant\n%+v", got, want)
	}
	if n := orphans(t); n != 0 {
		t.Fatalf("%d court-act rows without their parent", n)
	}
}

// RunDecisionRelations stands for the foreign key decisions no longer have (migration
// 0013): every write that stores a decision is given sub-requests the store does not hold —
// alone, and in a batch with known ones — and must refuse with ErrNotFound and write none;
// then orphans must count none while the known sub-requests have their decisions. st is
// empty and its clock is Start.
func RunDecisionRelations(t *testing.T, st store.Store, orphans Orphans) {
	b := &bundle{ctx: t.Context(), st: st, clock: newClock(Start())}
	s1, s2 := subRequest(1, orgA, date(2025, 3, 20)), subRequest(2, orgA, date(2025, 3, 21))
	mustUpsert(t, b, s1, s2)
	const unknown = "5eb5eb00-0000-4000-8000-999999999999"
	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("%s: err = %v; want ErrNotFound", what, err)
		}
	}
	refused("SaveDecision", st.SaveDecision(b.ctx, decision(unknown), domain.StateReady))
	refused("SaveDecisions", st.SaveDecisions(b.ctx, []domain.DecisionUpdate{
		{Decision: decision(s1.GUID), State: domain.StateReady},
		{Decision: decision(unknown), State: domain.StateReady},
	}))
	refused("RecordReview", st.RecordReview(b.ctx, unknown, "operator", "проверено", decision(unknown)))
	proposal := decision(unknown)
	proposal.Correction, proposal.Review = true, true
	refused("ProposeCorrection", st.ProposeCorrection(b.ctx, proposal))
	if hist, err := st.DecisionHistory(b.ctx, s1.GUID); err != nil || len(hist) != 0 {
		t.Fatalf("decisions of %s after the refused batch = %+v, %v; want none", s1.GUID, hist, err)
	}
	if err := st.SaveDecisions(b.ctx, []domain.DecisionUpdate{
		{Decision: decision(s1.GUID), State: domain.StateReady},
		{Decision: decision(s2.GUID), State: domain.StateReview},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveDecision(b.ctx, decision(s2.GUID), domain.StateReview); err != nil {
		t.Fatal(err)
	}
	for guid, want := range map[string]int{s1.GUID: 1, s2.GUID: 2, unknown: 0} {
		if hist, err := st.DecisionHistory(b.ctx, guid); err != nil || len(hist) != want {
			t.Fatalf("decisions of %s = %d, %v; want %d", guid, len(hist), err, want)
		}
	}
	if n := orphans(t); n != 0 {
		t.Fatalf("%d decisions without their sub-request", n)
	}
}
