package match

import (
	"slices"
	"strings"

	"github.com/gisgw/gisgw/responder/domain"
)

// FlatKeyOther is the flat key of a flat number whose two normalizations (normalizeStored
// and flatText, see FlatKey) disagree, such as "1 2". Such premises are read by every
// house-and-flat lookup of their house: always a candidate, never missed.
const FlatKeyOther = "*"

// FlatKey is the stored, indexed key of a premises' flat number (the store's flat_key
// column): a house-and-flat request reads only the premises of its house whose key is one
// of FlatKeys of the request, not the whole house. It is normalizeStored, the normalization
// matchInHouse compares flat numbers by ("кв. 12", "12", "012" are all "12"; "12/1" stays
// "12/1"), when the exact comparison of LEGAL-RULES §10.4 (flatText) reads the number the
// same way, and FlatKeyOther otherwise. So every premises matchInHouse can pick for a flat
// has one of the request's keys. Changing it, normalizeStored or flatText needs a migration
// that computes the stored keys again.
func FlatKey(flat string) string {
	k := normalizeStored(flat, false)
	if normalizeStored(flatText(flat), false) != k {
		return FlatKeyOther
	}
	return k
}

// FlatKeys returns the flat keys of the premises matchInHouse may pick for sr among the
// premises of its house (FlatKeyOther always among them), and false when it may pick by
// something else than the flat number (a room in any flat, the house as a whole, or nothing
// it can parse): then it needs the whole house.
func FlatKeys(sr domain.SubRequest) ([]string, bool) {
	details := strings.TrimSpace(sr.AddressDetails)
	var unit Unit
	var ok bool
	switch {
	case details != "":
		if unit, ok = ParseUnit(details); !ok {
			unit, ok = unitFromAddress(sr.Address)
		}
	case kindOf(sr.AddressType) == kindUnit:
		unit, ok = unitFromAddress(sr.Address)
	}
	if !ok || unit.Flat == "" {
		return nil, false
	}
	// What matchInHouse compares: the exact flat text of the details (normalizeStored of a
	// flatText is the key of any flat with that text), the parsed flat, and "flat/room" read
	// as one flat number.
	keys := []string{FlatKeyOther, unit.Flat}
	if details != "" {
		if t := flatText(details); t != "" {
			keys = append(keys, normalizeStored(t, false))
		}
	}
	if unit.Room != "" {
		keys = append(keys, normalizeStored(unit.Flat+"/"+unit.Room, false))
	}
	return dedupeStrings(keys), true
}

func dedupeStrings(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
