package match

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
)

// batchFake is fakeLookup with the batched lookups, counting the single ones Match makes.
type batchFake struct {
	fakeLookup
	single, batched atomic.Int32
	houseRows       atomic.Int32 // premises the batched house and flat lookups returned
}

func (f *batchFake) PremisesByHMObject(ctx context.Context, org, guid string) ([]domain.Premises, error) {
	f.single.Add(1)
	return f.fakeLookup.PremisesByHMObject(ctx, org, guid)
}

func (f *batchFake) PremisesByHouse(ctx context.Context, org, guid string) ([]domain.Premises, error) {
	f.single.Add(1)
	return f.fakeLookup.PremisesByHouse(ctx, org, guid)
}

func (f *batchFake) PremisesByAddressKey(ctx context.Context, org, key string) ([]domain.Premises, error) {
	f.single.Add(1)
	return f.fakeLookup.PremisesByAddressKey(ctx, org, key)
}

func (f *batchFake) PremisesByAddressKeys(ctx context.Context, org string, keys []string) (map[string][]domain.Premises, error) {
	f.batched.Add(1)
	out := map[string][]domain.Premises{}
	for _, k := range keys {
		if ps, _ := f.fakeLookup.PremisesByAddressKey(ctx, org, k); len(ps) > 0 {
			out[k] = ps
		}
	}
	return out, nil
}

func (f *batchFake) PremisesByHMObjects(ctx context.Context, org string, keys []string) (map[string][]domain.Premises, error) {
	f.batched.Add(1)
	out := map[string][]domain.Premises{}
	for _, k := range keys {
		if ps, _ := f.fakeLookup.PremisesByHMObject(ctx, org, k); len(ps) > 0 {
			out[k] = ps
		}
	}
	return out, nil
}

func (f *batchFake) PremisesByHouses(ctx context.Context, org string, keys []string) (map[string][]domain.Premises, error) {
	f.batched.Add(1)
	out := map[string][]domain.Premises{}
	for _, k := range keys {
		if ps, _ := f.fakeLookup.PremisesByHouse(ctx, org, k); len(ps) > 0 {
			out[k] = ps
			f.houseRows.Add(int32(len(ps)))
		}
	}
	return out, nil
}

func (f *batchFake) PremisesByHouseFlats(_ context.Context, org string, keys []domain.HouseFlat) (map[domain.HouseFlat][]domain.Premises, error) {
	f.batched.Add(1)
	out := map[domain.HouseFlat][]domain.Premises{}
	for _, k := range keys {
		ps, _ := f.find(org, func(p domain.Premises) bool {
			return k.House != "" && (p.HouseGUID == k.House || p.FIASHouseGUID == k.House) && FlatKey(p.Flat) == k.FlatKey
		})
		if len(ps) > 0 {
			out[k] = ps
			f.houseRows.Add(int32(len(ps)))
		}
	}
	return out, nil
}

// prefetchCases are sub-requests through every step of Match, several sharing a key.
func prefetchCases() []domain.SubRequest {
	srs := []domain.SubRequest{
		{HMObjectGUID: "hm-12", AddressType: "Apartment"},
		{HMObjectGUID: " hm-12 ", AddressType: "Apartment"},
		{HMObjectGUID: "hm-9", AddressType: "Apartment"},
		{HMObjectGUID: house2, AddressType: "House"},
		{HMObjectGUID: house2, AddressType: "House"},
		{HMObjectGUID: "hm-unknown", AddressType: "Apartment", FIASHouseGUID: fias, Address: "г. Москва, ул. Ленина, д. 5, кв. 7"},
		{HMObjectGUID: "hm-foreign", AddressType: "Apartment"},
		{HMObjectGUID: "hm-12", HouseGUID: house, AddressDetails: "кв. 7"},
		{HouseGUID: house, AddressDetails: "кв. 12"},
		{FIASHouseGUID: fias, AddressDetails: "12a"},
		{HouseGUID: fias, AddressDetails: "кв.12"},
		{HouseGUID: house, FIASHouseGUID: fias, AddressDetails: "кв. 5, комн. 2"},
		{HouseGUID: house, AddressDetails: "5"},
		{HouseGUID: house, AddressDetails: "кв. 7, комн. 9"},
		{HouseGUID: house2, AddressDetails: "комн. 30"},
		{HouseGUID: house2, AddressType: "House"},
		{HouseGUID: house, AddressType: "Apartment", Address: "г. Москва, ул. Ленина, д. 5"},
		{HouseGUID: "house-3", AddressDetails: "кв. 1"},
		{HouseGUID: "house-none", Address: "г. Казань, ул. Баумана, д. 1, кв. 3"},
		{Address: "г. Казань, ул. Баумана, д. 1, кв. 3"},
		{},
	}
	for i := range srs {
		srs[i].GUID, srs[i].OrgGUID = "sr-"+string(rune('a'+i)), org
	}
	// The same housing objects asked by another organization.
	for _, sr := range srs[:6] {
		sr.GUID, sr.OrgGUID = sr.GUID+"-other", otherOrg
		srs = append(srs, sr)
	}
	return srs
}

func TestPrefetchMatchesLikeSingleLookups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &batchFake{fakeLookup: fakeLookup{premises: testPremises()}}
	srs := prefetchCases()
	l, err := Prefetch(ctx, f, srs)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.batched.Load(); got != 8 {
		t.Errorf("Prefetch made %d batched lookups; want 8 (HMobjectGUIDs, flats, houses, address lines per organization)", got)
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
			t.Errorf("%+v: Match over Prefetch = %+v\nwant %+v", sr, got, want)
		}
	}
	if n := f.single.Load(); n != 0 {
		t.Errorf("Match over Prefetch made %d single HMobjectGUID, house or address lookups; want none", n)
	}
}
