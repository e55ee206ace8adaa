package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// InventoryActs returns every court act of org ("" for all) with debtors, agreements, the
// address of its premises and its balance history, ordered by organization and act id.
func (s *Store) InventoryActs(ctx context.Context, org string) ([]storecore.InventoryAct, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+actCols+`, `+debtorCols+` FROM court_acts a
		LEFT JOIN court_act_debtors d ON d.org_guid = a.org_guid AND d.act_id = a.act_id
		WHERE $1 = '' OR a.org_guid = $1
		ORDER BY a.org_guid COLLATE "C", a.act_id COLLATE "C", d.position`, org)
	if err != nil {
		return nil, fmt.Errorf("inventory: read court acts: %w", translate(err))
	}
	stored, err := scanActs(rows)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	acts := make([]domain.CourtAct, len(stored))
	for i, r := range stored {
		acts[i] = r.Act
	}
	if err := s.attachAgreements(ctx, acts); err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	type key struct{ org, id string }
	out := make([]storecore.InventoryAct, len(acts))
	at := make(map[key]int, len(acts))
	for i, a := range acts {
		out[i].Act = a
		at[key{a.OrgGUID, a.ID}] = i
	}

	rows, err = s.pool.Query(ctx, `SELECT a.org_guid, a.act_id, p.address FROM court_acts a
		JOIN premises p ON p.org_guid = a.premises_org AND p.premise_id = a.premise_id
		WHERE $1 = '' OR a.org_guid = $1`, org)
	if err != nil {
		return nil, fmt.Errorf("inventory: read addresses: %w", translate(err))
	}
	var k key
	var address string
	if _, err := pgx.ForEachRow(rows, []any{&k.org, &k.id, &address}, func() error {
		if i, ok := at[k]; ok {
			out[i].Address = address
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("inventory: read addresses: %w", translate(err))
	}

	rows, err = s.pool.Query(ctx, `SELECT org_guid, act_id, balance_on, outstanding, outstanding_unknown
		FROM balance_history WHERE $1 = '' OR org_guid = $1 ORDER BY balance_on`, org)
	if err != nil {
		return nil, fmt.Errorf("inventory: read balance history: %w", translate(err))
	}
	var (
		on          pgtype.Date
		outstanding int64
		unknown     bool
	)
	if _, err := pgx.ForEachRow(rows, []any{&k.org, &k.id, &on, &outstanding, &unknown}, func() error {
		if i, ok := at[k]; ok {
			out[i].Balances = append(out[i].Balances, storecore.Balance{On: dateOf(on), Outstanding: domain.Money(outstanding), Unknown: unknown})
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("inventory: read balance history: %w", translate(err))
	}
	return out, nil
}
