package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// migrationSteps are the parts of migrations that SQL cannot do, run in the migration's
// transaction after its SQL.
var migrationSteps = map[string]func(ctx context.Context, tx pgx.Tx) error{
	"0010_flat_key": backfillFlatKeys,
}

// backfillFlatKeys fills flat_key for the stored premises. A store has few distinct flat
// numbers (its houses repeat "1" to "200"), so the keys are computed once per number and
// set with one statement.
func backfillFlatKeys(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT DISTINCT flat FROM premises WHERE flat <> ''`)
	if err != nil {
		return fmt.Errorf("read flat numbers: %w", err)
	}
	flats, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("read flat numbers: %w", err)
	}
	var fs, ks []string
	for _, f := range flats {
		if k := match.FlatKey(f); k != "" {
			fs, ks = append(fs, f), append(ks, k)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE premises p SET flat_key = u.k FROM unnest($1::text[], $2::text[]) AS u(f, k)
		WHERE p.flat = u.f`, fs, ks); err != nil {
		return fmt.Errorf("fill flat keys of %d flat numbers: %w", len(fs), err)
	}
	return nil
}

// PremisesByHouseFlats returns, for each (house, flat key), the premises of org (or of no
// organization) in that house (GIS or FIAS GUID) whose flat_key is that key, in the order
// PremisesByHouse returns them: the flats asked for, through the (house, flat_key) indexes,
// not the whole house. Keys without premises are absent; an empty house matches nothing.
func (s *Store) PremisesByHouseFlats(ctx context.Context, org string, keys []domain.HouseFlat) (map[domain.HouseFlat][]domain.Premises, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	keys = storecore.HouseFlatKeys(keys)
	out := make(map[domain.HouseFlat][]domain.Premises)
	if len(keys) == 0 {
		return out, nil
	}
	houses, flats := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		houses[i], flats[i] = k.House, k.FlatKey
	}
	// Two joins, one per index, rather than an OR that neither index serves; UNION drops
	// the second copy of a premises whose GIS and FIAS GUIDs are both asked for.
	rows, err := s.pool.Query(ctx, `WITH q AS (SELECT * FROM unnest($2::text[], $3::text[]) AS q(house, flat_key))
		SELECT `+premisesCols+`, flat_key FROM (
			SELECT p.* FROM q JOIN premises p ON p.house_guid = q.house AND p.flat_key = q.flat_key
			WHERE p.org_guid = $1 OR p.org_guid = ''
			UNION
			SELECT p.* FROM q JOIN premises p ON p.fias_house_guid = q.house AND p.flat_key = q.flat_key
			WHERE p.org_guid = $1 OR p.org_guid = '') AS p
		ORDER BY premise_id COLLATE "C", org_guid COLLATE "C"`, org, houses, flats)
	if err != nil {
		return nil, fmt.Errorf("look up premises of %d flats: %w", len(keys), translate(err))
	}
	found, err := scanFlatRows(rows)
	if err != nil {
		return nil, fmt.Errorf("look up premises of %d flats: %w", len(keys), err)
	}
	storecore.GroupHouseFlats(found, keys, out)
	return out, nil
}

// scanFlatRows reads rows of premisesCols and flat_key, a row's text as one string
// (rawRow).
func scanFlatRows(rows pgx.Rows) ([]storecore.FlatRow, error) {
	defer rows.Close()
	out := []storecore.FlatRow{}
	var t rawRow
	for rows.Next() {
		var r storecore.FlatRow
		ok := false
		if r.Premises, ok = t.premises(rows); ok {
			r.FlatKey = t.str(9, &ok)
		}
		if !ok {
			var err error
			if r, err = scanFlatRow(rows); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// scanFlatRow reads a row by rows.Scan, in a function of its own as scanPremisesRow.
func scanFlatRow(rows pgx.Rows) (storecore.FlatRow, error) {
	var r storecore.FlatRow
	err := rows.Scan(&r.OrgGUID, &r.ID, &r.HMObjectGUID, &r.HouseGUID, &r.FIASHouseGUID, &r.Flat,
		&r.Room, &r.Address, &r.AccountNumber, &r.FlatKey)
	return r, err
}
