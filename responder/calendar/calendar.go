// Package calendar is the Russian federal production calendar (5-day week) used to compute
// the 5-working-day answer deadline of a debt sub-request.
//
// The calendar for 2019–2027 is the project's own data (data/ru.txt, embedded). A year can be
// added or corrected without a rebuild from a file in the xmlcalendar.ru XML format. For a
// year without data the calendar falls back to Monday–Friday minus the fixed holidays of
// ТК РФ ст. 112 (with the automatic move of a weekend holiday other than the January ones to
// the next Monday); such dates are estimates, and the caller treats GIS's responseDate as
// binding.
//
// Dates are calendar dates: a time.Time argument is read as its year, month and day in its
// own location, and every date returned is at 00:00 UTC (the convention of
// responder/domain).
package calendar

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

//go:embed data/ru.txt
var federalData string

// dueWorkingDays is the answer period of a sub-request: 5 working days (LEGAL-RULES §5).
const dueWorkingDays = 5

// year holds one covered year: off[yd] reports whether day yd (time.YearDay, 1-based) is a
// non-working day.
type year struct {
	off    [367]bool
	source string // "embedded" or the overlay file's name
}

// Calendar answers working-day questions. It is immutable: overlays return a new Calendar,
// so a value is safe for concurrent use and a failed overlay changes nothing.
type Calendar struct {
	years map[int]*year
}

// New returns the embedded federal calendar with the xmlcalendar.ru files overlaid; each
// file adds or replaces the whole year it describes. It fails, naming the file, on an
// unreadable or invalid file, on two files for the same year, and on a file whose path
// names a year (xmlcalendar's ru/<year>/calendar.xml, or <year>.xml) other than its own
// year attribute.
func New(xmlFiles ...string) (*Calendar, error) {
	years, err := parseText("data/ru.txt", federalData)
	if err != nil {
		return nil, fmt.Errorf("calendar: embedded data: %w", err)
	}
	c := &Calendar{years: years}
	seen := map[int]string{}
	for _, path := range xmlFiles {
		y, yd, err := readXMLFile(path)
		if err != nil {
			return nil, fmt.Errorf("calendar: %s: %w", path, err)
		}
		if prev, dup := seen[y]; dup {
			return nil, fmt.Errorf("calendar: %s and %s both give year %d", prev, path, y)
		}
		seen[y] = path
		c = c.with(y, yd, path)
	}
	return c, nil
}

func readXMLFile(path string) (int, *year, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return 0, nil, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	y, yd, err := parseXML(f)
	if err != nil {
		return 0, nil, err
	}
	for _, part := range []string{filepath.Base(filepath.Dir(path)), strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))} {
		if py, err := parseYear(part); err == nil && py != y {
			return 0, nil, fmt.Errorf("the file says year=\"%d\" but its path says %d; fix whichever is wrong", y, py)
		}
	}
	return y, yd, nil
}

// WithXML returns a copy of c in which the year described by the xmlcalendar.ru document r
// replaces c's data for that year. name identifies the document in errors and in Source.
// c itself never changes.
func (c *Calendar) WithXML(name string, r io.Reader) (*Calendar, error) {
	y, yd, err := parseXML(r)
	if err != nil {
		return nil, fmt.Errorf("calendar: %s: %w", name, err)
	}
	return c.with(y, yd, name), nil
}

func (c *Calendar) with(y int, yd *year, source string) *Calendar {
	yd.source = source
	years := make(map[int]*year, len(c.years)+1)
	for k, v := range c.years {
		years[k] = v
	}
	years[y] = yd
	return &Calendar{years: years}
}

// Covers reports whether the calendar has data for year y; outside covered years the
// answers are the Monday–Friday/ТК ст. 112 estimate.
func (c *Calendar) Covers(y int) bool {
	_, ok := c.years[y]
	return ok
}

// Source names where the data for year y comes from: "embedded", an overlay file's name, or
// "" when y is not covered.
func (c *Calendar) Source(y int) string {
	if yd, ok := c.years[y]; ok {
		return yd.source
	}
	return ""
}

// IsWorkingDay reports whether the date d is a working day.
func (c *Calendar) IsWorkingDay(d time.Time) bool {
	d = DateOf(d)
	if yd, ok := c.years[d.Year()]; ok {
		return !yd.off[d.YearDay()]
	}
	return !fallbackOff(d)
}

// AddWorkingDays returns the n-th working day after date d, d itself not counted (Civil Code
// ст. 191): for n = 1 the first working day after d, whether or not d is a working day. A
// negative n counts back the same way; n = 0 returns d.
func (c *Calendar) AddWorkingDays(d time.Time, n int) time.Time {
	d = DateOf(d)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// Due is the answer deadline for a sub-request sent on date sent: the 5th working day after
// it, the day of sending not counted; the answer is due by the end of that day (ст. 194).
func (c *Calendar) Due(sent time.Time) time.Time {
	return c.AddWorkingDays(sent, dueWorkingDays)
}

// Estimated reports whether Due(sent) relies on the fallback rule, that is whether any year
// from sent to the deadline is not covered.
func (c *Calendar) Estimated(sent time.Time) bool {
	due := c.Due(sent)
	for y := DateOf(sent).Year(); y <= due.Year(); y++ {
		if !c.Covers(y) {
			return true
		}
	}
	return false
}

// WorkingDaysLeft measures a deadline (the answer is due by the end of that day) from today:
// the working days after today up to and including the deadline, so 0 means "due today" and
// 1 "due on the next working day". Past the deadline, past is true and days is minus the
// working days since it, at least -1.
func (c *Calendar) WorkingDaysLeft(today, deadline time.Time) (days int, past bool) {
	today, deadline = DateOf(today), DateOf(deadline)
	switch cmp := deadline.Compare(today); {
	case cmp == 0:
		return 0, false
	case cmp > 0:
		return c.workingDaysBetween(today, deadline), false
	default:
		return -max(c.workingDaysBetween(deadline, today), 1), true
	}
}

// workingDaysBetween counts the working days in (from, to].
func (c *Calendar) workingDaysBetween(from, to time.Time) int {
	n := 0
	for d := from.AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

// CheckDeadline cross-checks GIS's responseDate for a sub-request sent on date sent. GIS's
// date is binding; computed is our Due(sent). ok is false only when both dates are known,
// the calendar covers the whole span, and they differ: that is the case to flag. With a zero
// responseDate or an Estimated span there is nothing reliable to compare, and ok is true.
func (c *Calendar) CheckDeadline(sent, responseDate time.Time) (ok bool, computed time.Time) {
	computed = c.Due(sent)
	if responseDate.IsZero() || c.Estimated(sent) {
		return true, computed
	}
	return DateOf(responseDate).Equal(computed), computed
}

// moscow is unexported so that no caller can swap the zone out from under the others.
var moscow = time.FixedZone("MSK", 3*60*60)

// Moscow is the zone GIS dates and deadlines are read in (LEGAL-RULES §5): UTC+3 all year,
// Russia has kept no daylight saving time since 2014.
func Moscow() *time.Location { return moscow }

// Today is the calendar date in Moscow at the instant now, at 00:00 UTC: the "today" that
// working days are counted from, whatever the server's own zone.
func Today(now time.Time) time.Time { return DateOf(now.In(moscow)) }

// DateOf returns the calendar date of t (its year, month and day in t's own location) at
// 00:00 UTC.
func DateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// fallbackOff is the estimate for a year without data: Saturdays, Sundays, the ТК ст. 112
// ч. 1 holidays, and the Monday after a non-January holiday that falls on a weekend
// (ст. 112 ч. 2). Transfers made by the annual decree cannot be guessed.
func fallbackOff(d time.Time) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return true
	case time.Monday:
		for _, back := range []int{-1, -2} {
			if h := d.AddDate(0, 0, back); h.Month() != time.January && isFixedHoliday(h) {
				return true
			}
		}
	}
	return isFixedHoliday(d)
}

// isFixedHoliday reports the non-working holidays of ТК ст. 112 ч. 1.
func isFixedHoliday(d time.Time) bool {
	_, m, day := d.Date()
	switch m {
	case time.January:
		return day <= 8
	case time.February:
		return day == 23
	case time.March:
		return day == 8
	case time.May:
		return day == 1 || day == 9
	case time.June:
		return day == 12
	case time.November:
		return day == 4
	}
	return false
}
