package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/report"
)

func reportDeadlinesCommand() command {
	return command{"the deadline report of open sub-requests (table, CSV, XLSX, HTML)", runReportDeadlines}
}

// reportFormats are the renderings of the deadline report by --format name.
var reportFormats = map[string]func(report.Report, *bytes.Buffer) error{
	"table": func(r report.Report, b *bytes.Buffer) error { return r.WriteTable(b) },
	"csv":   func(r report.Report, b *bytes.Buffer) error { return r.WriteCSV(b) },
	"xlsx":  func(r report.Report, b *bytes.Buffer) error { return r.WriteXLSX(b) },
	"html":  func(r report.Report, b *bytes.Buffer) error { return r.WriteHTML(b) },
}

func runReportDeadlines(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "report deadlines", "Usage: gisgw report deadlines [--db DSN | --config FILE] [--org GUID] [--format table|csv|xlsx|html] [--out FILE] [--today YYYY-MM-DD]\n\n"+
		"Lists every open sub-request (and those GIS refused) by deadline with the working days left,\n"+
		"and totals: by state, overdue, due within 1 and 2 working days. Labels are in Russian;\n"+
		"CSV is UTF-8 with BOM and ';' for Excel. See docs/report.md.")
	sf := addStoreFlags(fs.FlagSet)
	org := fs.String("org", "", "orgPPAGUID to report on (default: every organization in the store)")
	format := fs.String("format", "", "table, csv, xlsx or html (default: from --out's extension, else table)")
	out := fs.String("out", "", "write to this `FILE` instead of stdout (required for xlsx)")
	today := fs.String("today", "", "count working days from this `DATE` (YYYY-MM-DD; default: today in Moscow)")
	closed := fs.Bool("closed", false, "also list answered and auto-answered sub-requests (see --from, --to)")
	from := fs.String("from", "", "with --closed: only closed ones whose deadline is on or after this `DATE`")
	to := fs.String("to", "", "with --closed: only closed ones whose deadline is on or before this `DATE`")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	f := strings.ToLower(*format)
	if f == "" {
		f = "table"
		if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), "."); reportFormats[ext] != nil {
			f = ext
		}
	}
	render, ok := reportFormats[f]
	if !ok {
		return fmt.Errorf("--format %q: want table, csv, xlsx or html", *format)
	}
	if f == "xlsx" && *out == "" {
		return errors.New("--format xlsx writes a binary workbook: give --out FILE.xlsx")
	}
	opts := report.Options{Org: *org, IncludeClosed: *closed}
	for _, d := range []struct {
		name, val string
		dst       *time.Time
	}{{"--today", *today, &opts.Today}, {"--from", *from, &opts.ClosedFrom}, {"--to", *to, &opts.ClosedTo}} {
		if d.val == "" {
			continue
		}
		t, err := parseCLIDate(d.val)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = t
	}
	if !*closed && (*from != "" || *to != "") {
		return errors.New("--from and --to select closed sub-requests: add --closed")
	}

	st, cal, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	opts.Calendar = cal
	opts.OrgNames = sf.orgNames()
	rep, err := report.Build(ctx, st, opts)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := render(rep, &b); err != nil {
		return err
	}
	if *out == "" {
		_, err = env.stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	_, err = fmt.Fprintf(env.stderr, "wrote %s (%s, %d sub-requests, %d overdue)\n", *out, f, rep.Totals.Total, rep.Totals.Overdue)
	return err
}
