package match

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
)

// oddFlats are flat numbers as organizations write them, the odd ones included.
var oddFlats = []string{"12", "012", "кв. 12", "12А", "12 а", "12a", "12/1", "12 / 1", "12-1", "12-2", "1 2",
	"кв.14", "№ 15", "пом. 16", "16", "д. 5, кв. 17", "17", "12аб", "KB 18", "0", "00", "-", "", "20/3", "20"}

// oddDetails are addressDetails as GIS sends them.
var oddDetails = []string{"12", "кв. 12", "кв 12", "012", "12а", "12 А", "12/1", "кв. 12/1", "кв. 12, комн. 1",
	"12-1", "12-2", "1 2", "14", "кв. 15", "16", "пом. 16", "17", "12аб", "18", "кв. 20, ком. 3", "20/3", "ком. 3",
	"комн. 1", "0", "кв. 0", "-", "кв. 99", "д. 5", "литера А", "кв. 12 к 1", "12/2"}

// flatHouse is one house with every flat of flats (and a room in some), as premises.
func flatHouse(flats []string) []domain.Premises {
	var ps []domain.Premises
	for i, f := range flats {
		p := domain.Premises{OrgGUID: org, ID: fmt.Sprintf("F%03d", i), HouseGUID: house, FIASHouseGUID: fias, Flat: f}
		if i%4 == 3 {
			p.Room = "1"
		}
		ps = append(ps, p)
	}
	return ps
}

// checkFlatLookups matches every sub-request over Prefetch (which reads the flats of FlatKeys
// only) and over the whole house, and wants the same result.
func checkFlatLookups(t *testing.T, ps []domain.Premises, srs []domain.SubRequest) *batchFake {
	t.Helper()
	ctx := context.Background()
	f := &batchFake{fakeLookup: fakeLookup{premises: ps}}
	l, err := Prefetch(ctx, f, srs)
	if err != nil {
		t.Fatal(err)
	}
	for _, sr := range srs {
		want, err := Match(ctx, f.fakeLookup, sr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Match(ctx, l, sr)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("details %q (address %q) in a house of flats %q:\nover flat keys %+v\nover the house %+v", sr.AddressDetails, sr.Address, flatsOf(ps), got, want)
		}
	}
	if n := f.single.Load(); n != 0 {
		t.Errorf("Match over Prefetch made %d single lookups; want none", n)
	}
	return f
}

func flatsOf(ps []domain.Premises) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Flat+"|"+p.Room)
	}
	return out
}

func subRequestsFor(details []string) []domain.SubRequest {
	var srs []domain.SubRequest
	for i, d := range details {
		for j, sr := range []domain.SubRequest{
			{HouseGUID: house, AddressDetails: d, AddressType: "Apartment"},
			{FIASHouseGUID: fias, AddressDetails: d},
			{HouseGUID: house, FIASHouseGUID: fias, AddressDetails: d, AddressType: "Room"},
			{HouseGUID: house, AddressType: "Apartment", Address: "г. Москва, ул. Ленина, д. 5, " + d},
		} {
			sr.GUID, sr.OrgGUID = fmt.Sprintf("sr-%d-%d", i, j), org
			srs = append(srs, sr)
		}
	}
	return srs
}

// TestFlatKeyMatchesLikeWholeHouse: for odd flat numbers on record and odd spellings of the
// request's flat, matching among the premises of the request's flat keys gives exactly what
// matching among the whole house gives.
func TestFlatKeyMatchesLikeWholeHouse(t *testing.T) {
	t.Parallel()
	checkFlatLookups(t, flatHouse(oddFlats), subRequestsFor(oddDetails))
	// Each odd flat alone in its house, so that no other premises hides a missing one.
	for _, f := range oddFlats {
		checkFlatLookups(t, flatHouse([]string{f, "99"}), subRequestsFor(oddDetails))
	}
}

// TestFlatKeyRandomSpellings does the same for random flat numbers and details made of the
// pieces the parsers treat specially.
func TestFlatKeyRandomSpellings(t *testing.T) {
	t.Parallel()
	pieces := []string{"1", "2", "0", "12", "/", " ", "-", ".", ",", "а", "А", "a", "б", "кв", "кв.", "ком", "к", "№", "пом", "д"}
	rng := rand.New(rand.NewPCG(7, 11))
	word := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(5) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	for range 40 {
		flats := make([]string, 12)
		for i := range flats {
			flats[i] = word()
		}
		details := make([]string, 40)
		for i := range details {
			details[i] = word()
		}
		checkFlatLookups(t, flatHouse(flats), subRequestsFor(details))
	}
}

// TestHouseFlatReadsOneFlat: a house-and-flat request reads its flat, not its house of 50
// premises; the whole house is read only for a flat that is not on record.
func TestHouseFlatReadsOneFlat(t *testing.T) {
	t.Parallel()
	var flats []string
	for i := 1; i <= 50; i++ {
		flats = append(flats, fmt.Sprint(i))
	}
	ps := flatHouse(flats)
	for i := range ps {
		ps[i].Room = ""
	}
	var srs []domain.SubRequest
	for i, d := range []string{"кв. 1", "кв 7", "12", "кв. 50", "кв. 33"} {
		srs = append(srs, domain.SubRequest{GUID: fmt.Sprint("sr-", i), OrgGUID: org, HouseGUID: house, AddressDetails: d, AddressType: "Apartment"})
	}
	f := checkFlatLookups(t, ps, srs)
	if n := f.houseRows.Load(); n != int32(len(srs)) {
		t.Errorf("the lookups of %d flats read %d premises; want %d (one each, not the house of %d)", len(srs), n, len(srs), len(ps))
	}
	// A flat not on record: the house is read (its other premises make it no_match, not
	// no_house).
	missing := domain.SubRequest{GUID: "sr-missing", OrgGUID: org, HouseGUID: house, AddressDetails: "кв. 51", AddressType: "Apartment"}
	f = checkFlatLookups(t, ps, []domain.SubRequest{missing})
	if n := f.houseRows.Load(); n != int32(len(ps)) {
		t.Errorf("the lookup of a flat not on record read %d premises; want the house's %d", n, len(ps))
	}
}

func TestFlatKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ flat, want string }{
		{"12", "12"}, {"012", "12"}, {"кв. 12", "12"}, {"12А", "12а"}, {"12 а", "12а"}, {"12a", "12а"},
		{"12/1", "12/1"}, {"", ""}, {"1 2", FlatKeyOther}, {"12-1", "12 1"},
	} {
		if got := FlatKey(tc.flat); got != tc.want {
			t.Errorf("FlatKey(%q) = %q; want %q", tc.flat, got, tc.want)
		}
	}
}
