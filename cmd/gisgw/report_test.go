package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/report/reporttest"
)

// seededDB returns the path of an SQLite database with the report seed.
func seededDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "gisgw.db")
	reporttest.SeedFile(t, db)
	return db
}

func TestReportDeadlinesCommand(t *testing.T) {
	t.Parallel()
	db := seededDB(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gisgw.yaml")
	if err := os.WriteFile(cfg, []byte("db: "+db+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	today := "--today=2026-03-16"

	tests := []struct {
		name   string
		args   []string
		stdout []string // each must appear
	}{
		{"table from --db", []string{"--db", db, today},
			[]string{"на 16.03.2026", "Всего подзапросов: 10", "Просрочено: 3", reporttest.GUID(6), "-5 (просрочен)"}},
		{"table from --config", []string{"--config", cfg, today, "--org", reporttest.OrgA},
			[]string{"организация " + reporttest.OrgA, "Всего подзапросов: 9"}},
		{"closed ones in range", []string{"--db", db, today, "--closed", "--from", "2026-03-01", "--to", "31.03.2026"},
			[]string{"Всего подзапросов: 13", "есть долг (должников: 1) 12.03.2026 14:30", "Статус «ответ сформирован ГИС автоматически»: 1"}},
		{"CSV to stdout", []string{"--db", db, today, "--format", "csv"},
			[]string{"\uFEFFСрок ответа;Осталось раб. дней;Статус;", "06.03.2026;-5 (просрочен);просрочен;"}},
		{"HTML to stdout", []string{"--db", db, today, "--format", "html"},
			[]string{"<!DOCTYPE html>", "@media print", reporttest.GUID(14)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, append([]string{"report", "deadlines"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("code %d, stderr %q", code, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
		})
	}

	t.Run("files by extension", func(t *testing.T) {
		t.Parallel()
		out := t.TempDir()
		for _, name := range []string{"r.xlsx", "r.csv", "r.html"} {
			path := filepath.Join(out, name)
			code, stdout, stderr := runCLI(t, "report", "deadlines", "--db", db, today, "--out", path)
			if code != 0 || stdout != "" || !strings.Contains(stderr, "wrote "+path) {
				t.Fatalf("%s: code %d, stdout %q, stderr %q", name, code, stdout, stderr)
			}
		}
		f, err := excelize.OpenFile(filepath.Join(out, "r.xlsx"))
		if err != nil {
			t.Fatalf("the XLSX does not open: %v", err)
		}
		defer f.Close()
		if rows, err := f.GetRows(report.SheetRows); err != nil || len(rows) != 11 {
			t.Errorf("XLSX has %d rows (%v); want a header and 10", len(rows), err)
		}
		b, err := os.ReadFile(filepath.Join(out, "r.csv"))
		if err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF"))))
		r.Comma = ';'
		if recs, err := r.ReadAll(); err != nil || len(recs) != 11 {
			t.Errorf("CSV file: %d records (%v); want 11", len(recs), err)
		}
		if h, _ := os.ReadFile(filepath.Join(out, "r.html")); !bytes.Contains(h, []byte("<table class=\"rows\">")) {
			t.Errorf("HTML file has no rows table")
		}
	})

	errorCases := []struct {
		name string
		args []string
		want string
	}{
		{"xlsx to a terminal", []string{"--db", db, "--format", "xlsx"}, "give --out FILE.xlsx"},
		{"unknown format", []string{"--db", db, "--format", "pdf"}, `--format "pdf"`},
		{"bad date", []string{"--db", db, "--today", "16/03/2026"}, "--today"},
		{"range without --closed", []string{"--db", db, "--from", "2026-03-01"}, "add --closed"},
		{"neither flag", []string{}, "--db or --config is required"},
		{"no config file", []string{"--config", filepath.Join(dir, "missing.yaml")}, "read config"},
		{"config without db", []string{"--config", writeFile(t, dir, "empty.yaml", "listen: 127.0.0.1:0\n")}, "has no db"},
		{"not migrated", []string{"--db", filepath.Join(dir, "fresh.db")}, "gisgw migrate"},
		{"stray argument", []string{"--db", db, "extra"}, "unexpected arguments"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCLI(t, append([]string{"report", "deadlines"}, tc.args...)...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("code %d, stderr %q; want a failure with %q", code, stderr, tc.want)
			}
		})
	}
	if code, stdout, stderr := runCLI(t, "report", "deadlines", "-h"); code != 0 || !strings.Contains(stdout, "Usage: gisgw report deadlines") || stderr != "" {
		t.Errorf("-h: code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportInventoryCommand(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "gisgw.db")
	st := reporttest.OpenInventory(t, db)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "report", "inventory", "--db", db, "--month", "2026-11", "--org", reporttest.InventoryOrg, "--format", "json")
	if code != 0 || !strings.Contains(stdout, `"leaving_window_next_month": {`) || !strings.Contains(stdout, `"sum": "55000.00"`) {
		t.Fatalf("report inventory json: code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	out := filepath.Join(t.TempDir(), "inv.xlsx")
	if code, _, stderr := runCLI(t, "report", "inventory", "--db", db, "--month", "2026-11", "--out", out); code != 0 || !strings.Contains(stderr, "4 acts in force") {
		t.Fatalf("report inventory --out xlsx: code %d, stderr %s", code, stderr)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 9 || got[0] != report.SheetInForce {
		t.Errorf("sheets = %v; want the nine of the inventory", got)
	}
	for _, bad := range [][]string{{}, {"--month", "11.2026"}, {"--month", "2026-11", "--format", "pdf"}} {
		args := append([]string{"report", "inventory", "--db", db}, bad...)
		if code, _, stderr := runCLI(t, args...); code == 0 || !strings.Contains(stderr, "--") {
			t.Errorf("%v: code %d, stderr %q; want a refusal naming the flag", bad, code, stderr)
		}
	}
}
