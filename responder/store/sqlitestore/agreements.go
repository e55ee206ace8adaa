package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

const agreementCols = `org_guid, act_id, agreement_number, agreement_date, kind, schedule_end, amount, paid, status`

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// MissingCourtActs returns those of ids (in the given order, without repeats) for which no
// court act of org is stored.
func (s *Store) MissingCourtActs(ctx context.Context, org string, ids []string) ([]string, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	missing, err := missingActs(ctx, s.r, org, ids)
	if err != nil {
		return nil, translate(err)
	}
	return missing, nil
}

func missingActs(ctx context.Context, q queryer, org string, ids []string) ([]string, error) {
	have := make(map[string]bool, len(ids))
	rest := dedupe(ids)
	// Bounded IN lists stay well under SQLite's limit on bound parameters.
	const chunk = 500
	for len(rest) > 0 {
		n := min(chunk, len(rest))
		args := []any{org}
		for _, id := range rest[:n] {
			args = append(args, id)
		}
		rest = rest[n:]
		rows, err := q.QueryContext(ctx, `SELECT act_id FROM court_acts WHERE org_guid = ? AND act_id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read court act ids: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read court act ids: %w", err)
			}
			have[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read court act ids: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read court act ids: %w", err)
		}
	}
	var missing []string
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, id)
			have[id] = true // report each id once
		}
	}
	return missing, nil
}

// ImportAgreements upserts the agreements of org by act and number in one transaction;
// unchanged rows are not rewritten. Every agreement's court act must be stored for org;
// otherwise nothing is written and the error is a *MissingActsError.
func (s *Store) ImportAgreements(ctx context.Context, org string, ags []domain.Agreement) (storecore.ImportStats, error) {
	if err := s.usable(ctx); err != nil {
		return storecore.ImportStats{}, err
	}
	ags, err := storecore.CheckAgreements(org, ags)
	if err != nil {
		return storecore.ImportStats{}, fmt.Errorf("import agreements: %w", err)
	}
	var plan storecore.AgreementsPlan
	now := s.now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		missing, err := missingActs(ctx, tx, org, storecore.AgreementActIDs(ags))
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return &storecore.MissingActsError{Org: org, ActIDs: missing}
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+agreementCols+` FROM agreements WHERE org_guid = ?`, org)
		if err != nil {
			return fmt.Errorf("read stored agreements: %w", err)
		}
		stored, err := scanAgreements(rows)
		if err != nil {
			return err
		}
		existing := make(map[storecore.AgreementKey]domain.Agreement, len(stored))
		for _, a := range stored {
			existing[storecore.KeyOf(a)] = a
		}
		plan = storecore.PlanAgreements(ags, existing)
		if len(plan.Insert)+len(plan.Update) == 0 {
			return nil
		}
		up, err := tx.PrepareContext(ctx, `INSERT INTO agreements (`+agreementCols+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_guid, act_id, agreement_number) DO UPDATE SET agreement_date = excluded.agreement_date,
			kind = excluded.kind, schedule_end = excluded.schedule_end, amount = excluded.amount, paid = excluded.paid,
			status = excluded.status, updated_at = excluded.updated_at`)
		if err != nil {
			return fmt.Errorf("write agreements: %w", err)
		}
		defer up.Close()
		for _, a := range append(append([]domain.Agreement(nil), plan.Insert...), plan.Update...) {
			if _, err := up.ExecContext(ctx, a.OrgGUID, a.ActID, a.Number, dateArg(a.Date), string(a.Kind),
				dateArg(a.ScheduleEnd), int64(a.Amount), int64(a.Paid), string(a.Status), stamp(now)); err != nil {
				return fmt.Errorf("write agreement %q of act %q: %w", a.Number, a.ActID, err)
			}
		}
		st := plan.Stats()
		return s.audit(ctx, tx, now, "", storecore.ImportActor, "import agreements",
			fmt.Sprintf("org=%q inserted=%d updated=%d unchanged=%d", org, st.Inserted, st.Updated, st.Unchanged))
	})
	if err != nil {
		return storecore.ImportStats{}, fmt.Errorf("import agreements: %w", err)
	}
	return plan.Stats(), nil
}

// attachAgreements reads the agreements of acts and puts them on the acts.
func (s *Store) attachAgreements(ctx context.Context, acts []domain.CourtAct) error {
	ids := make([]string, len(acts))
	for i, a := range acts {
		ids[i] = a.ID
	}
	ids = dedupe(ids)
	var all []domain.Agreement
	const chunk = 500
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		in, args := inList(ids[:n], chunk)
		ids = ids[n:]
		// Selected by act id only; AttachAgreements matches the organization too.
		rows, err := s.rc.QueryContext(ctx, `SELECT `+agreementCols+` FROM agreements WHERE act_id IN (`+in+`)
			ORDER BY org_guid, act_id, agreement_date IS NULL, agreement_date, agreement_number`, args...)
		if err != nil {
			return fmt.Errorf("read agreements: %w", translate(err))
		}
		ags, err := scanAgreements(rows)
		if err != nil {
			return err
		}
		all = append(all, ags...)
	}
	storecore.AttachAgreements(acts, all)
	return nil
}

func scanAgreements(rows *sql.Rows) ([]domain.Agreement, error) {
	defer rows.Close()
	var out []domain.Agreement
	for rows.Next() {
		var (
			a            domain.Agreement
			date, end    sql.NullString
			kind, status string
			amount, paid int64
		)
		if err := rows.Scan(&a.OrgGUID, &a.ActID, &a.Number, &date, &kind, &end, &amount, &paid, &status); err != nil {
			return nil, fmt.Errorf("read agreements: %w", err)
		}
		var err error
		if a.Date, err = parseDate(date); err != nil {
			return nil, fmt.Errorf("agreement %q of act %q: %w", a.Number, a.ActID, err)
		}
		if a.ScheduleEnd, err = parseDate(end); err != nil {
			return nil, fmt.Errorf("agreement %q of act %q: %w", a.Number, a.ActID, err)
		}
		a.Kind, a.Status = domain.AgreementKind(kind), domain.AgreementStatus(status)
		a.Amount, a.Paid = domain.Money(amount), domain.Money(paid)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read agreements: %w", err)
	}
	return out, nil
}
