package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

const agreementCols = `org_guid, act_id, agreement_number, agreement_date, kind, schedule_end, amount, paid, status`

// MissingCourtActs returns those of ids (in the given order, without repeats) for which no
// court act of org is stored.
func (s *Store) MissingCourtActs(ctx context.Context, org string, ids []string) ([]string, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	missing, err := missingActs(ctx, s.pool, org, ids)
	if err != nil {
		return nil, translate(err)
	}
	return missing, nil
}

func missingActs(ctx context.Context, q querier, org string, ids []string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT act_id FROM court_acts WHERE org_guid = $1 AND act_id = ANY($2)`, org, ids)
	if err != nil {
		return nil, fmt.Errorf("read court act ids: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read court act ids: %w", err)
	}
	have := make(map[string]bool, len(found))
	for _, id := range found {
		have[id] = true
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
	now := storecore.Stamp(s.now())
	err = s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, importLockKey); err != nil {
			return fmt.Errorf("take import lock: %w", err)
		}
		actIDs := storecore.AgreementActIDs(ags)
		missing, err := missingActs(ctx, tx, org, actIDs)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return &storecore.MissingActsError{Org: org, ActIDs: missing}
		}
		rows, err := tx.Query(ctx, `SELECT `+agreementCols+` FROM agreements WHERE org_guid = $1 AND act_id = ANY($2)`, org, actIDs)
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
		batch := &pgx.Batch{}
		for _, a := range append(append([]domain.Agreement(nil), plan.Insert...), plan.Update...) {
			batch.Queue(`INSERT INTO agreements (`+agreementCols+`, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (org_guid, act_id, agreement_number) DO UPDATE SET agreement_date = EXCLUDED.agreement_date,
				kind = EXCLUDED.kind, schedule_end = EXCLUDED.schedule_end, amount = EXCLUDED.amount, paid = EXCLUDED.paid,
				status = EXCLUDED.status, updated_at = EXCLUDED.updated_at`,
				a.OrgGUID, a.ActID, a.Number, dateArg(a.Date), string(a.Kind), dateArg(a.ScheduleEnd),
				int64(a.Amount), int64(a.Paid), string(a.Status), now)
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("write agreements: %w", err)
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
	if len(acts) == 0 {
		return nil
	}
	orgs := make([]string, len(acts))
	ids := make([]string, len(acts))
	for i, a := range acts {
		orgs[i], ids[i] = a.OrgGUID, a.ID
	}
	rows, err := s.pool.Query(ctx, `SELECT `+agreementCols+` FROM agreements
		WHERE (org_guid, act_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
		ORDER BY org_guid COLLATE "C", act_id COLLATE "C", agreement_date NULLS LAST, agreement_number COLLATE "C"`, orgs, ids)
	if err != nil {
		return fmt.Errorf("read agreements: %w", translate(err))
	}
	ags, err := scanAgreements(rows)
	if err != nil {
		return err
	}
	storecore.AttachAgreements(acts, ags)
	return nil
}

func scanAgreements(rows pgx.Rows) ([]domain.Agreement, error) {
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Agreement, error) {
		var (
			a            domain.Agreement
			date, end    pgtype.Date
			kind, status string
			amount, paid int64
		)
		err := row.Scan(&a.OrgGUID, &a.ActID, &a.Number, &date, &kind, &end, &amount, &paid, &status)
		a.Date, a.ScheduleEnd = dateOf(date), dateOf(end)
		a.Kind, a.Status = domain.AgreementKind(kind), domain.AgreementStatus(status)
		a.Amount, a.Paid = domain.Money(amount), domain.Money(paid)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("read agreements: %w", err)
	}
	return out, nil
}
