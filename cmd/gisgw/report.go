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
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

func reportDeadlinesCommand() command {
	return command{"the deadline report of open sub-requests (table, CSV, XLSX, HTML)", runReportDeadlines}
}

// reportExts maps an --out file's extension to the format it must hold.
var reportExts = map[string]string{".txt": "table", ".csv": "csv", ".xlsx": "xlsx", ".html": "html", ".htm": "html"}

// reportFormat picks the rendering from --format and --out: the extension chooses the format
// when --format is absent and must agree with it when both are given, so a report never lands
// in a file its program cannot open (a text table in r.pdf).
func reportFormat(format, out string) (string, error) {
	f := strings.ToLower(format)
	if f != "" && reportFormats[f] == nil {
		return "", fmt.Errorf("--format %q: want table, csv, xlsx or html", format)
	}
	ext := strings.ToLower(filepath.Ext(out))
	if out == "" || ext == "" {
		if f == "" {
			f = "table"
		}
		return f, nil
	}
	byExt, ok := reportExts[ext]
	switch {
	case !ok:
		return "", fmt.Errorf("--out %s: the report is written as .txt, .csv, .xlsx or .html, not %s", out, ext)
	case f == "":
		return byExt, nil
	case f != byExt:
		return "", fmt.Errorf("--out %s holds %s but --format is %s: name the file %s%s or drop --format",
			out, byExt, f, strings.TrimSuffix(out, filepath.Ext(out)), extOf(f))
	}
	return f, nil
}

// extOf is the file extension of a report format.
func extOf(format string) string {
	if format == "table" {
		return ".txt"
	}
	return "." + format
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
	f, err := reportFormat(*format, *out)
	if err != nil {
		return err
	}
	render := reportFormats[f]
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

	st, cal, err := sf.open(ctx, storeopen.WithMustExist())
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

func reportInventoryCommand() command {
	return command{"the monthly inventory of court-confirmed debts (table, CSV, XLSX, HTML, JSON)", runReportInventory}
}

func runReportInventory(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "report inventory", "Usage: gisgw report inventory --month YYYY-MM [--db DSN | --config FILE] [--org GUID] [--format table|csv|xlsx|html|json] [--out FILE]\n\n"+
		"The inventory of court-confirmed debts as of the month's last day (Moscow), from the latest\n"+
		"balance each import recorded on or before it: acts in force and unpaid (by age of the debt),\n"+
		"entered into force, repaid, cancelled, leaving the three-year window next month, under a\n"+
		"repayment agreement, the month's sub-requests and the 20 premises owing most. Labels are in\n"+
		"Russian; JSON has stable keys for other systems. See docs/report.md.")
	sf := addStoreFlags(fs.FlagSet)
	month := fs.String("month", "", "the `YYYY-MM` month to report (required)")
	org := fs.String("org", "", "orgPPAGUID to report on (default: every organization in the store)")
	format := fs.String("format", "", "table, csv, xlsx, html or json (default: from --out's extension, else table)")
	out := fs.String("out", "", "write to this `FILE` instead of stdout (required for xlsx)")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	if *month == "" {
		return errors.New("--month is required, e.g. --month 2026-11")
	}
	m, err := time.Parse("2006-01", *month)
	if err != nil {
		return fmt.Errorf("--month %q: want YYYY-MM, e.g. 2026-11", *month)
	}
	known := map[string]bool{"table": true, "csv": true, "xlsx": true, "html": true, "json": true}
	f := strings.ToLower(*format)
	if f == "" {
		f = "table"
		if ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), "."); known[ext] {
			f = ext
		}
	}
	if !known[f] {
		return fmt.Errorf("--format %q: want table, csv, xlsx, html or json", *format)
	}
	if f == "xlsx" && *out == "" {
		return errors.New("--format xlsx writes a binary workbook: give --out FILE.xlsx")
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	inv, err := report.BuildInventory(ctx, st, report.InventoryOptions{Org: *org, Month: m, OrgNames: sf.orgNames()})
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := inv.Write(&b, f); err != nil {
		return err
	}
	if *out == "" {
		_, err = env.stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write inventory: %w", err)
	}
	_, err = fmt.Fprintf(env.stderr, "wrote %s (%s, %d acts in force and unpaid)\n", *out, f, inv.InForceUnpaid.Count)
	return err
}
