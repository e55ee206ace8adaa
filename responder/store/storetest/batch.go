package storetest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// batchTests cover the batched forms the pipeline's decide step uses; Run appends them.
var batchTests = []struct {
	name string
	fn   func(t *testing.T, b *bundle)
}{
	{"PremisesBatchLookups", testPremisesBatchLookups},
	{"PremisesByHouseFlats", testPremisesByHouseFlats},
	{"HouseFlatReadsOneFlat", testHouseFlatReadsOneFlat},
	{"SaveDecisions", testSaveDecisions},
	{"SaveDecisionsAllOrNothing", testSaveDecisionsAllOrNothing},
}

// testPremisesBatchLookups: for every key, the batched lookup returns exactly what the single
// lookup returns (organizations, shared premises, GIS and FIAS house GUIDs, a house whose two
// GUIDs are equal, address keys, unknown, empty and repeated keys).
func testPremisesBatchLookups(t *testing.T, b *bundle) {
	shared := premises("s1", "")
	shared.HMObjectGUID = hmGUID(1)
	a := premises("a1", orgA)
	a.HMObjectGUID = hmGUID(1)
	a2 := premises("a2", orgA)
	a2.HMObjectGUID = hmGUID(2)
	bp := premises("b1", orgB)
	bp.HMObjectGUID = hmGUID(1)
	other := premises("o1", "")
	other.HouseGUID, other.FIASHouseGUID, other.Address = "", house2, "Тверь, пр-т Мира, 5"
	same := premises("q1", "")
	same.HouseGUID, same.FIASHouseGUID = hmGUID(7), hmGUID(7)
	mustImportPremises(t, b, "", shared, other, same, premises("n1", ""))
	mustImportPremises(t, b, orgA, a, a2)
	mustImportPremises(t, b, orgB, bp)

	hms := []string{hmGUID(1), hmGUID(2), hmGUID(9), "", hmGUID(1)}
	houses := []string{house1, fias1, house2, hmGUID(7), hmGUID(9), "", house1}
	for _, org := range []string{"", orgA, orgB} {
		got, err := b.st.PremisesByHMObjects(b.ctx, org, hms)
		if err != nil {
			t.Fatalf("PremisesByHMObjects(%q): %v", org, err)
		}
		for _, k := range hms {
			want, err := b.st.PremisesByHMObject(b.ctx, org, k)
			if err != nil {
				t.Fatal(err)
			}
			if !samePremises(got[k], want) {
				t.Errorf("PremisesByHMObjects(%q)[%q] = %v; want %v (PremisesByHMObject)", org, k, got[k], want)
			}
		}
		got, err = b.st.PremisesByHouses(b.ctx, org, houses)
		if err != nil {
			t.Fatalf("PremisesByHouses(%q): %v", org, err)
		}
		for _, k := range houses {
			want, err := b.st.PremisesByHouse(b.ctx, org, k)
			if err != nil {
				t.Fatal(err)
			}
			if !samePremises(got[k], want) {
				t.Errorf("PremisesByHouses(%q)[%q] = %v; want %v (PremisesByHouse)", org, k, got[k], want)
			}
		}
		if _, ok := got[""]; ok {
			t.Errorf("PremisesByHouses(%q) has an entry for the empty key", org)
		}
		addrs := []string{domain.AddressKey(shared.Address), domain.AddressKey(other.Address), domain.AddressKey(a2.Address),
			domain.AddressKey("Мурманск, ул. Нет, 1"), "", domain.AddressKey(shared.Address)}
		got, err = b.st.PremisesByAddressKeys(b.ctx, org, addrs)
		if err != nil {
			t.Fatalf("PremisesByAddressKeys(%q): %v", org, err)
		}
		for _, k := range addrs {
			want, err := b.st.PremisesByAddressKey(b.ctx, org, k)
			if err != nil {
				t.Fatal(err)
			}
			if !samePremises(got[k], want) {
				t.Errorf("PremisesByAddressKeys(%q)[%q] = %v; want %v (PremisesByAddressKey)", org, k, got[k], want)
			}
		}
	}
	if got, err := b.st.PremisesByHouses(b.ctx, "", nil); err != nil || len(got) != 0 {
		t.Errorf("PremisesByHouses of no keys = %v, %v; want empty", got, err)
	}
}

func samePremises(a, b []domain.Premises) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// testSaveDecisions: a batch does what SaveDecision does for each: the decision stored as
// the current one, the state, the lease ended, the audit entry.
func testSaveDecisions(t *testing.T, b *bundle) {
	s1, s2, s3 := subRequest(1, orgA, date(2025, 3, 20)), subRequest(2, orgA, date(2025, 3, 21)), subRequest(3, orgB, date(2025, 3, 22))
	mustUpsert(t, b, s1, s2, s3)
	if got := claimNew(t, b.st, b, "r1", 3); len(got) != 3 {
		t.Fatalf("claimed %d; want 3", len(got))
	}
	if err := b.st.SaveDecisions(b.ctx, nil); err != nil {
		t.Fatalf("SaveDecisions of nothing: %v", err)
	}
	d1, d2, d3 := decision(s1.GUID), decision(s2.GUID), decision(s3.GUID)
	d2.Review, d2.ReviewReasons, d2.HasDebt, d2.DebtInfo = true, []string{"partial overlap"}, false, nil
	d3.DecidedAt = time.Time{} // stamped by the clock, as SaveDecision does
	err := b.st.SaveDecisions(b.ctx, []domain.DecisionUpdate{
		{Decision: d1, State: domain.StateReady}, {Decision: d2, State: domain.StateReview}, {Decision: d3, State: domain.StateReady},
	})
	if err != nil {
		t.Fatal(err)
	}
	d3.DecidedAt = Start().Truncate(time.Microsecond)
	for _, tc := range []struct {
		d     domain.Decision
		state domain.State
	}{{d1, domain.StateReady}, {d2, domain.StateReview}, {d3, domain.StateReady}} {
		got, err := b.st.GetDecision(b.ctx, tc.d.SubRequestGUID)
		if err != nil || !reflect.DeepEqual(got, tc.d) {
			t.Errorf("GetDecision(%s) = %+v, %v\nwant %+v", tc.d.SubRequestGUID, got, err, tc.d)
		}
		if st := mustGet(t, b, tc.d.SubRequestGUID).State; st != tc.state {
			t.Errorf("state of %s = %s; want %s", tc.d.SubRequestGUID, st, tc.state)
		}
		a, _ := b.st.Audit(b.ctx, tc.d.SubRequestGUID)
		if len(a) != 2 || a[1].Action != "decided" || a[1].Actor != "system" || !strings.Contains(a[1].Detail, "new→"+string(tc.state)) {
			t.Errorf("audit of %s = %+v; want recorded, decided (new→%s)", tc.d.SubRequestGUID, a, tc.state)
		}
		if strings.Contains(a[len(a)-1].Detail, "Иванов") {
			t.Errorf("audit entry shows personal data: %+v", a[len(a)-1])
		}
	}
	// The leases ended: another owner can claim the ready answers at once.
	ds, err := b.st.ClaimReady(b.ctx, orgA, "sender", 10, lease)
	if err != nil || len(ds) != 1 || ds[0].SubRequestGUID != s1.GUID {
		t.Fatalf("ClaimReady after SaveDecisions = %+v, %v; want %s", ds, err, s1.GUID)
	}
	// A later batch wins over the earlier decision, which stays in the history.
	d2b := decision(s2.GUID)
	if err := b.st.SaveDecisions(b.ctx, []domain.DecisionUpdate{{Decision: d2b, State: domain.StateReady}}); err != nil {
		t.Fatal(err)
	}
	hist, err := b.st.DecisionHistory(b.ctx, s2.GUID)
	if err != nil || len(hist) != 2 || !reflect.DeepEqual(hist[1], d2b) || !hist[0].Review {
		t.Fatalf("history of %s = %+v, %v; want the review decision, then the new one", s2.GUID, hist, err)
	}
}

// testSaveDecisionsAllOrNothing: a batch with one sub-request that cannot be decided, or that
// is unknown, writes nothing; malformed batches are refused.
func testSaveDecisionsAllOrNothing(t *testing.T, b *bundle) {
	s1, s2 := subRequest(1, orgA, date(2025, 3, 20)), subRequest(2, orgA, date(2025, 3, 21))
	s3 := subRequest(3, orgA, date(2025, 3, 22))
	s3.State = domain.StateAutoAnswered
	mustUpsert(t, b, s1, s2, s3)
	claimNew(t, b.st, b, "r1", 2)
	ok := []domain.DecisionUpdate{{Decision: decision(s1.GUID), State: domain.StateReady}, {Decision: decision(s2.GUID), State: domain.StateReady}}
	check := func(what string, err error, want error) {
		t.Helper()
		if want != nil && !errors.Is(err, want) || want == nil && err == nil {
			t.Fatalf("%s: err = %v; want %v", what, err, want)
		}
		for _, s := range []domain.SubRequest{s1, s2} {
			if st := mustGet(t, b, s.GUID).State; st != domain.StateNew {
				t.Fatalf("%s: state of %s = %s; want new (nothing written)", what, s.GUID, st)
			}
			if _, err := b.st.GetDecision(b.ctx, s.GUID); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("%s: a decision for %s was stored (err = %v)", what, s.GUID, err)
			}
			if a, _ := b.st.Audit(b.ctx, s.GUID); len(a) != 1 {
				t.Fatalf("%s: audit of %s = %+v; want only recorded", what, s.GUID, a)
			}
		}
	}
	check("a closed sub-request in the batch", b.st.SaveDecisions(b.ctx, append(ok[:2:2], domain.DecisionUpdate{Decision: decision(s3.GUID), State: domain.StateReady})), domain.ErrConflict)
	check("an unknown sub-request in the batch", b.st.SaveDecisions(b.ctx, append(ok[:2:2], domain.DecisionUpdate{Decision: decision("nope"), State: domain.StateReady})), domain.ErrNotFound)
	check("a sub-request twice", b.st.SaveDecisions(b.ctx, append(ok[:2:2], ok[0])), nil)
	check("a decision to sending", b.st.SaveDecisions(b.ctx, []domain.DecisionUpdate{ok[0], {Decision: decision(s2.GUID), State: domain.StateSending}}), nil)
	check("a decision without a sub-request", b.st.SaveDecisions(b.ctx, []domain.DecisionUpdate{ok[0], {State: domain.StateReady}}), nil)
	// The leases are still held: the batch did not end them either.
	if got := claimNew(t, b.st, b, "r2", 5); len(got) != 0 {
		t.Fatalf("claim after refused batches = %v; want nothing (r1's leases hold)", guidsOf(got))
	}
	if err := b.st.SaveDecisions(b.ctx, ok); err != nil {
		t.Fatal(err)
	}
	if st := mustGet(t, b, s2.GUID).State; st != domain.StateReady {
		t.Fatalf("state after the good batch = %s; want ready", st)
	}
}
