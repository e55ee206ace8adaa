package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// migrationSteps are the parts of migrations that SQL cannot do, run in the migration's
// transaction after its SQL.
var migrationSteps = map[string]func(ctx context.Context, tx *sql.Tx) error{
	"0010_flat_key": backfillFlatKeys,
}

// backfillFlatKeys fills flat_key for the stored premises. A store has few distinct flat
// numbers (its houses repeat "1" to "200"), so the keys are computed once per number and
// set by one statement through a temporary table.
func backfillFlatKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT flat FROM premises WHERE flat <> ''`)
	if err != nil {
		return fmt.Errorf("read flat numbers: %w", err)
	}
	var flats []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			rows.Close()
			return fmt.Errorf("read flat numbers: %w", err)
		}
		flats = append(flats, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read flat numbers: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE gisgw_flat_keys (flat TEXT PRIMARY KEY, flat_key TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("fill flat keys: %w", err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO temp.gisgw_flat_keys (flat, flat_key) VALUES (?, ?)`)
	if err != nil {
		return fmt.Errorf("fill flat keys: %w", err)
	}
	defer ins.Close()
	for _, f := range flats {
		if k := match.FlatKey(f); k != "" {
			if _, err := ins.ExecContext(ctx, f, k); err != nil {
				return fmt.Errorf("fill flat keys: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE premises SET flat_key = k.flat_key FROM temp.gisgw_flat_keys k
		WHERE premises.flat = k.flat`); err != nil {
		return fmt.Errorf("fill flat keys of %d flat numbers: %w", len(flats), err)
	}
	if _, err := tx.ExecContext(ctx, `DROP TABLE temp.gisgw_flat_keys`); err != nil {
		return fmt.Errorf("fill flat keys: %w", err)
	}
	return nil
}

// houseFlatsQuery selects the premises of the (house, flat key) pairs in values (?1 is the
// organization). Two joins, one per index, rather than an OR that neither index serves;
// UNION drops the second copy of a premises whose GIS and FIAS GUIDs are both asked for. No
// ORDER BY, so that the planner has no reason to walk premise_id's index instead (see
// premisesByKeys); the caller sorts. CROSS JOIN and INDEXED BY fix the plan: with
// statistics of a store whose FIAS GUIDs are mostly empty (one value for most rows), the
// planner scanned the whole premises table for the FIAS join, once per pair (the decide
// step's CPU in the end-to-end run); a lookup of a few pairs is always the index's.
func houseFlatsQuery(values string) string {
	return `WITH q(house, flat_key) AS (VALUES ` + values + `)
		SELECT ` + premisesCols + `, flat_key FROM (
			SELECT p.* FROM q CROSS JOIN premises p INDEXED BY premises_house_flat
				ON p.house_guid = q.house AND p.flat_key = q.flat_key
			WHERE +p.org_guid = ?1 OR +p.org_guid = ''
			UNION
			SELECT p.* FROM q CROSS JOIN premises p INDEXED BY premises_fias_house_flat
				ON p.fias_house_guid = q.house AND p.flat_key = q.flat_key
			WHERE +p.org_guid = ?1 OR +p.org_guid = '')`
}

// flatChunk bounds the (house, flat key) pairs bound in one statement: two parameters each.
const flatChunk = lookupChunk / 2

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
	for rest := keys; len(rest) > 0; {
		chunk := rest[:min(flatChunk, len(rest))]
		rest = rest[len(chunk):]
		// ?1 is org; the pairs follow, padded with NULL pairs (see padded), which match
		// nothing.
		n := padded(len(chunk), flatChunk)
		args := make([]any, 2*n+1)
		args[0] = org
		var values strings.Builder
		for i := range n {
			if i > 0 {
				values.WriteString(", ")
			}
			fmt.Fprintf(&values, "(?%d, ?%d)", 2*i+2, 2*i+3)
			if i < len(chunk) {
				args[2*i+1], args[2*i+2] = chunk[i].House, chunk[i].FlatKey
			}
		}
		rows, err := s.rc.QueryContext(ctx, houseFlatsQuery(values.String()), args...)
		if err != nil {
			return nil, fmt.Errorf("look up premises of %d flats: %w", len(chunk), translate(err))
		}
		found, err := collect(rows, func(r scanner) (storecore.FlatRow, error) {
			var f storecore.FlatRow
			err := r.Scan(&f.OrgGUID, &f.ID, &f.HMObjectGUID, &f.HouseGUID, &f.FIASHouseGUID, &f.Flat,
				&f.Room, &f.Address, &f.AccountNumber, &f.FlatKey)
			return f, err
		})
		if err != nil {
			return nil, fmt.Errorf("look up premises of %d flats: %w", len(chunk), err)
		}
		slices.SortFunc(found, func(a, b storecore.FlatRow) int { return storecore.ComparePremises(a.Premises, b.Premises) })
		// Chunks hold distinct keys, so each key's premises come from one chunk, in order.
		storecore.GroupHouseFlats(found, chunk, out)
	}
	return out, nil
}
