package calendar

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxXMLSize bounds an xmlcalendar.ru file; real ones are about 2 KB.
const maxXMLSize = 256 << 10

// dayList collects the listed dates of one year, in both formats.
type dayList struct {
	off  map[int]bool // day of year -> non-working
	seen map[int]int  // day of year -> line of its first entry
}

func newDayList() *dayList {
	return &dayList{off: map[int]bool{}, seen: map[int]int{}}
}

// build turns the listed exceptions into a year: Saturdays and Sundays are off, other days
// work, unless listed otherwise.
func (l *dayList) build(y int, source string) *year {
	yd := &year{source: source}
	for d := time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
		off, listed := l.off[d.YearDay()]
		if !listed {
			off = isWeekend(d)
		}
		yd.off[d.YearDay()] = off
	}
	return yd
}

func isWeekend(d time.Time) bool {
	return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
}

// parseDate reads a month and day written "MM<sep>DD" as a date in year y.
func parseDate(s string, sep byte, y int) (time.Time, error) {
	layout := "MM" + string(sep) + "DD"
	if len(s) != 5 || s[2] != sep {
		return time.Time{}, fmt.Errorf("%q is not a date written %s", s, layout)
	}
	m, err1 := strconv.ParseUint(s[:2], 10, 8)
	d, err2 := strconv.ParseUint(s[3:], 10, 8)
	if err1 != nil || err2 != nil {
		return time.Time{}, fmt.Errorf("%q is not a date written %s", s, layout)
	}
	t := time.Date(y, time.Month(m), int(d), 0, 0, 0, 0, time.UTC)
	if t.Month() != time.Month(m) || t.Day() != int(d) || t.Year() != y {
		return time.Time{}, fmt.Errorf("%q is not a date in %d", s, y)
	}
	return t, nil
}

func parseYear(s string) (int, error) {
	y, err := strconv.Atoi(s)
	if err != nil || len(s) != 4 || y < 1900 {
		return 0, fmt.Errorf("year %q: want four digits such as 2025", s)
	}
	return y, nil
}

// parseText reads the project's own format (see the header of data/ru.txt).
func parseText(name, text string) (map[int]*year, error) {
	lists := map[int]*dayList{}
	for i, line := range strings.Split(text, "\n") {
		lineNo := i + 1
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("%s line %d: want \"YEAR off|work MM-DD ...\"", name, lineNo)
		}
		y, err := parseYear(f[0])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, lineNo, err)
		}
		kind := f[1]
		if kind != "off" && kind != "work" {
			return nil, fmt.Errorf("%s line %d: kind %q: want off or work", name, lineNo, kind)
		}
		l := lists[y]
		if l == nil {
			l = newDayList()
			lists[y] = l
		}
		for _, s := range f[2:] {
			d, err := parseDate(s, '-', y)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: %w", name, lineNo, err)
			}
			if first, dup := l.seen[d.YearDay()]; dup {
				return nil, fmt.Errorf("%s line %d: %d-%s is already listed on line %d", name, lineNo, y, s, first)
			}
			if kind == "off" && isWeekend(d) {
				return nil, fmt.Errorf("%s line %d: %d-%s is a %s; off lists Monday-Friday dates only", name, lineNo, y, s, d.Weekday())
			}
			if kind == "work" && !isWeekend(d) {
				return nil, fmt.Errorf("%s line %d: %d-%s is a %s; work lists Saturdays and Sundays only", name, lineNo, y, s, d.Weekday())
			}
			l.seen[d.YearDay()] = lineNo
			l.off[d.YearDay()] = kind == "off"
		}
	}
	if len(lists) == 0 {
		return nil, fmt.Errorf("%s: no years", name)
	}
	years := make(map[int]*year, len(lists))
	for y, l := range lists {
		years[y] = l.build(y, "embedded")
	}
	return years, nil
}

// parseXML reads one year from an xmlcalendar.ru document:
//
//	<calendar year="YYYY" ...><days><day d="MM.DD" t="1|2|3" .../>...</days></calendar>
//
// t=1 is a day off, t=2 a shortened working day, t=3 a working Saturday or Sunday; unlisted
// Saturdays and Sundays are days off and unlisted weekdays working days. The input is
// untrusted: its size is bounded, DTDs are refused (so no entity can be defined or
// expanded), and the errors give the line.
func parseXML(r io.Reader) (int, *year, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxXMLSize+1))
	if err != nil {
		return 0, nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > maxXMLSize {
		return 0, nil, fmt.Errorf("larger than %d KiB; not a calendar file", maxXMLSize>>10)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true // undefined entities are errors; Entity stays nil
	var (
		stack []string
		y     int
		l     = newDayList()
		days  int
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, fmt.Errorf("malformed XML: %w", err)
		}
		line, _ := dec.InputPos()
		switch t := tok.(type) {
		case xml.Directive:
			return 0, nil, fmt.Errorf("line %d: directive <!%q ...> refused: DTDs and entity declarations are not allowed", line, firstWord(t))
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return 0, nil, fmt.Errorf("line %d: text outside the <calendar> element", line)
			}
		case xml.StartElement:
			switch {
			case len(stack) == 0 && y != 0:
				return 0, nil, fmt.Errorf("line %d: a second root element <%s>", line, t.Name.Local)
			case len(stack) == 0:
				if t.Name.Local != "calendar" {
					return 0, nil, fmt.Errorf("line %d: root element <%s>, want <calendar>", line, t.Name.Local)
				}
				if y, err = parseYear(attr(t, "year")); err != nil {
					return 0, nil, fmt.Errorf("line %d: <calendar>: %w", line, err)
				}
				if c := attr(t, "country"); c != "" && c != "ru" {
					return 0, nil, fmt.Errorf("line %d: <calendar country=%q>: only the federal calendar (ru) is supported", line, c)
				}
			case len(stack) == 2 && stack[1] == "days" && t.Name.Local == "day":
				days++
				if err := addXMLDay(l, y, attr(t, "d"), attr(t, "t"), line); err != nil {
					return 0, nil, fmt.Errorf("line %d: <day>: %w", line, err)
				}
			}
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if y == 0 {
		return 0, nil, errors.New("no <calendar> element")
	}
	if days == 0 {
		return 0, nil, fmt.Errorf("calendar %d has no <days><day .../></days> entries; every year has holidays", y)
	}
	return y, l.build(y, ""), nil
}

func addXMLDay(l *dayList, y int, ds, ts string, line int) error {
	d, err := parseDate(ds, '.', y)
	if err != nil {
		return fmt.Errorf("d: %w", err)
	}
	if first, dup := l.seen[d.YearDay()]; dup {
		return fmt.Errorf("d=%q is already listed on line %d", ds, first)
	}
	switch ts {
	case "1":
		l.off[d.YearDay()] = true
	case "2":
		l.off[d.YearDay()] = false
	case "3":
		if !isWeekend(d) {
			return fmt.Errorf("d=%q t=\"3\" (working weekend day) but %d-%s is a %s", ds, y, d.Format("01-02"), d.Weekday())
		}
		l.off[d.YearDay()] = false
	default:
		return fmt.Errorf("d=%q: t=%q, want 1 (day off), 2 (shortened working day) or 3 (working weekend day)", ds, ts)
	}
	l.seen[d.YearDay()] = line
	return nil
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

func firstWord(d xml.Directive) string {
	s := string(d)
	if i := strings.IndexAny(s, " \t\r\n["); i >= 0 {
		s = s[:i]
	}
	if len(s) > 20 {
		s = s[:20]
	}
	return s
}
