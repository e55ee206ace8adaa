package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

const premisesCols = `org_guid, premise_id, hm_object_guid, house_guid, fias_house_guid, flat, room, address, account_number`

// ImportPremises upserts premises of org by premise_id in one transaction; unchanged rows
// are not rewritten.
func (s *Store) ImportPremises(ctx context.Context, org string, ps []domain.Premises) (storecore.ImportStats, error) {
	if err := s.usable(ctx); err != nil {
		return storecore.ImportStats{}, err
	}
	ps, err := storecore.CheckPremises(org, ps)
	if err != nil {
		return storecore.ImportStats{}, fmt.Errorf("import premises: %w", err)
	}
	var plan storecore.PremisesPlan
	now := s.now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		existing, err := s.orgPremises(ctx, tx, org)
		if err != nil {
			return err
		}
		plan = storecore.PlanPremises(ps, existing)
		if len(plan.Insert)+len(plan.Update) == 0 {
			return nil
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO premises (`+premisesCols+`, address_key, flat_key, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, p := range plan.Insert {
			if _, err := ins.ExecContext(ctx, p.OrgGUID, p.ID, p.HMObjectGUID, p.HouseGUID, p.FIASHouseGUID,
				p.Flat, p.Room, p.Address, p.AccountNumber, domain.AddressKey(p.Address), storecore.FlatKey(p), stamp(now)); err != nil {
				return fmt.Errorf("insert premises %q: %w", p.ID, err)
			}
		}
		upd, err := tx.PrepareContext(ctx, `UPDATE premises SET hm_object_guid = ?, house_guid = ?, fias_house_guid = ?,
			flat = ?, room = ?, address = ?, account_number = ?, address_key = ?, flat_key = ?, updated_at = ?
			WHERE org_guid = ? AND premise_id = ?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		for _, p := range plan.Update {
			if _, err := upd.ExecContext(ctx, p.HMObjectGUID, p.HouseGUID, p.FIASHouseGUID, p.Flat, p.Room,
				p.Address, p.AccountNumber, domain.AddressKey(p.Address), storecore.FlatKey(p), stamp(now), p.OrgGUID, p.ID); err != nil {
				return fmt.Errorf("update premises %q: %w", p.ID, err)
			}
		}
		st := plan.Stats()
		if st.ShouldAnalyze() {
			if err := analyze(ctx, tx, "premises"); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, now, "", storecore.ImportActor, "import premises",
			fmt.Sprintf("org=%q inserted=%d updated=%d unchanged=%d", org, st.Inserted, st.Updated, st.Unchanged))
	})
	if err != nil {
		return storecore.ImportStats{}, fmt.Errorf("import premises: %w", err)
	}
	return plan.Stats(), nil
}

func (s *Store) orgPremises(ctx context.Context, tx *sql.Tx, org string) (map[string]domain.Premises, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+premisesCols+` FROM premises WHERE org_guid = ?`, org)
	if err != nil {
		return nil, fmt.Errorf("read stored premises: %w", err)
	}
	ps, err := scanPremises(rows)
	if err != nil {
		return nil, err
	}
	m := make(map[string]domain.Premises, len(ps))
	for _, p := range ps {
		m[p.ID] = p
	}
	return m, nil
}

func scanPremises(rows *sql.Rows) ([]domain.Premises, error) {
	out, err := collect(rows, func(sc scanner) (domain.Premises, error) {
		var p domain.Premises
		err := sc.Scan(&p.OrgGUID, &p.ID, &p.HMObjectGUID, &p.HouseGUID, &p.FIASHouseGUID, &p.Flat,
			&p.Room, &p.Address, &p.AccountNumber)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read premises: %w", err)
	}
	return out, nil
}

// premisesKeys returns the stored (org, premise_id) pairs an act of org may refer to.
func premisesKeys(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, org string, ids []string) ([]storecore.ActPremisesKey, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	rows, err := q.QueryContext(ctx, `SELECT org_guid, premise_id FROM premises WHERE org_guid IN (?, '')`, org)
	if err != nil {
		return nil, fmt.Errorf("read premises ids: %w", err)
	}
	defer rows.Close()
	var keys []storecore.ActPremisesKey
	for rows.Next() {
		var k storecore.ActPremisesKey
		if err := rows.Scan(&k.Org, &k.PremisesID); err != nil {
			return nil, fmt.Errorf("read premises ids: %w", err)
		}
		if want[k.PremisesID] {
			keys = append(keys, k)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read premises ids: %w", err)
	}
	return keys, nil
}

// MissingPremises returns those of ids (in the given order, without repeats) for which no
// premises of org, or imported without an organization, is stored.
func (s *Store) MissingPremises(ctx context.Context, org string, ids []string) ([]string, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	keys, err := premisesKeys(ctx, s.r, org, ids)
	if err != nil {
		return nil, err
	}
	return missingIDs(org, ids, keys), nil
}

func missingIDs(org string, ids []string, keys []storecore.ActPremisesKey) []string {
	found := storecore.ResolvePremises(org, keys)
	seen := make(map[string]bool, len(ids))
	var missing []string
	for _, id := range ids {
		if _, ok := found[id]; !ok && !seen[id] {
			missing = append(missing, id)
		}
		seen[id] = true
	}
	return missing
}

const actCols = `a.org_guid, a.act_id, a.premises_org, a.premise_id, a.case_number, a.kind, a.pronounced_on,
	a.effective_on, a.debt_from, a.debt_to, a.amount, a.outstanding, a.outstanding_unknown, a.balance_on,
	a.cancelled_on, a.doc_name, a.doc_path, a.doc_size, a.doc_hash, a.doc_attachment_guid`

const debtorCols = `d.debtor_key, d.last_name, d.first_name, d.middle_name, d.snils, d.doc_type, d.doc_series, d.doc_number`

// ImportCourtActs upserts court acts of org by act_id, with their debtors (by debtor key)
// and document, in one transaction. Every act's premises must be stored.
func (s *Store) ImportCourtActs(ctx context.Context, org string, acts []domain.CourtAct) (storecore.ImportStats, error) {
	if err := s.usable(ctx); err != nil {
		return storecore.ImportStats{}, err
	}
	acts, err := storecore.CheckActs(org, acts)
	if err != nil {
		return storecore.ImportStats{}, fmt.Errorf("import court acts: %w", err)
	}
	var plan storecore.ActsPlan
	now := s.now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		keys, err := premisesKeys(ctx, tx, org, storecore.ActPremisesIDs(acts))
		if err != nil {
			return err
		}
		existing, err := s.orgActs(ctx, tx, org)
		if err != nil {
			return err
		}
		plan, err = storecore.PlanActs(org, acts, existing, storecore.ResolvePremises(org, keys), storecore.Today(now))
		if err != nil {
			return err
		}
		if len(plan.Insert)+len(plan.Update) == 0 {
			return nil
		}
		if err := s.writeActs(ctx, tx, plan, now); err != nil {
			return err
		}
		if err := writeBalances(ctx, tx, plan.Balances, now); err != nil {
			return err
		}
		st := plan.Stats()
		if st.ShouldAnalyze() {
			if err := analyze(ctx, tx, "court_acts", "court_act_debtors"); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, now, "", storecore.ImportActor, "import court acts",
			fmt.Sprintf("org=%q inserted=%d updated=%d unchanged=%d", org, st.Inserted, st.Updated, st.Unchanged))
	})
	if err != nil {
		return storecore.ImportStats{}, fmt.Errorf("import court acts: %w", err)
	}
	return plan.Stats(), nil
}

func (s *Store) writeActs(ctx context.Context, tx *sql.Tx, plan storecore.ActsPlan, now time.Time) error {
	ins, err := tx.PrepareContext(ctx, `INSERT INTO court_acts (org_guid, act_id, premises_org, premise_id,
		case_number, kind, pronounced_on, effective_on, debt_from, debt_to, amount, outstanding, outstanding_unknown,
		balance_on, cancelled_on, doc_name, doc_path, doc_size, doc_hash, doc_attachment_guid, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	upd, err := tx.PrepareContext(ctx, `UPDATE court_acts SET premises_org = ?, premise_id = ?, case_number = ?,
		kind = ?, pronounced_on = ?, effective_on = ?, debt_from = ?, debt_to = ?, amount = ?, outstanding = ?,
		outstanding_unknown = ?, balance_on = ?, cancelled_on = ?, doc_name = ?, doc_path = ?, doc_size = ?, doc_hash = ?,
		doc_attachment_guid = ?, updated_at = ? WHERE org_guid = ? AND act_id = ?`)
	if err != nil {
		return err
	}
	defer upd.Close()
	delDebtors, err := tx.PrepareContext(ctx, `DELETE FROM court_act_debtors WHERE org_guid = ? AND act_id = ?`)
	if err != nil {
		return err
	}
	defer delDebtors.Close()
	insDebtor, err := tx.PrepareContext(ctx, `INSERT INTO court_act_debtors (org_guid, act_id, debtor_key, position,
		last_name, first_name, middle_name, snils, doc_type, doc_series, doc_number)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insDebtor.Close()

	ts := stamp(now)
	addDebtors := func(a domain.CourtAct) error {
		for i, d := range a.Debtors {
			if _, err := insDebtor.ExecContext(ctx, a.OrgGUID, a.ID, d.Key(), i, d.LastName, d.FirstName,
				d.MiddleName, d.SNILS, d.DocType, d.DocSeries, d.DocNumber); err != nil {
				return fmt.Errorf("insert debtor of court act %q: %w", a.ID, err)
			}
		}
		return nil
	}
	for _, r := range plan.Insert {
		a := r.Act
		doc := docOf(a)
		if _, err := ins.ExecContext(ctx, a.OrgGUID, a.ID, r.PremisesOrg, a.PremisesID, a.CaseNumber, string(a.Kind),
			dateArg(a.PronouncedOn), dateArg(a.EffectiveOn), dateArg(a.DebtFrom), dateArg(a.DebtTo),
			int64(a.Amount), int64(a.Outstanding), a.OutstandingUnknown, dateArg(a.BalanceOn), dateArg(a.CancelledOn),
			doc.Name, doc.Path, doc.Size, doc.Hash, doc.AttachmentGUID, ts); err != nil {
			return fmt.Errorf("insert court act %q: %w", a.ID, err)
		}
		if err := addDebtors(a); err != nil {
			return err
		}
	}
	for _, r := range plan.Update {
		a := r.Act
		doc := docOf(a)
		if _, err := upd.ExecContext(ctx, r.PremisesOrg, a.PremisesID, a.CaseNumber, string(a.Kind),
			dateArg(a.PronouncedOn), dateArg(a.EffectiveOn), dateArg(a.DebtFrom), dateArg(a.DebtTo),
			int64(a.Amount), int64(a.Outstanding), a.OutstandingUnknown, dateArg(a.BalanceOn), dateArg(a.CancelledOn),
			doc.Name, doc.Path, doc.Size, doc.Hash, doc.AttachmentGUID, ts, a.OrgGUID, a.ID); err != nil {
			return fmt.Errorf("update court act %q: %w", a.ID, err)
		}
		if _, err := delDebtors.ExecContext(ctx, a.OrgGUID, a.ID); err != nil {
			return fmt.Errorf("replace debtors of court act %q: %w", a.ID, err)
		}
		if err := addDebtors(a); err != nil {
			return err
		}
	}
	return nil
}

// writeBalances adds the plan's balance history rows; a row for a date already recorded
// replaces it (a corrected file for the same date).
func writeBalances(ctx context.Context, tx *sql.Tx, rows []storecore.BalanceRow, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO balance_history (org_guid, act_id, balance_on, outstanding,
		outstanding_unknown, recorded_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_guid, act_id, balance_on) DO UPDATE SET outstanding = excluded.outstanding,
			outstanding_unknown = excluded.outstanding_unknown, recorded_at = excluded.recorded_at`)
	if err != nil {
		return fmt.Errorf("record balance history: %w", err)
	}
	defer ins.Close()
	ts := stamp(now)
	for _, r := range rows {
		if _, err := ins.ExecContext(ctx, r.OrgGUID, r.ActID, dateArg(r.On), int64(r.Outstanding), r.Unknown, ts); err != nil {
			return fmt.Errorf("record balance history of court act %q: %w", r.ActID, err)
		}
	}
	return nil
}

// analyze refreshes the planner's statistics (sqlite_stat1) of the tables after a large
// import. Without them SQLite guesses that every index is equally selective and may walk the
// whole premises table for one house. analysis_limit keeps it to a sample of each index, so
// it costs milliseconds, not a scan of a million rows.
func analyze(ctx context.Context, tx *sql.Tx, tables ...string) error {
	if _, err := tx.ExecContext(ctx, `PRAGMA analysis_limit = 1000`); err != nil {
		return fmt.Errorf("refresh statistics: %w", err)
	}
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, `ANALYZE `+t); err != nil {
			return fmt.Errorf("refresh statistics of %s: %w", t, err)
		}
	}
	return nil
}

func docOf(a domain.CourtAct) domain.Document {
	if a.Document == nil {
		return domain.Document{}
	}
	return *a.Document
}

// orgActs reads every stored act of org with its debtors.
func (s *Store) orgActs(ctx context.Context, tx *sql.Tx, org string) (map[string]storecore.ActRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+actCols+`, `+debtorCols+` FROM court_acts a
		LEFT JOIN court_act_debtors d ON d.org_guid = a.org_guid AND d.act_id = a.act_id
		WHERE a.org_guid = ? ORDER BY a.act_id, d.position`, org)
	if err != nil {
		return nil, fmt.Errorf("read stored court acts: %w", err)
	}
	acts, err := scanActs(rows)
	if err != nil {
		return nil, err
	}
	m := make(map[string]storecore.ActRow, len(acts))
	for _, a := range acts {
		m[a.Act.ID] = a
	}
	return m, nil
}

// scanActs reads rows of actCols + debtorCols ordered by act, grouping debtors into acts.
func scanActs(rows *sql.Rows) ([]storecore.ActRow, error) {
	defer rows.Close()
	var out []storecore.ActRow
	for rows.Next() {
		var (
			r                                           storecore.ActRow
			kind                                        string
			pron, eff, from, to, bal, canc              sql.NullString
			amount, outstanding, size                   int64
			unknown                                     bool
			docName, docPath, docHash, docGUID          string
			key, last, first, middle, snils, dt, ds, dn sql.NullString
		)
		a := &r.Act
		if err := rows.Scan(&a.OrgGUID, &a.ID, &r.PremisesOrg, &a.PremisesID, &a.CaseNumber, &kind, &pron, &eff,
			&from, &to, &amount, &outstanding, &unknown, &bal, &canc, &docName, &docPath, &size, &docHash, &docGUID,
			&key, &last, &first, &middle, &snils, &dt, &ds, &dn); err != nil {
			return nil, fmt.Errorf("read court acts: %w", err)
		}
		if n := len(out); n > 0 && out[n-1].Act.OrgGUID == a.OrgGUID && out[n-1].Act.ID == a.ID {
			if key.Valid {
				out[n-1].Act.Debtors = append(out[n-1].Act.Debtors, domain.Debtor{LastName: last.String,
					FirstName: first.String, MiddleName: middle.String, SNILS: snils.String, DocType: dt.String,
					DocSeries: ds.String, DocNumber: dn.String})
			}
			continue
		}
		a.Kind = domain.ActKind(kind)
		a.Amount, a.Outstanding, a.OutstandingUnknown = domain.Money(amount), domain.Money(outstanding), unknown
		var err error
		for _, d := range []struct {
			dst *time.Time
			src sql.NullString
		}{{&a.PronouncedOn, pron}, {&a.EffectiveOn, eff}, {&a.DebtFrom, from}, {&a.DebtTo, to}, {&a.BalanceOn, bal}, {&a.CancelledOn, canc}} {
			if *d.dst, err = parseDate(d.src); err != nil {
				return nil, fmt.Errorf("court act %q: %w", a.ID, err)
			}
		}
		if docPath != "" {
			a.Document = &domain.Document{Name: docName, Path: docPath, Size: size, Hash: docHash, AttachmentGUID: docGUID}
		}
		if key.Valid {
			a.Debtors = []domain.Debtor{{LastName: last.String, FirstName: first.String, MiddleName: middle.String,
				SNILS: snils.String, DocType: dt.String, DocSeries: ds.String, DocNumber: dn.String}}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read court acts: %w", err)
	}
	return out, nil
}
