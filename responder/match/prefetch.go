package match

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gisgw/gisgw/responder/domain"
)

// BatchLookup is a Lookup that can also look up many keys at once; store.Store satisfies it.
// Each batched lookup returns, per key, what the single lookup returns for it.
type BatchLookup interface {
	Lookup
	PremisesByHMObjects(ctx context.Context, org string, hmObjectGUIDs []string) (map[string][]domain.Premises, error)
	PremisesByHouses(ctx context.Context, org string, houseGUIDs []string) (map[string][]domain.Premises, error)
	PremisesByAddressKeys(ctx context.Context, org string, keys []string) (map[string][]domain.Premises, error)
	// PremisesByHouseFlats returns, for each (house, flat key), the premises of org (or of
	// no organization) in that house (GIS or FIAS GUID) whose FlatKey is that key, in the
	// order PremisesByHouse returns them. Keys without premises are absent.
	PremisesByHouseFlats(ctx context.Context, org string, keys []domain.HouseFlat) (map[domain.HouseFlat][]domain.Premises, error)
}

// HouseFlatLookup is a Lookup that can read only some flats of a house: Match then reads
// the premises of a house-and-flat request's flat keys (FlatKeys) instead of its whole
// house. It returns the premises of org (or of no organization) in the house whose FlatKey
// is one of flatKeys.
type HouseFlatLookup interface {
	PremisesByHouseFlat(ctx context.Context, org, houseGUID string, flatKeys []string) ([]domain.Premises, error)
}

// Prefetch reads, in at most two queries per organization, the premises Match will look up
// by HMobjectGUID and by house GUID for srs, and returns a Lookup that answers those lookups
// from memory and passes any other (the address line, a key not prefetched) to l. Match over
// it returns exactly what Match over l returns; a batch of sub-requests costs two round trips
// instead of one to three each.
func Prefetch(ctx context.Context, l BatchLookup, srs []domain.SubRequest) (Lookup, error) {
	p := &prefetched{l: l, hm: map[orgKey][]domain.Premises{}, house: map[orgKey][]domain.Premises{},
		address: map[orgKey][]domain.Premises{}, flat: map[flatKey][]domain.Premises{}}
	p.keys = make(map[flatKeysKey]flatKeysOf, len(srs))
	if !slices.ContainsFunc(srs, func(sr domain.SubRequest) bool { return sr.OrgGUID != srs[0].OrgGUID }) {
		// One organization, as a claimed batch nearly always is: no copies of srs by org.
		if len(srs) > 0 {
			if err := p.load(ctx, srs[0].OrgGUID, srs); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	orgs := map[string][]domain.SubRequest{}
	var order []string
	for _, sr := range srs {
		if _, ok := orgs[sr.OrgGUID]; !ok {
			order = append(order, sr.OrgGUID)
		}
		orgs[sr.OrgGUID] = append(orgs[sr.OrgGUID], sr)
	}
	for _, org := range order {
		if err := p.load(ctx, org, orgs[org]); err != nil {
			return nil, err
		}
	}
	return p, nil
}

type orgKey struct{ org, key string }

type flatKey struct {
	org string
	domain.HouseFlat
}

type prefetched struct {
	l                  BatchLookup
	hm, house, address map[orgKey][]domain.Premises // every prefetched key is present, found or not
	flat               map[flatKey][]domain.Premises
	keys               map[flatKeysKey]flatKeysOf // FlatKeys of the batch, computed once for load and Match
}

// flatKeyer gives FlatKeys of a sub-request, from a cache when it has one.
type flatKeyer interface {
	flatKeys(sr domain.SubRequest) ([]string, bool)
}

// flatKeysKey is what FlatKeys reads of a sub-request.
type flatKeysKey struct{ details, addressType, address string }

type flatKeysOf struct {
	keys []string
	ok   bool
}

// flatKeys is FlatKeys(sr), parsed once per batch: both load and Match need it.
func (p *prefetched) flatKeys(sr domain.SubRequest) ([]string, bool) {
	k := flatKeysKey{sr.AddressDetails, sr.AddressType, sr.Address}
	if f, ok := p.keys[k]; ok {
		return f.keys, f.ok
	}
	keys, ok := FlatKeys(sr)
	if p.keys != nil {
		p.keys[k] = flatKeysOf{keys, ok}
	}
	return keys, ok
}

// load prefetches for one organization what Match's steps 1 and 2 read: first the
// HMobjectGUIDs; then the house GUIDs of the sub-requests whose HMobjectGUID found nothing
// (or is a house's, which Match widens to the whole house).
func (p *prefetched) load(ctx context.Context, org string, srs []domain.SubRequest) error {
	var hms []string
	for _, sr := range srs {
		if hm := strings.TrimSpace(sr.HMObjectGUID); hm != "" {
			hms = append(hms, hm)
		}
	}
	if len(hms) > 0 {
		found, err := p.l.PremisesByHMObjects(ctx, org, hms)
		if err != nil {
			return fmt.Errorf("match: premises by %d HMobjectGUIDs: %w", len(hms), err)
		}
		for _, hm := range hms {
			p.hm[orgKey{org, hm}] = found[hm]
		}
	}
	// A house-and-flat request reads its flats only (FlatKeys); the whole house is read for
	// the others, and for those whose flats are not there (the house may still be known:
	// no_match, not no_house).
	var houses []string
	var flats []domain.HouseFlat
	var byFlat []int
	flatKeys := make([][]string, len(srs)) // FlatKeys of each, nil where the flats are not read
	for i, sr := range srs {
		hm := strings.TrimSpace(sr.HMObjectGUID)
		if hm != "" && kindOf(sr.AddressType) == kindHouse {
			houses = append(houses, hm)
		}
		if hm != "" && len(p.hm[orgKey{org, hm}]) > 0 {
			continue // found by HMobjectGUID: Match does not look at the house GUIDs
		}
		ga, n := houseGUIDs(sr)
		gs := ga[:n]
		if keys, ok := p.flatKeys(sr); ok && len(gs) > 0 {
			byFlat, flatKeys[i] = append(byFlat, i), keys
			for _, g := range gs {
				for _, k := range keys {
					flats = append(flats, domain.HouseFlat{House: g, FlatKey: k})
				}
			}
			continue
		}
		houses = append(houses, gs...)
	}
	if len(flats) > 0 {
		found, err := p.l.PremisesByHouseFlats(ctx, org, flats)
		if err != nil {
			return fmt.Errorf("match: premises of %d flats: %w", len(flats), err)
		}
		for _, hf := range flats {
			p.flat[flatKey{org, hf}] = found[hf]
		}
		for _, i := range byFlat {
			if gs, n := houseGUIDs(srs[i]); !p.anyFlat(org, gs[:n], flatKeys[i]) {
				houses = append(houses, gs[:n]...)
			}
		}
	}
	if len(houses) > 0 {
		found, err := p.l.PremisesByHouses(ctx, org, houses)
		if err != nil {
			return fmt.Errorf("match: premises of %d houses: %w", len(houses), err)
		}
		for _, g := range houses {
			p.house[orgKey{org, g}] = found[g]
		}
	}
	// The address lines of those that nothing above found: Match's last resort.
	var keys []string
	for i, sr := range srs {
		if p.foundBefore(org, sr, flatKeys[i]) {
			continue
		}
		if k := domain.AddressKey(sr.Address); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		found, err := p.l.PremisesByAddressKeys(ctx, org, keys)
		if err != nil {
			return fmt.Errorf("match: premises by %d address lines: %w", len(keys), err)
		}
		for _, k := range keys {
			p.address[orgKey{org, k}] = found[k]
		}
	}
	return nil
}

// foundBefore reports whether Match finds sr's premises before the address line, by what
// was prefetched: by HMobjectGUID (a house's widened to the house), by its flat keys (nil
// when its flats were not read), by house. A wrong guess costs a single lookup, never a
// wrong match.
func (p *prefetched) foundBefore(org string, sr domain.SubRequest, flatKeys []string) bool {
	if hm := strings.TrimSpace(sr.HMObjectGUID); hm != "" {
		if len(p.hm[orgKey{org, hm}]) > 0 || (kindOf(sr.AddressType) == kindHouse && len(p.house[orgKey{org, hm}]) > 0) {
			return true
		}
	}
	ga, n := houseGUIDs(sr)
	gs := ga[:n]
	if flatKeys != nil && p.anyFlat(org, gs, flatKeys) {
		return true
	}
	for _, g := range gs {
		if len(p.house[orgKey{org, g}]) > 0 {
			return true
		}
	}
	return false
}

// houseGUIDs are the house GUIDs Match looks up for sr, in its order, without repeats: the
// first n of gs (an array, so that asking costs no allocation).
func houseGUIDs(sr domain.SubRequest) (gs [2]string, n int) {
	for _, g := range [2]string{sr.HouseGUID, sr.FIASHouseGUID} {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(gs[:n], g) {
			gs[n] = g
			n++
		}
	}
	return gs, n
}

// anyFlat reports whether the prefetched flats hold any premises of these houses and keys.
func (p *prefetched) anyFlat(org string, houses, keys []string) bool {
	for _, g := range houses {
		for _, k := range keys {
			if len(p.flat[flatKey{org, domain.HouseFlat{House: g, FlatKey: k}}]) > 0 {
				return true
			}
		}
	}
	return false
}

// Several sub-requests of a batch may share a key, so they share the answer's array. Match
// never writes into a lookup's answer, only appends to it (a house's HMobjectGUID widened to
// the house), so the answers are clipped: an append then copies instead of writing into the
// shared array's spare room.

func (p *prefetched) PremisesByHMObject(ctx context.Context, org, hmObjectGUID string) ([]domain.Premises, error) {
	if ps, ok := p.hm[orgKey{org, hmObjectGUID}]; ok {
		return slices.Clip(ps), nil
	}
	return p.l.PremisesByHMObject(ctx, org, hmObjectGUID)
}

func (p *prefetched) PremisesByHouse(ctx context.Context, org, houseGUID string) ([]domain.Premises, error) {
	if ps, ok := p.house[orgKey{org, houseGUID}]; ok {
		return slices.Clip(ps), nil
	}
	return p.l.PremisesByHouse(ctx, org, houseGUID)
}

func (p *prefetched) PremisesByAddressKey(ctx context.Context, org, key string) ([]domain.Premises, error) {
	if ps, ok := p.address[orgKey{org, key}]; ok {
		return slices.Clip(ps), nil
	}
	return p.l.PremisesByAddressKey(ctx, org, key)
}

func (p *prefetched) PremisesByHouseFlat(ctx context.Context, org, houseGUID string, flatKeys []string) ([]domain.Premises, error) {
	var out []domain.Premises
	for _, k := range flatKeys {
		ps, ok := p.flat[flatKey{org, domain.HouseFlat{House: houseGUID, FlatKey: k}}]
		if !ok {
			return p.houseFlat(ctx, org, houseGUID, flatKeys)
		}
		out = append(out, ps...)
	}
	return out, nil
}

// houseFlat answers a flat lookup that was not prefetched from the whole house.
func (p *prefetched) houseFlat(ctx context.Context, org, houseGUID string, flatKeys []string) ([]domain.Premises, error) {
	ps, err := p.PremisesByHouse(ctx, org, houseGUID)
	if err != nil {
		return nil, err
	}
	var out []domain.Premises
	for _, q := range ps {
		if slices.Contains(flatKeys, FlatKey(q.Flat)) {
			out = append(out, q)
		}
	}
	return out, nil
}
