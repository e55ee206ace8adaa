// Package importer reads the organization's own records — premises and court acts — from
// CSV (UTF-8 or Windows-1251, ';' or ',') or XLSX files into the store. A file imports whole
// or not at all: every row is validated first and every problem is reported with its line,
// column and reason (*RowErrors); only a clean file is written, in one store transaction.
// The formats are documented in docs/import.md.
package importer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// PremisesStore is the part of the store a premises import needs.
type PremisesStore interface {
	ImportPremises(ctx context.Context, org string, premises []domain.Premises) (store.ImportStats, error)
}

// CourtActsStore is the part of the store a court-acts import needs.
type CourtActsStore interface {
	MissingPremises(ctx context.Context, org string, ids []string) ([]string, error)
	ImportCourtActs(ctx context.Context, org string, acts []domain.CourtAct) (store.ImportStats, error)
	ImportCourtActsStream(ctx context.Context, org string, next func() ([]domain.CourtAct, error)) (store.ImportStats, error)
}

// Options tune an import.
type Options struct {
	// Org is the orgPPAGUID the data belongs to; empty in a single-organization store.
	Org string
	// Now is the clock for the elapsed times; nil means time.Now.
	Now func() time.Time
	// Progress, when set, is called as the import passes each stage.
	Progress func(Progress)
	// DocumentsDir, when set, is the daemon's documents_dir: a court-act file inside it is
	// recorded relative to it, so the store works wherever the folder is mounted; a file
	// outside it keeps its absolute path.
	DocumentsDir string
}

// Progress reports a stage of an import.
type Progress struct {
	Stage   string // "rows" (a court-acts import under way, every 1,000 rows), "read", "validated" or "written"
	Rows    int    // data rows in the file ("rows": read so far)
	Records int    // premises or acts found in the rows
	Bytes   int64  // "rows": bytes of the file read so far (0 when unknown, as for XLSX)
	Size    int64  // "rows": the file's size in bytes
	Elapsed time.Duration
}

// Result summarizes a successful import.
type Result struct {
	Rows    int // data rows read
	Records int // premises or court acts in the file
	Stats   store.ImportStats
	Elapsed time.Duration

	streamed bool // the file went through the streaming path (tests check which path ran)
}

// ImportPremises imports a premises file into st.
func ImportPremises(ctx context.Context, st PremisesStore, path string, opts Options) (Result, error) {
	run, err := start(path, opts)
	if err != nil {
		return Result{}, err
	}
	ps, err := ParsePremises(run.table)
	if err != nil {
		return Result{}, run.fail(err)
	}
	run.report("validated", len(ps))
	stats, err := st.ImportPremises(ctx, run.opts.Org, ps)
	if err != nil {
		return Result{}, fmt.Errorf("import %s: %w", path, err)
	}
	return run.done(len(ps), stats), nil
}

// ImportCourtActs imports a court-acts file into st. document_file paths are relative to
// the file's folder, and every act's premises must already be in the store.
//
// A clean file streams into the store in chunks (memory does not grow with the file); a
// file with problems, or whose rows of one act are not next to each other, is read whole
// so that every problem is reported by line.
func ImportCourtActs(ctx context.Context, st CourtActsStore, path string, opts Options) (Result, error) {
	run, err := newRun(path, opts)
	if err != nil {
		return Result{}, err
	}
	res, err := streamCourtActs(ctx, st, path, run)
	if !errors.Is(err, errWholeFile) {
		return res, err
	}
	if err := run.read(); err != nil {
		return Result{}, err
	}
	parsed, perr := parseCourtActs(run.table, filepath.Dir(path))
	if opts.DocumentsDir != "" {
		for i := range parsed.acts {
			if d := parsed.acts[i].Document; d != nil {
				d.Path = relativeTo(opts.DocumentsDir, d.Path)
			}
		}
	}
	if err := run.validate(perr, len(parsed.acts), func() ([]RowError, error) {
		return missingPremises(ctx, st, run.opts.Org, parsed)
	}); err != nil {
		return Result{}, err
	}
	run.report("validated", len(parsed.acts))
	stats, err := st.ImportCourtActs(ctx, run.opts.Org, parsed.acts)
	var mp *store.MissingPremisesError
	if errors.As(err, &mp) {
		// Premises removed between the check and the write: still report by line.
		return Result{}, run.fail(&RowErrors{Errors: missingFromStore(parsed, mp)})
	}
	if err != nil {
		return Result{}, fmt.Errorf("import %s: %w", path, err)
	}
	return run.done(len(parsed.acts), stats), nil
}

// missingPremises asks the store which premises the acts refer to are unknown and reports
// each row that names one.
func missingPremises(ctx context.Context, st CourtActsStore, org string, p parsedActs) ([]RowError, error) {
	seen := make(map[string]bool)
	var ids []string
	for _, a := range p.acts {
		if a.PremisesID != "" && !seen[a.PremisesID] {
			seen[a.PremisesID] = true
			ids = append(ids, a.PremisesID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	missing, err := st.MissingPremises(ctx, org, ids)
	if err != nil {
		return nil, err
	}
	gone := make(map[string]bool, len(missing))
	for _, id := range missing {
		gone[id] = true
	}
	var errs []RowError
	for i, a := range p.acts {
		if gone[a.PremisesID] {
			for _, line := range p.lines[i] {
				errs = append(errs, RowError{Line: line, Column: "premise_id",
					Reason: fmt.Sprintf("premises %q is not in the store (import the premises file first)", clip(a.PremisesID))})
			}
		}
	}
	return errs, nil
}

func missingFromStore(p parsedActs, mp *store.MissingPremisesError) []RowError {
	idx := make(map[string]int, len(p.acts))
	for i, a := range p.acts {
		idx[a.ID] = i
	}
	var errs []RowError
	for _, m := range mp.Missing {
		i, ok := idx[m.ActID]
		if !ok {
			continue
		}
		for _, line := range p.lines[i] {
			errs = append(errs, RowError{Line: line, Column: "premise_id",
				Reason: fmt.Sprintf("premises %q is not in the store (import the premises file first)", clip(m.PremisesID))})
		}
	}
	return mergeErrors(nil, errs)
}

func mergeErrors(a, b []RowError) []RowError {
	c := collector{errs: append(append([]RowError(nil), a...), b...)}
	if err := c.err(""); err != nil {
		return err.(*RowErrors).Errors
	}
	return nil
}

// run carries one import's file and timing.
type run struct {
	path  string
	table *Table
	opts  Options
	begin time.Time
}

func start(path string, opts Options) (*run, error) {
	r, err := newRun(path, opts)
	if err != nil {
		return nil, err
	}
	if err := r.read(); err != nil {
		return nil, err
	}
	return r, nil
}

// newRun checks the options and starts the clock.
func newRun(path string, opts Options) (*run, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Org != "" {
		g, err := parseGUID(opts.Org)
		if err != nil {
			return nil, fmt.Errorf("organization: %w", err)
		}
		opts.Org = g
	}
	return &run{path: path, opts: opts, begin: opts.Now()}, nil
}

// read reads the whole file into r.table.
func (r *run) read() error {
	t, err := ReadFile(r.path)
	if err != nil {
		return fmt.Errorf("import %s: %w", r.path, err)
	}
	r.table = t
	r.report("read", 0)
	return nil
}

func (r *run) report(stage string, records int) {
	if r.opts.Progress != nil {
		r.opts.Progress(Progress{Stage: stage, Rows: len(r.table.Rows), Records: records, Elapsed: r.opts.Now().Sub(r.begin)})
	}
}

// validate joins the rows the parser refused (perr) and, when any row parsed (records > 0),
// the rows whose references the store lacks (missing). The store is asked even when rows
// are bad, so that one run reports every problem. A non-nil result is the import's error.
func (r *run) validate(perr error, records int, missing func() ([]RowError, error)) error {
	var rowErrs *RowErrors
	if perr != nil && !errors.As(perr, &rowErrs) {
		return perr
	}
	if records > 0 {
		m, err := missing()
		if err != nil {
			return fmt.Errorf("import %s: %w", r.path, err)
		}
		if len(m) > 0 {
			if rowErrs == nil {
				rowErrs = &RowErrors{}
			}
			rowErrs.Errors = mergeErrors(rowErrs.Errors, m)
		}
	}
	if rowErrs != nil && len(rowErrs.Errors) > 0 {
		return r.fail(rowErrs)
	}
	return nil
}

func (r *run) fail(err error) error {
	var re *RowErrors
	if errors.As(err, &re) {
		re.File = r.path
		return re
	}
	return fmt.Errorf("import %s: %w", r.path, err)
}

func (r *run) done(records int, stats store.ImportStats) Result {
	res := Result{Rows: len(r.table.Rows), Records: records, Stats: stats, Elapsed: r.opts.Now().Sub(r.begin)}
	r.report("written", records)
	return res
}

// relativeTo is abs relative to dir when abs lies inside dir, else abs.
func relativeTo(dir, abs string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return abs
	}
	rel, err := filepath.Rel(d, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return abs
	}
	return rel
}
