package match

import (
	"context"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
)

// TestMatchOneHousingObject: the rules of LEGAL-RULES §10.4.
func TestMatchOneHousingObject(t *testing.T) {
	t.Parallel()
	l := fakeLookup{premises: []domain.Premises{
		// An apartment building: flat 12, flat "12/1" as the organization numbers it, flat 12А.
		{OrgGUID: org, ID: "F12", HouseGUID: "mkd", Flat: "12"},
		{OrgGUID: org, ID: "F12-1", HouseGUID: "mkd", Flat: "12/1"},
		{OrgGUID: org, ID: "F12A", HouseGUID: "mkd", Flat: "12А"},
		{OrgGUID: org, ID: "F30-1", HouseGUID: "mkd", Flat: "30/1", Room: "1"},
		{OrgGUID: org, ID: "F30-2", HouseGUID: "mkd", Flat: "30/1", Room: "2"},
		// A single-family house recorded as one premises without numbers.
		{OrgGUID: org, ID: "H1", HouseGUID: "izhs", Address: "д. Горки, ул. Садовая, д. 3"},
		// A house recorded twice without numbers.
		{OrgGUID: org, ID: "H2a", HouseGUID: "izhs-2"},
		{OrgGUID: org, ID: "H2b", HouseGUID: "izhs-2"},
		// A house whose HMobjectGUID GIS calls a House, with two records inside.
		{OrgGUID: org, ID: "B1", HouseGUID: "block", Flat: "1"},
		{OrgGUID: org, ID: "B2", HouseGUID: "block", Flat: "2"},
	}}
	tests := []struct {
		name   string
		sr     domain.SubRequest
		ids    []string
		method Method
		codes  []string
	}{
		{name: "apartment building without a flat", sr: domain.SubRequest{HouseGUID: "mkd", Address: "г. Москва, ул. Ленина, д. 5"}, codes: []string{CodeBuilding}},
		{name: "apartment building as a House type", sr: domain.SubRequest{HouseGUID: "mkd", AddressType: "House", Address: "ул. Ленина, 5"}, codes: []string{CodeBuilding}},
		{name: "apartment building, blank details", sr: domain.SubRequest{HouseGUID: "mkd", AddressDetails: "  ", Address: "ул. Ленина, 5"}, codes: []string{CodeBuilding}},
		{name: "single-family house: its only premises", sr: domain.SubRequest{HouseGUID: "izhs", AddressType: "House"}, ids: []string{"H1"}, method: MethodHouse},
		{name: "single-family house without address type", sr: domain.SubRequest{HouseGUID: "izhs"}, ids: []string{"H1"}, method: MethodHouse},
		{name: "house recorded twice", sr: domain.SubRequest{HouseGUID: "izhs-2"}, ids: []string{"H2a", "H2b"}, method: MethodHouse, codes: []string{CodeAmbiguous}},
		{name: "HMobjectGUID of a House is one premises", sr: domain.SubRequest{HMObjectGUID: "block", AddressType: "House"}, ids: []string{"B1", "B2"}, method: MethodHMObject},
		{name: "exact flat number 12/1", sr: domain.SubRequest{HouseGUID: "mkd", AddressDetails: "кв 12/1"}, ids: []string{"F12-1"}, method: MethodHouseFlat},
		{name: "exact flat number, no marker", sr: domain.SubRequest{HouseGUID: "mkd", AddressDetails: "12/1"}, ids: []string{"F12-1"}, method: MethodHouseFlat},
		{name: "exact flat number, spaces and №", sr: domain.SubRequest{HouseGUID: "mkd", AddressDetails: "Кв. № 12 / 1"}, ids: []string{"F12-1"}, method: MethodHouseFlat},
		{name: "exact flat number, Latin letters", sr: domain.SubRequest{HouseGUID: "mkd", AddressDetails: "KB 12A"}, ids: []string{"F12A"}, method: MethodHouseFlat},
		{name: "flat 12/1 inside a longer address", sr: domain.SubRequest{HouseGUID: "mkd", AddressDetails: "д. 5, кв. 12/1"}, ids: []string{"F12-1"}, method: MethodHouseFlat},
		{name: "flat 12 still found", sr: domain.SubRequest{HouseGUID: "mkd", AddressDetails: "кв. 12"}, ids: []string{"F12"}, method: MethodHouseFlat},
		{name: "exact flat on record by rooms", sr: domain.SubRequest{HouseGUID: "mkd", AddressDetails: "кв. 30/1"}, ids: []string{"F30-1", "F30-2"}, method: MethodHouseFlat, codes: []string{CodeAmbiguous}},
		{name: "flat and room not on record, no 12/2 either", sr: domain.SubRequest{HouseGUID: "mkd", AddressDetails: "кв. 12, ком. 2"}, ids: []string{"F12"}, method: MethodHouseFlat, codes: []string{CodeRoomAsFlat}},
	}
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
			for _, rs := range r.Reasons {
				if rs.Code == CodeBuilding && hasLatinLetter(rs.Text) {
					t.Errorf("reason text %q has Latin letters", rs.Text)
				}
			}
		})
	}
}

func hasLatinLetter(s string) bool {
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return true
		}
	}
	return false
}

func TestFlatText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"12/1", "12/1"},
		{"кв 12/1", "12/1"},
		{"Кв. № 12 / 1", "12/1"},
		{"квартира12а", "12а"},
		{"12A", "12а"},
		{"пом. 3", "3"},
		{"012", "012"},
		{"12-1", "12-1"},
		{"Квартал 5", "квартал5"}, // not a marker followed by a number
		{"", ""},
	}
	for _, tt := range tests {
		if got := flatText(tt.in); got != tt.want {
			t.Errorf("flatText(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
