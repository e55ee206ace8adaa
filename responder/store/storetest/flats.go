package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
)

// oddFlats are flat numbers as organizations write them, the odd ones included; oddDetails
// are GIS's addressDetails.
var (
	oddFlats = []string{"12", "012", "кв. 12", "12А", "12 а", "12a", "12/1", "12 / 1", "12-1", "1 2", "кв.14",
		"№ 15", "пом. 16", "16", "д. 5, кв. 17", "12аб", "KB 18", "0", "-", "", "20/3", "20"}
	oddDetails = []string{"12", "кв. 12", "012", "12а", "12 А", "12/1", "кв. 12, комн. 1", "12-1", "1 2", "14",
		"кв. 15", "пом. 16", "17", "12аб", "18", "кв. 20, ком. 3", "ком. 3", "0", "-", "кв. 99", "д. 5"}
)

// testPremisesByHouseFlats: for every house and flat key, PremisesByHouseFlats returns
// exactly the premises of the house (PremisesByHouse, by GIS or FIAS GUID, organization and
// shared ones, in its order) whose flat has that match.FlatKey, odd spellings included, also
// after an import changed a flat; and matching over it (match.Prefetch) gives what matching
// over the whole house gives.
func testPremisesByHouseFlats(t *testing.T, b *bundle) {
	var mine, shared, others []domain.Premises
	for i, f := range oddFlats {
		p := premises(fmt.Sprintf("a%02d", i), orgA)
		p.Flat = f
		if i%5 == 4 {
			p.Room = "1"
		}
		mine = append(mine, p)
		s := premises(fmt.Sprintf("s%02d", i), "")
		s.Flat, s.HouseGUID, s.FIASHouseGUID = f, house2, house2 // both GUIDs equal: one row
		shared = append(shared, s)
		o := premises(fmt.Sprintf("b%02d", i), orgB)
		o.Flat = f
		others = append(others, o)
	}
	mustImportPremises(t, b, orgA, mine...)
	mustImportPremises(t, b, "", shared...)
	mustImportPremises(t, b, orgB, others...)
	// A changed flat number moves the premises to its new key.
	mine[0].Flat = "кв. 21"
	mustImportPremises(t, b, orgA, mine...)

	keys := []string{match.FlatKeyOther, "", "99", "12"}
	for _, f := range append(oddFlats, "кв. 21") {
		if !slices.Contains(keys, match.FlatKey(f)) {
			keys = append(keys, match.FlatKey(f))
		}
	}
	var asked []domain.HouseFlat
	for _, h := range []string{house1, fias1, house2, hmGUID(99), ""} {
		for _, k := range keys {
			asked = append(asked, domain.HouseFlat{House: h, FlatKey: k})
		}
	}
	asked = append(asked, asked[0]) // a repeated key
	for _, org := range []string{orgA, orgB, ""} {
		got, err := b.st.PremisesByHouseFlats(b.ctx, org, asked)
		if err != nil {
			t.Fatalf("PremisesByHouseFlats(%q): %v", org, err)
		}
		for _, hf := range asked {
			house, err := b.st.PremisesByHouse(b.ctx, org, hf.House)
			if err != nil {
				t.Fatal(err)
			}
			var want []domain.Premises
			for _, p := range house {
				if match.FlatKey(p.Flat) == hf.FlatKey {
					want = append(want, p)
				}
			}
			if !samePremises(got[hf], want) {
				t.Errorf("PremisesByHouseFlats(%q)[%+v] = %v; want %v (PremisesByHouse, filtered)", org, hf, got[hf], want)
			}
		}
		if _, ok := got[domain.HouseFlat{FlatKey: "12"}]; ok {
			t.Errorf("PremisesByHouseFlats(%q) has an entry for the empty house", org)
		}
	}
	if got, err := b.st.PremisesByHouseFlats(b.ctx, orgA, nil); err != nil || len(got) != 0 {
		t.Errorf("PremisesByHouseFlats of no keys = %v, %v; want empty", got, err)
	}

	var srs []domain.SubRequest
	for i, d := range oddDetails {
		for j, h := range []string{house1, fias1, house2} {
			srs = append(srs, domain.SubRequest{GUID: fmt.Sprintf("sr-%d-%d", i, j), OrgGUID: orgA, HouseGUID: h,
				AddressDetails: d, AddressType: "Apartment"})
		}
	}
	l, err := match.Prefetch(b.ctx, b.st, srs)
	if err != nil {
		t.Fatal(err)
	}
	for _, sr := range srs {
		want, err := match.Match(b.ctx, b.st, sr) // the store reads whole houses
		if err != nil {
			t.Fatal(err)
		}
		got, err := match.Match(b.ctx, l, sr)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q in house %s: Match over the flats = %+v; over the house %+v", sr.AddressDetails, sr.HouseGUID, got, want)
		}
	}
}

// testHouseFlatReadsOneFlat: the lookup of one flat of a house of 50 returns that flat's
// premises, not the house.
func testHouseFlatReadsOneFlat(t *testing.T, b *bundle) {
	var ps []domain.Premises
	for i := 1; i <= 50; i++ {
		ps = append(ps, premises(fmt.Sprint(i), orgA))
	}
	mustImportPremises(t, b, orgA, ps...)
	got, err := b.st.PremisesByHouseFlats(b.ctx, orgA, []domain.HouseFlat{{House: house1, FlatKey: "7"}, {House: fias1, FlatKey: "42"}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range got {
		n += len(v)
	}
	if n != 2 || len(got[domain.HouseFlat{House: house1, FlatKey: "7"}]) != 1 || got[domain.HouseFlat{House: fias1, FlatKey: "42"}][0].ID != "42" {
		t.Errorf("PremisesByHouseFlats of flats 7 and 42 = %v; want one premises each", got)
	}
}
