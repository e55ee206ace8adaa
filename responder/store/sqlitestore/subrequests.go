package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

const subRequestCols = `s.guid, s.org_guid, s.request_guid, s.request_number, s.requester_guid, s.requester_name,
	s.house_guid, s.address_details, s.hm_object_guid, s.address_type, s.fias_house_guid, s.address,
	s.period_from, s.period_to, s.sent_date, s.response_date, s.response_status, s.state, s.error_code, s.error_text,
	s.blocked_reason, s.blocked_until, s.correction`

type scanner interface{ Scan(dest ...any) error }

// collect reads every row of rows with scan and closes them (the counterpart of
// pgx.CollectRows); no rows is a nil slice.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// scanSubRequests is scanSubRequest for collect.
func scanSubRequests(sc scanner) (domain.SubRequest, error) { return scanSubRequest(sc) }

func scanSubRequest(sc scanner, extra ...any) (domain.SubRequest, error) {
	var (
		r                    domain.SubRequest
		from, to, sent, resp sql.NullString
		state, correction    string
		blocked              sql.NullString
	)
	dest := []any{&r.GUID, &r.OrgGUID, &r.RequestGUID, &r.RequestNumber, &r.RequesterGUID, &r.RequesterName,
		&r.HouseGUID, &r.AddressDetails, &r.HMObjectGUID, &r.AddressType, &r.FIASHouseGUID, &r.Address,
		&from, &to, &sent, &resp, &r.ResponseStatus, &state, &r.ErrorCode, &r.ErrorText, &r.BlockedReason, &blocked, &correction}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return r, err
	}
	r.State, r.Correction = domain.State(state), domain.Correction(correction)
	var err error
	if blocked.Valid {
		if r.BlockedUntil, err = parseStamp(blocked.String); err != nil {
			return r, fmt.Errorf("sub-request %s: %w", r.GUID, err)
		}
	}
	for _, d := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&r.PeriodFrom, from}, {&r.PeriodTo, to}, {&r.SentDate, sent}, {&r.ResponseDate, resp}} {
		if *d.dst, err = parseDate(d.src); err != nil {
			return r, fmt.Errorf("sub-request %s: %w", r.GUID, err)
		}
	}
	return r, nil
}

// UpsertSubRequests records pulled sub-requests, idempotent by subrequestGUID. A stored
// sub-request keeps its state unless the incoming state is further along the pipeline; GIS
// fields that changed are refreshed. It returns how many were new.
func (s *Store) UpsertSubRequests(ctx context.Context, in []domain.SubRequest) (int, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	in, err := storecore.CheckSubRequests(in)
	if err != nil {
		return 0, fmt.Errorf("record sub-requests: %w", err)
	}
	inserted := 0
	now := s.now()
	err = s.write(ctx, func(raw *sql.Tx) error {
		tx := prepared(raw)
		inserted = 0
		get, err := tx.PrepareContext(ctx, `SELECT `+subRequestCols+` FROM sub_requests s WHERE s.guid = ?`)
		if err != nil {
			return err
		}
		defer get.Close()
		for _, r := range in {
			old, err := scanSubRequest(get.QueryRowContext(ctx, r.GUID))
			if errors.Is(err, sql.ErrNoRows) {
				if _, err := tx.ExecContext(ctx, `INSERT INTO sub_requests (guid, org_guid, request_guid, request_number,
					requester_guid, requester_name, house_guid, address_details, hm_object_guid, address_type,
					fias_house_guid, address, period_from, period_to, sent_date, response_date, response_status,
					state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					r.GUID, r.OrgGUID, r.RequestGUID, r.RequestNumber, r.RequesterGUID, r.RequesterName, r.HouseGUID,
					r.AddressDetails, r.HMObjectGUID, r.AddressType, r.FIASHouseGUID, r.Address, dateArg(r.PeriodFrom),
					dateArg(r.PeriodTo), dateArg(r.SentDate), dateArg(r.ResponseDate), r.ResponseStatus, string(r.State),
					stamp(now), stamp(now)); err != nil {
					return fmt.Errorf("insert sub-request %s: %w", r.GUID, err)
				}
				if err := s.audit(ctx, tx, now, r.GUID, storecore.SystemActor, "recorded",
					fmt.Sprintf("state=%s responseDate=%s", r.State, r.ResponseDate.Format(dateLayout))); err != nil {
					return err
				}
				inserted++
				continue
			}
			if err != nil {
				return fmt.Errorf("read sub-request %s: %w", r.GUID, err)
			}
			state := storecore.PulledState(old.State, r.State)
			if old.Correction != domain.CorrectionNone {
				// GIS shows the answer being corrected until the revoke: not news.
				state = old.State
			}
			changed := storecore.ChangedFields(old, r)
			if state == old.State && len(changed) == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET state = ?1, org_guid = ?, request_guid = ?, request_number = ?,
				requester_guid = ?, requester_name = ?, house_guid = ?, address_details = ?, hm_object_guid = ?,
				address_type = ?, fias_house_guid = ?, address = ?, period_from = ?, period_to = ?, sent_date = ?,
				response_date = ?, response_status = ?, updated_at = ?,
				blocked_reason = CASE WHEN ?1 = 'ready' THEN blocked_reason ELSE '' END,
				blocked_until = CASE WHEN ?1 = 'ready' THEN blocked_until END WHERE guid = ?`,
				string(state), r.OrgGUID, r.RequestGUID, r.RequestNumber, r.RequesterGUID, r.RequesterName, r.HouseGUID,
				r.AddressDetails, r.HMObjectGUID, r.AddressType, r.FIASHouseGUID, r.Address, dateArg(r.PeriodFrom),
				dateArg(r.PeriodTo), dateArg(r.SentDate), dateArg(r.ResponseDate), r.ResponseStatus,
				stamp(now), r.GUID); err != nil {
				return fmt.Errorf("update sub-request %s: %w", r.GUID, err)
			}
			detail := "changed: " + strings.Join(changed, ", ")
			if state != old.State {
				detail = fmt.Sprintf("state %s→%s; %s", old.State, state, detail)
			}
			if err := s.audit(ctx, tx, now, r.GUID, storecore.SystemActor, "refreshed", detail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record sub-requests: %w", err)
	}
	return inserted, nil
}

// GetSubRequest returns one sub-request or an error matching domain.ErrNotFound.
func (s *Store) GetSubRequest(ctx context.Context, guid string) (domain.SubRequest, error) {
	if err := s.usable(ctx); err != nil {
		return domain.SubRequest{}, err
	}
	r, err := scanSubRequest(s.r.QueryRowContext(ctx, `SELECT `+subRequestCols+` FROM sub_requests s WHERE s.guid = ?`, guid))
	if err != nil {
		return domain.SubRequest{}, fmt.Errorf("sub-request %s: %w", guid, translate(err))
	}
	return r, nil
}

// SubRequestStatuses returns the GUID, state and deadline of each of org's sub-requests
// ("" for all), unordered: sorting is of no use to the caller.
func (s *Store) SubRequestStatuses(ctx context.Context, org string) ([]storecore.SubRequestStatus, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT guid, state, response_date FROM sub_requests WHERE ?1 = '' OR org_guid = ?1`, org)
	if err != nil {
		return nil, fmt.Errorf("sub-request statuses: %w", translate(err))
	}
	defer rows.Close()
	var out []storecore.SubRequestStatus
	for rows.Next() {
		var (
			r     storecore.SubRequestStatus
			state string
			resp  sql.NullString
		)
		if err := rows.Scan(&r.GUID, &state, &resp); err != nil {
			return nil, fmt.Errorf("sub-request statuses: %w", err)
		}
		r.State = storecore.StateOf(state)
		if r.ResponseDate, err = parseDate(resp); err != nil {
			return nil, fmt.Errorf("sub-request %s: %w", r.GUID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sub-request statuses: %w", translate(err))
	}
	return out, nil
}

// ListSubRequests returns the sub-requests the filter selects, earliest deadline first (then
// by GUID); sub-requests without a deadline come last.
func (s *Store) ListSubRequests(ctx context.Context, f storecore.SubRequestFilter) ([]domain.SubRequest, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	var (
		where []string
		args  []any
	)
	if f.Org != "" {
		where = append(where, "s.org_guid = ?")
		args = append(args, f.Org)
	}
	if len(f.States) > 0 {
		where = append(where, "s.state IN ("+placeholders(len(f.States))+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	q := `SELECT ` + subRequestCols + ` FROM sub_requests s`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY s.response_date IS NULL, s.response_date, s.guid"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list sub-requests: %w", translate(err))
	}
	out, err := collect(rows, scanSubRequests)
	if err != nil {
		return nil, fmt.Errorf("list sub-requests: %w", err)
	}
	return out, nil
}

// currentState reads a sub-request's state inside a write transaction.
func currentState(ctx context.Context, tx rowQuerier, guid string) (domain.State, error) {
	var st string
	err := tx.QueryRowContext(ctx, `SELECT state FROM sub_requests WHERE guid = ?`, guid).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sub-request %s: %w", guid, domain.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read state of sub-request %s: %w", guid, err)
	}
	return domain.State(st), nil
}

func (s *Store) setState(ctx context.Context, tx *sql.Tx, guid string, to domain.State, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET state = ?, updated_at = ? WHERE guid = ?`,
		string(to), stamp(now), guid); err != nil {
		return fmt.Errorf("set state of sub-request %s: %w", guid, err)
	}
	return nil
}

func (s *Store) insertDecision(ctx context.Context, tx *sql.Tx, d domain.Decision) error {
	body, err := storecore.EncodeDecision(d)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO decisions (subrequest_guid, decided_at, rule_version, has_debt,
		review, decided_by, comment, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		d.SubRequestGUID, stamp(d.DecidedAt), d.RuleVersion, boolInt(d.HasDebt), boolInt(d.Review),
		d.DecidedBy, d.Comment, string(body)); err != nil {
		return fmt.Errorf("store decision for %s: %w", d.SubRequestGUID, err)
	}
	return nil
}

// SaveDecision stores the rules' decision as the current one (earlier ones are kept) and moves
// the sub-request to newState (review or ready), with an audit entry, in one transaction. A
// sub-request already sending or answered is not re-decided: ErrConflict.
func (s *Store) SaveDecision(ctx context.Context, d domain.Decision, newState domain.State) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if err := storecore.CheckDecisionTarget(newState); err != nil {
		return fmt.Errorf("save decision for %s: %w", d.SubRequestGUID, err)
	}
	now := s.now()
	d = storecore.PrepareDecision(d, now)
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, err := currentState(ctx, tx, d.SubRequestGUID)
		if err != nil {
			return err
		}
		if !storecore.Decidable(st) {
			return fmt.Errorf("sub-request %s is %s and can no longer be decided: %w", d.SubRequestGUID, st, domain.ErrConflict)
		}
		if err := s.insertDecision(ctx, tx, d); err != nil {
			return err
		}
		if err := s.setState(ctx, tx, d.SubRequestGUID, newState, now); err != nil {
			return err
		}
		if err := endLease(ctx, tx, d.SubRequestGUID); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, d.SubRequestGUID, storecore.SystemActor, "decided", storecore.DecisionDetail(d, st, newState))
	})
	if err != nil {
		return fmt.Errorf("save decision: %w", err)
	}
	return nil
}

// RecordReview stores a person's decision (who, when, comment) as the current one and moves
// the sub-request to ready, with an audit entry, in one transaction. In the review of a
// correction a decision marked as a correction approves it (ready, the sent answer to be
// revoked first); any other keeps the answer GIS holds and closes the sub-request again.
func (s *Store) RecordReview(ctx context.Context, guid, who, comment string, d domain.Decision) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if who == "" {
		return fmt.Errorf("record review of %s: the reviewer's name is required", guid)
	}
	now := s.now()
	d.SubRequestGUID, d.DecidedBy, d.Comment, d.DecidedAt, d.Review = guid, who, comment, now, false
	d = storecore.PrepareDecision(d, now)
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, err := currentState(ctx, tx, guid)
		if err != nil {
			return err
		}
		if st != domain.StateReview {
			return fmt.Errorf("sub-request %s is %s, not waiting for a person: %w", guid, st, domain.ErrConflict)
		}
		var corr, status string
		if err := tx.QueryRowContext(ctx, `SELECT correction, response_status FROM sub_requests WHERE guid = ?`, guid).Scan(&corr, &status); err != nil {
			return fmt.Errorf("read correction of sub-request %s: %w", guid, err)
		}
		to, next, note := domain.StateReady, domain.CorrectionNone, ""
		switch {
		case domain.Correction(corr) == domain.CorrectionProposed && d.Correction:
			next, note = domain.CorrectionApproved, storecore.ApprovedDetail
		case domain.Correction(corr) == domain.CorrectionProposed:
			to, note = storecore.ClosedState(status), storecore.KeptDetail
		default:
			d.Correction = false
		}
		if err := s.insertDecision(ctx, tx, d); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET state = ?, correction = ?, updated_at = ? WHERE guid = ?`,
			string(to), string(next), stamp(now), guid); err != nil {
			return fmt.Errorf("set state of sub-request %s: %w", guid, err)
		}
		detail := storecore.DecisionDetail(d, st, to)
		if comment != "" {
			detail += "; comment: " + comment
		}
		if err := s.audit(ctx, tx, now, guid, who, "reviewed", detail); err != nil {
			return err
		}
		if note != "" {
			return s.audit(ctx, tx, now, guid, who, storecore.CorrectionAction, note)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record review: %w", err)
	}
	return nil
}

// ProposeCorrection stores d, the re-check's proposal to correct the answer GIS holds, as the
// current decision and returns the sub-request to review with it (correction proposed), with
// an audit entry, in one transaction. ErrConflict when the sub-request is not answered or
// auto-answered, or a correction is already under way.
func (s *Store) ProposeCorrection(ctx context.Context, d domain.Decision) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if err := storecore.CheckProposal(d); err != nil {
		return fmt.Errorf("propose correction: %w", err)
	}
	now := s.now()
	d = storecore.PrepareDecision(d, now)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var st, corr string
		err := tx.QueryRowContext(ctx, `SELECT state, correction FROM sub_requests WHERE guid = ?`, d.SubRequestGUID).Scan(&st, &corr)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sub-request %s: %w", d.SubRequestGUID, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read sub-request %s: %w", d.SubRequestGUID, err)
		}
		if !domain.State(st).Closed() || corr != "" {
			return fmt.Errorf("sub-request %s is %s (correction %q): no answer to correct: %w", d.SubRequestGUID, st, corr, domain.ErrConflict)
		}
		if err := s.insertDecision(ctx, tx, d); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sub_requests SET state = 'review', correction = 'proposed', updated_at = ? WHERE guid = ?`,
			stamp(now), d.SubRequestGUID); err != nil {
			return fmt.Errorf("return sub-request %s to review: %w", d.SubRequestGUID, err)
		}
		return s.audit(ctx, tx, now, d.SubRequestGUID, storecore.SystemActor, storecore.CorrectionAction, storecore.ProposedDetail)
	})
	if err != nil {
		return fmt.Errorf("propose correction: %w", err)
	}
	return nil
}

// SentDecision returns the answer GIS last accepted from gisgw for a sub-request (a Send
// action whose outcome was answered): domain.ErrNotFound when gisgw sent none.
func (s *Store) SentDecision(ctx context.Context, guid string) (domain.Decision, error) {
	if err := s.usable(ctx); err != nil {
		return domain.Decision{}, err
	}
	var body string
	err := s.r.QueryRowContext(ctx, `SELECT a.decision FROM message_actions a JOIN messages m ON m.id = a.message_id
		WHERE a.subrequest_guid = ? AND a.kind = 'Send' AND a.outcome = 'answered'
		ORDER BY m.created_at DESC, a.message_id DESC LIMIT 1`, guid).Scan(&body)
	if err != nil {
		return domain.Decision{}, fmt.Errorf("sent answer of %s: %w", guid, translate(err))
	}
	return storecore.DecodeDecision(guid, []byte(body))
}

// Rechecks lists org's sub-requests GIS holds an answer for (answered, auto-answered) with no
// correction under way, earliest deadline first: what the re-check decides again.
func (s *Store) Rechecks(ctx context.Context, org string) ([]domain.SubRequest, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+subRequestCols+` FROM sub_requests s WHERE s.org_guid = ?
		AND s.state IN ('answered', 'auto_answered') AND s.correction = ''
		ORDER BY s.response_date IS NULL, s.response_date, s.guid`, org)
	if err != nil {
		return nil, fmt.Errorf("answers of %s to check again: %w", org, translate(err))
	}
	out, err := collect(rows, scanSubRequests)
	if err != nil {
		return nil, fmt.Errorf("answers of %s to check again: %w", org, err)
	}
	return out, nil
}

// SetState moves a sub-request from one state to another if it is still in from
// (compare-and-set): domain.ErrConflict otherwise, domain.ErrNotFound for an unknown GUID.
func (s *Store) SetState(ctx context.Context, guid string, from, to domain.State, actor, detail string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if !to.Valid() {
		return fmt.Errorf("set state of %s: unknown state %q", guid, to)
	}
	if actor == "" {
		actor = storecore.SystemActor
	}
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, err := currentState(ctx, tx, guid)
		if err != nil {
			return err
		}
		if st != from {
			return fmt.Errorf("sub-request %s is %s, not %s: %w", guid, st, from, domain.ErrConflict)
		}
		if from == to {
			return nil
		}
		if err := s.setState(ctx, tx, guid, to, now); err != nil {
			return err
		}
		text := fmt.Sprintf("%s→%s", from, to)
		if detail != "" {
			text += ": " + detail
		}
		return s.audit(ctx, tx, now, guid, actor, "state", text)
	})
	if err != nil {
		return fmt.Errorf("set state: %w", err)
	}
	return nil
}

const decisionCols = `d.subrequest_guid, d.decided_at, d.body`

func scanDecision(sc scanner) (domain.Decision, error) {
	var guid, at, body string
	if err := sc.Scan(&guid, &at, &body); err != nil {
		return domain.Decision{}, err
	}
	d, err := storecore.DecodeDecision(guid, []byte(body))
	if err != nil {
		return d, err
	}
	if d.DecidedAt, err = parseStamp(at); err != nil {
		return d, err
	}
	return d, nil
}

// GetDecision returns the current (latest) decision for a sub-request.
func (s *Store) GetDecision(ctx context.Context, guid string) (domain.Decision, error) {
	if err := s.usable(ctx); err != nil {
		return domain.Decision{}, err
	}
	d, err := scanDecision(s.r.QueryRowContext(ctx, `SELECT `+decisionCols+` FROM decisions d
		WHERE d.subrequest_guid = ? ORDER BY d.id DESC LIMIT 1`, guid))
	if err != nil {
		return d, fmt.Errorf("decision for %s: %w", guid, translate(err))
	}
	return d, nil
}

// DecisionHistory returns every decision stored for a sub-request, oldest first.
func (s *Store) DecisionHistory(ctx context.Context, guid string) ([]domain.Decision, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+decisionCols+` FROM decisions d WHERE d.subrequest_guid = ? ORDER BY d.id`, guid)
	if err != nil {
		return nil, fmt.Errorf("decisions for %s: %w", guid, translate(err))
	}
	out, err := collect(rows, scanDecision)
	if err != nil {
		return nil, fmt.Errorf("decisions for %s: %w", guid, err)
	}
	return out, nil
}

// ListReview returns the review queue of org (every organization when org is empty),
// earliest deadline first, each with its latest decision.
func (s *Store) ListReview(ctx context.Context, org string) ([]storecore.ReviewItem, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	q := `SELECT ` + subRequestCols + `, d.subrequest_guid, d.decided_at, d.body FROM sub_requests s
		LEFT JOIN decisions d ON d.id = (SELECT max(x.id) FROM decisions x WHERE x.subrequest_guid = s.guid)
		WHERE s.state = 'review'`
	var args []any
	if org != "" {
		q += " AND s.org_guid = ?"
		args = append(args, org)
	}
	q += " ORDER BY s.response_date IS NULL, s.response_date, s.guid"
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", translate(err))
	}
	out, err := collect(rows, func(sc scanner) (storecore.ReviewItem, error) {
		var dguid, at, body sql.NullString
		r, err := scanSubRequest(sc, &dguid, &at, &body)
		if err != nil {
			return storecore.ReviewItem{}, err
		}
		item := storecore.ReviewItem{SubRequest: r}
		if dguid.Valid {
			d, err := storecore.DecodeDecision(dguid.String, []byte(body.String))
			if err != nil {
				return item, err
			}
			if d.DecidedAt, err = parseStamp(at.String); err != nil {
				return item, err
			}
			item.Decision = &d
		}
		return item, nil
	})
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	return out, nil
}

// Audit returns the history of a sub-request, oldest first. The empty GUID returns the
// store-wide entries (imports).
func (s *Store) Audit(ctx context.Context, guid string) ([]domain.AuditEntry, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT subrequest_guid, at, actor, action, detail FROM audit
		WHERE subrequest_guid = ? ORDER BY id`, guid)
	if err != nil {
		return nil, fmt.Errorf("audit of %s: %w", guid, translate(err))
	}
	out, err := collect(rows, func(sc scanner) (domain.AuditEntry, error) {
		var e domain.AuditEntry
		var at string
		if err := sc.Scan(&e.SubRequestGUID, &at, &e.Actor, &e.Action, &e.Detail); err != nil {
			return e, err
		}
		e.At, err = parseStamp(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit of %s: %w", guid, err)
	}
	return out, nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func sortActs(acts []domain.CourtAct) {
	slices.SortStableFunc(acts, func(a, b domain.CourtAct) int {
		return cmp.Or(cmp.Compare(a.PremisesID, b.PremisesID), cmp.Compare(a.OrgGUID, b.OrgGUID), cmp.Compare(a.ID, b.ID))
	})
}
