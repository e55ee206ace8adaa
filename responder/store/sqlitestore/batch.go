package sqlitestore

import (
	"context"
	"fmt"
	"strings"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// The batched forms of the decide step's reads and writes. SQLite is in-process, so the gain
// is fewer statement preparations and, above all, one commit (one WAL sync) per batch
// instead of one per sub-request.

// lookupChunk bounds the keys bound in one statement, well under SQLite's parameter limit.
const lookupChunk = 500

// PremisesByHMObjects returns, for each of the HMobjectGUIDs, what PremisesByHMObject would:
// the premises of org (or of no organization) with it, in the same order. Keys without
// premises are absent; empty keys match nothing.
func (s *Store) PremisesByHMObjects(ctx context.Context, org string, hmObjectGUIDs []string) (map[string][]domain.Premises, error) {
	return s.premisesByKeys(ctx, func(in string) string { return "hm_object_guid IN (" + in + ")" },
		org, hmObjectGUIDs, storecore.HMObjectKeys)
}

// PremisesByHouses returns, for each of the house GUIDs (GIS or FIAS), what PremisesByHouse
// would: the premises of org (or of no organization) in that house, in the same order.
func (s *Store) PremisesByHouses(ctx context.Context, org string, houseGUIDs []string) (map[string][]domain.Premises, error) {
	return s.premisesByKeys(ctx, func(in string) string { return "(house_guid IN (" + in + ") OR fias_house_guid IN (" + in + "))" },
		org, houseGUIDs, storecore.HouseKeys)
}

// PremisesByAddressKeys returns, for each of the address keys, what PremisesByAddressKey
// would, in the same order.
func (s *Store) PremisesByAddressKeys(ctx context.Context, org string, keys []string) (map[string][]domain.Premises, error) {
	return s.premisesByKeys(ctx, func(in string) string { return "address_key IN (" + in + ")" },
		org, keys, storecore.AddressKeys)
}

func (s *Store) premisesByKeys(ctx context.Context, cond func(in string) string, org string, keys []string,
	keysOf func(domain.Premises) []string) (map[string][]domain.Premises, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	keys = storecore.LookupKeys(keys)
	out := make(map[string][]domain.Premises)
	for rest := keys; len(rest) > 0; {
		chunk := rest[:min(lookupChunk, len(rest))]
		rest = rest[len(chunk):]
		// Numbered parameters: ?1 is the first key, ?2 org (as orgOrShared expects), ?3… the
		// other keys, so that the key list can appear twice in cond. The list is padded with
		// NULLs (see padded).
		n := padded(len(chunk), lookupChunk)
		args := make([]any, n+1)
		args[0], args[1] = chunk[0], org
		for i, k := range chunk[1:] {
			args[i+2] = k
		}
		in := make([]byte, 0, 6*n)
		in = append(in, "?1"...)
		for i := 3; i <= n+1; i++ {
			in = fmt.Appendf(in, ", ?%d", i)
		}
		// No ORDER BY: to skip the sort, SQLite's planner would walk the whole table in
		// premise_id order rather than search the house indexes (seen with a few houses in
		// a store of 100,000 premises). Sorted below, as SQLite's BINARY collation would.
		rows, err := s.rc.QueryContext(ctx, `SELECT `+premisesCols+` FROM premises
			WHERE `+cond(string(in))+` AND `+orgOrShared, args...)
		if err != nil {
			return nil, fmt.Errorf("look up premises of %d keys: %w", len(chunk), translate(err))
		}
		ps, err := scanPremises(rows)
		if err != nil {
			return nil, fmt.Errorf("look up premises of %d keys: %w", len(chunk), err)
		}
		storecore.SortPremises(ps)
		// Chunks hold distinct keys, so each key's premises come from one chunk, in order.
		for k, v := range storecore.GroupPremises(ps, chunk, keysOf) {
			out[k] = v
		}
	}
	return out, nil
}

// SaveDecisions does what SaveDecision does for every decision of the batch, in one
// transaction: each decision is stored as the current one, its sub-request moves to its
// state with the lease ended, and each gets its audit entry. When any sub-request is unknown
// (ErrNotFound) or can no longer be decided (ErrConflict), nothing is written.
func (s *Store) SaveDecisions(ctx context.Context, ups []domain.DecisionUpdate) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if len(ups) == 0 {
		return nil
	}
	now := s.now()
	ups, guids, err := storecore.CheckDecisionBatch(ups, now)
	if err != nil {
		return fmt.Errorf("save decisions: %w", err)
	}
	err = s.writeCached(ctx, func(tx *cachedTx) error {
		// Every check before any write: the batch is stored whole or not at all. The states
		// are read in one statement per chunk, not one (prepared anew) per sub-request.
		states, err := currentStates(ctx, tx, guids)
		if err != nil {
			return err
		}
		from := make([]domain.State, len(ups))
		for i, g := range guids {
			st, ok := states[g]
			if !ok {
				return fmt.Errorf("sub-request %s: %w", g, domain.ErrNotFound)
			}
			if !storecore.Decidable(st) {
				return fmt.Errorf("sub-request %s is %s and can no longer be decided: %w", g, st, domain.ErrConflict)
			}
			from[i] = st
		}
		// Multi-row statements: a few per table instead of three statements per decision.
		// Their rows come in pieces of a power of two (saveLen), so that the statements
		// stay prepared. VALUES keeps the batch's order, so ids follow it.
		ts := stamp(now)
		byState := map[domain.State][]string{}
		var order []domain.State
		for lo := 0; lo < len(ups); {
			piece := ups[lo : lo+saveLen(len(ups)-lo)]
			decisions := make([]any, 0, 8*len(piece))
			for _, u := range piece {
				d := u.Decision
				body, err := storecore.EncodeDecision(d)
				if err != nil {
					return err
				}
				decisions = append(decisions, d.SubRequestGUID, stamp(d.DecidedAt), d.RuleVersion,
					boolInt(d.HasDebt), boolInt(d.Review), d.DecidedBy, d.Comment, string(body))
				if _, ok := byState[u.State]; !ok {
					order = append(order, u.State)
				}
				byState[u.State] = append(byState[u.State], d.SubRequestGUID)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO decisions (subrequest_guid, decided_at, rule_version,
				has_debt, review, decided_by, comment, body) VALUES `+valuesRows(len(piece), "(?, ?, ?, ?, ?, ?, ?, ?)"), decisions...); err != nil {
				return fmt.Errorf("store %d decisions: %w", len(piece), err)
			}
			lo += len(piece)
		}
		for _, st := range order {
			for rest := byState[st]; len(rest) > 0; {
				chunk := rest[:min(lookupChunk, len(rest))]
				rest = rest[len(chunk):]
				in, args := inList(chunk, lookupChunk)
				if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET state = ?, updated_at = ?, lease_owner = '',
					lease_until = NULL WHERE guid IN (`+in+`)`, append([]any{string(st), ts}, args...)...); err != nil {
					return fmt.Errorf("set state of %d sub-requests to %s: %w", len(chunk), st, err)
				}
			}
		}
		for lo := 0; lo < len(ups); {
			n := saveLen(len(ups) - lo)
			audits := make([]any, 0, 4*n)
			for i, u := range ups[lo : lo+n] {
				d := u.Decision
				audits = append(audits, d.SubRequestGUID, ts, storecore.SystemActor, storecore.DecisionDetail(d, from[lo+i], u.State))
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit (subrequest_guid, at, actor, action, detail)
				VALUES `+valuesRows(n, "(?, ?, ?, 'decided', ?)"), audits...); err != nil {
				return fmt.Errorf("write %d audit entries: %w", n, err)
			}
			lo += n
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save decisions: %w", err)
	}
	return nil
}

// saveChunk bounds the decisions of one multi-row statement: 8 parameters each, well under
// SQLite's limit. A power of two (see saveLen).
const saveChunk = 128

// saveLen is the rows of the next multi-row statement for n rows still to write: the
// largest power of two up to n and saveChunk, so that a batch of any size uses a few
// statement texts (100 rows: 64, 32 and 4).
func saveLen(n int) int {
	p := saveChunk
	for p > n {
		p /= 2
	}
	return p
}

// valuesRows is n copies of one VALUES row, comma-separated.
func valuesRows(n int, row string) string {
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// currentStates returns the state of each of guids that is stored.
func currentStates(ctx context.Context, tx txQuerier, guids []string) (map[string]domain.State, error) {
	out := make(map[string]domain.State, len(guids))
	for rest := guids; len(rest) > 0; {
		chunk := rest[:min(lookupChunk, len(rest))]
		rest = rest[len(chunk):]
		in, args := inList(chunk, lookupChunk)
		rows, err := tx.QueryContext(ctx, `SELECT guid, state FROM sub_requests WHERE guid IN (`+in+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read states of %d sub-requests: %w", len(chunk), err)
		}
		for rows.Next() {
			var g, st string
			if err := rows.Scan(&g, &st); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read states of %d sub-requests: %w", len(chunk), err)
			}
			out[g] = domain.State(st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read states of %d sub-requests: %w", len(chunk), err)
		}
	}
	return out, nil
}
