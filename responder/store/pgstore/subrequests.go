package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// PremisesByHMObject returns the premises of org (or of no organization) with that
// HMobjectGUID.
func (s *Store) PremisesByHMObject(ctx context.Context, org, hmObjectGUID string) ([]domain.Premises, error) {
	return s.premisesWhere(ctx, "hm_object_guid = $2", org, hmObjectGUID)
}

// PremisesByHouse returns the premises of org (or of no organization) in the house with that
// GIS house GUID or FIAS house GUID.
func (s *Store) PremisesByHouse(ctx context.Context, org, houseGUID string) ([]domain.Premises, error) {
	return s.premisesWhere(ctx, "(house_guid = $2 OR fias_house_guid = $2)", org, houseGUID)
}

// PremisesByAddressKey returns the premises of org (or of no organization) whose address has
// that key (see store.AddressKey).
func (s *Store) PremisesByAddressKey(ctx context.Context, org, key string) ([]domain.Premises, error) {
	return s.premisesWhere(ctx, "address_key = $2", org, key)
}

func (s *Store) premisesWhere(ctx context.Context, cond, org, value string) ([]domain.Premises, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	// An empty key would match every premises that lacks the attribute.
	if value == "" {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+premisesCols+` FROM premises
		WHERE (org_guid = $1 OR org_guid = '') AND `+cond+` ORDER BY premise_id COLLATE "C", org_guid COLLATE "C"`, org, value)
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
	if len(premisesIDs) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+actCols+`, `+debtorCols+` FROM court_acts a
		LEFT JOIN court_act_debtors d ON d.org_guid = a.org_guid AND d.act_id = a.act_id
		WHERE a.premise_id = ANY($1)
		ORDER BY a.premise_id COLLATE "C", a.org_guid COLLATE "C", a.act_id COLLATE "C", d.position`, premisesIDs)
	if err != nil {
		return nil, fmt.Errorf("read court acts: %w", translate(err))
	}
	acts, err := scanActs(rows)
	if err != nil {
		return nil, err
	}
	out := make([]domain.CourtAct, len(acts))
	for i, r := range acts {
		out[i] = r.Act
	}
	if err := s.attachAgreements(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

const subRequestCols = `s.guid, s.org_guid, s.request_guid, s.request_number, s.requester_guid, s.requester_name,
	s.house_guid, s.address_details, s.hm_object_guid, s.address_type, s.fias_house_guid, s.address,
	s.period_from, s.period_to, s.sent_date, s.response_date, s.response_status, s.state, s.error_code, s.error_text,
	s.blocked_reason, s.blocked_until, s.correction`

const subRequestOrder = ` ORDER BY s.response_date NULLS LAST, s.guid COLLATE "C"`

func scanSubRequest(row pgx.Row, extra ...any) (domain.SubRequest, error) {
	var (
		r                    domain.SubRequest
		from, to, sent, resp pgtype.Date
		state, correction    string
		blocked              pgtype.Timestamptz
	)
	dest := []any{&r.GUID, &r.OrgGUID, &r.RequestGUID, &r.RequestNumber, &r.RequesterGUID, &r.RequesterName,
		&r.HouseGUID, &r.AddressDetails, &r.HMObjectGUID, &r.AddressType, &r.FIASHouseGUID, &r.Address,
		&from, &to, &sent, &resp, &r.ResponseStatus, &state, &r.ErrorCode, &r.ErrorText, &r.BlockedReason, &blocked, &correction}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return r, err
	}
	r.State, r.Correction = domain.State(state), domain.Correction(correction)
	if blocked.Valid {
		r.BlockedUntil = blocked.Time.UTC()
	}
	r.PeriodFrom, r.PeriodTo, r.SentDate, r.ResponseDate = dateOf(from), dateOf(to), dateOf(sent), dateOf(resp)
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
	if len(in) == 0 {
		return 0, nil
	}
	inserted := 0
	now := storecore.Stamp(s.now())
	err = s.write(ctx, func(tx pgx.Tx) error {
		inserted = 0
		guids := make([]string, len(in))
		for i, r := range in {
			guids[i] = r.GUID
		}
		rows, err := tx.Query(ctx, `SELECT `+subRequestCols+` FROM sub_requests s WHERE s.guid = ANY($1) FOR UPDATE`, guids)
		if err != nil {
			return fmt.Errorf("read sub-requests: %w", err)
		}
		stored := make(map[string]domain.SubRequest)
		for rows.Next() {
			r, err := scanSubRequest(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("read sub-requests: %w", err)
			}
			stored[r.GUID] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read sub-requests: %w", err)
		}
		var fresh []domain.SubRequest
		for _, r := range in {
			if _, ok := stored[r.GUID]; !ok {
				fresh = append(fresh, r)
			}
		}
		if inserted, err = insertSubRequests(ctx, tx, now, fresh); err != nil {
			return err
		}
		for _, r := range in {
			old, ok := stored[r.GUID]
			if !ok {
				continue
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
			if _, err := tx.Exec(ctx, `UPDATE sub_requests SET org_guid = $2, request_guid = $3, request_number = $4,
				requester_guid = $5, requester_name = $6, house_guid = $7, address_details = $8, hm_object_guid = $9,
				address_type = $10, fias_house_guid = $11, address = $12, period_from = $13, period_to = $14,
				sent_date = $15, response_date = $16, response_status = $17, state = $18, updated_at = $19,
				blocked_reason = CASE WHEN $18 = 'ready' THEN blocked_reason ELSE '' END,
				blocked_until = CASE WHEN $18 = 'ready' THEN blocked_until END
				WHERE guid = $1`,
				r.GUID, r.OrgGUID, r.RequestGUID, r.RequestNumber, r.RequesterGUID, r.RequesterName, r.HouseGUID,
				r.AddressDetails, r.HMObjectGUID, r.AddressType, r.FIASHouseGUID, r.Address, dateArg(r.PeriodFrom),
				dateArg(r.PeriodTo), dateArg(r.SentDate), dateArg(r.ResponseDate), r.ResponseStatus, string(state), now); err != nil {
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

// insertSubRequests records sub-requests not stored yet and their audit entries in two
// statements, however many there are: a statement per row made a page of 100 sub-requests
// 200 round trips, most of a first pull's time. ON CONFLICT: another replica may have
// recorded one since the caller read them; it is neither counted nor audited again.
func insertSubRequests(ctx context.Context, tx pgx.Tx, now time.Time, rs []domain.SubRequest) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	text := make([][]string, 14)
	dates := make([][]pgtype.Date, 4)
	for _, r := range rs {
		for i, v := range []string{r.GUID, r.OrgGUID, r.RequestGUID, r.RequestNumber, r.RequesterGUID, r.RequesterName,
			r.HouseGUID, r.AddressDetails, r.HMObjectGUID, r.AddressType, r.FIASHouseGUID, r.Address, r.ResponseStatus, string(r.State)} {
			text[i] = append(text[i], v)
		}
		for i, d := range []time.Time{r.PeriodFrom, r.PeriodTo, r.SentDate, r.ResponseDate} {
			dates[i] = append(dates[i], dateArg(d))
		}
	}
	rows, err := tx.Query(ctx, `INSERT INTO sub_requests (guid, org_guid, request_guid, request_number,
		requester_guid, requester_name, house_guid, address_details, hm_object_guid, address_type,
		fias_house_guid, address, period_from, period_to, sent_date, response_date, response_status,
		state, created_at, updated_at)
		SELECT guid, org_guid, request_guid, request_number, requester_guid, requester_name, house_guid,
			address_details, hm_object_guid, address_type, fias_house_guid, address, period_from, period_to,
			sent_date, response_date, response_status, state, $19, $19
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::date[], $14::date[], $15::date[],
			$16::date[], $17::text[], $18::text[]) WITH ORDINALITY
			AS t(guid, org_guid, request_guid, request_number, requester_guid, requester_name, house_guid,
			address_details, hm_object_guid, address_type, fias_house_guid, address, period_from, period_to,
			sent_date, response_date, response_status, state, ord)
		ORDER BY ord
		ON CONFLICT (guid) DO NOTHING
		RETURNING guid`,
		text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7], text[8], text[9], text[10], text[11],
		dates[0], dates[1], dates[2], dates[3], text[12], text[13], now)
	if err != nil {
		return 0, fmt.Errorf("insert sub-requests: %w", err)
	}
	added, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("insert sub-requests: %w", err)
	}
	isNew := make(map[string]bool, len(added))
	for _, g := range added {
		isNew[g] = true
	}
	var guids, details []string
	for _, r := range rs { // the audit in the order pulled
		if isNew[r.GUID] {
			guids = append(guids, r.GUID)
			details = append(details, fmt.Sprintf("state=%s responseDate=%s", r.State, r.ResponseDate.Format(time.DateOnly)))
		}
	}
	if len(guids) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit (subrequest_guid, at, actor, action, detail)
		SELECT g, $2, $3, 'recorded', d FROM unnest($1::text[], $4::text[]) WITH ORDINALITY AS t(g, d, ord) ORDER BY ord`,
		guids, now, storecore.SystemActor, details); err != nil {
		return 0, fmt.Errorf("write audit entries: %w", err)
	}
	return len(guids), nil
}

// GetSubRequest returns one sub-request or an error matching domain.ErrNotFound.
func (s *Store) GetSubRequest(ctx context.Context, guid string) (domain.SubRequest, error) {
	if err := s.usable(ctx); err != nil {
		return domain.SubRequest{}, err
	}
	r, err := scanSubRequest(s.pool.QueryRow(ctx, `SELECT `+subRequestCols+` FROM sub_requests s WHERE s.guid = $1`, guid))
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
	rows, err := s.pool.Query(ctx, `SELECT guid, state, response_date FROM sub_requests WHERE $1 = '' OR org_guid = $1`, org)
	if err != nil {
		return nil, fmt.Errorf("sub-request statuses: %w", translate(err))
	}
	defer rows.Close()
	var out []storecore.SubRequestStatus
	for rows.Next() {
		var (
			r     storecore.SubRequestStatus
			state string
			resp  pgtype.Date
		)
		if err := rows.Scan(&r.GUID, &state, &resp); err != nil {
			return nil, fmt.Errorf("sub-request statuses: %w", err)
		}
		r.State, r.ResponseDate = storecore.StateOf(state), dateOf(resp)
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
		args = append(args, f.Org)
		where = append(where, fmt.Sprintf("s.org_guid = $%d", len(args)))
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		args = append(args, states)
		where = append(where, fmt.Sprintf("s.state = ANY($%d)", len(args)))
	}
	q := `SELECT ` + subRequestCols + ` FROM sub_requests s`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += subRequestOrder
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list sub-requests: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.SubRequest, error) { return scanSubRequest(row) })
	if err != nil {
		return nil, fmt.Errorf("list sub-requests: %w", err)
	}
	return out, nil
}

// lockState reads a sub-request's state and locks its row until the transaction ends.
func lockState(ctx context.Context, tx pgx.Tx, guid string) (domain.State, error) {
	var st string
	err := tx.QueryRow(ctx, `SELECT state FROM sub_requests WHERE guid = $1 FOR UPDATE`, guid).Scan(&st)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("sub-request %s: %w", guid, domain.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read state of sub-request %s: %w", guid, err)
	}
	return domain.State(st), nil
}

func setState(ctx context.Context, tx pgx.Tx, guid string, to domain.State, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE sub_requests SET state = $2, updated_at = $3 WHERE guid = $1`,
		guid, string(to), now); err != nil {
		return fmt.Errorf("set state of sub-request %s: %w", guid, err)
	}
	return nil
}

func insertDecision(ctx context.Context, tx pgx.Tx, d domain.Decision) error {
	body, err := storecore.EncodeDecision(d)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO decisions (subrequest_guid, decided_at, rule_version, has_debt,
		review, decided_by, comment, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		d.SubRequestGUID, d.DecidedAt, d.RuleVersion, d.HasDebt, d.Review, d.DecidedBy, d.Comment, body); err != nil {
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
	now := storecore.Stamp(s.now())
	d = storecore.PrepareDecision(d, now)
	err := s.write(ctx, func(tx pgx.Tx) error {
		st, err := lockState(ctx, tx, d.SubRequestGUID)
		if err != nil {
			return err
		}
		if !storecore.Decidable(st) {
			return fmt.Errorf("sub-request %s is %s and can no longer be decided: %w", d.SubRequestGUID, st, domain.ErrConflict)
		}
		if err := insertDecision(ctx, tx, d); err != nil {
			return err
		}
		if err := setState(ctx, tx, d.SubRequestGUID, newState, now); err != nil {
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
	now := storecore.Stamp(s.now())
	d.SubRequestGUID, d.DecidedBy, d.Comment, d.DecidedAt, d.Review = guid, who, comment, now, false
	d = storecore.PrepareDecision(d, now)
	err := s.write(ctx, func(tx pgx.Tx) error {
		st, err := lockState(ctx, tx, guid)
		if err != nil {
			return err
		}
		if st != domain.StateReview {
			return fmt.Errorf("sub-request %s is %s, not waiting for a person: %w", guid, st, domain.ErrConflict)
		}
		var corr, status string
		if err := tx.QueryRow(ctx, `SELECT correction, response_status FROM sub_requests WHERE guid = $1`, guid).Scan(&corr, &status); err != nil {
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
		if err := insertDecision(ctx, tx, d); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sub_requests SET state = $2, correction = $3, updated_at = $4 WHERE guid = $1`,
			guid, string(to), string(next), now); err != nil {
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
	now := storecore.Stamp(s.now())
	d = storecore.PrepareDecision(d, now)
	err := s.write(ctx, func(tx pgx.Tx) error {
		var st, corr string
		err := tx.QueryRow(ctx, `SELECT state, correction FROM sub_requests WHERE guid = $1 FOR UPDATE`, d.SubRequestGUID).Scan(&st, &corr)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("sub-request %s: %w", d.SubRequestGUID, domain.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read sub-request %s: %w", d.SubRequestGUID, err)
		}
		if !domain.State(st).Closed() || corr != "" {
			return fmt.Errorf("sub-request %s is %s (correction %q): no answer to correct: %w", d.SubRequestGUID, st, corr, domain.ErrConflict)
		}
		if err := insertDecision(ctx, tx, d); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sub_requests SET state = 'review', correction = 'proposed', updated_at = $2 WHERE guid = $1`,
			d.SubRequestGUID, now); err != nil {
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
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT a.decision FROM message_actions a JOIN messages m ON m.id = a.message_id
		WHERE a.subrequest_guid = $1 AND a.kind = 'Send' AND a.outcome = 'answered'
		ORDER BY m.created_at DESC, a.message_id DESC LIMIT 1`, guid).Scan(&body)
	if err != nil {
		return domain.Decision{}, fmt.Errorf("sent answer of %s: %w", guid, translate(err))
	}
	return storecore.DecodeDecision(guid, body)
}

// Rechecks lists org's sub-requests GIS holds an answer for (answered, auto-answered) with no
// correction under way, earliest deadline first: what the re-check decides again.
func (s *Store) Rechecks(ctx context.Context, org string) ([]domain.SubRequest, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+subRequestCols+` FROM sub_requests s WHERE s.org_guid = $1
		AND s.state IN ('answered', 'auto_answered') AND s.correction = ''`+subRequestOrder, org)
	if err != nil {
		return nil, fmt.Errorf("answers of %s to check again: %w", org, translate(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.SubRequest, error) { return scanSubRequest(r) })
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
	now := storecore.Stamp(s.now())
	err := s.write(ctx, func(tx pgx.Tx) error {
		st, err := lockState(ctx, tx, guid)
		if err != nil {
			return err
		}
		if st != from {
			return fmt.Errorf("sub-request %s is %s, not %s: %w", guid, st, from, domain.ErrConflict)
		}
		if from == to {
			return nil
		}
		if err := setState(ctx, tx, guid, to, now); err != nil {
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

func scanDecision(row pgx.Row) (domain.Decision, error) {
	var (
		guid string
		at   time.Time
		body []byte
	)
	if err := row.Scan(&guid, &at, &body); err != nil {
		return domain.Decision{}, err
	}
	d, err := storecore.DecodeDecision(guid, body)
	if err != nil {
		return d, err
	}
	d.DecidedAt = at.UTC()
	return d, nil
}

// GetDecision returns the current (latest) decision for a sub-request.
func (s *Store) GetDecision(ctx context.Context, guid string) (domain.Decision, error) {
	if err := s.usable(ctx); err != nil {
		return domain.Decision{}, err
	}
	d, err := scanDecision(s.pool.QueryRow(ctx, `SELECT `+decisionCols+` FROM decisions d
		WHERE d.subrequest_guid = $1 ORDER BY d.id DESC LIMIT 1`, guid))
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
	rows, err := s.pool.Query(ctx, `SELECT `+decisionCols+` FROM decisions d WHERE d.subrequest_guid = $1 ORDER BY d.id`, guid)
	if err != nil {
		return nil, fmt.Errorf("decisions for %s: %w", guid, translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Decision, error) { return scanDecision(row) })
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
		WHERE s.state = 'review' AND ($1 = '' OR s.org_guid = $1)` + subRequestOrder
	rows, err := s.pool.Query(ctx, q, org)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storecore.ReviewItem, error) {
		var (
			dguid pgtype.Text
			at    pgtype.Timestamptz
			body  []byte
		)
		r, err := scanSubRequest(row, &dguid, &at, &body)
		if err != nil {
			return storecore.ReviewItem{}, err
		}
		item := storecore.ReviewItem{SubRequest: r}
		if dguid.Valid {
			d, err := storecore.DecodeDecision(dguid.String, body)
			if err != nil {
				return item, err
			}
			d.DecidedAt = at.Time.UTC()
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
	rows, err := s.pool.Query(ctx, `SELECT subrequest_guid, at, actor, action, detail FROM audit
		WHERE subrequest_guid = $1 ORDER BY id`, guid)
	if err != nil {
		return nil, fmt.Errorf("audit of %s: %w", guid, translate(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.AuditEntry, error) {
		var e domain.AuditEntry
		err := row.Scan(&e.SubRequestGUID, &e.At, &e.Actor, &e.Action, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit of %s: %w", guid, err)
	}
	return out, nil
}
