package match_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
)

// TestMatchSQLiteStore runs the matcher against a real SQLite store filled through the
// import, so that the store's lookups and the matcher agree on keys and organization scope.
func TestMatchSQLiteStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := storeopen.Open(ctx, filepath.Join(t.TempDir(), "s.db"), storeopen.WithAutoMigrate())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	const org = "11111111-1111-1111-1111-111111111111"
	premises := []domain.Premises{
		{ID: "P1", HMObjectGUID: "hm-1", HouseGUID: "h-1", FIASHouseGUID: "f-1", Flat: "12А", Address: "г. Москва, ул. Ленина, д. 5, кв. 12а"},
		{ID: "P2", HouseGUID: "h-1", FIASHouseGUID: "f-1", Flat: "5", Room: "2", Address: "г. Москва, ул. Ленина, д. 5, кв. 5, ком. 2"},
		{ID: "P3", HouseGUID: "h-1", FIASHouseGUID: "f-1", Flat: "5", Room: "3", Address: "г. Москва, ул. Ленина, д. 5, кв. 5, ком. 3"},
		{ID: "P4", Address: "г. Казань, ул. Баумана, д. 1, кв. 3"},
	}
	if _, err := s.ImportPremises(ctx, org, premises); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportPremises(ctx, "22222222-2222-2222-2222-222222222222", []domain.Premises{
		{ID: "X1", HouseGUID: "h-1", Flat: "12а", Address: "г. Москва, ул. Ленина, д. 5, кв. 12а"},
	}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		sr     domain.SubRequest
		ids    []string
		method match.Method
		review bool
	}{
		{"hm object", domain.SubRequest{HMObjectGUID: "hm-1", AddressType: "Apartment"}, []string{"P1"}, match.MethodHMObject, false},
		{"fias house and flat", domain.SubRequest{FIASHouseGUID: "f-1", AddressDetails: "кв. 12 a"}, []string{"P1"}, match.MethodHouseFlat, false},
		{"house, flat and room", domain.SubRequest{HouseGUID: "h-1", AddressDetails: "кв.5 ком.3"}, []string{"P3"}, match.MethodHouseFlat, false},
		// An apartment building without a flat: no premises, a person decides (LEGAL-RULES §10.4).
		{"whole house", domain.SubRequest{HouseGUID: "h-1", AddressType: "House"}, nil, "", true},
		{"address only", domain.SubRequest{Address: "Казань, Баумана ул, дом 1, квартира 3"}, []string{"P4"}, match.MethodAddress, true},
		{"no match", domain.SubRequest{HouseGUID: "h-1", AddressDetails: "кв. 77"}, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sr := tt.sr
			sr.GUID, sr.OrgGUID = "sr-"+tt.name, org
			r, err := match.Match(ctx, s, sr)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.PremisesIDs(); !slices.Equal(got, tt.ids) && len(got)+len(tt.ids) > 0 {
				t.Errorf("premises = %v; want %v", got, tt.ids)
			}
			if r.Method != tt.method || r.NeedsReview != tt.review {
				t.Errorf("method, review = %q, %v; want %q, %v (%v)", r.Method, r.NeedsReview, tt.method, tt.review, r.Reasons)
			}
		})
	}
}
