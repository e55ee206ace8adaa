package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCalendarDueCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fix := filepath.Join(dir, "2025.xml") // 2025-08-11 off, nothing else
	if err := os.WriteFile(fix, []byte(`<calendar year="2025"><days><day d="08.11" t="1"/></days></calendar>`), 0o644); err != nil {
		t.Fatal(err)
	}
	add2028 := filepath.Join(dir, "2028.xml")
	if err := os.WriteFile(add2028, []byte(`<calendar year="2028"><days><day d="01.03" t="1"/><day d="01.04" t="1"/></days></calendar>`), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(bad, []byte(`<calendar year="2028"><days><day d="01.03" t="9"/></days></calendar>`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // exact, "" = empty
		stderrWant string // substring; "" = stderr must be empty
	}{
		{"ISO date", []string{"2025-08-08"}, 0, "2025-08-15\n", ""},
		{"Russian date", []string{"01.09.2025"}, 0, "2025-09-08\n", ""},
		{"Saturday", []string{"2025-08-09"}, 0, "2025-08-15\n", ""},
		{"New Year", []string{"30.12.2025"}, 0, "2026-01-16\n", ""},
		{"uncovered year warns", []string{"2027-12-27"}, 0, "2028-01-11\n", "warning: no production calendar for 2028"},
		{"overlay corrects a year", []string{"2025-08-08", "--calendar", fix}, 0, "2025-08-18\n", ""},
		{"flag before the date", []string{"--calendar", add2028, "2027-12-27"}, 0, "2028-01-06\n", ""},
		{"bad overlay", []string{"2025-08-08", "--calendar", bad}, 1, "", `bad.xml: line 1: <day>: d="01.03": t="9"`},
		{"bad date", []string{"2025-13-01"}, 1, "", `DATE "2025-13-01": want YYYY-MM-DD or DD.MM.YYYY`},
		{"no date", nil, 1, "", "give exactly one DATE (got 0)"},
		{"two dates", []string{"2025-08-08", "2025-08-09"}, 1, "", "give exactly one DATE (got 2)"},
		{"unknown flag", []string{"--nope", "2025-08-08"}, 1, "", "Usage: gisgw calendar due DATE [--config FILE] [--calendar FILE ...]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCLI(t, append([]string{"calendar", "due"}, tc.args...)...)
			if code != tc.code || stdout != tc.stdout {
				t.Errorf("code %d, stdout %q; want %d, %q (stderr %q)", code, stdout, tc.code, tc.stdout, stderr)
			}
			if tc.stderrWant == "" && stderr != "" || !strings.Contains(stderr, tc.stderrWant) {
				t.Errorf("stderr %q; want %q", stderr, tc.stderrWant)
			}
		})
	}
}
