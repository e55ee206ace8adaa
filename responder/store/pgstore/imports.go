package pgstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

const premisesCols = `org_guid, premise_id, hm_object_guid, house_guid, fias_house_guid, flat, room, address, account_number`

func premisesCopyCols() []string {
	return []string{"org_guid", "premise_id", "hm_object_guid", "house_guid", "fias_house_guid",
		"flat", "room", "address", "account_number", "address_key", "flat_key", "updated_at"}
}

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
	now := storecore.Stamp(s.now())
	err = s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, importLockKey); err != nil {
			return fmt.Errorf("take import lock: %w", err)
		}
		ids := make([]string, len(ps))
		for i, p := range ps {
			ids[i] = p.ID
		}
		rows, err := tx.Query(ctx, `SELECT `+premisesCols+` FROM premises WHERE org_guid = $1 AND premise_id = ANY($2)`, org, ids)
		if err != nil {
			return fmt.Errorf("read stored premises: %w", err)
		}
		stored, err := scanPremises(rows)
		if err != nil {
			return err
		}
		existing := make(map[string]domain.Premises, len(stored))
		for _, p := range stored {
			existing[p.ID] = p
		}
		plan = storecore.PlanPremises(ps, existing)
		if len(plan.Insert)+len(plan.Update) == 0 {
			return nil
		}
		if len(plan.Insert) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"premises"}, premisesCopyCols(), premisesSource(plan.Insert, now)); err != nil {
				return fmt.Errorf("insert premises: %w", err)
			}
		}
		if len(plan.Update) > 0 {
			if _, err := tx.Exec(ctx, `CREATE TEMP TABLE gisgw_premises_in (LIKE premises) ON COMMIT DROP`); err != nil {
				return fmt.Errorf("update premises: %w", err)
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"gisgw_premises_in"}, premisesCopyCols(), premisesSource(plan.Update, now)); err != nil {
				return fmt.Errorf("update premises: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE premises p SET hm_object_guid = t.hm_object_guid, house_guid = t.house_guid,
				fias_house_guid = t.fias_house_guid, flat = t.flat, room = t.room, address = t.address,
				account_number = t.account_number, address_key = t.address_key, flat_key = t.flat_key,
				updated_at = t.updated_at
				FROM gisgw_premises_in t WHERE p.org_guid = t.org_guid AND p.premise_id = t.premise_id`); err != nil {
				return fmt.Errorf("update premises: %w", err)
			}
		}
		st := plan.Stats()
		if st.ShouldAnalyze() {
			if _, err := tx.Exec(ctx, `ANALYZE premises`); err != nil {
				return fmt.Errorf("refresh statistics of premises: %w", err)
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

func premisesSource(ps []domain.Premises, now time.Time) pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(ps), func(i int) ([]any, error) {
		p := ps[i]
		return []any{p.OrgGUID, p.ID, p.HMObjectGUID, p.HouseGUID, p.FIASHouseGUID, p.Flat, p.Room, p.Address,
			p.AccountNumber, domain.AddressKey(p.Address), storecore.FlatKey(p), now}, nil
	})
}

func scanPremises(rows pgx.Rows) ([]domain.Premises, error) {
	defer rows.Close()
	out := []domain.Premises{} // as pgx.CollectRows gives it: empty, not nil
	var r rawRow
	for rows.Next() {
		p, ok := r.premises(rows)
		if !ok {
			var err error
			if p, err = scanPremisesRow(rows); err != nil {
				return nil, fmt.Errorf("read premises: %w", err)
			}
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read premises: %w", err)
	}
	return out, nil
}

// scanPremisesRow reads a row of premisesCols by rows.Scan (which puts what it scans into
// on the heap: a function of its own, so the raw path does not pay for it).
func scanPremisesRow(rows pgx.Rows) (domain.Premises, error) {
	var p domain.Premises
	err := rows.Scan(&p.OrgGUID, &p.ID, &p.HMObjectGUID, &p.HouseGUID, &p.FIASHouseGUID, &p.Flat,
		&p.Room, &p.Address, &p.AccountNumber)
	return p, err
}

// rawRow reads a row from its raw values: the text of all its text columns as one string,
// cut into the columns, so one allocation per row instead of one per column (the premises
// of a batch's houses are thousands of rows, the acts a few hundred of 18 strings each); the
// columns then share the row's memory. The other columns are decoded from PostgreSQL's
// binary format. A reader falls back to rows.Scan for a row where a column has a type or
// format it does not expect (Scan then reports what is wrong).
type rawRow struct {
	fds  []pgconn.FieldDescription
	vals [][]byte
	buf  []byte
	ends []int // ends[c] is where column c's text ends in all (non-text columns add none)
	all  string
}

func (r *rawRow) load(rows pgx.Rows) {
	r.fds, r.vals = rows.FieldDescriptions(), rows.RawValues()
	r.buf, r.ends = r.buf[:0], r.ends[:0]
	for c, v := range r.vals {
		if c < len(r.fds) && r.fds[c].DataTypeOID == pgtype.TextOID {
			r.buf = append(r.buf, v...)
		}
		r.ends = append(r.ends, len(r.buf))
	}
	r.all = string(r.buf)
}

// raw returns column c's value when the column has type oid (and, unless it is text,
// PostgreSQL's binary format); ok is false otherwise. A NULL is a nil value.
func (r *rawRow) raw(c int, oid uint32) (v []byte, ok bool) {
	if c >= len(r.vals) || c >= len(r.fds) || r.fds[c].DataTypeOID != oid ||
		(oid != pgtype.TextOID && r.fds[c].Format != pgtype.BinaryFormatCode) {
		return nil, false
	}
	return r.vals[c], true
}

// text returns text column c; valid is false for NULL.
func (r *rawRow) text(c int) (s string, valid, ok bool) {
	v, ok := r.raw(c, pgtype.TextOID)
	if !ok || v == nil {
		return "", false, ok
	}
	start := 0
	if c > 0 {
		start = r.ends[c-1]
	}
	return r.all[start:r.ends[c]], true, true
}

// str returns text column c, which must not be NULL.
func (r *rawRow) str(c int, ok *bool) string {
	s, valid, k := r.text(c)
	*ok = *ok && k && valid
	return s
}

// int8 returns bigint column c, which must not be NULL.
func (r *rawRow) int8(c int, ok *bool) int64 {
	v, k := r.raw(c, pgtype.Int8OID)
	if !k || len(v) != 8 {
		*ok = false
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// bool returns boolean column c, which must not be NULL.
func (r *rawRow) bool(c int, ok *bool) bool {
	v, k := r.raw(c, pgtype.BoolOID)
	if !k || len(v) != 1 {
		*ok = false
		return false
	}
	return v[0] == 1
}

// date returns date column c as dateOf does: the zero time for NULL.
func (r *rawRow) date(c int, ok *bool) time.Time {
	v, k := r.raw(c, pgtype.DateOID)
	switch {
	case !k:
		*ok = false
		return time.Time{}
	case v == nil:
		return time.Time{}
	case len(v) != 4:
		*ok = false
		return time.Time{}
	}
	// As pgtype's DateCodec reads it; infinite dates and years outside 1-9999 (which the
	// codec may refuse) are left to it.
	t := time.Date(2000, 1, int(1+int32(binary.BigEndian.Uint32(v))), 0, 0, 0, 0, time.UTC)
	if y := t.Year(); y < 1 || y > 9999 {
		*ok = false
		return time.Time{}
	}
	return t
}

// premises reads a row of premisesCols.
func (r *rawRow) premises(rows pgx.Rows) (domain.Premises, bool) {
	r.load(rows)
	ok := true
	p := domain.Premises{OrgGUID: r.str(0, &ok), ID: r.str(1, &ok), HMObjectGUID: r.str(2, &ok), HouseGUID: r.str(3, &ok),
		FIASHouseGUID: r.str(4, &ok), Flat: r.str(5, &ok), Room: r.str(6, &ok), Address: r.str(7, &ok),
		AccountNumber: r.str(8, &ok)}
	if !ok {
		return domain.Premises{}, false
	}
	return p, true
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// premisesKeys returns the stored (org, premise_id) pairs among ids that an act of org may
// refer to.
func premisesKeys(ctx context.Context, q querier, org string, ids []string) ([]storecore.ActPremisesKey, error) {
	rows, err := q.Query(ctx, `SELECT org_guid, premise_id FROM premises WHERE org_guid IN ($1, '') AND premise_id = ANY($2)`, org, ids)
	if err != nil {
		return nil, fmt.Errorf("read premises ids: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (storecore.ActPremisesKey, error) {
		var k storecore.ActPremisesKey
		err := row.Scan(&k.Org, &k.PremisesID)
		return k, err
	})
	if err != nil {
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
	keys, err := premisesKeys(ctx, s.pool, org, ids)
	if err != nil {
		return nil, translate(err)
	}
	found := storecore.ResolvePremises(org, keys)
	seen := make(map[string]bool, len(ids))
	var missing []string
	for _, id := range ids {
		if _, ok := found[id]; !ok && !seen[id] {
			missing = append(missing, id)
		}
		seen[id] = true
	}
	return missing, nil
}

const actCols = `a.org_guid, a.act_id, a.premises_org, a.premise_id, a.case_number, a.kind, a.pronounced_on,
	a.effective_on, a.debt_from, a.debt_to, a.amount, a.outstanding, a.outstanding_unknown, a.balance_on,
	a.cancelled_on, a.doc_name, a.doc_path, a.doc_size, a.doc_hash, a.doc_attachment_guid`

const debtorCols = `d.debtor_key, d.last_name, d.first_name, d.middle_name, d.snils, d.doc_type, d.doc_series, d.doc_number`

func actCopyCols() []string {
	return []string{"org_guid", "act_id", "premises_org", "premise_id", "case_number", "kind",
		"pronounced_on", "effective_on", "debt_from", "debt_to", "amount", "outstanding",
		"outstanding_unknown", "balance_on", "cancelled_on", "doc_name", "doc_path", "doc_size", "doc_hash", "doc_attachment_guid", "updated_at"}
}

func debtorCopyCols() []string {
	return []string{"org_guid", "act_id", "debtor_key", "position", "last_name", "first_name",
		"middle_name", "snils", "doc_type", "doc_series", "doc_number"}
}

// ImportCourtActs upserts court acts of org by act_id, with their debtors (by debtor key)
// and document, in one transaction. Every act's premises must be stored.
func (s *Store) ImportCourtActs(ctx context.Context, org string, acts []domain.CourtAct) (storecore.ImportStats, error) {
	if err := s.usable(ctx); err != nil {
		return storecore.ImportStats{}, err
	}
	// The whole input at once: repeated acts are found exactly, not by hash.
	if _, err := storecore.CheckActs(org, acts); err != nil {
		return storecore.ImportStats{}, fmt.Errorf("import court acts: %w", err)
	}
	return s.importCourtActs(ctx, storecore.ActsImport{Org: org, Checked: true}, storecore.ActChunks(acts, 0))
}

// ImportCourtActsStream is ImportCourtActs over chunks of acts, in one transaction.
func (s *Store) ImportCourtActsStream(ctx context.Context, org string, next func() ([]domain.CourtAct, error)) (storecore.ImportStats, error) {
	if err := s.usable(ctx); err != nil {
		return storecore.ImportStats{}, err
	}
	return s.importCourtActs(ctx, storecore.ActsImport{Org: org}, next)
}

func (s *Store) importCourtActs(ctx context.Context, im storecore.ActsImport, next func() ([]domain.CourtAct, error)) (storecore.ImportStats, error) {
	org := im.Org
	now := storecore.Stamp(s.now())
	err := s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, importLockKey); err != nil {
			return fmt.Errorf("take import lock: %w", err)
		}
		w := &actsWriter{tx: tx, now: now}
		chunks, stop := im.CheckAhead(next)
		defer stop()
		for c := range chunks {
			if c.Err != nil {
				return c.Err
			}
			if err := importActsChunk(ctx, tx, &im, w, c); err != nil {
				return err
			}
		}
		if err := im.Err(); err != nil {
			return err
		}
		st := im.Stats()
		if st.Inserted+st.Updated == 0 {
			return nil
		}
		if st.ShouldAnalyze() {
			// Only the columns the store looks acts up by: the table's size and these are
			// what the plans need, and the other columns' statistics (two thirds of the
			// ANALYZE) wait for autovacuum.
			if _, err := tx.Exec(ctx, `ANALYZE court_acts (org_guid, act_id, premises_org, premise_id), court_act_debtors (org_guid, act_id)`); err != nil {
				return fmt.Errorf("refresh statistics of court acts: %w", err)
			}
		}
		return s.audit(ctx, tx, now, "", storecore.ImportActor, "import court acts",
			fmt.Sprintf("org=%q inserted=%d updated=%d unchanged=%d", org, st.Inserted, st.Updated, st.Unchanged))
	})
	if err != nil {
		return storecore.ImportStats{}, fmt.Errorf("import court acts: %w", err)
	}
	return im.Stats(), nil
}

// importActsChunk plans and writes one checked chunk of acts.
func importActsChunk(ctx context.Context, tx pgx.Tx, im *storecore.ActsImport, w *actsWriter, c storecore.CheckedChunk) error {
	acts := c.Acts
	keys, err := premisesKeys(ctx, tx, im.Org, c.Premises)
	if err != nil {
		return err
	}
	ids := make([]string, len(acts))
	for i, a := range acts {
		ids[i] = a.ID
	}
	rows, err := tx.Query(ctx, `SELECT `+actCols+`, `+debtorCols+` FROM court_acts a
		LEFT JOIN court_act_debtors d ON d.org_guid = a.org_guid AND d.act_id = a.act_id
		WHERE a.org_guid = $1 AND a.act_id = ANY($2) ORDER BY a.act_id, d.position`, im.Org, ids)
	if err != nil {
		return fmt.Errorf("read stored court acts: %w", err)
	}
	stored, err := scanActs(rows)
	if err != nil {
		return err
	}
	existing := make(map[string]storecore.ActRow, len(stored))
	for _, r := range stored {
		existing[r.Act.ID] = r
	}
	plan, write, err := im.Plan(acts, existing, storecore.ResolvePremises(im.Org, keys), storecore.Today(w.now))
	if err != nil || !write {
		return err
	}
	if len(plan.Insert)+len(plan.Update) == 0 {
		return nil
	}
	if err := w.writeActs(ctx, plan); err != nil {
		return err
	}
	return writeBalances(ctx, tx, plan, w.now)
}

// actsWriter writes the plans of an import's chunks in one transaction.
type actsWriter struct {
	tx      pgx.Tx
	now     time.Time
	staging bool // the temporary table of changed acts exists
}

func (w *actsWriter) writeActs(ctx context.Context, plan storecore.ActsPlan) error {
	tx, now := w.tx, w.now
	if len(plan.Insert) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"court_acts"}, actCopyCols(), actsSource(plan.Insert, now)); err != nil {
			return fmt.Errorf("insert court acts: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"court_act_debtors"}, debtorCopyCols(), debtorsSource(plan.Insert)); err != nil {
			return fmt.Errorf("insert debtors: %w", err)
		}
	}
	if len(plan.Update) == 0 {
		return nil
	}
	staging := `TRUNCATE gisgw_acts_in`
	if !w.staging {
		staging = `CREATE TEMP TABLE gisgw_acts_in (LIKE court_acts) ON COMMIT DROP`
	}
	if _, err := tx.Exec(ctx, staging); err != nil {
		return fmt.Errorf("update court acts: %w", err)
	}
	w.staging = true
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"gisgw_acts_in"}, actCopyCols(), actsSource(plan.Update, now)); err != nil {
		return fmt.Errorf("update court acts: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE court_acts a SET premises_org = t.premises_org, premise_id = t.premise_id,
		case_number = t.case_number, kind = t.kind, pronounced_on = t.pronounced_on, effective_on = t.effective_on,
		debt_from = t.debt_from, debt_to = t.debt_to, amount = t.amount, outstanding = t.outstanding,
		outstanding_unknown = t.outstanding_unknown, balance_on = t.balance_on, cancelled_on = t.cancelled_on,
		doc_name = t.doc_name, doc_path = t.doc_path, doc_size = t.doc_size, doc_hash = t.doc_hash,
		doc_attachment_guid = t.doc_attachment_guid, updated_at = t.updated_at
		FROM gisgw_acts_in t WHERE a.org_guid = t.org_guid AND a.act_id = t.act_id`); err != nil {
		return fmt.Errorf("update court acts: %w", err)
	}
	// The debtors of a changed act are replaced as a set: the file lists all of them.
	if _, err := tx.Exec(ctx, `DELETE FROM court_act_debtors d USING gisgw_acts_in t
		WHERE d.org_guid = t.org_guid AND d.act_id = t.act_id`); err != nil {
		return fmt.Errorf("replace debtors: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"court_act_debtors"}, debtorCopyCols(), debtorsSource(plan.Update)); err != nil {
		return fmt.Errorf("replace debtors: %w", err)
	}
	return nil
}

// writeBalances adds the plan's balance history rows: the new acts' first rows by COPY,
// the updated acts' in one statement (the columns go as arrays), where a row for a date
// already recorded replaces it (a corrected file for the same date). A chunk names each act
// once, so no row is hit twice.
func writeBalances(ctx context.Context, tx pgx.Tx, plan storecore.ActsPlan, now time.Time) error {
	if fresh := plan.NewBalances(); len(fresh) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"balance_history"},
			[]string{"org_guid", "act_id", "balance_on", "outstanding", "outstanding_unknown", "recorded_at"},
			pgx.CopyFromSlice(len(fresh), func(i int) ([]any, error) {
				r := fresh[i]
				return []any{r.OrgGUID, r.ActID, dateArg(r.On), int64(r.Outstanding), r.Unknown, now}, nil
			})); err != nil {
			return fmt.Errorf("record balance history: %w", err)
		}
	}
	rows := plan.Balances
	if len(rows) == 0 {
		return nil
	}
	orgs, acts := make([]string, len(rows)), make([]string, len(rows))
	dates, amounts, unknown := make([]pgtype.Date, len(rows)), make([]int64, len(rows)), make([]bool, len(rows))
	for i, r := range rows {
		orgs[i], acts[i], dates[i], amounts[i], unknown[i] = r.OrgGUID, r.ActID, dateArg(r.On), int64(r.Outstanding), r.Unknown
	}
	if _, err := tx.Exec(ctx, `INSERT INTO balance_history (org_guid, act_id, balance_on, outstanding, outstanding_unknown, recorded_at)
		SELECT o, a, d, v, u, $6 FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[], $5::boolean[]) AS t(o, a, d, v, u)
		ON CONFLICT (org_guid, act_id, balance_on) DO UPDATE SET outstanding = excluded.outstanding,
			outstanding_unknown = excluded.outstanding_unknown, recorded_at = excluded.recorded_at`,
		orgs, acts, dates, amounts, unknown, now); err != nil {
		return fmt.Errorf("record balance history: %w", err)
	}
	return nil
}

func actsSource(rows []storecore.ActRow, now time.Time) pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := rows[i]
		a := r.Act
		var doc domain.Document
		if a.Document != nil {
			doc = *a.Document
		}
		return []any{a.OrgGUID, a.ID, r.PremisesOrg, a.PremisesID, a.CaseNumber, string(a.Kind),
			dateArg(a.PronouncedOn), dateArg(a.EffectiveOn), dateArg(a.DebtFrom), dateArg(a.DebtTo),
			int64(a.Amount), int64(a.Outstanding), a.OutstandingUnknown, dateArg(a.BalanceOn), dateArg(a.CancelledOn),
			doc.Name, doc.Path, doc.Size, doc.Hash, doc.AttachmentGUID, now}, nil
	})
}

// debtorsSource flattens the debtors of rows for COPY.
func debtorsSource(rows []storecore.ActRow) pgx.CopyFromSource {
	var flat [][]any
	for _, r := range rows {
		for i, d := range r.Act.Debtors {
			flat = append(flat, []any{r.Act.OrgGUID, r.Act.ID, d.Key(), int32(i), d.LastName, d.FirstName,
				d.MiddleName, d.SNILS, d.DocType, d.DocSeries, d.DocNumber})
		}
	}
	return pgx.CopyFromRows(flat)
}

// scanActs reads rows of actCols + debtorCols ordered by act, grouping debtors into acts.
func scanActs(rows pgx.Rows) ([]storecore.ActRow, error) {
	defer rows.Close()
	var out []storecore.ActRow
	var raw rawRow
	for rows.Next() {
		var r storecore.ActRow
		var debtor domain.Debtor
		var hasDebtor bool
		if !raw.act(rows, &r, &debtor, &hasDebtor) {
			var err error
			if r, debtor, hasDebtor, err = scanActRow(rows); err != nil {
				return nil, fmt.Errorf("read court acts: %w", err)
			}
		}
		a := &r.Act
		if n := len(out); n > 0 && out[n-1].Act.OrgGUID == a.OrgGUID && out[n-1].Act.ID == a.ID {
			if hasDebtor {
				out[n-1].Act.Debtors = append(out[n-1].Act.Debtors, debtor)
			}
			continue
		}
		if hasDebtor {
			a.Debtors = []domain.Debtor{debtor}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read court acts: %w", err)
	}
	return out, nil
}

// scanActRow is rawRow.act by rows.Scan: a function of its own, so that its variables
// (whose addresses Scan takes, which puts them on the heap) cost nothing on the raw path.
func scanActRow(rows pgx.Rows) (storecore.ActRow, domain.Debtor, bool, error) {
	var (
		r                                           storecore.ActRow
		kind                                        string
		pron, eff, from, to, bal, canc              pgtype.Date
		amount, outstanding, size                   int64
		unknown                                     bool
		docName, docPath, docHash, docGUID          string
		key, last, first, middle, snils, dt, ds, dn pgtype.Text
	)
	a := &r.Act
	if err := rows.Scan(&a.OrgGUID, &a.ID, &r.PremisesOrg, &a.PremisesID, &a.CaseNumber, &kind, &pron, &eff,
		&from, &to, &amount, &outstanding, &unknown, &bal, &canc, &docName, &docPath, &size, &docHash, &docGUID,
		&key, &last, &first, &middle, &snils, &dt, &ds, &dn); err != nil {
		return r, domain.Debtor{}, false, err
	}
	debtor := domain.Debtor{LastName: last.String, FirstName: first.String, MiddleName: middle.String,
		SNILS: snils.String, DocType: dt.String, DocSeries: ds.String, DocNumber: dn.String}
	a.Kind = domain.ActKind(kind)
	a.Amount, a.Outstanding, a.OutstandingUnknown = domain.Money(amount), domain.Money(outstanding), unknown
	a.PronouncedOn, a.EffectiveOn, a.DebtFrom, a.DebtTo = dateOf(pron), dateOf(eff), dateOf(from), dateOf(to)
	a.BalanceOn, a.CancelledOn = dateOf(bal), dateOf(canc)
	if docPath != "" {
		a.Document = &domain.Document{Name: docName, Path: docPath, Size: size, Hash: docHash, AttachmentGUID: docGUID}
	}
	return r, debtor, key.Valid, nil
}

// act reads a row of actCols + debtorCols into r (the act) and d (the row's debtor; hasDebtor
// false when the act has none: the columns are NULL).
func (raw *rawRow) act(rows pgx.Rows, r *storecore.ActRow, d *domain.Debtor, hasDebtor *bool) bool {
	raw.load(rows)
	ok := true
	a := &r.Act
	a.OrgGUID, a.ID, r.PremisesOrg, a.PremisesID = raw.str(0, &ok), raw.str(1, &ok), raw.str(2, &ok), raw.str(3, &ok)
	a.CaseNumber, a.Kind = raw.str(4, &ok), domain.ActKind(raw.str(5, &ok))
	a.PronouncedOn, a.EffectiveOn, a.DebtFrom, a.DebtTo = raw.date(6, &ok), raw.date(7, &ok), raw.date(8, &ok), raw.date(9, &ok)
	a.Amount, a.Outstanding, a.OutstandingUnknown = domain.Money(raw.int8(10, &ok)), domain.Money(raw.int8(11, &ok)), raw.bool(12, &ok)
	a.BalanceOn, a.CancelledOn = raw.date(13, &ok), raw.date(14, &ok)
	docName, docPath, size := raw.str(15, &ok), raw.str(16, &ok), raw.int8(17, &ok)
	docHash, docGUID := raw.str(18, &ok), raw.str(19, &ok)
	a.Document = nil
	if docPath != "" {
		a.Document = &domain.Document{Name: docName, Path: docPath, Size: size, Hash: docHash, AttachmentGUID: docGUID}
	}
	// The debtor's columns are NULL when the act has none (the LEFT JOIN).
	var fields [8]string
	for i := range fields {
		s, valid, k := raw.text(20 + i)
		ok = ok && k
		fields[i] = s
		if i == 0 {
			*hasDebtor = valid
		}
	}
	*d = domain.Debtor{LastName: fields[1], FirstName: fields[2], MiddleName: fields[3], SNILS: fields[4],
		DocType: fields[5], DocSeries: fields[6], DocNumber: fields[7]}
	if !ok {
		*r = storecore.ActRow{}
		*hasDebtor = false
	}
	return ok
}
