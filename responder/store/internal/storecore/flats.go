package storecore

import (
	"cmp"
	"slices"
	"strings"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
)

// FlatKey is the flat_key column of a premises: match.FlatKey of its flat number, computed
// by the one function the matcher compares flat numbers by.
func FlatKey(p domain.Premises) string { return match.FlatKey(p.Flat) }

// FlatRow is a premises row read by a house-and-flat lookup, with its stored flat key.
type FlatRow struct {
	domain.Premises
	FlatKey string
}

// HouseFlatKeys drops repeated keys and keys without a house (an empty key matches nothing).
func HouseFlatKeys(keys []domain.HouseFlat) []domain.HouseFlat {
	out := make([]domain.HouseFlat, 0, len(keys))
	seen := make(map[domain.HouseFlat]bool, len(keys))
	for _, k := range keys {
		if k.House != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// GroupHouseFlats files rows (in the order PremisesByHouse returns them) under each asked
// (house, flat key) they belong to, by GIS or FIAS house GUID; a house whose two GUIDs are
// equal gets a row once. Keys without premises are absent.
func GroupHouseFlats(rows []FlatRow, keys []domain.HouseFlat, out map[domain.HouseFlat][]domain.Premises) {
	want := make(map[domain.HouseFlat]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	for _, r := range rows {
		k := domain.HouseFlat{House: r.HouseGUID, FlatKey: r.FlatKey}
		if want[k] {
			out[k] = append(out[k], r.Premises)
		}
		if f := (domain.HouseFlat{House: r.FIASHouseGUID, FlatKey: r.FlatKey}); f != k && want[f] {
			out[f] = append(out[f], r.Premises)
		}
	}
}

// ComparePremises orders premises as the lookups return them: by premises id, then
// organization, byte by byte (SQLite's BINARY collation, PostgreSQL's "C").
func ComparePremises(a, b domain.Premises) int {
	return cmp.Or(strings.Compare(a.ID, b.ID), strings.Compare(a.OrgGUID, b.OrgGUID))
}

// SortPremises sorts ps by ComparePremises.
func SortPremises(ps []domain.Premises) { slices.SortFunc(ps, ComparePremises) }
