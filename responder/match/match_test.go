package match

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
)

// fakeLookup is an in-memory Lookup with the store's semantics: premises of org or of no
// organization, an empty key matches nothing.
type fakeLookup struct {
	premises []domain.Premises
	err      error
}

func (f fakeLookup) find(org string, pred func(domain.Premises) bool) ([]domain.Premises, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []domain.Premises
	for _, p := range f.premises {
		if (p.OrgGUID == org || p.OrgGUID == "") && pred(p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f fakeLookup) PremisesByHMObject(_ context.Context, org, guid string) ([]domain.Premises, error) {
	return f.find(org, func(p domain.Premises) bool { return guid != "" && p.HMObjectGUID == guid })
}

func (f fakeLookup) PremisesByHouse(_ context.Context, org, guid string) ([]domain.Premises, error) {
	return f.find(org, func(p domain.Premises) bool {
		return guid != "" && (p.HouseGUID == guid || p.FIASHouseGUID == guid)
	})
}

func (f fakeLookup) PremisesByAddressKey(_ context.Context, org, key string) ([]domain.Premises, error) {
	return f.find(org, func(p domain.Premises) bool { return key != "" && domain.AddressKey(p.Address) == key })
}

const (
	org      = "org-1"
	house    = "house-1"
	fias     = "fias-1"
	house2   = "house-2"
	otherOrg = "org-2"
)

func testPremises() []domain.Premises {
	return []domain.Premises{
		{OrgGUID: org, ID: "P12", HMObjectGUID: "hm-12", HouseGUID: house, FIASHouseGUID: fias, Flat: "12", Address: "г. Москва, ул. Ленина, д. 5, кв. 12"},
		{OrgGUID: org, ID: "P12A", HMObjectGUID: "hm-12a", HouseGUID: house, FIASHouseGUID: fias, Flat: "12А", Address: "г. Москва, ул. Ленина, д. 5, кв. 12а"},
		{OrgGUID: org, ID: "P5-1", HouseGUID: house, FIASHouseGUID: fias, Flat: "5", Room: "1"},
		{OrgGUID: org, ID: "P5-2", HouseGUID: house, FIASHouseGUID: fias, Flat: "5", Room: "2"},
		{OrgGUID: org, ID: "P7", HouseGUID: house, FIASHouseGUID: fias, Flat: "7"},
		{OrgGUID: org, ID: "P7-3", HouseGUID: house, FIASHouseGUID: fias, Flat: "7", Room: "3"},
		{OrgGUID: org, ID: "P9a", HMObjectGUID: "hm-9", HouseGUID: house, Flat: "9"},
		{OrgGUID: org, ID: "P9b", HMObjectGUID: "hm-9", HouseGUID: house, Flat: "9"},
		{OrgGUID: org, ID: "R30", HouseGUID: house2, Room: "30"},
		{OrgGUID: org, ID: "P40", HouseGUID: house2, Flat: "40"},
		{OrgGUID: org, ID: "ADDR", Address: "г. Казань, ул. Баумана, д. 1, кв. 3"},
		{OrgGUID: "", ID: "SHARED", HouseGUID: "house-3", Flat: "1"},
		{OrgGUID: otherOrg, ID: "FOREIGN", HMObjectGUID: "hm-foreign", HouseGUID: "house-4", Flat: "1"},
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sr     domain.SubRequest
		ids    []string
		method Method
		codes  []string // review codes; none means no review
	}{
		{
			name: "hm object apartment", sr: domain.SubRequest{HMObjectGUID: "hm-12", AddressType: "Apartment"},
			ids: []string{"P12"}, method: MethodHMObject,
		},
		{
			name: "hm object several where one expected", sr: domain.SubRequest{HMObjectGUID: "hm-9", AddressType: "Apartment"},
			ids: []string{"P9a", "P9b"}, method: MethodHMObject, codes: []string{CodeAmbiguous},
		},
		{
			name: "hm object house covers the house", sr: domain.SubRequest{HMObjectGUID: house2, AddressType: "House"},
			ids: []string{"P40", "R30"}, method: MethodHMObject,
		},
		{
			name: "hm object not found falls back to house and flat", sr: domain.SubRequest{HMObjectGUID: "hm-unknown", AddressType: "Apartment", FIASHouseGUID: fias, Address: "г. Москва, ул. Ленина, д. 5, кв. 7"},
			ids: []string{"P7"}, method: MethodHouseFlat, codes: []string{CodeUnitFromAddress},
		},
		{
			name: "hm object of another organization", sr: domain.SubRequest{HMObjectGUID: "hm-foreign", AddressType: "Apartment"},
			codes: []string{CodeNoMatch},
		},
		{
			name: "house guid and flat", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "кв. 12"},
			ids: []string{"P12"}, method: MethodHouseFlat,
		},
		{
			name: "fias guid and flat with Latin letter", sr: domain.SubRequest{FIASHouseGUID: fias, AddressDetails: "12a"},
			ids: []string{"P12A"}, method: MethodHouseFlat,
		},
		{
			name: "house guid given as fias guid", sr: domain.SubRequest{HouseGUID: fias, AddressDetails: "кв.12"},
			ids: []string{"P12"}, method: MethodHouseFlat,
		},
		{
			name: "flat and room", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "кв. 5, комн. 2"},
			ids: []string{"P5-2"}, method: MethodHouseFlat,
		},
		{
			name: "flat and room as 5/1", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "5/1"},
			ids: []string{"P5-1"}, method: MethodHouseFlat,
		},
		{
			name: "flat prefers the whole-flat record over its rooms", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "7"},
			ids: []string{"P7"}, method: MethodHouseFlat,
		},
		{
			name: "flat on record only by rooms", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "квартира 5"},
			ids: []string{"P5-1", "P5-2"}, method: MethodHouseFlat, codes: []string{CodeAmbiguous},
		},
		{
			name: "room not on record, flat used", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "кв. 12, ком. 4"},
			ids: []string{"P12"}, method: MethodHouseFlat, codes: []string{CodeRoomAsFlat},
		},
		{
			name: "room only", sr: domain.SubRequest{HouseGUID: house2, AddressDetails: "комната 30"},
			ids: []string{"R30"}, method: MethodHouseFlat,
		},
		{
			name: "room only matches a premises numbered like it", sr: domain.SubRequest{HouseGUID: house2, AddressDetails: "ком. 40"},
			ids: []string{"P40"}, method: MethodHouseFlat, codes: []string{CodeRoomAsFlat},
		},
		{
			name: "flat not in the house", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "кв. 99"},
			codes: []string{CodeNoMatch},
		},
		{
			name: "two records for one flat", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "9"},
			ids: []string{"P9a", "P9b"}, method: MethodHouseFlat, codes: []string{CodeAmbiguous},
		},
		{
			// LEGAL-RULES §10.4: an apartment building without a flat is no one premises.
			name: "house level without details", sr: domain.SubRequest{HouseGUID: house2},
			codes: []string{CodeBuilding},
		},
		{
			name: "house level by address type", sr: domain.SubRequest{FIASHouseGUID: house2, AddressType: "House"},
			codes: []string{CodeBuilding},
		},
		{
			name: "apartment without a number", sr: domain.SubRequest{FIASHouseGUID: house2, AddressType: "Apartment", Address: "г. Казань, ул. Баумана, д. 1"},
			codes: []string{CodeNoUnit},
		},
		{
			name: "details not understood", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "чердак"},
			codes: []string{CodeUnparsedDetails},
		},
		{
			name: "details not understood, flat in the address line", sr: domain.SubRequest{HouseGUID: house, AddressDetails: "чердак", Address: "ул. Ленина, д. 5, кв. 12"},
			ids: []string{"P12"}, method: MethodHouseFlat, codes: []string{CodeUnitFromAddress},
		},
		{
			name: "premises without an organization", sr: domain.SubRequest{HouseGUID: "house-3", AddressDetails: "1"},
			ids: []string{"SHARED"}, method: MethodHouseFlat,
		},
		{
			name: "address line only", sr: domain.SubRequest{HouseGUID: "house-unknown", Address: "Казань г, Баумана ул., дом 1, квартира 3"},
			ids: []string{"ADDR"}, method: MethodAddress, codes: []string{CodeAddressOnly},
		},
		{
			// No house of ours at all (LEGAL-RULES §10.8), unlike "flat not in the house".
			name: "nothing matches", sr: domain.SubRequest{HouseGUID: "house-unknown", AddressDetails: "1", Address: "г. Тверь, ул. Мира, д. 1"},
			codes: []string{CodeNoHouse},
		},
		{
			name: "unknown house guid only", sr: domain.SubRequest{FIASHouseGUID: "fias-unknown", AddressDetails: "кв. 1"},
			codes: []string{CodeNoHouse},
		},
		{
			name: "unknown house object", sr: domain.SubRequest{HMObjectGUID: "house-unknown", AddressType: "House"},
			codes: []string{CodeNoHouse},
		},
		{
			name: "address line only, not ours", sr: domain.SubRequest{Address: "г. Тверь, ул. Мира, д. 1, кв. 3"},
			codes: []string{CodeNoHouse},
		},
		{
			name: "empty housing object", sr: domain.SubRequest{},
			codes: []string{CodeNoMatch},
		},
	}
	l := fakeLookup{premises: testPremises()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sr := tt.sr
			sr.GUID, sr.OrgGUID = "sr-1", org
			r, err := Match(context.Background(), l, sr)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, r, tt.ids, tt.method, tt.codes)
		})
	}
}

func checkResult(t *testing.T, r Result, ids []string, method Method, codes []string) {
	t.Helper()
	if got := r.PremisesIDs(); !slices.Equal(got, ids) && !(len(got) == 0 && len(ids) == 0) {
		t.Errorf("premises = %v; want %v", got, ids)
	}
	if r.Method != method {
		t.Errorf("method = %q; want %q", r.Method, method)
	}
	var got []string
	for _, rs := range r.Reasons {
		got = append(got, rs.Code)
		if rs.Text == "" || !strings.ContainsFunc(rs.Text, func(c rune) bool { return c >= 'а' && c <= 'я' }) {
			t.Errorf("reason %q has no Russian text: %q", rs.Code, rs.Text)
		}
	}
	if !slices.Equal(got, codes) {
		t.Errorf("reason codes = %v; want %v (%v)", got, codes, r.Reasons)
	}
	if r.NeedsReview != (len(codes) > 0) {
		t.Errorf("NeedsReview = %v with reasons %v", r.NeedsReview, r.Reasons)
	}
}

func TestMatchLookupError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, sr := range []domain.SubRequest{
		{GUID: "sr-1", HMObjectGUID: "hm-1"},
		{GUID: "sr-1", HouseGUID: house},
		{GUID: "sr-1", Address: "ул. Ленина, д. 1"},
	} {
		_, err := Match(context.Background(), fakeLookup{err: boom}, sr)
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "sr-1") {
			t.Errorf("Match(%+v) error = %v; want it to wrap boom and name the sub-request", sr, err)
		}
	}
}

func TestReasonString(t *testing.T) {
	t.Parallel()
	r := Reason{Code: CodeNoMatch, Text: "помещение не найдено"}
	if got, want := r.String(), "no_match: помещение не найдено"; got != want {
		t.Fatalf("String() = %q; want %q", got, want)
	}
}
