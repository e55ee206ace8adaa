package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// Orphans counts, by the store's own SQL, the court-act rows whose parent is not stored:
// acts without their premises, debtors, balance history rows and agreements without their
// act.
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
