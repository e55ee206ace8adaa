package calendar

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corrected2025 says 2025-08-11 (a Monday) is a day off and nothing else moves, and makes
// Saturday 2025-08-16 a working day.
const corrected2025 = `<?xml version="1.0" encoding="UTF-8"?>
<calendar year="2025" lang="ru" date="2025.08.01" country="ru">
    <holidays><holiday id="1" title="Тест"/></holidays>
    <days>
        <day d="01.01" t="1" h="1"/>
        <day d="08.11" t="1"/>
        <day d="08.16" t="3" f="08.11"/>
    </days>
</calendar>`

const year2028 = `<calendar year="2028"><days>
<day d="01.03" t="1"/><day d="01.04" t="1"/><day d="01.05" t="1"/><day d="01.06" t="1"/>
<day d="01.07" t="1"/><day d="01.10" t="1"/>
</days></calendar>`

func TestOverlay(t *testing.T) {
	t.Parallel()
	base := federal(t)
	fixed, err := base.WithXML("2025-fix.xml", strings.NewReader(corrected2025))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cal  *Calendar
		sent string
		want string
	}{
		{"base unchanged by the overlay", base, "2025-08-08", "2025-08-15"},
		{"corrected year: Monday off, Saturday working", fixed, "2025-08-08", "2025-08-16"},
		{"corrected year moves the deadline", fixed, "2025-08-11", "2025-08-16"},
		{"base for the same date", base, "2025-08-11", "2025-08-18"},
		{"corrected year drops the May holidays", fixed, "2025-04-30", "2025-05-07"},
		{"other years keep the embedded data", fixed, "2026-01-03", "2026-01-16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.cal.Due(day(tc.sent)); !got.Equal(day(tc.want)) {
				t.Errorf("Due(%s) = %s, want %s", tc.sent, got.Format(time.DateOnly), tc.want)
			}
		})
	}
	days := []struct {
		cal     *Calendar
		date    string
		working bool
	}{
		{base, "2025-08-11", true}, {fixed, "2025-08-11", false},
		{base, "2025-08-16", false}, {fixed, "2025-08-16", true},
		{base, "2025-05-02", false}, {fixed, "2025-05-02", true},
	}
	for _, tc := range days {
		if got := tc.cal.IsWorkingDay(day(tc.date)); got != tc.working {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.date, got, tc.working)
		}
	}
	if fixed.Source(2025) != "2025-fix.xml" || base.Source(2025) != "embedded" || fixed.Source(2026) != "embedded" {
		t.Errorf("Source: fixed 2025 %q, base 2025 %q, fixed 2026 %q", fixed.Source(2025), base.Source(2025), fixed.Source(2026))
	}
}

func TestNewWithFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "2028.xml")
	bad := filepath.Join(dir, "bad.xml")
	if err := os.WriteFile(good, []byte(year2028), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`<calendar year="2028"><days><day d="02.30" t="1"/></days></calendar>`), 0o644); err != nil {
		t.Fatal(err)
	}
	misnamed := filepath.Join(dir, "2027.xml") // says year 2028
	inYearDir := filepath.Join(dir, "2029", "calendar.xml")
	again := filepath.Join(dir, "again.xml")
	if err := os.Mkdir(filepath.Dir(inYearDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{misnamed, inYearDir, again} {
		if err := os.WriteFile(p, []byte(year2028), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cal, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if !cal.Covers(2028) || cal.Source(2028) != good || cal.Estimated(day("2027-12-27")) {
		t.Errorf("after adding 2028: Covers %v, Source %q, Estimated %v", cal.Covers(2028), cal.Source(2028), cal.Estimated(day("2027-12-27")))
	}
	// 2028-01-10 is off in the file, 01-08 is a Saturday: 28, 29, 30, 11, 12.
	if got := cal.Due(day("2027-12-27")); !got.Equal(day("2028-01-12")) {
		t.Errorf("Due(2027-12-27) = %s, want 2028-01-12", got.Format(time.DateOnly))
	}
	for _, tc := range []struct {
		files []string
		want  []string
	}{
		{[]string{bad}, []string{bad, "line 1", `"02.30" is not a date in 2028`}},
		{[]string{good, bad}, []string{bad}},
		{[]string{filepath.Join(dir, "missing.xml")}, []string{"missing.xml", "no such file"}},
		{[]string{misnamed}, []string{misnamed, `the file says year="2028" but its path says 2027`}},
		{[]string{inYearDir}, []string{inYearDir, "its path says 2029"}},
		{[]string{good, again}, []string{good, again, "both give year 2028"}},
	} {
		c, err := New(tc.files...)
		if err == nil || c != nil {
			t.Errorf("New(%v) = %v, %v; want an error", tc.files, c, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%v) error %q does not mention %q", tc.files, err, w)
			}
		}
	}
}

func TestWithXMLErrors(t *testing.T) {
	t.Parallel()
	base := federal(t)
	tests := []struct {
		name string
		xml  string
		want string
	}{
		{"empty", "", "no <calendar> element"},
		{"not XML", "year 2025", "text outside the <calendar> element"},
		{"wrong root", `<kalender year="2025"/>`, "root element <kalender>, want <calendar>"},
		{"no year", `<calendar><days><day d="01.01" t="1"/></days></calendar>`, `year "": want four digits`},
		{"bad year", `<calendar year="25"><days><day d="01.01" t="1"/></days></calendar>`, `year "25"`},
		{"regional", `<calendar year="2025" country="tatar"><days/></calendar>`, "only the federal calendar"},
		{"no days", `<calendar year="2025"><days></days></calendar>`, "has no <days>"},
		{"bad d", `<calendar year="2025"><days><day d="1.1" t="1"/></days></calendar>`, `"1.1" is not a date written MM.DD`},
		{"d not a date", `<calendar year="2025"><days><day d="13.01" t="1"/></days></calendar>`, `"13.01" is not a date in 2025`},
		{"29 Feb in a common year", `<calendar year="2025"><days><day d="02.29" t="1"/></days></calendar>`, `"02.29" is not a date in 2025`},
		{"bad t", `<calendar year="2025"><days><day d="01.01" t="4"/></days></calendar>`, `t="4", want 1`},
		{"missing t", `<calendar year="2025"><days><day d="01.01"/></days></calendar>`, `t="", want 1`},
		{"t=3 on a weekday", `<calendar year="2025"><days><day d="08.11" t="3"/></days></calendar>`, "is a Monday"},
		{"duplicate day", "<calendar year=\"2025\"><days>\n<day d=\"01.01\" t=\"1\"/>\n<day d=\"01.01\" t=\"2\"/></days></calendar>", `line 3: <day>: d="01.01" is already listed on line 2`},
		{"unclosed", `<calendar year="2025"><days><day d="01.01" t="1"/>`, "malformed XML"},
		{"mismatched", `<calendar year="2025"><days></calendar>`, "malformed XML"},
		{"second root", `<calendar year="2025"><days><day d="01.01" t="1"/></days></calendar><calendar year="2026"/>`, "a second root element"},
		{"DTD", `<?xml version="1.0"?><!DOCTYPE calendar [<!ENTITY x "1">]><calendar year="2025"><days><day d="01.01" t="&x;"/></days></calendar>`, "DTDs and entity declarations are not allowed"},
		{"undefined entity", `<calendar year="2025"><days><day d="01.01" t="&x;"/></days></calendar>`, "malformed XML"},
		{"other encoding", `<?xml version="1.0" encoding="windows-1251"?><calendar year="2025"/>`, "malformed XML"},
		{"too large", `<calendar year="2025"><!--` + strings.Repeat("x", maxXMLSize) + `--></calendar>`, "larger than 256 KiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := base.WithXML("my.xml", strings.NewReader(tc.xml))
			if err == nil || c != nil {
				t.Fatalf("WithXML = %v, %v; want an error", c, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "calendar: my.xml: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q: want the file name and %q", msg, tc.want)
			}
			if base.Source(2025) != "embedded" || !base.Due(day("2025-04-30")).Equal(day("2025-05-13")) {
				t.Errorf("a failed overlay changed the base calendar")
			}
		})
	}
}

func TestParseText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want string // "" = valid
	}{
		{"valid", "# c\n2025 off 01-01 # trailing comment\n2025 work 11-01\n\n", ""},
		{"empty work line", "2026 off 01-01\n2026 work\n", ""},
		{"no years", "# nothing\n", "no years"},
		{"short line", "2025\n", `line 1: want "YEAR off|work`},
		{"bad year", "20x5 off 01-01\n", `line 1: year "20x5"`},
		{"bad kind", "2025 holiday 01-01\n", `kind "holiday"`},
		{"bad date", "2025 off 1-01\n", `"1-01" is not a date written MM-DD`},
		{"weekend in off", "2025 off 01-04\n", "2025-01-04 is a Saturday; off lists Monday-Friday"},
		{"weekday in work", "2025 work 11-03\n", "2025-11-03 is a Monday; work lists Saturdays"},
		{"duplicate", "2025 off 01-01\n2025 off 01-02 01-01\n", "line 2: 2025-01-01 is already listed on line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			years, err := parseText("t.txt", tc.text)
			if tc.want == "" {
				if err != nil || len(years) != 1 {
					t.Fatalf("parseText = %d years, %v; want one year", len(years), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "t.txt") {
				t.Errorf("parseText error %v; want t.txt and %q", err, tc.want)
			}
		})
	}
	years, err := parseText("t.txt", "2025 off 01-01\n2025 work 11-01\n")
	if err != nil {
		t.Fatal(err)
	}
	y := years[2025]
	for _, tc := range []struct {
		date string
		off  bool
	}{{"2025-01-01", true}, {"2025-01-02", false}, {"2025-01-04", true}, {"2025-11-01", false}, {"2025-11-02", true}} {
		if got := y.off[day(tc.date).YearDay()]; got != tc.off {
			t.Errorf("%s: off = %v, want %v", tc.date, got, tc.off)
		}
	}
}

// FuzzWithXML feeds untrusted bytes to the overlay loader: it must not panic, and what it
// accepts must be one well-formed year that leaves the other years and the base alone.
func FuzzWithXML(f *testing.F) {
	f.Add([]byte(corrected2025))
	f.Add([]byte(year2028))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa">]><calendar year="2025">&a;</calendar>`))
	f.Add([]byte(`<calendar year="2024"><days><day d="02.29" t="1"/><day d="12.28" t="3"/></days></calendar>`))
	if data, err := os.ReadFile(filepath.Join(sharedDir, "xmlcalendar", "ru", "2025", "calendar.xml")); err == nil {
		f.Add(data)
	}
	base, err := New()
	if err != nil {
		f.Fatal(err)
	}
	wantDue := base.Due(day("2025-04-30"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := base.WithXML("fuzz.xml", bytes.NewReader(data))
		if !base.Due(day("2025-04-30")).Equal(wantDue) || base.Source(2025) != "embedded" {
			t.Fatal("WithXML changed the base calendar")
		}
		if err != nil {
			if c != nil || !strings.HasPrefix(err.Error(), "calendar: fuzz.xml: ") {
				t.Fatalf("error %v with calendar %v", err, c)
			}
			return
		}
		changed := 0
		for y := range c.years {
			if c.Source(y) == "fuzz.xml" {
				changed++
			}
		}
		if changed != 1 || len(c.years) < len(base.years) || len(c.years) > len(base.years)+1 {
			t.Fatalf("accepted file changed %d years (%d -> %d)", changed, len(base.years), len(c.years))
		}
	})
}
