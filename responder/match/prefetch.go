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
}

// Prefetch reads, in at most two queries per organization, the premises Match will look up
// by HMobjectGUID and by house GUID for srs, and returns a Lookup that answers those lookups
// from memory and passes any other (the address line, a key not prefetched) to l. Match over
// it returns exactly what Match over l returns; a batch of sub-requests costs two round trips
// instead of one to three each.
func Prefetch(ctx context.Context, l BatchLookup, srs []domain.SubRequest) (Lookup, error) {
	p := &prefetched{l: l, hm: map[orgKey][]domain.Premises{}, house: map[orgKey][]domain.Premises{}}
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

type prefetched struct {
	l         BatchLookup
	hm, house map[orgKey][]domain.Premises // every prefetched key is present, found or not
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
	var houses []string
	for _, sr := range srs {
		hm := strings.TrimSpace(sr.HMObjectGUID)
		if hm != "" && kindOf(sr.AddressType) == kindHouse {
			houses = append(houses, hm)
		}
		if hm != "" && len(p.hm[orgKey{org, hm}]) > 0 {
			continue // found by HMobjectGUID: Match does not look at the house GUIDs
		}
		for _, g := range []string{sr.HouseGUID, sr.FIASHouseGUID} {
			if g = strings.TrimSpace(g); g != "" {
				houses = append(houses, g)
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
	return nil
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
	return p.l.PremisesByAddressKey(ctx, org, key)
}
