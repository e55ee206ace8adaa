package calendar

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sharedDir is ../shared/ru-calendar seen from this package's directory.
var sharedDir = filepath.Join("..", "..", "..", "shared", "ru-calendar")

const firstYear, lastYear = 2019, 2027

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func federal(t *testing.T) *Calendar {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatalf("New(): %v", err)
	}
	return c
}

// requireShared skips when ../shared is absent, except under CI (CI set) where it fails.
func requireShared(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(sharedDir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("cross-check data %s is missing (CI is set, so this fails): %v", sharedDir, err)
		}
		t.Skipf("cross-check data %s is missing, skipping: %v", sharedDir, err)
	}
}

// readDates reads the first column of a shared CSV file (header skipped) as a set.
func readDates(t *testing.T, name string) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(sharedDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(rows) < 2 || rows[0][0] != "date" {
		t.Fatalf("%s: want a header starting with date and rows, got %d rows", name, len(rows))
	}
	set := map[string]bool{}
	for _, r := range rows[1:] {
		day(r[0]) // panics on a malformed date
		set[r[0]] = true
	}
	return set
}

func openFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func xmlFiles(t *testing.T, base string) []string {
	t.Helper()
	var files []string
	for y := firstYear; y <= lastYear; y++ {
		files = append(files, filepath.Join(sharedDir, "xmlcalendar", "ru", fmt.Sprint(y), base))
	}
	return files
}

// TestCrossCheckShared compares every day of 2019–2027 of the embedded calendar, and of
// calendars built only from the xmlcalendar.ru files through the overlay loader, with the
// shared derived CSV files.
func TestCrossCheckShared(t *testing.T) {
	t.Parallel()
	requireShared(t)
	nonWorking := readDates(t, "nonworking-days.csv")
	workingWeekends := readDates(t, "working-weekends.csv")
	for d := range workingWeekends {
		if nonWorking[d] || !isWeekend(day(d)) {
			t.Fatalf("shared data inconsistent: working weekend %s", d)
		}
	}
	fromRU, err := New(xmlFiles(t, "calendar.xml")...)
	if err != nil {
		t.Fatal(err)
	}
	// The English files carry the same days, except that upstream's ru/2025/calendar.en.xml
	// says year="2024" (its days are 2025's): loaded blindly it would replace 2024. The loader
	// refuses it, so 2025 stays on the embedded data in this calendar.
	fromEN := federal(t)
	knownBadEN := map[int]string{2025: `the file says year="2024" but its path says 2025`}
	for i, path := range xmlFiles(t, "calendar.en.xml") {
		y := firstYear + i
		c, err := New(path)
		if want, bad := knownBadEN[y]; bad {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want %q (upstream defect fixed? update this test)", path, err, want)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if fromEN, err = fromEN.WithXML(path, openFile(t, path)); err != nil || !c.Covers(y) {
			t.Fatal(err)
		}
	}
	if _, err := New(xmlFiles(t, "calendar.en.xml")...); err == nil {
		t.Error("New(all calendar.en.xml) succeeded; want the 2025 year mismatch refused")
	}
	cals := []struct {
		name    string
		cal     *Calendar
		source  string
		skipped map[int]string
	}{
		{"embedded", federal(t), "embedded", nil},
		{"xmlcalendar ru", fromRU, "calendar.xml", nil},
		{"xmlcalendar en", fromEN, "calendar.en.xml", knownBadEN},
	}
	// Counts per year from PROVENANCE.md (working days).
	wantWorking := map[int]int{2019: 247, 2020: 219, 2021: 240, 2022: 247, 2023: 247, 2024: 248, 2025: 247, 2026: 247, 2027: 247}
	for _, tc := range cals {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checked, mismatches := 0, 0
			working := map[int]int{}
			for d := day("2019-01-01"); d.Year() <= lastYear; d = d.AddDate(0, 0, 1) {
				key := d.Format(time.DateOnly)
				want := !nonWorking[key]
				if isWeekend(d) && !workingWeekends[key] && want {
					t.Fatalf("shared data: %s is a weekend day in neither CSV", key)
				}
				got := tc.cal.IsWorkingDay(d)
				if got != want {
					mismatches++
					t.Errorf("%s: IsWorkingDay = %v, shared CSV says %v", key, got, want)
				}
				if got {
					working[d.Year()]++
				}
				checked++
			}
			if checked != 3287 || mismatches != 0 {
				t.Errorf("checked %d days (want 3287), %d mismatches", checked, mismatches)
			}
			for y := firstYear; y <= lastYear; y++ {
				if working[y] != wantWorking[y] {
					t.Errorf("%d: %d working days, PROVENANCE.md says %d", y, working[y], wantWorking[y])
				}
				source := tc.source
				if _, skipped := tc.skipped[y]; skipped {
					source = "embedded"
				}
				if !tc.cal.Covers(y) || !strings.HasSuffix(tc.cal.Source(y), source) {
					t.Errorf("%d: Covers = %v, Source = %q; want covered from %s", y, tc.cal.Covers(y), tc.cal.Source(y), source)
				}
			}
		})
	}
}

func TestDue(t *testing.T) {
	t.Parallel()
	cal := federal(t)
	msk := time.FixedZone("MSK", 3*60*60)
	tests := []struct {
		name string
		sent time.Time
		want string
	}{
		{"ordinary Friday", day("2025-08-08"), "2025-08-15"},
		{"ordinary Monday", day("2025-09-01"), "2025-09-08"},
		{"sent on a Saturday", day("2025-08-09"), "2025-08-15"},
		{"sent on a Sunday", day("2025-08-10"), "2025-08-15"},
		{"late evening Moscow time is still that day", time.Date(2025, 8, 8, 23, 30, 0, 0, msk), "2025-08-15"},
		{"New Year span 2025/26 with 9 Jan moved", day("2025-12-30"), "2026-01-16"},
		{"before New Year 2025/26", day("2025-12-26"), "2026-01-14"},
		{"sent on a January holiday", day("2026-01-03"), "2026-01-16"},
		{"May holidays 2025", day("2025-04-30"), "2025-05-13"},
		{"working Saturday 2025-11-01 counts", day("2025-10-31"), "2025-11-10"},
		{"sent on the working Saturday 2025-11-01", day("2025-11-01"), "2025-11-11"},
		{"working Saturday 2024-12-28 and New Year", day("2024-12-27"), "2025-01-14"},
		{"working Saturday 2021-02-20 and 22-23 Feb off", day("2021-02-19"), "2021-03-01"},
		{"2020 non-working days by presidential decree", day("2020-03-27"), "2020-05-18"},
		{"last fully covered", day("2027-12-23"), "2027-12-30"},
		{"runs into 2028 (estimate)", day("2027-12-27"), "2028-01-11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := cal.Due(tc.sent)
			if !got.Equal(day(tc.want)) || got.Location() != time.UTC {
				t.Errorf("Due(%s) = %s, want %s 00:00 UTC", tc.sent, got, tc.want)
			}
		})
	}
}

func TestAddWorkingDays(t *testing.T) {
	t.Parallel()
	cal := federal(t)
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-08-08", 0, "2025-08-08"},
		{"2025-08-09", 0, "2025-08-09"}, // n = 0 is the date itself, working or not
		{"2025-08-08", 1, "2025-08-11"},
		{"2025-08-11", -1, "2025-08-08"},
		{"2026-01-12", -1, "2025-12-30"},
		{"2025-01-01", 247, "2025-12-30"}, // every working day of 2025
		{"2024-12-31", 247, "2025-12-30"},
		{"2025-12-30", -246, "2025-01-09"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s%+d", tc.from, tc.n), func(t *testing.T) {
			t.Parallel()
			if got := cal.AddWorkingDays(day(tc.from), tc.n); !got.Equal(day(tc.want)) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, got.Format(time.DateOnly), tc.want)
			}
		})
	}
}

func TestCheckDeadline(t *testing.T) {
	t.Parallel()
	cal := federal(t)
	tests := []struct {
		name         string
		sent         string
		responseDate time.Time
		wantOK       bool
		wantComputed string
	}{
		{"agrees", "2025-08-08", day("2025-08-15"), true, "2025-08-15"},
		{"agrees with a time of day", "2025-08-08", time.Date(2025, 8, 15, 10, 0, 0, 0, time.FixedZone("MSK", 3*60*60)), true, "2025-08-15"},
		{"GIS one day earlier", "2025-08-08", day("2025-08-14"), false, "2025-08-15"},
		{"GIS one day later", "2025-08-08", day("2025-08-18"), false, "2025-08-15"},
		{"no responseDate", "2025-08-08", time.Time{}, true, "2025-08-15"},
		{"span not covered: GIS binding, not flagged", "2027-12-27", day("2028-01-12"), true, "2028-01-11"},
		{"sent in an uncovered year", "2031-03-03", day("2031-03-20"), true, "2031-03-11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, computed := cal.CheckDeadline(day(tc.sent), tc.responseDate)
			if ok != tc.wantOK || !computed.Equal(day(tc.wantComputed)) {
				t.Errorf("CheckDeadline(%s, %s) = %v, %s; want %v, %s", tc.sent, tc.responseDate, ok, computed.Format(time.DateOnly), tc.wantOK, tc.wantComputed)
			}
		})
	}
}

func TestFallback(t *testing.T) {
	t.Parallel()
	cal := federal(t)
	for _, y := range []int{2018, 2028, 2031} {
		if cal.Covers(y) || cal.Source(y) != "" {
			t.Errorf("Covers(%d) = true or Source = %q; want not covered", y, cal.Source(y))
		}
	}
	tests := []struct {
		date    string
		working bool
	}{
		{"2028-01-03", false}, // Monday, January holiday
		{"2028-01-07", false}, // Christmas
		{"2028-01-10", true},  // first working day after the holidays
		{"2028-02-23", false}, // Wednesday holiday
		{"2028-03-08", false},
		{"2028-03-09", true},
		{"2028-04-08", false}, // Saturday
		{"2030-06-12", false},
		{"2030-11-04", false},
		{"2029-03-12", true},  // 8 Mar 2029 is a Thursday: no move
		{"2031-03-10", false}, // 8 Mar 2031 is a Saturday: Monday off (ст. 112 ч. 2)
		{"2034-01-09", true},  // 8 Jan 2034 is a Sunday: January holidays do not move
	}
	for _, tc := range tests {
		t.Run(tc.date, func(t *testing.T) {
			t.Parallel()
			if got := cal.IsWorkingDay(day(tc.date)); got != tc.working {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tc.date, got, tc.working)
			}
			if !cal.Estimated(day(tc.date)) {
				t.Errorf("Estimated(%s) = false, want true", tc.date)
			}
		})
	}
	// In covered years a ТК ст. 112 holiday on a weekday is always a day off, so the
	// fallback never calls one a working day that is not.
	for d := day("2019-01-01"); d.Year() <= lastYear; d = d.AddDate(0, 0, 1) {
		if isFixedHoliday(d) && cal.IsWorkingDay(d) {
			t.Errorf("%s: a ТК ст. 112 holiday is a working day in the data", d.Format(time.DateOnly))
		}
	}
}

func TestDateOfIsUTCMidnight(t *testing.T) {
	t.Parallel()
	in := time.Date(2025, 8, 8, 1, 0, 0, 0, time.FixedZone("MSK", 3*60*60)) // 2025-08-07 22:00 UTC
	if got := DateOf(in); !got.Equal(day("2025-08-08")) || got.Location() != time.UTC {
		t.Errorf("DateOf(%s) = %s, want 2025-08-08 00:00 UTC (the date in its own location)", in, got)
	}
	if !federal(t).IsWorkingDay(in) {
		t.Errorf("IsWorkingDay(%s) = false; Friday 2025-08-08 is a working day", in)
	}
}

func TestWorkingDaysLeft(t *testing.T) {
	t.Parallel()
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name            string
		today, deadline time.Time
		days            int
		past            bool
	}{
		{"due today", d(3, 16), d(3, 16), 0, false},
		{"due tomorrow", d(3, 16), d(3, 17), 1, false},
		{"Friday to Monday", d(3, 13), d(3, 16), 1, false},
		{"over the 9 March day off", d(3, 6), d(3, 10), 1, false},
		{"Monday, deadline Friday", d(3, 16), d(3, 13), -1, true},
		{"Saturday after a Friday deadline", d(3, 14), d(3, 13), -1, true},
		{"a week late, 9 March not counted", d(3, 16), d(3, 6), -5, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			days, past := c.WorkingDaysLeft(tc.today, tc.deadline)
			if days != tc.days || past != tc.past {
				t.Errorf("WorkingDaysLeft(%s, %s) = %d, %t; want %d, %t", tc.today.Format(time.DateOnly), tc.deadline.Format(time.DateOnly), days, past, tc.days, tc.past)
			}
		})
	}
}

func TestMoscow(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC) // summer: no daylight saving time
	if name, off := at.In(Moscow()).Zone(); off != 3*60*60 {
		t.Errorf("Moscow() offset in July = %s %d s; want UTC+3", name, off)
	}
	if first, second := Moscow(), Moscow(); first != second {
		t.Error("Moscow() returns a new zone each call; want the one shared zone")
	}
}

func TestToday(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"UTC evening is the next day in Moscow", time.Date(2025, 8, 7, 21, 30, 0, 0, time.UTC), "2025-08-08"},
		{"UTC before 21:00 is the same day", time.Date(2025, 8, 7, 20, 59, 0, 0, time.UTC), "2025-08-07"},
		{"a zone west of UTC", time.Date(2025, 12, 31, 20, 0, 0, 0, time.FixedZone("EST", -5*60*60)), "2026-01-01"},
		{"Moscow midnight", time.Date(2025, 8, 8, 0, 0, 0, 0, Moscow()), "2025-08-08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Today(tt.now); !got.Equal(day(tt.want)) || got.Location() != time.UTC {
				t.Errorf("Today(%s) = %s; want %s 00:00 UTC", tt.now, got, tt.want)
			}
		})
	}
}
