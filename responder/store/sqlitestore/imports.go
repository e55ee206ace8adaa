package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
		if err := refreshStatistics(ctx, tx, st, "premises"); err != nil {
			return err
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

// premisesKeys returns the stored (org, premise_id) pairs among ids that an act of org may
// refer to. The ids go in as one JSON array so that one statement looks up a whole chunk
// through the primary key, whatever its size (SQLite limits bound parameters).
func premisesKeys(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, org string, ids []string) ([]storecore.ActPremisesKey, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("read premises ids: %w", err)
	}
	rows, err := q.QueryContext(ctx, `SELECT org_guid, premise_id FROM premises
		WHERE org_guid IN (?, '') AND premise_id IN (SELECT value FROM json_each(?))`, org, string(list))
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
		keys = append(keys, k)
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
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		w := newActsWriter(tx, org, now)
		defer w.close()
		chunks, stop := im.CheckAhead(next)
		defer stop()
		for c := range chunks {
			if c.Err != nil {
				return c.Err
			}
			if err := s.importActsChunk(ctx, tx, &im, w, c, now); err != nil {
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
		if err := refreshStatistics(ctx, tx, st, "court_acts", "court_act_debtors"); err != nil {
			return err
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
func (s *Store) importActsChunk(ctx context.Context, tx *sql.Tx, im *storecore.ActsImport, w *actsWriter, c storecore.CheckedChunk, now time.Time) error {
	acts := c.Acts
	keys, err := premisesKeys(ctx, tx, im.Org, c.Premises)
	if err != nil {
		return err
	}
	ids := make([]string, len(acts))
	for i, a := range acts {
		ids[i] = a.ID
	}
	existing, err := s.storedActs(ctx, tx, im.Org, ids)
	if err != nil {
		return err
	}
	plan, write, err := im.Plan(acts, existing, storecore.ResolvePremises(im.Org, keys), storecore.Today(now))
	if err != nil || !write {
		return err
	}
	return w.write(ctx, plan)
}

// bulkRows is how many rows one multi-row INSERT carries: the per-statement cost of
// database/sql and the driver is paid once per this many rows. 500 rows of court_acts are
// 10,500 parameters, well under SQLite's limit of 32,766.
const bulkRows = 500

// bulkInsert collects rows for one INSERT statement and runs it every bulkRows rows; the
// full-size statement is prepared once per transaction.
type bulkInsert struct {
	tx         *sql.Tx
	head, tail string // "INSERT INTO t (cols) VALUES" and what follows the rows
	row        string // one row's values, "(?, ...)"
	ncol       int    // parameters in row
	full       *sql.Stmt
	args       []any
	what       string
}

func (b *bulkInsert) add(ctx context.Context, vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) == bulkRows*b.ncol {
		return b.flush(ctx)
	}
	return nil
}

func (b *bulkInsert) sql(rows int) string {
	var q strings.Builder
	q.WriteString(b.head)
	for i := range rows {
		if i > 0 {
			q.WriteString(",")
		}
		q.WriteString(b.row)
	}
	q.WriteString(b.tail)
	return q.String()
}

// flush inserts the rows collected so far.
func (b *bulkInsert) flush(ctx context.Context) error {
	rows := len(b.args) / b.ncol
	if rows == 0 {
		return nil
	}
	var err error
	if rows == bulkRows {
		if b.full == nil {
			if b.full, err = b.tx.PrepareContext(ctx, b.sql(bulkRows)); err != nil {
				return fmt.Errorf("%s: %w", b.what, err)
			}
		}
		_, err = b.full.ExecContext(ctx, b.args...)
	} else {
		_, err = b.tx.ExecContext(ctx, b.sql(rows), b.args...)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", b.what, err)
	}
	clear(b.args)
	b.args = b.args[:0]
	return nil
}

func (b *bulkInsert) close() {
	if b.full != nil {
		b.full.Close()
	}
}

// actsWriter writes the plans of an import's chunks: inserts in bulk, updates row by row
// through statements prepared once.
//
// The inserts take the organization and the import's time as SQL literals and an empty
// optional text as NULL, which the statement's coalesce turns into the empty string: the driver copies every bound text
// into C memory and frees it after the statement (about a third of the insert's CPU), while
// a literal costs nothing per row and NULL is bound without a copy.
type actsWriter struct {
	tx                      *sql.Tx
	ts                      string
	acts, debtors, balances bulkInsert
	upd, delDebtors         *sql.Stmt
}

func newActsWriter(tx *sql.Tx, org string, now time.Time) *actsWriter {
	ts := stamp(now)
	o, t := sqlText(org), sqlText(ts)
	return &actsWriter{tx: tx, ts: ts,
		acts: bulkInsert{tx: tx, ncol: 19, what: "insert court acts", head: `INSERT INTO court_acts (org_guid, act_id,
			premises_org, premise_id, case_number, kind, pronounced_on, effective_on, debt_from, debt_to, amount,
			outstanding, outstanding_unknown, balance_on, cancelled_on, doc_name, doc_path, doc_size, doc_hash,
			doc_attachment_guid, updated_at) VALUES `,
			row: "(" + o + ", ?, coalesce(?, ''), ?, coalesce(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, coalesce(?, ''), " +
				"coalesce(?, ''), ?, coalesce(?, ''), coalesce(?, ''), " + t + ")"},
		debtors: bulkInsert{tx: tx, ncol: 10, what: "insert debtors", head: `INSERT INTO court_act_debtors (org_guid,
			act_id, debtor_key, position, last_name, first_name, middle_name, snils, doc_type, doc_series, doc_number) VALUES `,
			row: "(" + o + ", ?, ?, ?, coalesce(?, ''), coalesce(?, ''), coalesce(?, ''), coalesce(?, ''), " +
				"coalesce(?, ''), coalesce(?, ''), coalesce(?, ''))"},
		// A row for a date already recorded replaces it (a corrected file for the same date).
		balances: bulkInsert{tx: tx, ncol: 4, what: "record balance history", head: `INSERT INTO balance_history
			(org_guid, act_id, balance_on, outstanding, outstanding_unknown, recorded_at) VALUES `,
			row: "(" + o + ", ?, ?, ?, ?, " + t + ")",
			tail: ` ON CONFLICT (org_guid, act_id, balance_on) DO UPDATE SET outstanding = excluded.outstanding,
			outstanding_unknown = excluded.outstanding_unknown, recorded_at = excluded.recorded_at`},
	}
}

// sqlText is s as an SQL string literal.
func sqlText(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// optText is s to bind to a coalesce of the inserts: NULL for the empty string.
func optText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (w *actsWriter) close() {
	w.acts.close()
	w.debtors.close()
	w.balances.close()
	if w.upd != nil {
		w.upd.Close()
	}
	if w.delDebtors != nil {
		w.delDebtors.Close()
	}
}

func (w *actsWriter) addDebtors(ctx context.Context, a domain.CourtAct) error {
	for i, d := range a.Debtors {
		if err := w.debtors.add(ctx, a.ID, d.Key(), i, optText(d.LastName), optText(d.FirstName),
			optText(d.MiddleName), optText(d.SNILS), optText(d.DocType), optText(d.DocSeries), optText(d.DocNumber)); err != nil {
			return err
		}
	}
	return nil
}

// write writes one chunk's plan. Every statement of the chunk has run when it returns, so
// that the next chunk reads what this one wrote.
func (w *actsWriter) write(ctx context.Context, plan storecore.ActsPlan) error {
	// In key order each statement's rows go to neighbouring B-tree pages, not to pages all over
	// the tables (a file not ordered by act id cost 2.8x the CPU of an ordered one).
	plan.Insert = byActID(plan.Insert)
	plan.Update = byActID(plan.Update)
	slices.SortFunc(plan.Balances, func(a, b storecore.BalanceRow) int { return strings.Compare(a.ActID, b.ActID) })
	for _, r := range plan.Insert {
		a := r.Act
		doc := docOf(a)
		if err := w.acts.add(ctx, a.ID, optText(r.PremisesOrg), a.PremisesID, optText(a.CaseNumber), string(a.Kind),
			dateArg(a.PronouncedOn), dateArg(a.EffectiveOn), dateArg(a.DebtFrom), dateArg(a.DebtTo),
			int64(a.Amount), int64(a.Outstanding), a.OutstandingUnknown, dateArg(a.BalanceOn), dateArg(a.CancelledOn),
			optText(doc.Name), optText(doc.Path), doc.Size, optText(doc.Hash), optText(doc.AttachmentGUID)); err != nil {
			return err
		}
	}
	// The acts go in before their debtors and balances, which refer to them.
	if err := w.acts.flush(ctx); err != nil {
		return err
	}
	for _, r := range plan.Insert {
		if err := w.addDebtors(ctx, r.Act); err != nil {
			return err
		}
	}
	if len(plan.Update) > 0 {
		if err := w.update(ctx, plan.Update); err != nil {
			return err
		}
	}
	if err := w.debtors.flush(ctx); err != nil {
		return err
	}
	for _, r := range append(plan.NewBalances(), plan.Balances...) {
		if err := w.balances.add(ctx, r.ActID, dateArg(r.On), int64(r.Outstanding), r.Unknown); err != nil {
			return err
		}
	}
	return w.balances.flush(ctx)
}

// byActID returns rows ordered by act id (one organization's: the tables' key order). It sorts
// pointers and copies each row once: an ActRow is too large to move around in a sort.
func byActID(rows []storecore.ActRow) []storecore.ActRow {
	if slices.IsSortedFunc(rows, func(a, b storecore.ActRow) int { return strings.Compare(a.Act.ID, b.Act.ID) }) {
		return rows
	}
	ptrs := make([]*storecore.ActRow, len(rows))
	for i := range rows {
		ptrs[i] = &rows[i]
	}
	slices.SortFunc(ptrs, func(a, b *storecore.ActRow) int { return strings.Compare(a.Act.ID, b.Act.ID) })
	out := make([]storecore.ActRow, len(rows))
	for i, r := range ptrs {
		out[i] = *r
	}
	return out
}

func (w *actsWriter) update(ctx context.Context, rows []storecore.ActRow) error {
	var err error
	if w.upd == nil {
		if w.upd, err = w.tx.PrepareContext(ctx, `UPDATE court_acts SET premises_org = ?, premise_id = ?, case_number = ?,
			kind = ?, pronounced_on = ?, effective_on = ?, debt_from = ?, debt_to = ?, amount = ?, outstanding = ?,
			outstanding_unknown = ?, balance_on = ?, cancelled_on = ?, doc_name = ?, doc_path = ?, doc_size = ?, doc_hash = ?,
			doc_attachment_guid = ?, updated_at = ? WHERE org_guid = ? AND act_id = ?`); err != nil {
			return fmt.Errorf("update court acts: %w", err)
		}
		if w.delDebtors, err = w.tx.PrepareContext(ctx, `DELETE FROM court_act_debtors WHERE org_guid = ? AND act_id = ?`); err != nil {
			return fmt.Errorf("update court acts: %w", err)
		}
	}
	for _, r := range rows {
		a := r.Act
		doc := docOf(a)
		if _, err := w.upd.ExecContext(ctx, r.PremisesOrg, a.PremisesID, a.CaseNumber, string(a.Kind),
			dateArg(a.PronouncedOn), dateArg(a.EffectiveOn), dateArg(a.DebtFrom), dateArg(a.DebtTo),
			int64(a.Amount), int64(a.Outstanding), a.OutstandingUnknown, dateArg(a.BalanceOn), dateArg(a.CancelledOn),
			doc.Name, doc.Path, doc.Size, doc.Hash, doc.AttachmentGUID, w.ts, a.OrgGUID, a.ID); err != nil {
			return fmt.Errorf("update court act %q: %w", a.ID, err)
		}
		// The debtors of a changed act are replaced as a set: the file lists all of them.
		if _, err := w.delDebtors.ExecContext(ctx, a.OrgGUID, a.ID); err != nil {
			return fmt.Errorf("replace debtors of court act %q: %w", a.ID, err)
		}
		if err := w.addDebtors(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// refreshStatistics analyzes the tables after an import that wrote many rows
// (ShouldAnalyze), or that added rows to a first table which has outgrown its statistics:
// imports under storecore.AnalyzeAfter rows each add up, and statistics of a store a
// fraction of its size make the planner scan where it should search (see analyze).
func refreshStatistics(ctx context.Context, tx *sql.Tx, st storecore.ImportStats, tables ...string) error {
	if !st.ShouldAnalyze() {
		if st.Inserted == 0 {
			return nil
		}
		outgrown, err := outgrewStatistics(ctx, tx, tables[0])
		if err != nil || !outgrown {
			return err
		}
	}
	return analyze(ctx, tx, tables...)
}

// outgrewStatistics reports whether table holds at least storecore.AnalyzeAfter rows and
// more than twice the rows its statistics counted (or has none).
func outgrewStatistics(ctx context.Context, tx *sql.Tx, table string) (bool, error) {
	var rows int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&rows); err != nil {
		return false, fmt.Errorf("count rows of %s: %w", table, err)
	}
	if rows < storecore.AnalyzeAfter {
		return false, nil
	}
	var have bool
	if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'sqlite_stat1'`).Scan(&have); err != nil {
		return false, fmt.Errorf("look for statistics: %w", err)
	}
	if !have {
		return true, nil
	}
	var stat string
	err := tx.QueryRowContext(ctx, `SELECT stat FROM sqlite_stat1 WHERE tbl = ? LIMIT 1`, table).Scan(&stat)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read statistics of %s: %w", table, err)
	}
	// The first number of a table's or index's statistics is the rows counted.
	counted, err := strconv.ParseInt(strings.Fields(stat + " 0")[0], 10, 64)
	if err != nil {
		return true, nil
	}
	return rows > 2*counted, nil
}

// analyze refreshes the planner's statistics (sqlite_stat1) of the tables after a large
// import. Without them SQLite guesses that every index is equally selective and may walk the
// whole premises table for one house. analysis_limit keeps it to a sample of each index, so
// it costs milliseconds, not a scan of a million rows.
//
// A connection reads the statistics only when it loads the schema, and ANALYZE does not
// change the schema (only the first one, which creates sqlite_stat1, does): every other
// connection, the read pool's and other processes', kept planning with the statistics of the
// store as it was when they loaded it. A daemon started on a small store then scanned all
// of a million premises for each batch's lookups (1.3 s a query) after the import that grew
// it. A table created and dropped in the same transaction changes the schema, so every
// connection reloads schema and statistics before its next statement.
func analyze(ctx context.Context, tx *sql.Tx, tables ...string) error {
	if _, err := tx.ExecContext(ctx, `PRAGMA analysis_limit = 1000`); err != nil {
		return fmt.Errorf("refresh statistics: %w", err)
	}
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, `ANALYZE `+t); err != nil {
			return fmt.Errorf("refresh statistics of %s: %w", t, err)
		}
	}
	for _, q := range []string{`CREATE TABLE gisgw_statistics_changed (x)`, `DROP TABLE gisgw_statistics_changed`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("announce new statistics: %w", err)
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

// storedActs reads the stored acts of org among ids, with their debtors.
func (s *Store) storedActs(ctx context.Context, tx *sql.Tx, org string, ids []string) (map[string]storecore.ActRow, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("read stored court acts: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+actCols+`, `+debtorCols+` FROM court_acts a
		LEFT JOIN court_act_debtors d ON d.org_guid = a.org_guid AND d.act_id = a.act_id
		WHERE a.org_guid = ? AND a.act_id IN (SELECT value FROM json_each(?)) ORDER BY a.act_id, d.position`, org, string(list))
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
