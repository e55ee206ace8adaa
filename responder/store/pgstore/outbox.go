package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// The pipeline's side of the store: leases, the outbox, watermarks and the pull lock.
//
// Claims are one UPDATE over a sub-select with FOR UPDATE SKIP LOCKED, so replicas claiming
// together skip each other's rows instead of waiting, and a row whose lease another claim
// just took fails the re-checked WHERE. A lease is free when lease_until is NULL or past.
// The sub-select is an ARRAY(…) compared with = ANY: with IN (…) the planner joins it to a
// scan of every sub-request ever recorded; an array is looked up by primary key.
//
// Lease times are the database's clock (statement_timestamp()), never a replica's, so that a
// replica whose clock runs ahead cannot take another's live lease. Each lease query gets
// offsets in microseconds from that clock (see leaseAt); audit entries and other records
// keep the store's clock, and settledBefore and DeferReady's retry time stay the caller's.

// dbTime is the lease clock plus the offset (µs) in parameter n: the database's
// statement_timestamp(), or for a store on an injected clock the database's time when the
// store opened (see leaseAt).
func (s *Store) dbTime(n int) string {
	return fmt.Sprintf("(%s + $%d::bigint * interval '1 microsecond')", s.leaseClock, n)
}

// leaseFree is the condition that a row's lease is free at dbTime(n).
func (s *Store) leaseFree(n int) string {
	return `(lease_until IS NULL OR lease_until <= ` + s.dbTime(n) + `)`
}

// leaseAt is the offset (µs) for a lease of d from now. With the real clock that is d on
// the database's clock at the statement. A store with an injected clock (tests on simulated
// time, which advance it to expire leases) counts from the database's time at Open plus how
// far the injected clock moved since: its progress counts, its absolute value never does, so
// a replica whose clock is an hour ahead still cannot take a live lease.
func (s *Store) leaseAt(d time.Duration) int64 {
	if s.simulated {
		d += s.now().Sub(s.openedAt)
	}
	return d.Microseconds()
}

// endLease frees a sub-request's lease (SaveDecision: the decision is taken).
func endLease(ctx context.Context, tx pgx.Tx, guid string) error {
	if _, err := tx.Exec(ctx, `UPDATE sub_requests SET lease_owner = '', lease_until = NULL WHERE guid = $1`, guid); err != nil {
		return fmt.Errorf("end lease of sub-request %s: %w", guid, err)
	}
	return nil
}

// claim runs a claiming statement (an UPDATE of the rows a LIMIT … FOR UPDATE SKIP LOCKED
// sub-select picks in index order) with bitmap scans off, in one round trip. The planner
// costs the sub-select by the statistics of the last ANALYZE, usually taken when few rows
// were in the claimed state; it then reads every row in that state with a bitmap scan and
// sorts them all to keep the first few, so a pull of 20,000 new sub-requests cost each
// claim of 100 a read of all that were left (measured: 2,800 buffers and 7–30 ms per
// claim, half the decide step's server time). With bitmap scans off it walks the state
// index in the claim's order and stops at the limit, whatever the statistics say.
func (s *Store) claim(ctx context.Context, query string, args []any, collect func(pgx.Rows) error) error {
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`SET LOCAL enable_bitmapscan = off`)
	b.Queue(query, args...).Query(collect)
	b.Queue(`COMMIT`)
	return s.pool.SendBatch(ctx, b).Close()
}

func checkClaim(owner string, limit int, lease time.Duration) error {
	if err := storecore.CheckLease(owner, lease); err != nil {
		return err
	}
	if limit <= 0 {
		return fmt.Errorf("claim limit must be positive, not %d", limit)
	}
	return nil
}

// claimNewQuery is ClaimForDecision's statement: $1 owner, $2 and $3 the lease's end and now
// (leaseAt), $4 the limit.
func (s *Store) claimNewQuery() string {
	return `WITH s AS (
		UPDATE sub_requests u SET lease_owner = $1, lease_until = ` + s.dbTime(2) + `
		WHERE u.ctid = ANY(ARRAY(SELECT ctid FROM sub_requests
			WHERE state = 'new' AND ` + s.leaseFree(3) + `
			ORDER BY response_date NULLS LAST, guid COLLATE "C" LIMIT $4 FOR UPDATE SKIP LOCKED))
		RETURNING u.*)
		SELECT ` + subRequestCols + ` FROM s, ` + relaxedCommit + subRequestOrder
}

// ClaimForDecision leases up to limit sub-requests in state new whose lease is free or
// expired, earliest deadline first, to owner for lease.
func (s *Store) ClaimForDecision(ctx context.Context, owner string, limit int, lease time.Duration) ([]domain.SubRequest, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	if err := checkClaim(owner, limit, lease); err != nil {
		return nil, fmt.Errorf("claim sub-requests to decide: %w", err)
	}
	var out []domain.SubRequest
	err := s.claim(ctx, s.claimNewQuery(), []any{owner, s.leaseAt(lease), s.leaseAt(0), limit}, func(rows pgx.Rows) (err error) {
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.SubRequest, error) { return scanSubRequest(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim sub-requests to decide: %w", translate(err))
	}
	return out, nil
}

// ClaimReady leases up to limit ready sub-requests of org (free or expired lease, with a
// decision) to owner, earliest deadline first, and returns their current decisions in that
// order.
func (s *Store) ClaimReady(ctx context.Context, org, owner string, limit int, lease time.Duration) ([]domain.Decision, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	if err := checkClaim(owner, limit, lease); err != nil {
		return nil, fmt.Errorf("claim ready answers of %s: %w", org, err)
	}
	now := storecore.Stamp(s.now())
	var out []domain.Decision
	err := s.claim(ctx, `WITH c AS (
		UPDATE sub_requests u SET lease_owner = $2, lease_until = `+s.dbTime(3)+`
		WHERE u.ctid = ANY(ARRAY(SELECT x.ctid FROM sub_requests x
			WHERE x.org_guid = $1 AND x.state = 'ready' AND x.correction <> 'approved' AND `+s.leaseFree(4)+`
			AND (x.blocked_until IS NULL OR x.blocked_until <= $6)
			AND EXISTS (SELECT 1 FROM decisions e WHERE e.subrequest_guid = x.guid)
			ORDER BY x.response_date NULLS LAST, x.guid COLLATE "C" LIMIT $5 FOR UPDATE SKIP LOCKED))
		RETURNING u.guid, u.response_date)
		SELECT `+decisionCols+` FROM c
		JOIN LATERAL (SELECT * FROM decisions x WHERE x.subrequest_guid = c.guid ORDER BY x.id DESC LIMIT 1) d ON true
		ORDER BY c.response_date NULLS LAST, c.guid COLLATE "C"`,
		[]any{org, owner, s.leaseAt(lease), s.leaseAt(0), limit, now}, func(rows pgx.Rows) (err error) {
			out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Decision, error) { return scanDecision(r) })
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("claim ready answers of %s: %w", org, translate(err))
	}
	return out, nil
}

// ClaimRevokes leases up to limit ready sub-requests of org whose approved correction needs
// the sent answer revoked first (free or expired lease) to owner, earliest deadline first,
// and returns their GUIDs in that order.
func (s *Store) ClaimRevokes(ctx context.Context, org, owner string, limit int, lease time.Duration) ([]string, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	if err := checkClaim(owner, limit, lease); err != nil {
		return nil, fmt.Errorf("claim answers to revoke of %s: %w", org, err)
	}
	var out []string
	err := s.claim(ctx, `WITH c AS (
		UPDATE sub_requests u SET lease_owner = $2, lease_until = `+s.dbTime(3)+`
		WHERE u.ctid = ANY(ARRAY(SELECT x.ctid FROM sub_requests x
			WHERE x.org_guid = $1 AND x.state = 'ready' AND x.correction = 'approved' AND `+s.leaseFree(4)+`
			ORDER BY x.response_date NULLS LAST, x.guid COLLATE "C" LIMIT $5 FOR UPDATE SKIP LOCKED))
		RETURNING u.guid, u.response_date)
		SELECT guid FROM c ORDER BY response_date NULLS LAST, guid COLLATE "C"`,
		[]any{org, owner, s.leaseAt(lease), s.leaseAt(0), limit}, func(rows pgx.Rows) (err error) {
			out, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("claim answers to revoke of %s: %w", org, translate(err))
	}
	return out, nil
}

// CreateMessage stores m as a pending message leased to owner, with its actions, and moves
// every sub-request in it from ready (leased to owner, of m's organization) to sending, in one
// transaction. Any sub-request that is not so is ErrConflict and nothing is written. The
// sub-requests' leases end: from now on the message's lease covers them.
func (s *Store) CreateMessage(ctx context.Context, owner string, m domain.Message, lease time.Duration) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if err := storecore.CheckLease(owner, lease); err != nil {
		return fmt.Errorf("store outbox message %s: %w", m.ID, err)
	}
	if err := storecore.CheckMessage(m); err != nil {
		return fmt.Errorf("store outbox message: %w", err)
	}
	bodies := make([][]byte, len(m.Actions))
	guids := make([]string, len(m.Actions))
	for i, a := range m.Actions {
		b, err := storecore.EncodeDecision(a.Decision)
		if err != nil {
			return fmt.Errorf("store outbox message %s: %w", m.ID, err)
		}
		bodies[i], guids[i] = b, a.SubRequestGUID
	}
	now := storecore.Stamp(s.now())
	err := s.write(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE sub_requests SET state = 'sending', lease_owner = '', lease_until = NULL, updated_at = $4,
			blocked_reason = '', blocked_until = NULL
			WHERE guid = ANY($1) AND state = 'ready' AND lease_owner = $2 AND org_guid = $3 RETURNING guid`,
			guids, owner, m.OrgGUID, now)
		if err != nil {
			return fmt.Errorf("move sub-requests to sending: %w", err)
		}
		moved, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("move sub-requests to sending: %w", err)
		}
		if len(moved) != len(guids) {
			return s.notClaimed(ctx, tx, owner, m.OrgGUID, guids, moved)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO messages (id, org_guid, created_at, status, lease_owner, lease_until)
			VALUES ($1, $2, $3, 'pending', $4, `+s.dbTime(5)+`)`, m.ID, m.OrgGUID, now, owner, s.leaseAt(lease)); err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		var b pgx.Batch
		for i, a := range m.Actions {
			b.Queue(`INSERT INTO message_actions (message_id, position, transport_guid, subrequest_guid, kind, decision)
				VALUES ($1, $2, $3, $4, $5, $6)`, m.ID, i, a.TransportGUID, a.SubRequestGUID, string(a.Kind), bodies[i])
			b.Queue(`INSERT INTO audit (subrequest_guid, at, actor, action, detail) VALUES ($1, $2, $3, 'queued', $4)`,
				a.SubRequestGUID, now, storecore.SystemActor, storecore.QueuedDetail(m.ID, a))
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("insert actions: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store outbox message %s: %w", m.ID, err)
	}
	return nil
}

// notClaimed explains which sub-requests of a new message are not ready and leased to owner.
func (s *Store) notClaimed(ctx context.Context, tx pgx.Tx, owner, org string, guids, moved []string) error {
	ok := make(map[string]bool, len(moved))
	for _, g := range moved {
		ok[g] = true
	}
	for _, g := range guids {
		if ok[g] {
			continue
		}
		var st, lo, o string
		err := tx.QueryRow(ctx, `SELECT state, lease_owner, org_guid FROM sub_requests WHERE guid = $1`, g).Scan(&st, &lo, &o)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("sub-request %s: %w", g, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read sub-request %s: %w", g, err)
		}
		return fmt.Errorf("sub-request %s is %s, leased to %q, of organization %q; want ready, leased to %q, of %q: %w",
			g, st, lo, o, owner, org, domain.ErrConflict)
	}
	return fmt.Errorf("sub-requests moved while the message was stored: %w", domain.ErrConflict)
}

// DeferReady puts ready sub-requests leased to owner aside until until, with reason: their
// lease ends, ClaimReady skips them until then, and the reason is kept for officers (audited
// when it differs from the one they had). Any that is not ready and leased to owner is
// ErrConflict (an unknown one ErrNotFound), and nothing is written.
func (s *Store) DeferReady(ctx context.Context, owner string, guids []string, until time.Time, reason string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if err := storecore.CheckDefer(owner, guids, until, reason); err != nil {
		return fmt.Errorf("put ready answers aside: %w", err)
	}
	if len(guids) == 0 {
		return nil
	}
	now := storecore.Stamp(s.now())
	err := s.write(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT guid, state, lease_owner, blocked_reason FROM sub_requests
			WHERE guid = ANY($1) ORDER BY guid COLLATE "C" FOR UPDATE`, guids)
		if err != nil {
			return fmt.Errorf("lock sub-requests: %w", err)
		}
		found := make(map[string]storecore.DeferRow, len(guids))
		var r storecore.DeferRow
		var st string
		if _, err := pgx.ForEachRow(rows, []any{&r.GUID, &st, &r.LeaseOwner, &r.Reason}, func() error {
			r.State = domain.State(st)
			found[r.GUID] = r
			return nil
		}); err != nil {
			return fmt.Errorf("lock sub-requests: %w", err)
		}
		audit, err := storecore.PlanDefer(owner, guids, reason, found)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sub_requests SET lease_owner = '', lease_until = NULL, blocked_reason = $2,
			blocked_until = $3, updated_at = $4 WHERE guid = ANY($1)`, guids, reason, storecore.Stamp(until), now); err != nil {
			return fmt.Errorf("put sub-requests aside: %w", err)
		}
		for _, g := range audit {
			if err := s.audit(ctx, tx, now, g, storecore.SystemActor, storecore.DeferAction, reason); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put ready answers aside: %w", err)
	}
	return nil
}

// messageStatus reads a message's status and GIS MessageGUID, locking the row.
func messageStatus(ctx context.Context, tx pgx.Tx, id string) (domain.MessageStatus, string, string, error) {
	var st, gis, owner string
	err := tx.QueryRow(ctx, `SELECT status, gis_message_guid, lease_owner FROM messages WHERE id = $1 FOR UPDATE`, id).Scan(&st, &gis, &owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", "", fmt.Errorf("outbox message %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return "", "", "", fmt.Errorf("read outbox message %s: %w", id, err)
	}
	return domain.MessageStatus(st), gis, owner, nil
}

// auditMessage writes one audit entry per action of message id.
func auditMessage(ctx context.Context, tx pgx.Tx, id string, now time.Time, action, detail string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO audit (subrequest_guid, at, actor, action, detail)
		SELECT subrequest_guid, $2, $3, $4, $5 FROM message_actions WHERE message_id = $1 ORDER BY position`,
		id, now, storecore.SystemActor, action, detail); err != nil {
		return fmt.Errorf("write audit entries: %w", err)
	}
	return nil
}

// MarkMessageAcked records GIS's MessageGUID for a pending message and makes it acked.
// Marking it again with the same GUID changes nothing; another GUID is ErrConflict.
func (s *Store) MarkMessageAcked(ctx context.Context, id, gisMessageGUID string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if gisMessageGUID == "" {
		return fmt.Errorf("record Ack of message %s: empty GIS MessageGUID", id)
	}
	now := storecore.Stamp(s.now())
	err := s.write(ctx, func(tx pgx.Tx) error {
		st, gis, _, err := messageStatus(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case st != domain.MessagePending && gis == gisMessageGUID:
			return nil // a repeated Ack
		case st != domain.MessagePending:
			return fmt.Errorf("message %s is %s (GIS MessageGUID %q), cannot take GIS MessageGUID %s: %w", id, st, gis, gisMessageGUID, domain.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE messages SET status = 'acked', gis_message_guid = $2, attempts = 0 WHERE id = $1`, id, gisMessageGUID); err != nil {
			return fmt.Errorf("update message: %w", err)
		}
		return auditMessage(ctx, tx, id, now, "acknowledged", fmt.Sprintf("message %s: GIS MessageGUID %s", id, gisMessageGUID))
	})
	if err != nil {
		return fmt.Errorf("record Ack of message %s: %w", id, err)
	}
	return nil
}

// RecordAttempt counts a failed attempt on an unfinished message, keeps the error text and
// the time, and frees the message's lease: the attempt is over, and recovery takes the
// message up again (a pending one once the settle time from this attempt has passed, an
// acked one at once). A done message is left alone.
func (s *Store) RecordAttempt(ctx context.Context, id, errText string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	now := storecore.Stamp(s.now())
	err := s.write(ctx, func(tx pgx.Tx) error {
		st, _, _, err := messageStatus(ctx, tx, id)
		if err != nil || st == domain.MessageDone {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `UPDATE messages SET attempts = attempts + 1, last_error = $2, last_attempt_at = $3,
			lease_owner = '', lease_until = NULL WHERE id = $1 RETURNING attempts`, id, errText, now).Scan(&n); err != nil {
			return fmt.Errorf("update message: %w", err)
		}
		return auditMessage(ctx, tx, id, now, "attempt failed", fmt.Sprintf("message %s (%s), attempt %d: %s", id, st, n, errText))
	})
	if err != nil {
		return fmt.Errorf("record attempt of message %s: %w", id, err)
	}
	return nil
}

// RenewMessage extends owner's lease on an unfinished message to now+lease: ErrConflict when
// the lease is no longer owner's (freed by RecordAttempt or taken by another replica). A done
// message needs no lease: nil.
func (s *Store) RenewMessage(ctx context.Context, id, owner string, lease time.Duration) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if err := storecore.CheckLease(owner, lease); err != nil {
		return fmt.Errorf("renew lease on message %s: %w", id, err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE messages SET lease_until = `+s.dbTime(3)+` WHERE id = $1 AND lease_owner = $2 AND status <> 'done'`,
		id, owner, s.leaseAt(lease))
	if err != nil {
		return fmt.Errorf("renew lease on message %s: %w", id, translate(err))
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var st, lo string
	err = s.pool.QueryRow(ctx, `SELECT status, lease_owner FROM messages WHERE id = $1`, id).Scan(&st, &lo)
	if err != nil {
		return fmt.Errorf("renew lease on message %s: %w", id, translate(err))
	}
	if domain.MessageStatus(st) == domain.MessageDone {
		return nil
	}
	return fmt.Errorf("renew lease on message %s: it is leased to %q, not %q: %w", id, lo, owner, domain.ErrConflict)
}

// ClaimMessages leases up to limit unfinished messages whose lease is free or expired to
// owner, oldest first: acked ones at once, pending ones only when their last attempt (or
// their creation, if never attempted) is before settledBefore. They come with their actions
// in message order.
func (s *Store) ClaimMessages(ctx context.Context, owner string, settledBefore time.Time, limit int, lease time.Duration) ([]domain.Message, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	if err := checkClaim(owner, limit, lease); err != nil {
		return nil, fmt.Errorf("claim unfinished messages: %w", err)
	}
	var out []domain.Message
	err := s.write(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH c AS (
			UPDATE messages u SET lease_owner = $1, lease_until = `+s.dbTime(2)+`
			WHERE u.id IN (SELECT id FROM messages
				WHERE status <> 'done' AND `+s.leaseFree(3)+`
				AND (status = 'acked' OR coalesce(last_attempt_at, created_at) < $4)
				ORDER BY created_at, id COLLATE "C" LIMIT $5 FOR UPDATE SKIP LOCKED)
			RETURNING u.id, u.org_guid, u.created_at, u.status, u.gis_message_guid, u.attempts, u.last_error)
			SELECT * FROM c ORDER BY created_at, id COLLATE "C"`,
			owner, s.leaseAt(lease), s.leaseAt(0), storecore.Stamp(settledBefore), limit)
		if err != nil {
			return fmt.Errorf("lease messages: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Message, error) {
			var m domain.Message
			var st string
			err := r.Scan(&m.ID, &m.OrgGUID, &m.CreatedAt, &st, &m.GISMessageGUID, &m.Attempts, &m.LastError)
			m.Status, m.CreatedAt = domain.MessageStatus(st), m.CreatedAt.UTC()
			return m, err
		})
		if err != nil || len(out) == 0 {
			return err
		}
		ids := make([]string, len(out))
		index := make(map[string]int, len(out))
		for i, m := range out {
			ids[i], index[m.ID] = m.ID, i
		}
		rows, err = tx.Query(ctx, `SELECT message_id, transport_guid, subrequest_guid, kind, decision FROM message_actions
			WHERE message_id = ANY($1) ORDER BY message_id, position`, ids)
		if err != nil {
			return fmt.Errorf("read actions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				mid, kind string
				a         domain.Action
				body      []byte
			)
			if err := rows.Scan(&mid, &a.TransportGUID, &a.SubRequestGUID, &kind, &body); err != nil {
				return fmt.Errorf("read actions: %w", err)
			}
			a.Kind = domain.ActionKind(kind)
			if a.Decision, err = storecore.DecodeDecision(a.SubRequestGUID, body); err != nil {
				return err
			}
			i := index[mid]
			out[i].Actions = append(out[i].Actions, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim unfinished messages: %w", err)
	}
	return out, nil
}

// FinishMessage records each action's outcome and marks the message done, in one
// transaction. A sub-request still sending moves to its outcome's state (answered, failed,
// auto_answered, or ready again for a transient error, with no lease); one that GIS or a
// person closed meanwhile keeps its state. Actions without an outcome go back to ready. The
// GIS error is kept on failed and ready-again sub-requests. Finishing a done message again
// changes nothing.
func (s *Store) FinishMessage(ctx context.Context, id string, outcomes []domain.Outcome) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	now := storecore.Stamp(s.now())
	err := s.write(ctx, func(tx pgx.Tx) error {
		st, _, _, err := messageStatus(ctx, tx, id)
		if err != nil || st == domain.MessageDone {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT position, transport_guid, subrequest_guid, kind FROM message_actions
			WHERE message_id = $1 ORDER BY position`, id)
		if err != nil {
			return fmt.Errorf("read actions: %w", err)
		}
		actions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (storecore.StoredAction, error) {
			var a storecore.StoredAction
			var kind string
			err := r.Scan(&a.Position, &a.TransportGUID, &a.SubRequestGUID, &kind)
			a.Kind = domain.ActionKind(kind)
			return a, err
		})
		if err != nil {
			return fmt.Errorf("read actions: %w", err)
		}
		results, err := storecore.PlanFinish(id, actions, outcomes)
		if err != nil {
			return err
		}
		guids := make([]string, len(actions))
		for i, a := range actions {
			guids[i] = a.SubRequestGUID
		}
		// Lock in GUID order so that concurrent finishers cannot deadlock.
		rows, err = tx.Query(ctx, `SELECT guid, state, correction FROM sub_requests WHERE guid = ANY($1) ORDER BY guid COLLATE "C" FOR UPDATE`, guids)
		if err != nil {
			return fmt.Errorf("lock sub-requests: %w", err)
		}
		states := make(map[string]domain.State, len(guids))
		corrections := make(map[string]domain.Correction, len(guids))
		var g, sst, corr string
		if _, err := pgx.ForEachRow(rows, []any{&g, &sst, &corr}, func() error {
			states[g], corrections[g] = domain.State(sst), domain.Correction(corr)
			return nil
		}); err != nil {
			return fmt.Errorf("lock sub-requests: %w", err)
		}
		var b pgx.Batch
		for _, r := range results {
			b.Queue(`UPDATE message_actions SET outcome = $3, error_code = $4, error_text = $5 WHERE message_id = $1 AND position = $2`,
				id, r.Position, string(r.State), r.ErrorCode, r.ErrorText)
			from := states[r.SubRequestGUID]
			var f storecore.Finished
			if from == domain.StateSending {
				code, text := r.SubRequestError()
				f = storecore.FinishedOf(r, corrections[r.SubRequestGUID])
				// GIS's response status follows the outcome, so pages show what GIS now holds.
				b.Queue(`UPDATE sub_requests SET state = $2, error_code = $3, error_text = $4, lease_owner = '', lease_until = NULL,
					updated_at = $5, correction = $6, response_status = CASE $7::text WHEN '' THEN response_status ELSE $7 END
					WHERE guid = $1`, r.SubRequestGUID, string(f.State), code, text, now, string(f.Correction), f.ResponseStatus)
			}
			b.Queue(`INSERT INTO audit (subrequest_guid, at, actor, action, detail) VALUES ($1, $2, $3, 'result', $4)`,
				r.SubRequestGUID, now, storecore.SystemActor, storecore.ResultDetail(id, r, from))
			if f.Note != "" {
				b.Queue(`INSERT INTO audit (subrequest_guid, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)`,
					r.SubRequestGUID, now, storecore.SystemActor, storecore.CorrectionAction, f.Note)
			}
		}
		b.Queue(`UPDATE messages SET status = 'done', lease_owner = '', lease_until = NULL WHERE id = $1`, id)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("record outcomes: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish message %s: %w", id, err)
	}
	return nil
}

// UnfinishedMessages counts the outbox messages that are not done.
func (s *Store) UnfinishedMessages(ctx context.Context) (int, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE status <> 'done'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unfinished messages: %w", translate(err))
	}
	return n, nil
}

// Watermark returns the date through which org was last pulled (zero: never).
func (s *Store) Watermark(ctx context.Context, org string) (time.Time, error) {
	if err := s.usable(ctx); err != nil {
		return time.Time{}, err
	}
	var d pgtype.Date
	err := s.pool.QueryRow(ctx, `SELECT pulled_through FROM watermarks WHERE org_guid = $1`, org).Scan(&d)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read pull watermark of %s: %w", org, translate(err))
	}
	return dateOf(d), nil
}

// SetWatermark records that org was pulled through the date of t.
func (s *Store) SetWatermark(ctx context.Context, org string, t time.Time) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if t.IsZero() {
		return fmt.Errorf("set pull watermark of %s: empty date", org)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO watermarks (org_guid, pulled_through, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (org_guid) DO UPDATE SET pulled_through = excluded.pulled_through, updated_at = excluded.updated_at`,
		org, dateArg(storecore.Today(t)), storecore.Stamp(s.now())); err != nil {
		return fmt.Errorf("set pull watermark of %s: %w", org, translate(err))
	}
	return nil
}

// TryLockOrg takes a session advisory lock for pulling org on a connection of its own, which
// it keeps until unlock. The key hashes the schema with the org, so that gisgw installations
// in different schemas of one database do not exclude each other. ok is false (and unlock a
// no-op) when another session holds it.
func (s *Store) TryLockOrg(ctx context.Context, org string) (unlock func(), ok bool, err error) {
	if err := s.usable(ctx); err != nil {
		return nil, false, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock organization %s for pulling: %w", org, err)
	}
	const key = `hashtextextended('gisgw pull ' || current_schema() || ' ' || $1, 0)`
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+key+`)`, org).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("lock organization %s for pulling: %w", org, translate(err))
	}
	if !ok {
		conn.Release()
		return func() {}, false, nil
	}
	var once sync.Once
	return func() {
		once.Do(func() { unlockConn(conn, key, org) })
	}, true, nil
}

// unlockConn ends the pull lock and returns its connection to the pool.
func unlockConn(conn *pgxpool.Conn, key, org string) {
	// A fresh context: the unlock must run even when the caller's context ended.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+key+`)`, org); err != nil {
		// The session would keep the lock: close it so that the pool drops it.
		_ = conn.Conn().Close(ctx)
	}
	conn.Release()
}

// OpenPastDeadline lists the open sub-requests of org (domain.State.Open: failed ones
// included, so that the status refresh finds GIS's automatic answer for them) whose deadline
// is before day, earliest first (limit ≤ 0: all).
func (s *Store) OpenPastDeadline(ctx context.Context, org string, day time.Time, limit int) ([]domain.SubRequest, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	q := `SELECT ` + subRequestCols + ` FROM sub_requests s WHERE s.org_guid = $1
		AND s.state NOT IN (` + storecore.ClosedStates + `) AND s.correction = '' AND s.response_date < $2` + subRequestOrder
	args := []any{org, dateArg(storecore.Today(day))}
	if limit > 0 {
		q += ` LIMIT $3`
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list sub-requests of %s past their deadline: %w", org, translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.SubRequest, error) { return scanSubRequest(r) })
	if err != nil {
		return nil, fmt.Errorf("list sub-requests of %s past their deadline: %w", org, err)
	}
	return out, nil
}
