package sqlitestore

import (
	"context"
	"fmt"

	"github.com/gisgw/gisgw/responder/domain"
)

// PremisesByHMObject returns the premises of org (or of no organization) with that
// HMobjectGUID.
func (s *Store) PremisesByHMObject(ctx context.Context, org, hmObjectGUID string) ([]domain.Premises, error) {
	return s.premisesWhere(ctx, "hm_object_guid = ?", org, hmObjectGUID)
}

// PremisesByHouse returns the premises of org (or of no organization) in the house with that
// GIS house GUID or FIAS house GUID.
func (s *Store) PremisesByHouse(ctx context.Context, org, houseGUID string) ([]domain.Premises, error) {
	return s.premisesWhere(ctx, "(house_guid = ?1 OR fias_house_guid = ?1)", org, houseGUID)
}

// PremisesByAddressKey returns the premises of org (or of no organization) whose address has
// that key (see store.AddressKey).
func (s *Store) PremisesByAddressKey(ctx context.Context, org, key string) ([]domain.Premises, error) {
	return s.premisesWhere(ctx, "address_key = ?", org, key)
}

// orgOrShared selects the premises of org ?2 or of no organization. The unary + keeps
// SQLite from searching by org_guid (the primary key's first column): it selects nearly every
// row, and without statistics the planner would walk the organization's whole premises for
// one house instead of using the key's own index.
const orgOrShared = `(+org_guid = ?2 OR +org_guid = '')`

func (s *Store) premisesWhere(ctx context.Context, cond, org, value string) ([]domain.Premises, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	// An empty key would match every premises that lacks the attribute.
	if value == "" {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+premisesCols+` FROM premises
		WHERE `+cond+` AND `+orgOrShared+` ORDER BY premise_id, org_guid`, value, org)
	if err != nil {
		return nil, fmt.Errorf("look up premises: %w", translate(err))
	}
	ps, err := scanPremises(rows)
	if err != nil {
		return nil, fmt.Errorf("look up premises: %w", err)
	}
	return ps, nil
}

// CourtActsByPremises returns the court acts at the given premises ids with their debtors,
// documents and agreements, ordered by premises id, organization and act id.
func (s *Store) CourtActsByPremises(ctx context.Context, premisesIDs []string) ([]domain.CourtAct, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	var out []domain.CourtAct
	ids := dedupe(premisesIDs)
	// Bounded IN lists stay well under SQLite's limit on bound parameters.
	const chunk = 500
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		in, args := inList(ids[:n], chunk)
		ids = ids[n:]
		rows, err := s.rc.QueryContext(ctx, `SELECT `+actCols+`, `+debtorCols+` FROM court_acts a
			LEFT JOIN court_act_debtors d ON d.org_guid = a.org_guid AND d.act_id = a.act_id
			WHERE a.premise_id IN (`+in+`)
			ORDER BY a.premise_id, a.org_guid, a.act_id, d.position`, args...)
		if err != nil {
			return nil, fmt.Errorf("read court acts: %w", translate(err))
		}
		acts, err := scanActs(rows)
		if err != nil {
			return nil, err
		}
		for _, r := range acts {
			out = append(out, r.Act)
		}
	}
	sortActs(out)
	if err := s.attachAgreements(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}
