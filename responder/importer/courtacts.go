package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// parsedActs is the result of reading a court-acts table: the acts in file order and, for
// each act, the lines of its rows (to report store-side problems by line).
type parsedActs struct {
	acts  []domain.CourtAct
	lines [][]int
}

// ParseCourtActs validates a court-acts table (one row per act and debtor; the rows of one
// act must agree on the act's columns). document_file paths are relative to baseDir. On any
// problem it returns a *RowErrors listing every one of them, and no acts. Whether the
// premises exist is checked by the import against the store, not here.
func ParseCourtActs(t *Table, baseDir string) ([]domain.CourtAct, error) {
	p, err := parseCourtActs(t, baseDir)
	if err != nil {
		return nil, err
	}
	return p.acts, nil
}

type actGroup struct {
	index     int // in parsedActs.acts
	firstLine int
	ok        bool // the first row parsed cleanly, so later rows can be compared with it
	debtors   map[string]int
}

// parseCourtActs returns what it could read even when it also returns row errors.
func parseCourtActs(t *Table, baseDir string) (parsedActs, error) {
	if err := wrongKind(t, "court-acts"); err != nil {
		return parsedActs{}, err
	}
	errs := &collector{errs: append([]RowError(nil), t.Problems...)}
	known := courtActColumns()
	cols := mapHeader(t, known, errs)
	xlsx := t.Format == "xlsx"
	rp := &actRowParser{cols: cols, known: known, xlsx: xlsx, baseDir: baseDir, files: make(map[string]fileInfo), errs: errs}
	groups := make(map[string]*actGroup)
	var out parsedActs
	for _, r := range t.Rows {
		before := len(errs.errs)
		a, d := rp.parse(r)
		clean := len(errs.errs) == before

		if a.ID == "" {
			continue
		}
		g, seen := groups[a.ID]
		if !seen {
			g = &actGroup{index: len(out.acts), firstLine: r.Line, ok: clean, debtors: make(map[string]int)}
			groups[a.ID] = g
			out.acts = append(out.acts, a)
			out.lines = append(out.lines, nil)
		} else if g.ok && clean {
			compareActRows(r, g.firstLine, out.acts[g.index], a, errs)
		}
		out.lines[g.index] = append(out.lines[g.index], r.Line)
		if d.LastName == "" {
			continue
		}
		if first, dup := g.debtors[d.Key()]; dup {
			errs.add(r.Line, debtorKeyColumn(d), "debtor of act %q is already listed on line %d", clip(a.ID), first)
			continue
		}
		g.debtors[d.Key()] = r.Line
		out.acts[g.index].Debtors = append(out.acts[g.index].Debtors, d)
	}
	// The partial result goes back with the errors so that the caller can still check the
	// premises and report those problems in the same run.
	return out, errs.err("")
}

// actRowParser reads the act and the debtor of one court-acts row, adding the row's
// problems to errs. The whole-file parse and the streaming import share it.
type actRowParser struct {
	cols    columns
	known   []column
	xlsx    bool
	baseDir string
	files   map[string]fileInfo // document_file values already looked at
	errs    *collector
}

func (p *actRowParser) parse(r Row) (domain.CourtAct, domain.Debtor) {
	cols, known, xlsx, errs := p.cols, p.known, p.xlsx, p.errs
	cellTooLong(r, cols, known, errs)
	a := domain.CourtAct{
		ID:         required(r, cols, errs, "act_id"),
		PremisesID: required(r, cols, errs, "premise_id"),
		CaseNumber: cols.get(r, "case_number"),
	}
	if v := required(r, cols, errs, "act_kind"); v != "" {
		k, err := parseActKind(v)
		if err != nil {
			errs.add(r.Line, "act_kind", "%v", err)
		}
		a.Kind = k
	}
	date := func(name string) time.Time {
		v := cols.get(r, name)
		if v == "" {
			return time.Time{}
		}
		d, err := parseDate(v, xlsx)
		if err != nil {
			errs.add(r.Line, name, "%v", err)
		}
		return d
	}
	bound := func(name string, from bool) time.Time {
		v := cols.get(r, name)
		if v == "" {
			return time.Time{}
		}
		d, err := parsePeriodBound(v, from, xlsx)
		if err != nil {
			errs.add(r.Line, name, "%v", err)
		}
		return d
	}
	money := func(name string) domain.Money {
		v := cols.get(r, name)
		if v == "" {
			return 0
		}
		m, err := parseMoney(v, xlsx)
		if err != nil {
			errs.add(r.Line, name, "%v", err)
		}
		return m
	}
	a.PronouncedOn, a.EffectiveOn = date("pronounced_on"), date("effective_on")
	a.DebtFrom, a.DebtTo = bound("debt_from", true), bound("debt_to", false)
	a.Amount, a.Outstanding = money("amount"), money("outstanding")
	// A blank (or absent) outstanding amount is unknown, not 0: only an explicit 0
	// says the debt is repaid.
	a.OutstandingUnknown = cols.get(r, "outstanding") == ""
	a.BalanceOn, a.CancelledOn = date("balance_on"), date("cancelled_on")
	checkActDates(r, a, cols, errs)
	if !a.EffectiveOn.IsZero() && a.CaseNumber == "" {
		errs.add(r.Line, "case_number", "value is required for an act in force (the answer to GIS carries the act's number)")
	}

	d := domain.Debtor{
		LastName:   required(r, cols, errs, "debtor_last_name"),
		FirstName:  required(r, cols, errs, "debtor_first_name"),
		MiddleName: cols.get(r, "debtor_middle_name"),
		DocType:    cols.get(r, "debtor_doc_type"),
		DocSeries:  cols.get(r, "debtor_doc_series"),
		DocNumber:  cols.get(r, "debtor_doc_number"),
	}
	if v := cols.get(r, "debtor_snils"); v != "" {
		s, err := parseSNILS(v)
		if err != nil {
			errs.add(r.Line, "debtor_snils", "%v", err)
		}
		d.SNILS = s
	}
	if d.DocNumber != "" && d.DocType == "" {
		errs.add(r.Line, "debtor_doc_type", "value is required when debtor_doc_number is given")
	}
	if v := cols.get(r, "document_file"); v != "" {
		fi, ok := p.files[v]
		if !ok {
			fi = statDocument(p.baseDir, v)
			p.files[strings.Clone(v)] = fi // v may point into the whole line
		}
		if fi.err != "" {
			errs.add(r.Line, "document_file", "%s", fi.err)
		} else {
			a.Document = &domain.Document{Name: filepath.Base(fi.path), Path: fi.path, Size: fi.size}
		}
	}
	return a, d
}

func debtorKeyColumn(d domain.Debtor) string {
	if d.SNILS != "" {
		return "debtor_snils"
	}
	return "debtor_last_name"
}

func checkActDates(r Row, a domain.CourtAct, cols columns, errs *collector) {
	if !a.PronouncedOn.IsZero() && !a.EffectiveOn.IsZero() && a.EffectiveOn.Before(a.PronouncedOn) {
		errs.add(r.Line, "effective_on", "the act enters into force (%s) before it was pronounced (%s)",
			a.EffectiveOn.Format(time.DateOnly), a.PronouncedOn.Format(time.DateOnly))
	}
	if !a.PronouncedOn.IsZero() && !a.CancelledOn.IsZero() && a.CancelledOn.Before(a.PronouncedOn) {
		errs.add(r.Line, "cancelled_on", "the act is cancelled (%s) before it was pronounced (%s)",
			a.CancelledOn.Format(time.DateOnly), a.PronouncedOn.Format(time.DateOnly))
	}
	switch {
	case cols.get(r, "debt_from") != "" && cols.get(r, "debt_to") == "":
		errs.add(r.Line, "debt_to", "value is required when debt_from is given")
	case cols.get(r, "debt_from") == "" && cols.get(r, "debt_to") != "":
		errs.add(r.Line, "debt_from", "value is required when debt_to is given")
	case !a.DebtFrom.IsZero() && !a.DebtTo.IsZero() && a.DebtTo.Before(a.DebtFrom):
		errs.add(r.Line, "debt_to", "the debt period ends (%s) before it starts (%s)",
			a.DebtTo.Format(time.DateOnly), a.DebtFrom.Format(time.DateOnly))
	}
}

// compareActRows reports the act columns in which a later row of the same act differs from
// its first row.
func compareActRows(r Row, firstLine int, first, cur domain.CourtAct, errs *collector) {
	differ := func(column string, same bool) {
		if !same {
			errs.add(r.Line, column, "differs from line %d for the same act_id %q", firstLine, clip(cur.ID))
		}
	}
	differ("premise_id", first.PremisesID == cur.PremisesID)
	differ("case_number", first.CaseNumber == cur.CaseNumber)
	differ("act_kind", first.Kind == cur.Kind)
	differ("pronounced_on", first.PronouncedOn.Equal(cur.PronouncedOn))
	differ("effective_on", first.EffectiveOn.Equal(cur.EffectiveOn))
	differ("debt_from", first.DebtFrom.Equal(cur.DebtFrom))
	differ("debt_to", first.DebtTo.Equal(cur.DebtTo))
	differ("amount", first.Amount == cur.Amount)
	differ("outstanding", first.Outstanding == cur.Outstanding && first.OutstandingUnknown == cur.OutstandingUnknown)
	differ("balance_on", first.BalanceOn.Equal(cur.BalanceOn))
	differ("cancelled_on", first.CancelledOn.Equal(cur.CancelledOn))
	differ("document_file", (first.Document == nil) == (cur.Document == nil) &&
		(first.Document == nil || first.Document.Path == cur.Document.Path))
}

type fileInfo struct {
	path string
	size int64
	err  string
}

// statDocument resolves a document_file value relative to the import file's folder.
func statDocument(baseDir, v string) fileInfo {
	p := v
	if !filepath.IsAbs(p) {
		p = filepath.Join(baseDir, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return fileInfo{err: fmt.Sprintf("cannot resolve %q: %v", v, err)}
	}
	st, err := os.Stat(abs)
	switch {
	case os.IsNotExist(err):
		return fileInfo{err: fmt.Sprintf("file %q does not exist (paths are relative to the import file's folder)", v)}
	case err != nil:
		return fileInfo{err: fmt.Sprintf("cannot read %q: %v", v, err)}
	case !st.Mode().IsRegular():
		return fileInfo{err: fmt.Sprintf("%q is not a regular file", v)}
	case st.Size() == 0:
		return fileInfo{err: fmt.Sprintf("file %q is empty", v)}
	}
	return fileInfo{path: abs, size: st.Size()}
}
