package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// inventoryTests cover the balance history the monthly inventory reads; Run appends them.
var inventoryTests = []struct {
	name string
	fn   func(t *testing.T, b *bundle)
}{
	{"BalanceHistory", testBalanceHistory},
	{"InventoryActsOfTheirOrganization", testInventoryActsOfTheirOrganization},
}

func inventoryActs(t *testing.T, b *bundle, org string) []store.InventoryAct {
	t.Helper()
	got, err := b.st.InventoryActs(b.ctx, org)
	if err != nil {
		t.Fatalf("InventoryActs: %v", err)
	}
	return got
}

func balances(t *testing.T, b *bundle, org string) map[string][]store.Balance {
	t.Helper()
	out := map[string][]store.Balance{}
	for _, a := range inventoryActs(t, b, org) {
		out[a.Act.ID] = a.Balances
	}
	return out
}

// testBalanceHistory: two imports a month apart keep both balances with their dates (the
// file's balance_on, or the import date when it has none); re-importing an unchanged file,
// or a file that changes only other fields, adds nothing; a second file for the same date
// corrects that date's row. The acts come with debtors, agreements and address.
func testBalanceHistory(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("1", ""), premises("2", ""))
	a1 := act("A1", "1", debtor("Иванов", "11223344595"))
	a2 := act("A2", "2", debtor("Петров", ""))
	a2.BalanceOn = time.Time{} // the file gives no date: the import's (Start is 2025-03-14)
	mustImportActs(t, b, "", a1, a2)
	mustImportAgreements(t, b, "", agreementOf("A1", "15"))
	first := map[string][]store.Balance{
		"A1": {{On: date(2025, 1, 31), Outstanding: 1000000}},
		"A2": {{On: date(2025, 3, 14), Outstanding: 1000000}},
	}
	if got := balances(t, b, ""); !reflect.DeepEqual(got, first) {
		t.Fatalf("history after the first import =\n%+v\nwant\n%+v", got, first)
	}
	b.clock.Advance(24 * time.Hour)
	mustImportActs(t, b, "", a1, a2)
	if got := balances(t, b, ""); !reflect.DeepEqual(got, first) {
		t.Fatalf("history after re-importing the same file =\n%+v\nwant it unchanged\n%+v", got, first)
	}

	// A month later: A1 repaid as of 28.02 (the file's date), A2 paid down (no date: today).
	b.clock.Advance(30 * 24 * time.Hour) // 2025-04-14
	a1.Outstanding, a1.BalanceOn = 0, date(2025, 2, 28)
	a2.Outstanding = 400000
	a2.CaseNumber = "2-A2/2024-изм" // another field changes too: still one row
	if got, want := mustImportActs(t, b, "", a1, a2), (store.ImportStats{Updated: 2}); got != want {
		t.Fatalf("second import = %+v; want %+v", got, want)
	}
	second := map[string][]store.Balance{
		"A1": {{On: date(2025, 1, 31), Outstanding: 1000000}, {On: date(2025, 2, 28), Outstanding: 0}},
		"A2": {{On: date(2025, 3, 14), Outstanding: 1000000}, {On: date(2025, 4, 14), Outstanding: 400000}},
	}
	if got := balances(t, b, ""); !reflect.DeepEqual(got, second) {
		t.Fatalf("history after the second import =\n%+v\nwant\n%+v", got, second)
	}

	// Only the case number changes, the file still gives no balance date: no new row.
	b.clock.Advance(24 * time.Hour)
	a2.CaseNumber = "2-A2/2024"
	mustImportActs(t, b, "", a1, a2)
	if got := balances(t, b, ""); !reflect.DeepEqual(got, second) {
		t.Fatalf("history after a change of another field =\n%+v\nwant\n%+v", got, second)
	}

	// A corrected file for the same date replaces that date's amount; a blank amount is kept
	// as unknown.
	a1.Outstanding = 50000
	mustImportActs(t, b, "", a1)
	a2.Outstanding, a2.OutstandingUnknown, a2.BalanceOn = 0, true, date(2025, 4, 20)
	mustImportActs(t, b, "", a2)
	third := map[string][]store.Balance{
		"A1": {{On: date(2025, 1, 31), Outstanding: 1000000}, {On: date(2025, 2, 28), Outstanding: 50000}},
		"A2": {{On: date(2025, 3, 14), Outstanding: 1000000}, {On: date(2025, 4, 14), Outstanding: 400000},
			{On: date(2025, 4, 20), Unknown: true}},
	}
	if got := balances(t, b, ""); !reflect.DeepEqual(got, third) {
		t.Fatalf("history after a correction =\n%+v\nwant\n%+v", got, third)
	}

	got := inventoryActs(t, b, "")
	if len(got) != 2 || got[0].Act.ID != "A1" || got[1].Act.ID != "A2" {
		t.Fatalf("InventoryActs = %+v; want A1, A2", got)
	}
	if got[0].Address != premises("1", "").Address || got[1].Address != premises("2", "").Address {
		t.Errorf("addresses = %q, %q; want the premises' addresses", got[0].Address, got[1].Address)
	}
	if want := []domain.Agreement{agreementOf("A1", "15")}; !reflect.DeepEqual(got[0].Act.Agreements, want) {
		t.Errorf("A1 agreements = %+v; want %+v", got[0].Act.Agreements, want)
	}
	if want := a1.Debtors; !reflect.DeepEqual(got[0].Act.Debtors, want) {
		t.Errorf("A1 debtors = %+v; want %+v", got[0].Act.Debtors, want)
	}
	for _, tc := range []struct {
		day  time.Time
		want store.Balance
		ok   bool
	}{
		{date(2025, 3, 13), store.Balance{}, false},
		{date(2025, 3, 31), store.Balance{On: date(2025, 3, 14), Outstanding: 1000000}, true},
		{date(2025, 4, 14), store.Balance{On: date(2025, 4, 14), Outstanding: 400000}, true},
		{date(2025, 5, 31), store.Balance{On: date(2025, 4, 20), Unknown: true}, true},
	} {
		if b, ok := got[1].BalanceOn(tc.day); b != tc.want || ok != tc.ok {
			t.Errorf("A2 balance on %s = %+v, %v; want %+v, %v", tc.day.Format(time.DateOnly), b, ok, tc.want, tc.ok)
		}
	}
}

// testInventoryActsOfTheirOrganization: an organization's inventory holds its acts only;
// "" holds every organization's.
func testInventoryActsOfTheirOrganization(t *testing.T, b *bundle) {
	const orgA, orgB = "aaaaaaaa-0000-0000-0000-000000000001", "bbbbbbbb-0000-0000-0000-000000000002"
	mustImportPremises(t, b, orgA, premises("1", orgA))
	mustImportPremises(t, b, orgB, premises("1", orgB))
	mustImportActs(t, b, orgA, act("A1", "1", debtor("Иванов", "")))
	mustImportActs(t, b, orgB, act("B1", "1", debtor("Петров", "")))
	ids := func(org string) []string {
		var out []string
		for _, a := range inventoryActs(t, b, org) {
			out = append(out, a.Act.OrgGUID+"/"+a.Act.ID)
			if len(a.Balances) != 1 {
				t.Errorf("act %s: %d balance rows; want 1", a.Act.ID, len(a.Balances))
			}
		}
		return out
	}
	if got, want := ids(orgA), []string{orgA + "/A1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("InventoryActs(orgA) = %v; want %v", got, want)
	}
	if got, want := ids(""), []string{orgA + "/A1", orgB + "/B1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("InventoryActs(\"\") = %v; want %v", got, want)
	}
}
