// Package match finds the local premises a GIS ZhKKh debt sub-request is about. It tries,
// in order: the sub-request's HMobjectGUID; its GIS or FIAS house GUID with the flat and room
// parsed from addressDetails (or the whole house for a house-level object); and, as a last
// resort that always goes to review, the address line. Anything not confident (no match,
// several premises where one is expected, a unit that cannot be parsed) comes back with
// NeedsReview and the reasons.
package match

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/ru"
)

// Lookup is the part of the store the matcher reads; store.Store satisfies it. Each lookup
// returns the premises of org and those imported without an organization; an empty key
// matches nothing.
type Lookup interface {
	PremisesByHMObject(ctx context.Context, org, hmObjectGUID string) ([]domain.Premises, error)
	PremisesByHouse(ctx context.Context, org, houseGUID string) ([]domain.Premises, error)
	PremisesByAddressKey(ctx context.Context, org, key string) ([]domain.Premises, error)
}

// Method is how the premises were found; the values are stored in domain.Decision.MatchMethod.
type Method string

const (
	MethodHMObject  Method = "hm_object_guid"
	MethodHouseFlat Method = "house_flat"
	MethodHouse     Method = "house"
	MethodAddress   Method = "address"
)

// Reason codes: stable, for the dashboard's filters and for tests.
const (
	CodeNoMatch         = "no_match"          // nothing found
	CodeAmbiguous       = "ambiguous"         // several premises where one is expected
	CodeAddressOnly     = "address_only"      // found by the address line only
	CodeUnparsedDetails = "unparsed_details"  // addressDetails names no flat or room we can read
	CodeUnitFromAddress = "unit_from_address" // the flat was read from the address line
	CodeNoUnit          = "no_unit"           // a flat or room is asked for, but no number is given
	CodeRoomAsFlat      = "room_as_flat"      // the room is not on record; the flat (or a premises numbered like the room) is used
	CodeBuilding        = "building"          // an apartment building without a flat or room: no one premises to answer for
	// CodeNoHouse: the house the request names (by GUID or address line) matches no house at
	// all in the organization's records, unlike CodeNoMatch inside a known house; the
	// organization may answer such requests "no debt" at the deadline (LEGAL-RULES §10.8).
	CodeNoHouse = "no_house"
)

// Reason is why a match needs a person: a stable code and a Russian text for compliance
// officers.
type Reason struct {
	Code string
	Text string
}

// String is the form stored in domain.Decision.ReviewReasons: "code: text".
func (r Reason) String() string { return r.Code + ": " + r.Text }

// Result is the outcome of Match.
type Result struct {
	Premises    []domain.Premises // by premises id, organization; empty when nothing matched
	Method      Method            // empty when nothing matched
	NeedsReview bool
	Reasons     []Reason
}

// PremisesIDs returns the ids of the matched premises, in order, without repeats.
func (r Result) PremisesIDs() []string {
	ids := make([]string, 0, len(r.Premises))
	if len(r.Premises) <= 8 {
		// Most matches are one premises: a scan, not a map, for a few.
		for _, p := range r.Premises {
			if !slices.Contains(ids, p.ID) {
				ids = append(ids, p.ID)
			}
		}
		return ids
	}
	seen := make(map[string]bool, len(r.Premises))
	for _, p := range r.Premises {
		if !seen[p.ID] {
			seen[p.ID] = true
			ids = append(ids, p.ID)
		}
	}
	return ids
}

func (r *Result) review(code, format string, args ...any) {
	r.NeedsReview = true
	r.Reasons = append(r.Reasons, Reason{Code: code, Text: fmt.Sprintf(format, args...)})
}

// objectKind is what the sub-request's adressType asks about.
type objectKind int

const (
	kindUnknown objectKind = iota // no adressType (requests sent by version 13.1.10.1)
	kindHouse
	kindUnit // Apartment, Room, HouseBlock: exactly one premises expected
)

func kindOf(addressType string) objectKind {
	switch strings.ToLower(strings.TrimSpace(addressType)) {
	case "":
		return kindUnknown
	case "house":
		return kindHouse
	default: // apartment (and the schema's "appartment"), room, houseblock, anything new
		return kindUnit
	}
}

// Match finds the premises of sr.OrgGUID that sr's housing object names. Only lookup
// failures are errors; a failed match is a Result with NeedsReview and no premises.
func Match(ctx context.Context, l Lookup, sr domain.SubRequest) (Result, error) {
	org := sr.OrgGUID
	kind := kindOf(sr.AddressType)
	var tried []string

	// 1. HMobjectGUID: the address-registry object itself.
	if hm := strings.TrimSpace(sr.HMObjectGUID); hm != "" {
		ps, err := l.PremisesByHMObject(ctx, org, hm)
		if err != nil {
			return Result{}, fmt.Errorf("match sub-request %s: premises by HMobjectGUID %s: %w", sr.GUID, hm, err)
		}
		if kind == kindHouse {
			// A house's HMobjectGUID is the house GUID: take every premises of the house too.
			more, err := l.PremisesByHouse(ctx, org, hm)
			if err != nil {
				return Result{}, fmt.Errorf("match sub-request %s: premises of house %s: %w", sr.GUID, hm, err)
			}
			ps = append(ps, more...)
		}
		ps = dedupe(ps)
		if len(ps) > 0 {
			r := Result{Premises: ps, Method: MethodHMObject}
			if kind != kindHouse && len(ps) > 1 {
				r.review(CodeAmbiguous, "по коду помещения в ГИС ЖКХ %s найдено %d помещений (%s), ожидалось одно", hm, len(ps), idList(ps))
			}
			return r, nil
		}
		tried = append(tried, "код помещения в ГИС ЖКХ "+hm)
	}

	// 2. The house by GIS or FIAS GUID, then the flat and room inside it: only the flats
	// the request can mean when the lookup can read them alone and one of them is on record.
	if r, ok, err := matchFlats(ctx, l, sr, kind); err != nil || ok {
		return r, err
	}
	var house []domain.Premises
	var houseKeys []string
	for _, g := range []string{sr.HouseGUID, sr.FIASHouseGUID} {
		g = strings.TrimSpace(g)
		if g == "" || slices.Contains(houseKeys, g) {
			continue
		}
		houseKeys = append(houseKeys, g)
		ps, err := l.PremisesByHouse(ctx, org, g)
		if err != nil {
			return Result{}, fmt.Errorf("match sub-request %s: premises of house %s: %w", sr.GUID, g, err)
		}
		house = append(house, ps...)
	}
	house = dedupe(house)
	if len(house) > 0 {
		return matchInHouse(sr, kind, house), nil
	}
	for _, g := range houseKeys {
		tried = append(tried, "дом "+g)
	}

	// 3. The address line: a last resort, always reviewed.
	return matchAddress(ctx, l, sr, kind, tried, len(houseKeys) > 0 || (kind == kindHouse && strings.TrimSpace(sr.HMObjectGUID) != ""))
}

// matchFlats is matchInHouse over the premises of sr's houses with sr's flat keys, when l
// reads flats alone (HouseFlatLookup) and sr names a flat (FlatKeys): those include every
// premises matchInHouse could pick among the whole house, in the same order, so the result
// is the same. ok is false when it cannot tell: the whole house is needed (no flat named, or
// none of the flats on record, where the house's other premises decide no_match against
// no_house).
func matchFlats(ctx context.Context, l Lookup, sr domain.SubRequest, kind objectKind) (Result, bool, error) {
	hf, ok := l.(HouseFlatLookup)
	if !ok {
		return Result{}, false, nil
	}
	var keys []string
	if fk, cached := l.(flatKeyer); cached {
		keys, ok = fk.flatKeys(sr)
	} else {
		keys, ok = FlatKeys(sr)
	}
	if !ok {
		return Result{}, false, nil
	}
	var found []domain.Premises
	gs, n := houseGUIDs(sr)
	for _, g := range gs[:n] {
		ps, err := hf.PremisesByHouseFlat(ctx, sr.OrgGUID, g, keys)
		if err != nil {
			return Result{}, false, fmt.Errorf("match sub-request %s: premises of house %s, flats %v: %w", sr.GUID, g, keys, err)
		}
		found = append(found, ps...)
	}
	if found = dedupe(found); len(found) == 0 {
		return Result{}, false, nil
	}
	return matchInHouse(sr, kind, found), true, nil
}

// matchInHouse picks the premises the sub-request names among the premises of its house.
func matchInHouse(sr domain.SubRequest, kind objectKind, house []domain.Premises) Result {
	var r Result
	details := strings.TrimSpace(sr.AddressDetails)
	if details != "" {
		// The flat number exactly as the organization wrote it ("12/1") wins over reading
		// the text as flat and room (LEGAL-RULES §10.4).
		if found := exactFlat(house, flatText(details)); len(found) > 0 {
			return pickExact(found)
		}
	}
	var unit Unit
	var ok bool
	switch {
	case details != "":
		if unit, ok = ParseUnit(details); !ok {
			if unit, ok = unitFromAddress(sr.Address); !ok {
				r.review(CodeUnparsedDetails, "не удалось определить квартиру или комнату по уточнению адреса «%s»", details)
				return r
			}
			r.review(CodeUnitFromAddress, "уточнение адреса «%s» не разобрано; номер помещения (%s) взят из строки адреса «%s»", details, unit, sr.Address)
		}
	case kind == kindUnit:
		if unit, ok = unitFromAddress(sr.Address); !ok {
			r.review(CodeNoUnit, "запрос о помещении (%s), но номер квартиры или комнаты не указан; адрес «%s»", ru.AddressType(sr.AddressType), sr.Address)
			return r
		}
		r.review(CodeUnitFromAddress, "номер помещения (%s) взят из строки адреса «%s»", unit, sr.Address)
	default:
		return matchHouse(sr, house)
	}

	r.Method = MethodHouseFlat
	var found []domain.Premises
	switch {
	case unit.Flat != "" && unit.Room != "":
		found = filter(house, unit.Flat, unit.Room)
		if len(found) == 0 && strings.Contains(details, "/") {
			// "д. 5, кв. 12/1": the flat may be numbered "12/1" rather than have a room 1.
			if exact := exactFlat(house, unit.Flat+"/"+unit.Room); len(exact) > 0 {
				return pickExact(exact)
			}
		}
		if len(found) == 0 {
			if found = filter(house, unit.Flat, ""); len(found) > 0 {
				r.review(CodeRoomAsFlat, "комнаты %s в квартире %s нет в учёте; взята квартира %s целиком", unit.Room, unit.Flat, unit.Flat)
			}
		}
	case unit.Flat != "":
		found = filter(house, unit.Flat, "")
		if len(found) == 0 {
			// The flat is on record only room by room: all its rooms, for a person to confirm.
			if found = filterFlatAnyRoom(house, unit.Flat); len(found) > 0 {
				r.review(CodeAmbiguous, "квартира %s учтена по комнатам: %s", unit.Flat, idList(found))
				r.Premises = found
				return r
			}
		}
	default:
		found = filterRoomAnyFlat(house, unit.Room)
		if len(found) == 0 {
			if found = filter(house, unit.Room, ""); len(found) > 0 {
				r.review(CodeRoomAsFlat, "комнаты %s нет в учёте; взято помещение № %s", unit.Room, unit.Room)
			}
		}
	}
	switch {
	case len(found) == 0:
		r.Method = ""
		r.review(CodeNoMatch, "в доме %s нет помещения «%s» (уточнение адреса «%s»)", houseName(sr), unit, details)
	case len(found) > 1:
		r.review(CodeAmbiguous, "в доме %s помещению «%s» соответствуют %d записей: %s", houseName(sr), unit, len(found), idList(found))
	}
	r.Premises = found
	return r
}

// matchHouse answers a house-level request (no flat or room named). A house whose only
// premises is the house itself (no flat, no room) is one premises. A house with numbered
// premises is an apartment building: the request cannot be tied to one of them, and the
// debtors of its flats are never proposed (LEGAL-RULES §10.4).
func matchHouse(sr domain.SubRequest, house []domain.Premises) Result {
	var r Result
	if slices.ContainsFunc(house, func(p domain.Premises) bool {
		return strings.TrimSpace(p.Flat) != "" || strings.TrimSpace(p.Room) != ""
	}) {
		r.review(CodeBuilding, "запрос о доме «%s» без номера квартиры или комнаты, а дом многоквартирный (помещений организации в нём: %d); ответ нельзя отнести к одному помещению, должники других квартир не предлагаются",
			cmp.Or(strings.TrimSpace(sr.Address), houseName(sr)), len(house))
		return r
	}
	r.Premises, r.Method = house, MethodHouse
	if len(house) > 1 {
		r.review(CodeAmbiguous, "дом «%s» учтён несколькими записями (%d: %s), ожидалась одна", cmp.Or(strings.TrimSpace(sr.Address), houseName(sr)), len(house), idList(house))
	}
	return r
}

// exactFlat returns the premises of house whose flat number, normalized by flatText, is
// text; none for an empty text.
func exactFlat(house []domain.Premises, text string) []domain.Premises {
	if text == "" {
		return nil
	}
	var out []domain.Premises
	for _, p := range house {
		if flatText(p.Flat) == text {
			out = append(out, p)
		}
	}
	return out
}

// pickExact is the match of the premises found by their exact flat number: the record of
// the whole flat, or, when the flat is on record only room by room, all its rooms for a
// person to confirm.
func pickExact(found []domain.Premises) Result {
	r := Result{Method: MethodHouseFlat}
	whole := slices.DeleteFunc(slices.Clone(found), func(p domain.Premises) bool { return strings.TrimSpace(p.Room) != "" })
	if len(whole) > 0 {
		found = whole
	}
	r.Premises = found
	if len(found) > 1 {
		r.review(CodeAmbiguous, "квартире № %s соответствуют %d записей: %s", strings.TrimSpace(found[0].Flat), len(found), idList(found))
	}
	return r
}

// matchAddress is the last resort: the address line. houseTried tells whether a house was
// looked up before (by GUID), so that finding nothing means no house of the organization.
func matchAddress(ctx context.Context, l Lookup, sr domain.SubRequest, kind objectKind, tried []string, houseTried bool) (Result, error) {
	var r Result
	key := domain.AddressKey(sr.Address)
	if key != "" {
		houseTried = true
		ps, err := l.PremisesByAddressKey(ctx, sr.OrgGUID, key)
		if err != nil {
			return Result{}, fmt.Errorf("match sub-request %s: premises by address: %w", sr.GUID, err)
		}
		if ps = dedupe(ps); len(ps) > 0 {
			r.Premises, r.Method = ps, MethodAddress
			r.review(CodeAddressOnly, "помещение найдено только по строке адреса «%s»: %s", sr.Address, idList(ps))
			if kind != kindHouse && len(ps) > 1 {
				r.review(CodeAmbiguous, "по адресу найдено %d помещений, ожидалось одно", len(ps))
			}
			return r, nil
		}
		tried = append(tried, "адрес «"+sr.Address+"»")
	}
	if len(tried) == 0 {
		r.review(CodeNoMatch, "в запросе нет ни кода помещения в ГИС ЖКХ, ни дома, ни адреса")
		return r, nil
	}
	if !houseTried {
		// Only an object GUID was looked up: the house itself is not known to be foreign.
		r.review(CodeNoMatch, "помещение не найдено среди помещений организации; проверено: %s", strings.Join(tried, "; "))
		return r, nil
	}
	r.review(CodeNoHouse, "дом не найден среди домов организации; проверено: %s", strings.Join(tried, "; "))
	return r, nil
}

func filter(ps []domain.Premises, flat, room string) []domain.Premises {
	var out []domain.Premises
	for _, p := range ps {
		if normalizeStored(p.Flat, false) == flat && normalizeStored(p.Room, true) == room {
			out = append(out, p)
		}
	}
	return out
}

func filterFlatAnyRoom(ps []domain.Premises, flat string) []domain.Premises {
	var out []domain.Premises
	for _, p := range ps {
		if normalizeStored(p.Flat, false) == flat {
			out = append(out, p)
		}
	}
	return out
}

func filterRoomAnyFlat(ps []domain.Premises, room string) []domain.Premises {
	var out []domain.Premises
	for _, p := range ps {
		if normalizeStored(p.Room, true) == room {
			out = append(out, p)
		}
	}
	return out
}

// dedupe drops repeated premises (same organization and id) and orders by id, organization.
func dedupe(ps []domain.Premises) []domain.Premises {
	if sortedUnique(ps) {
		// Most lookups return premises in this order already (by premises id and
		// organization, each once): nothing to drop or sort, so no copy.
		return slices.Clip(ps)
	}
	type key struct{ org, id string }
	seen := make(map[key]bool, len(ps))
	out := ps[:0:0]
	for _, p := range ps {
		k := key{p.OrgGUID, p.ID}
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b domain.Premises) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), strings.Compare(a.OrgGUID, b.OrgGUID))
	})
	return out
}

// sortedUnique reports whether ps is strictly increasing by premises id, organization.
func sortedUnique(ps []domain.Premises) bool {
	for i := 1; i < len(ps); i++ {
		if cmp.Or(strings.Compare(ps[i-1].ID, ps[i].ID), strings.Compare(ps[i-1].OrgGUID, ps[i].OrgGUID)) >= 0 {
			return false
		}
	}
	return true
}

func idList(ps []domain.Premises) string {
	const shown = 10
	ids := make([]string, 0, shown+1)
	for i, p := range ps {
		if i == shown {
			ids = append(ids, fmt.Sprintf("и ещё %d", len(ps)-shown))
			break
		}
		ids = append(ids, p.ID)
	}
	return strings.Join(ids, ", ")
}

func houseName(sr domain.SubRequest) string {
	if sr.HouseGUID != "" {
		return sr.HouseGUID
	}
	return sr.FIASHouseGUID
}
