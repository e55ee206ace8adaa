package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// The batched forms of the decide step's reads and writes. The pipeline decides up to 100
// sub-requests per claim; one statement per batch instead of one (or three) per sub-request
// is what makes the difference on a database across a network.

// PremisesByHMObjects returns, for each of the HMobjectGUIDs, what PremisesByHMObject would:
// the premises of org (or of no organization) with it, in the same order. Keys without
// premises are absent; empty keys match nothing.
func (s *Store) PremisesByHMObjects(ctx context.Context, org string, hmObjectGUIDs []string) (map[string][]domain.Premises, error) {
	return s.premisesByKeys(ctx, "hm_object_guid = ANY($2)", org, hmObjectGUIDs, storecore.HMObjectKeys)
}

// PremisesByHouses returns, for each of the house GUIDs (GIS or FIAS), what PremisesByHouse
// would: the premises of org (or of no organization) in that house, in the same order.
func (s *Store) PremisesByHouses(ctx context.Context, org string, houseGUIDs []string) (map[string][]domain.Premises, error) {
	return s.premisesByKeys(ctx, "(house_guid = ANY($2) OR fias_house_guid = ANY($2))", org, houseGUIDs, storecore.HouseKeys)
}

// PremisesByAddressKeys returns, for each of the address keys, what PremisesByAddressKey
// would, in the same order.
func (s *Store) PremisesByAddressKeys(ctx context.Context, org string, keys []string) (map[string][]domain.Premises, error) {
	return s.premisesByKeys(ctx, "address_key = ANY($2)", org, keys, storecore.AddressKeys)
}

func (s *Store) premisesByKeys(ctx context.Context, cond, org string, keys []string, keysOf func(domain.Premises) []string) (map[string][]domain.Premises, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	keys = storecore.LookupKeys(keys)
	if len(keys) == 0 {
		return map[string][]domain.Premises{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+premisesCols+` FROM premises
		WHERE (org_guid = $1 OR org_guid = '') AND `+cond+` ORDER BY premise_id COLLATE "C", org_guid COLLATE "C"`, org, keys)
	if err != nil {
		return nil, fmt.Errorf("look up premises of %d keys: %w", len(keys), translate(err))
	}
	ps, err := scanPremises(rows)
	if err != nil {
		return nil, fmt.Errorf("look up premises of %d keys: %w", len(keys), err)
	}
	return storecore.GroupPremises(ps, keys, keysOf), nil
}

// SaveDecisions does what SaveDecision does for every decision of the batch, in one
// transaction and a handful of statements: each decision is stored as the current one, its
// sub-request moves to its state with the lease ended, and each gets its audit entry. When
// any sub-request is unknown (ErrNotFound) or can no longer be decided (ErrConflict), nothing
// is written.
func (s *Store) SaveDecisions(ctx context.Context, ups []domain.DecisionUpdate) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if len(ups) == 0 {
		return nil
	}
	now := storecore.Stamp(s.now())
	ups, guids, err := storecore.CheckDecisionBatch(ups, now)
	if err != nil {
		return fmt.Errorf("save decisions: %w", err)
	}
	n := len(ups)
	var (
		decidedAt             = make([]time.Time, n)
		rules, bys, comments  = make([]string, n), make([]string, n), make([]string, n)
		bodies, states, notes = make([]string, n), make([]string, n), make([]string, n)
		hasDebt, review       = make([]bool, n), make([]bool, n)
	)
	// The bodies are encoded into one buffer and cut from one string: one allocation for
	// the batch's bodies, not two per decision.
	buf := make([]byte, 0, 1024*n) // a decision's body is 300-1,000 bytes
	ends := make([]int, n)
	for i, u := range ups {
		d := u.Decision
		if buf, err = storecore.AppendDecision(buf, d); err != nil {
			return fmt.Errorf("save decisions: %w", err)
		}
		ends[i] = len(buf)
		decidedAt[i], rules[i], hasDebt[i], review[i] = d.DecidedAt, d.RuleVersion, d.HasDebt, d.Review
		bys[i], comments[i], states[i] = d.DecidedBy, d.Comment, string(u.State)
	}
	all := string(buf)
	for i, start := 0, 0; i < n; i++ {
		bodies[i], start = all[start:ends[i]], ends[i]
	}
	err = s.write(ctx, func(tx pgx.Tx) error {
		// Locked in GUID order, so that two replicas saving overlapping batches (after a lease
		// expired) wait for each other instead of deadlocking.
		// The rows' ctids (stable while they stay locked) let the UPDATE below find them
		// without a second descent of the primary key per row.
		rows, err := tx.Query(ctx, `SELECT guid, state, ctid FROM sub_requests WHERE guid = ANY($1)
			ORDER BY guid COLLATE "C" FOR UPDATE`, guids)
		if err != nil {
			return fmt.Errorf("lock sub-requests: %w", err)
		}
		type row struct {
			state domain.State
			tid   pgtype.TID
		}
		stored := make(map[string]row, n)
		var (
			g, st string // outside the loop: Scan puts them on the heap
			tid   pgtype.TID
		)
		for rows.Next() {
			if err := rows.Scan(&g, &st, &tid); err != nil {
				rows.Close()
				return fmt.Errorf("lock sub-requests: %w", err)
			}
			stored[g] = row{domain.State(st), tid}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("lock sub-requests: %w", err)
		}
		tids := make([]pgtype.TID, n)
		for i, g := range guids {
			r, ok := stored[g]
			if !ok {
				return fmt.Errorf("sub-request %s: %w", g, domain.ErrNotFound)
			}
			if !storecore.Decidable(r.state) {
				return fmt.Errorf("sub-request %s is %s and can no longer be decided: %w", g, r.state, domain.ErrConflict)
			}
			notes[i], tids[i] = storecore.DecisionDetail(ups[i].Decision, r.state, ups[i].State), r.tid
		}
		// unnest keeps the batch's order, so decision and audit ids follow it.
		b := &pgx.Batch{}
		b.Queue(`SET LOCAL synchronous_commit = off`) // see relaxedCommit
		b.Queue(`INSERT INTO decisions (subrequest_guid, decided_at, rule_version, has_debt, review, decided_by,
			comment, body)
			SELECT g, t, r, h, v, b, c, body::json
			FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::bool[], $5::bool[], $6::text[], $7::text[], $8::text[])
				AS u(g, t, r, h, v, b, c, body)`,
			guids, decidedAt, rules, hasDebt, review, bys, comments, bodies)
		b.Queue(`UPDATE sub_requests s SET state = u.state, updated_at = $3, lease_owner = '', lease_until = NULL
			FROM unnest($1::tid[], $2::text[]) AS u(tid, state) WHERE s.ctid = u.tid`, tids, states, now)
		b.Queue(`INSERT INTO audit (subrequest_guid, at, actor, action, detail)
			SELECT g, $2, $3, 'decided', d FROM unnest($1::text[], $4::text[]) AS u(g, d)`,
			guids, now, storecore.SystemActor, notes)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("store %d decisions: %w", n, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save decisions: %w", err)
	}
	return nil
}
