package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// The pipeline's side of the store: leases, the outbox, watermarks and the pull lock.
//
// Every claim is one write transaction, and write transactions start with BEGIN IMMEDIATE
// on the single writer connection, so a claim's read and its update cannot interleave with
// another claim. A lease is free when lease_until is NULL or not after now.

const leaseFree = `(lease_until IS NULL OR lease_until <= ?)`

// endLease frees a sub-request's lease (SaveDecision: the decision is taken).
func endLease(ctx context.Context, tx *sql.Tx, guid string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET lease_owner = '', lease_until = NULL WHERE guid = ?`, guid); err != nil {
		return fmt.Errorf("end lease of sub-request %s: %w", guid, err)
	}
	return nil
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

// inArgs returns the placeholders and arguments for "x IN (…)".
func inArgs(vals []string) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return placeholders(len(vals)), args
}

// anyFree reports whether cond selects a sub-request whose lease is free, on the read pool:
// the claims that find nothing (the decide and send steps look again and again while a
// pull records pages) then do not queue for the single writer. A sub-request committed
// after this look is found by the caller's next claim, as if it had come a moment later.
func (s *Store) anyFree(ctx context.Context, cond string, args []any) (bool, error) {
	var ok bool
	err := s.rc.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sub_requests s WHERE `+cond+` AND `+leaseFree+`)`,
		append(args, stamp(s.now()))...).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look for sub-requests: %w", err)
	}
	return ok, nil
}

// leaseSubRequests leases the sub-requests cond selects (earliest deadline first, at most
// limit) to owner and returns them in that order.
func (s *Store) leaseSubRequests(ctx context.Context, tx txQuerier, cond string, args []any, owner string, limit int, lease time.Duration) ([]domain.SubRequest, error) {
	now := s.now()
	rows, err := tx.QueryContext(ctx, `SELECT `+subRequestCols+` FROM sub_requests s WHERE `+cond+` AND `+leaseFree+`
		ORDER BY s.response_date IS NULL, s.response_date, s.guid LIMIT ?`, append(args, stamp(now), limit)...)
	if err != nil {
		return nil, fmt.Errorf("read sub-requests: %w", err)
	}
	out, err := collect(rows, scanSubRequests)
	if err != nil {
		return nil, fmt.Errorf("read sub-requests: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	guids := make([]string, len(out))
	for i, r := range out {
		guids[i] = r.GUID
	}
	ph, in := inList(guids, limit)
	if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET lease_owner = ?, lease_until = ? WHERE guid IN (`+ph+`)`,
		append([]any{owner, stamp(now.Add(lease))}, in...)...); err != nil {
		return nil, fmt.Errorf("lease sub-requests: %w", err)
	}
	return out, nil
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
	const cond = `s.state = 'new'`
	if ok, err := s.anyFree(ctx, cond, nil); err != nil || !ok {
		if err != nil {
			return nil, fmt.Errorf("claim sub-requests to decide: %w", err)
		}
		return nil, nil
	}
	var out []domain.SubRequest
	err := s.writeCached(ctx, func(tx *cachedTx) (err error) {
		out, err = s.leaseSubRequests(ctx, tx, cond, nil, owner, limit, lease)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim sub-requests to decide: %w", err)
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
	const cond = `s.org_guid = ? AND s.state = 'ready' AND s.correction <> 'approved'
			AND (s.blocked_until IS NULL OR s.blocked_until <= ?)
			AND EXISTS (SELECT 1 FROM decisions e WHERE e.subrequest_guid = s.guid)`
	if ok, err := s.anyFree(ctx, cond, []any{org, stamp(s.now())}); err != nil || !ok {
		if err != nil {
			return nil, fmt.Errorf("claim ready answers of %s: %w", org, err)
		}
		return nil, nil
	}
	var out []domain.Decision
	err := s.write(ctx, func(tx *sql.Tx) error {
		srs, err := s.leaseSubRequests(ctx, tx, cond, []any{org, stamp(s.now())}, owner, limit, lease)
		if err != nil {
			return err
		}
		get, err := tx.PrepareContext(ctx, `SELECT `+decisionCols+` FROM decisions d WHERE d.subrequest_guid = ? ORDER BY d.id DESC LIMIT 1`)
		if err != nil {
			return err
		}
		defer get.Close()
		for _, r := range srs {
			d, err := scanDecision(get.QueryRowContext(ctx, r.GUID))
			if err != nil {
				return fmt.Errorf("read decision for %s: %w", r.GUID, err)
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim ready answers of %s: %w", org, err)
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
	err := s.write(ctx, func(tx *sql.Tx) error {
		srs, err := s.leaseSubRequests(ctx, tx, `s.org_guid = ? AND s.state = 'ready' AND s.correction = 'approved'`, []any{org}, owner, limit, lease)
		for _, r := range srs {
			out = append(out, r.GUID)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim answers to revoke of %s: %w", org, err)
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
	bodies := make([]string, len(m.Actions))
	for i, a := range m.Actions {
		b, err := storecore.EncodeDecision(a.Decision)
		if err != nil {
			return fmt.Errorf("store outbox message %s: %w", m.ID, err)
		}
		bodies[i] = string(b)
	}
	now := s.now()
	err := s.write(ctx, func(raw *sql.Tx) error {
		tx := prepared(raw)
		for _, a := range m.Actions {
			var st, lo, org string
			err := tx.QueryRowContext(ctx, `SELECT state, lease_owner, org_guid FROM sub_requests WHERE guid = ?`, a.SubRequestGUID).Scan(&st, &lo, &org)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("sub-request %s: %w", a.SubRequestGUID, domain.ErrNotFound)
			}
			if err != nil {
				return fmt.Errorf("read sub-request %s: %w", a.SubRequestGUID, err)
			}
			if domain.State(st) != domain.StateReady || lo != owner || org != m.OrgGUID {
				return fmt.Errorf("sub-request %s is %s, leased to %q, of organization %q; want ready, leased to %q, of %q: %w",
					a.SubRequestGUID, st, lo, org, owner, m.OrgGUID, domain.ErrConflict)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages (id, org_guid, created_at, status, lease_owner, lease_until)
			VALUES (?, ?, ?, 'pending', ?, ?)`, m.ID, m.OrgGUID, stamp(now), owner, stamp(now.Add(lease))); err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		for i, a := range m.Actions {
			if _, err := tx.ExecContext(ctx, `INSERT INTO message_actions (message_id, position, transport_guid, subrequest_guid, kind, decision)
				VALUES (?, ?, ?, ?, ?, ?)`, m.ID, i, a.TransportGUID, a.SubRequestGUID, string(a.Kind), bodies[i]); err != nil {
				return fmt.Errorf("insert action for %s: %w", a.SubRequestGUID, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET state = 'sending', lease_owner = '', lease_until = NULL,
				blocked_reason = '', blocked_until = NULL, updated_at = ? WHERE guid = ?`, stamp(now), a.SubRequestGUID); err != nil {
				return fmt.Errorf("move sub-request %s to sending: %w", a.SubRequestGUID, err)
			}
			if err := s.audit(ctx, tx, now, a.SubRequestGUID, storecore.SystemActor, "queued", storecore.QueuedDetail(m.ID, a)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store outbox message %s: %w", m.ID, err)
	}
	return nil
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
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		ph, in := inArgs(guids)
		rows, err := tx.QueryContext(ctx, `SELECT guid, state, lease_owner, blocked_reason FROM sub_requests
			WHERE guid IN (`+ph+`)`, in...)
		if err != nil {
			return fmt.Errorf("read sub-requests: %w", err)
		}
		found := make(map[string]storecore.DeferRow, len(guids))
		for rows.Next() {
			var r storecore.DeferRow
			var st string
			if err := rows.Scan(&r.GUID, &st, &r.LeaseOwner, &r.Reason); err != nil {
				rows.Close()
				return fmt.Errorf("read sub-requests: %w", err)
			}
			r.State = domain.State(st)
			found[r.GUID] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read sub-requests: %w", err)
		}
		audit, err := storecore.PlanDefer(owner, guids, reason, found)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET lease_owner = '', lease_until = NULL, blocked_reason = ?,
			blocked_until = ?, updated_at = ? WHERE guid IN (`+ph+`)`, append([]any{reason, stamp(until), stamp(now)}, in...)...); err != nil {
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

// messageStatus reads a message's status and GIS MessageGUID inside a write transaction.
func messageStatus(ctx context.Context, tx rowQuerier, id string) (domain.MessageStatus, string, error) {
	var st, gis string
	err := tx.QueryRowContext(ctx, `SELECT status, gis_message_guid FROM messages WHERE id = ?`, id).Scan(&st, &gis)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("outbox message %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("read outbox message %s: %w", id, err)
	}
	return domain.MessageStatus(st), gis, nil
}

// auditMessage writes one audit entry per action of message id.
func auditMessage(ctx context.Context, tx execer, id string, now time.Time, action, detail string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (subrequest_guid, at, actor, action, detail)
		SELECT subrequest_guid, ?, ?, ?, ? FROM message_actions WHERE message_id = ? ORDER BY position`,
		stamp(now), storecore.SystemActor, action, detail, id); err != nil {
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
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, gis, err := messageStatus(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case st != domain.MessagePending && gis == gisMessageGUID:
			return nil // a repeated Ack
		case st != domain.MessagePending:
			return fmt.Errorf("message %s is %s (GIS MessageGUID %q), cannot take GIS MessageGUID %s: %w", id, st, gis, gisMessageGUID, domain.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'acked', gis_message_guid = ?, attempts = 0 WHERE id = ?`, gisMessageGUID, id); err != nil {
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
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, _, err := messageStatus(ctx, tx, id)
		if err != nil || st == domain.MessageDone {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `UPDATE messages SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?,
			lease_owner = '', lease_until = NULL WHERE id = ? RETURNING attempts`, errText, stamp(now), id).Scan(&n); err != nil {
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
// the lease is no longer owner's (freed by RecordAttempt or taken by another owner). A done
// message needs no lease: nil.
func (s *Store) RenewMessage(ctx context.Context, id, owner string, lease time.Duration) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if err := storecore.CheckLease(owner, lease); err != nil {
		return fmt.Errorf("renew lease on message %s: %w", id, err)
	}
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		var st, lo string
		err := tx.QueryRowContext(ctx, `SELECT status, lease_owner FROM messages WHERE id = ?`, id).Scan(&st, &lo)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("outbox message %s: %w", id, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read outbox message %s: %w", id, err)
		}
		if domain.MessageStatus(st) == domain.MessageDone {
			return nil
		}
		if lo != owner {
			return fmt.Errorf("it is leased to %q, not %q: %w", lo, owner, domain.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `UPDATE messages SET lease_until = ? WHERE id = ?`, stamp(now.Add(lease)), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("renew lease on message %s: %w", id, err)
	}
	return nil
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
	now := s.now()
	var out []domain.Message
	err := s.write(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, org_guid, created_at, status, gis_message_guid, attempts, last_error
			FROM messages WHERE status <> 'done' AND `+leaseFree+`
			AND (status = 'acked' OR coalesce(last_attempt_at, created_at) < ?)
			ORDER BY created_at, id LIMIT ?`, stamp(now), stamp(settledBefore), limit)
		if err != nil {
			return fmt.Errorf("read messages: %w", err)
		}
		out, err = collect(rows, func(sc scanner) (domain.Message, error) {
			var m domain.Message
			var created, st string
			if err := sc.Scan(&m.ID, &m.OrgGUID, &created, &st, &m.GISMessageGUID, &m.Attempts, &m.LastError); err != nil {
				return m, err
			}
			m.Status = domain.MessageStatus(st)
			var err error
			m.CreatedAt, err = parseStamp(created)
			return m, err
		})
		if err != nil {
			return fmt.Errorf("read messages: %w", err)
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]string, len(out))
		index := make(map[string]int, len(out))
		for i, m := range out {
			ids[i], index[m.ID] = m.ID, i
		}
		ph, in := inArgs(ids)
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET lease_owner = ?, lease_until = ? WHERE id IN (`+ph+`)`,
			append([]any{owner, stamp(now.Add(lease))}, in...)...); err != nil {
			return fmt.Errorf("lease messages: %w", err)
		}
		rows, err = tx.QueryContext(ctx, `SELECT message_id, transport_guid, subrequest_guid, kind, decision FROM message_actions
			WHERE message_id IN (`+ph+`) ORDER BY message_id, position`, in...)
		if err != nil {
			return fmt.Errorf("read actions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				mid, kind, body string
				a               domain.Action
			)
			if err := rows.Scan(&mid, &a.TransportGUID, &a.SubRequestGUID, &kind, &body); err != nil {
				return fmt.Errorf("read actions: %w", err)
			}
			a.Kind = domain.ActionKind(kind)
			if a.Decision, err = storecore.DecodeDecision(a.SubRequestGUID, []byte(body)); err != nil {
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
	now := s.now()
	err := s.write(ctx, func(raw *sql.Tx) error {
		tx := prepared(raw)
		st, _, err := messageStatus(ctx, tx, id)
		if err != nil || st == domain.MessageDone {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT position, transport_guid, subrequest_guid, kind FROM message_actions
			WHERE message_id = ? ORDER BY position`, id)
		if err != nil {
			return fmt.Errorf("read actions: %w", err)
		}
		actions, err := collect(rows, func(sc scanner) (storecore.StoredAction, error) {
			var a storecore.StoredAction
			var kind string
			err := sc.Scan(&a.Position, &a.TransportGUID, &a.SubRequestGUID, &kind)
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
		for _, r := range results {
			from, err := currentState(ctx, tx, r.SubRequestGUID)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE message_actions SET outcome = ?, error_code = ?, error_text = ?
				WHERE message_id = ? AND position = ?`, string(r.State), r.ErrorCode, r.ErrorText, id, r.Position); err != nil {
				return fmt.Errorf("record outcome for %s: %w", r.SubRequestGUID, err)
			}
			var f storecore.Finished
			if from == domain.StateSending {
				var corr string
				if err := tx.QueryRowContext(ctx, `SELECT correction FROM sub_requests WHERE guid = ?`, r.SubRequestGUID).Scan(&corr); err != nil {
					return fmt.Errorf("read correction of sub-request %s: %w", r.SubRequestGUID, err)
				}
				code, text := r.SubRequestError()
				f = storecore.FinishedOf(r, domain.Correction(corr))
				// GIS's response status follows the outcome, so pages show what GIS now holds.
				if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET state = ?1, error_code = ?2, error_text = ?3,
					lease_owner = '', lease_until = NULL, updated_at = ?4, correction = ?6,
					response_status = CASE ?7 WHEN '' THEN response_status ELSE ?7 END
					WHERE guid = ?5`,
					string(f.State), code, text, stamp(now), r.SubRequestGUID, string(f.Correction), f.ResponseStatus); err != nil {
					return fmt.Errorf("set state of sub-request %s: %w", r.SubRequestGUID, err)
				}
			}
			if err := s.audit(ctx, tx, now, r.SubRequestGUID, storecore.SystemActor, "result", storecore.ResultDetail(id, r, from)); err != nil {
				return err
			}
			if f.Note != "" {
				if err := s.audit(ctx, tx, now, r.SubRequestGUID, storecore.SystemActor, storecore.CorrectionAction, f.Note); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET status = 'done', lease_owner = '', lease_until = NULL WHERE id = ?`, id); err != nil {
			return fmt.Errorf("mark message done: %w", err)
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
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE status <> 'done'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unfinished messages: %w", translate(err))
	}
	return n, nil
}

// Watermark returns the date through which org was last pulled (zero: never).
func (s *Store) Watermark(ctx context.Context, org string) (time.Time, error) {
	if err := s.usable(ctx); err != nil {
		return time.Time{}, err
	}
	var d sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT pulled_through FROM watermarks WHERE org_guid = ?`, org).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read pull watermark of %s: %w", org, translate(err))
	}
	t, err := parseDate(d)
	if err != nil {
		return time.Time{}, fmt.Errorf("read pull watermark of %s: %w", org, err)
	}
	return t, nil
}

// SetWatermark records that org was pulled through the date of t.
func (s *Store) SetWatermark(ctx context.Context, org string, t time.Time) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if t.IsZero() {
		return fmt.Errorf("set pull watermark of %s: empty date", org)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO watermarks (org_guid, pulled_through, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (org_guid) DO UPDATE SET pulled_through = excluded.pulled_through, updated_at = excluded.updated_at`,
			org, dateArg(storecore.Today(t)), stamp(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("set pull watermark of %s: %w", org, err)
	}
	return nil
}

// pullLocks are the pull locks held in this process, by database file and organization.
// They do not reach other processes: a second daemon on the same SQLite file is not kept
// out (the CLI commands never pull; run one daemon per file). Keying by the file's absolute
// path makes two Stores of this process on one file exclude each other.
var pullLocks = struct {
	sync.Mutex
	held map[string]bool
}{held: map[string]bool{}}

// TryLockOrg makes the caller the only puller of org in this process until unlock (not
// across processes, see pullLocks); ok is false (and unlock a no-op) while another holds it.
func (s *Store) TryLockOrg(ctx context.Context, org string) (unlock func(), ok bool, err error) {
	if err := s.usable(ctx); err != nil {
		return nil, false, err
	}
	file, err := filepath.Abs(s.path)
	if err != nil {
		file = s.path
	}
	key := strings.Join([]string{file, org}, "\x00")
	pullLocks.Lock()
	defer pullLocks.Unlock()
	if pullLocks.held[key] {
		return func() {}, false, nil
	}
	pullLocks.held[key] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			pullLocks.Lock()
			defer pullLocks.Unlock()
			delete(pullLocks.held, key)
		})
	}, true, nil
}

// OpenPastDeadline lists the open sub-requests of org (domain.State.Open: failed ones
// included, so that the status refresh finds GIS's automatic answer for them) whose deadline
// is before day, earliest first (limit ≤ 0: all).
func (s *Store) OpenPastDeadline(ctx context.Context, org string, day time.Time, limit int) ([]domain.SubRequest, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	q := `SELECT ` + subRequestCols + ` FROM sub_requests s WHERE s.org_guid = ?
		AND s.state NOT IN (` + storecore.ClosedStates + `) AND s.correction = '' AND s.response_date < ?
		ORDER BY s.response_date, s.guid`
	args := []any{org, dateArg(storecore.Today(day))}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list sub-requests of %s past their deadline: %w", org, translate(err))
	}
	out, err := collect(rows, scanSubRequests)
	if err != nil {
		return nil, fmt.Errorf("list sub-requests of %s past their deadline: %w", org, err)
	}
	return out, nil
}
