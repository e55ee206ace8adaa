package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// agreementTests cover repayment agreements and instalments; Run appends them.
var agreementTests = []struct {
	name string
	fn   func(t *testing.T, b *bundle)
}{
	{"ImportAgreements", testImportAgreements},
	{"ImportAgreementsMissingActs", testImportAgreementsMissingActs},
	{"AgreementsOfTheirOrganization", testAgreementsOfTheirOrganization},
}

func agreementOf(actID, number string) domain.Agreement {
	return domain.Agreement{ActID: actID, Number: number, Date: date(2026, 3, 1), Kind: domain.AgreementRepayment,
		ScheduleEnd: date(2027, 2, 28), Amount: 4000000, Paid: 1200000, Status: domain.AgreementActive}
}

func mustImportAgreements(t *testing.T, b *bundle, org string, ags ...domain.Agreement) store.ImportStats {
	t.Helper()
	st, err := b.st.ImportAgreements(b.ctx, org, ags)
	if err != nil {
		t.Fatalf("ImportAgreements: %v", err)
	}
	return st
}

// testImportAgreements: agreements come back with their acts (by date, then number), a
// re-import changes nothing, a changed agreement is updated, and a re-import of the court
// acts keeps them.
func testImportAgreements(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("1", ""), premises("2", ""))
	a1 := act("A1", "1", debtor("Иванов", "11223344595"))
	a2 := act("A2", "2", debtor("Петров", ""))
	mustImportActs(t, b, "", a1, a2)

	g15 := agreementOf("A1", "15")
	g7 := agreementOf("A1", "7-Р")
	g7.Date, g7.Kind, g7.Status, g7.ScheduleEnd, g7.Paid = date(2025, 11, 10), domain.AgreementInstalment, domain.AgreementBroken, date(2026, 11, 10), 0
	if got, want := mustImportAgreements(t, b, "", g15, g7), (store.ImportStats{Inserted: 2}); got != want {
		t.Fatalf("first import = %+v; want %+v", got, want)
	}
	want1 := a1
	want1.Agreements = []domain.Agreement{g7, g15}
	if got, want := actsAt(t, b, "1", "2"), []domain.CourtAct{want1, a2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("CourtActsByPremises =\n%+v\nwant\n%+v", got, want)
	}
	if got, want := mustImportAgreements(t, b, "", g15, g7), (store.ImportStats{Unchanged: 2}); got != want {
		t.Fatalf("re-import = %+v; want %+v", got, want)
	}
	audit, err := b.st.Audit(b.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	imports := slices.DeleteFunc(slices.Clone(audit), func(e domain.AuditEntry) bool { return e.Action != "import agreements" })
	if len(imports) != 1 {
		t.Errorf("audit has %d agreement imports; want 1 (an unchanged re-import is not audited): %+v", len(imports), audit)
	}

	g15.Paid, g15.Status = 4000000, domain.AgreementFulfilled
	g2 := agreementOf("A2", "1")
	g2.ScheduleEnd = domain.Agreement{}.ScheduleEnd // no schedule end given
	if got, want := mustImportAgreements(t, b, "", g15, g7, g2), (store.ImportStats{Inserted: 1, Updated: 1, Unchanged: 1}); got != want {
		t.Fatalf("update import = %+v; want %+v", got, want)
	}
	// The acts are re-imported with a new balance: their agreements stay.
	a1.Outstanding = 1
	mustImportActs(t, b, "", a1, a2)
	want1, want2 := a1, a2
	want1.Agreements = []domain.Agreement{g7, g15}
	want2.Agreements = []domain.Agreement{g2}
	if got, want := actsAt(t, b, "1", "2"), []domain.CourtAct{want1, want2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after the update CourtActsByPremises =\n%+v\nwant\n%+v", got, want)
	}
}

// testImportAgreementsMissingActs: an agreement on an act that is not stored writes nothing
// and names the act.
func testImportAgreementsMissingActs(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("1", ""))
	a1 := act("A1", "1", debtor("Иванов", ""))
	mustImportActs(t, b, "", a1)

	missing, err := b.st.MissingCourtActs(b.ctx, "", []string{"X", "A1", "Y", "X"})
	if err != nil || !slices.Equal(missing, []string{"X", "Y"}) {
		t.Fatalf("MissingCourtActs = %q, %v; want [X Y]", missing, err)
	}
	if missing, err := b.st.MissingCourtActs(b.ctx, orgA, []string{"A1"}); err != nil || !slices.Equal(missing, []string{"A1"}) {
		t.Fatalf("MissingCourtActs of another organization = %q, %v; want [A1]", missing, err)
	}

	_, err = b.st.ImportAgreements(b.ctx, "", []domain.Agreement{agreementOf("A1", "1"), agreementOf("X", "2")})
	var me *store.MissingActsError
	if !errors.As(err, &me) || !slices.Equal(me.ActIDs, []string{"X"}) || !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("ImportAgreements with an unknown act: err = %v; want a *MissingActsError naming X", err)
	}
	if got := actsAt(t, b, "1"); len(got) != 1 || got[0].Agreements != nil {
		t.Fatalf("a refused import wrote agreements: %+v", got)
	}
	for _, bad := range []domain.Agreement{
		{ActID: "A1", Kind: domain.AgreementRepayment, Status: domain.AgreementActive},
		{ActID: "A1", Number: "1", Kind: "loan", Status: domain.AgreementActive},
		{ActID: "A1", Number: "1", Kind: domain.AgreementRepayment, Status: "paused"},
	} {
		if _, err := b.st.ImportAgreements(b.ctx, "", []domain.Agreement{bad}); err == nil {
			t.Errorf("ImportAgreements(%+v) succeeded", bad)
		}
	}
	if _, err := b.st.ImportAgreements(b.ctx, "", []domain.Agreement{agreementOf("A1", "1"), agreementOf("A1", "1")}); err == nil {
		t.Error("ImportAgreements with an agreement listed twice succeeded")
	}
}

// testAgreementsOfTheirOrganization: two organizations' acts with the same id at a shared
// premises each get only their own agreements, and one organization cannot add an
// agreement to the other's act.
func testAgreementsOfTheirOrganization(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("s", ""))
	aA, aB := act("A1", "s", debtor("Иванов", "")), act("A1", "s", debtor("Петров", ""))
	mustImportActs(t, b, orgA, aA)
	mustImportActs(t, b, orgB, aB)
	g := agreementOf("A1", "15")
	mustImportAgreements(t, b, orgA, g)

	got := actsAt(t, b, "s")
	if len(got) != 2 {
		t.Fatalf("CourtActsByPremises = %+v; want two acts", got)
	}
	for _, a := range got {
		switch a.OrgGUID {
		case orgA:
			g.OrgGUID = orgA
			if !reflect.DeepEqual(a.Agreements, []domain.Agreement{g}) {
				t.Errorf("organization A's act has agreements %+v; want %+v", a.Agreements, g)
			}
		case orgB:
			if a.Agreements != nil {
				t.Errorf("organization B's act has organization A's agreements %+v", a.Agreements)
			}
		}
	}
	if _, err := b.st.ImportAgreements(b.ctx, "", []domain.Agreement{agreementOf("A1", "16")}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("an agreement without an organization on an organization's act: err = %v; want ErrNotFound", err)
	}
}
