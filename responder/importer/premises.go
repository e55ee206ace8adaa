package importer

import (
	"github.com/gisgw/gisgw/responder/domain"
)

// ParsePremises validates a premises table. On any problem it returns a *RowErrors listing
// every one of them, and no premises.
func ParsePremises(t *Table) ([]domain.Premises, error) {
	if err := wrongKind(t, "premises"); err != nil {
		return nil, err
	}
	errs := &collector{errs: append([]RowError(nil), t.Problems...)}
	known := premisesColumns()
	cols := mapHeader(t, known, errs)
	guidCols := []string{"hm_object_guid", "house_guid", "fias_house_guid"}
	anyGUIDCol := cols.has(guidCols[0]) || cols.has(guidCols[1]) || cols.has(guidCols[2])
	if !anyGUIDCol {
		errs.add(t.HeaderRow, "hm_object_guid", "one of the columns hm_object_guid, house_guid, fias_house_guid is required")
	}
	seen := make(map[string]int, len(t.Rows))
	out := make([]domain.Premises, 0, len(t.Rows))
	for _, r := range t.Rows {
		before := len(errs.errs)
		cellTooLong(r, cols, known, errs)
		// Fields are read in column order so that a row's errors are listed in that order.
		var p domain.Premises
		p.ID = required(r, cols, errs, "premise_id")
		p.HMObjectGUID = guidCell(r, cols, errs, "hm_object_guid")
		p.HouseGUID = guidCell(r, cols, errs, "house_guid")
		p.FIASHouseGUID = guidCell(r, cols, errs, "fias_house_guid")
		if anyGUIDCol {
			requireOne(r, cols, errs, guidCols...)
		}
		p.Flat, p.Room = cols.get(r, "flat"), cols.get(r, "room")
		p.Address = required(r, cols, errs, "address")
		p.AccountNumber = cols.get(r, "account_number")
		if p.ID != "" {
			if first, dup := seen[p.ID]; dup {
				errs.add(r.Line, "premise_id", "premises %q is already listed on line %d", clip(p.ID), first)
			} else {
				seen[p.ID] = r.Line
			}
		}
		if len(errs.errs) == before {
			out = append(out, p)
		}
	}
	if err := errs.err(""); err != nil {
		return nil, err
	}
	return out, nil
}
