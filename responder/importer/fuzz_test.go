package importer

import (
	"os"
	"testing"
)

// checkTable asserts what every successfully parsed table promises.
func checkTable(t *testing.T, tab *Table) {
	t.Helper()
	if tab.Header == nil {
		t.Fatal("table without a header")
	}
	last := tab.HeaderRow
	for _, r := range tab.Rows {
		if len(r.Cells) != len(tab.Header) {
			t.Fatalf("line %d has %d cells, header %d", r.Line, len(r.Cells), len(tab.Header))
		}
		if r.Line <= last {
			t.Fatalf("line numbers not increasing: %d after %d", r.Line, last)
		}
		last = r.Line
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, name := range []string{"premises.csv", "court-acts.csv", "court-acts-cp1251.csv"} {
		b, err := os.ReadFile(examples(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("a;b\n\"x\ny\";2\n"))
	f.Add([]byte("\ufeffa,b\r\n1,\"2\"\"3\"\r\n"))
	f.Add([]byte("a;b\n1;x\"y\n"))
	f.Add([]byte{0xef, 0xbb, 0xbf, 0xc0, 0xff, ';', '\n'})
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ParseCSV(data)
		if err != nil {
			return
		}
		checkTable(t, tab)
		// Validation must not panic on any table, whatever the header says.
		_, _ = ParsePremises(tab)
		_, _ = parseCourtActs(tab, "/nonexistent-gisgw-fuzz")
	})
}

func FuzzParseXLSX(f *testing.F) {
	b, err := os.ReadFile(examples("court-acts.xlsx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		tab, err := ParseXLSX(data)
		if err != nil {
			return
		}
		checkTable(t, tab)
		_, _ = parseCourtActs(tab, "/nonexistent-gisgw-fuzz")
	})
}

func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"12 345,67", "2024-02-29", "01.2023", "112-233-445 95", "{E1D2C3B4-A5F6-4789-9ABC-DEF012345678}", "1.5E3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := parseMoney(s, false); err == nil && m < 0 {
			t.Fatalf("parseMoney(%q) = %d", s, m)
		}
		_, _ = parseMoney(s, true)
		if d, err := parseDate(s, true); err == nil && (d.Year() < minYear || d.Year() > maxYear) {
			t.Fatalf("parseDate(%q) = %v", s, d)
		}
		_, _ = parsePeriodBound(s, false, false)
		if v, err := parseSNILS(s); err == nil && len(v) != 11 {
			t.Fatalf("parseSNILS(%q) = %q", s, v)
		}
		if g, err := parseGUID(s); err == nil && len(g) != 36 {
			t.Fatalf("parseGUID(%q) = %q", s, g)
		}
	})
}
