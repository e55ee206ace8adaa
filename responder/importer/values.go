package importer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/gisgw/gisgw/responder/domain"
)

// Dates outside this range are typing errors (a two-digit year, a serial number in a text
// column), not court acts.
const (
	minYear = 1990
	maxYear = 2100
)

// parseDate reads YYYY-MM-DD or DD.MM.YYYY; in XLSX files also an Excel date serial number.
func parseDate(s string, xlsx bool) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2.1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return checkYear(t)
		}
	}
	if xlsx {
		if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 2958466 {
			t, err := excelize.ExcelDateToTime(f, false)
			if err == nil {
				y, m, d := t.Date()
				return checkYear(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
			}
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (use YYYY-MM-DD or DD.MM.YYYY)", s)
}

func checkYear(t time.Time) (time.Time, error) {
	if t.Year() < minYear || t.Year() > maxYear {
		return time.Time{}, fmt.Errorf("date %s is out of range %d–%d", t.Format(time.DateOnly), minYear, maxYear)
	}
	return t, nil
}

// parsePeriodBound reads a debt period bound: a date, or a month (YYYY-MM or MM.YYYY) that
// stands for its first day (from) or last day (!from).
func parsePeriodBound(s string, from, xlsx bool) (time.Time, error) {
	for _, layout := range []string{"2006-01", "1.2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			if !from {
				t = t.AddDate(0, 1, -1)
			}
			return checkYear(t)
		}
	}
	t, err := parseDate(s, xlsx)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date or month (use YYYY-MM-DD, DD.MM.YYYY, YYYY-MM or MM.YYYY)", s)
	}
	return t, nil
}

// parseMoney reads an amount in roubles into kopecks: '.' or ',' as the decimal separator,
// spaces (also non-breaking) as thousands separators, at most two decimals. XLSX numbers may
// carry binary floating-point noise (1234.5600000000001) and are rounded to kopecks.
func parseMoney(s string, xlsx bool) (domain.Money, error) {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u202f' || r == '\u2009' {
			return -1
		}
		return r
	}, s)
	if strings.HasPrefix(clean, "-") {
		return 0, fmt.Errorf("amount %q is negative", s)
	}
	if xlsx && strings.ContainsAny(clean, "eE.") {
		if f, err := strconv.ParseFloat(clean, 64); err == nil && f >= 0 && f < 1e13 {
			return domain.Money(math.Round(f * 100)), nil
		}
	}
	bad := func() error { return fmt.Errorf("%q is not an amount (use 12345.67 or 12 345,67)", s) }
	if clean == "" || strings.Count(clean, ".")+strings.Count(clean, ",") > 1 {
		return 0, bad()
	}
	whole, frac, _ := strings.Cut(strings.ReplaceAll(clean, ",", "."), ".")
	if whole == "" || len(whole) > 13 || !allDigits(whole) || !allDigits(frac) {
		return 0, bad()
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("amount %q has more than two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	rub, _ := strconv.ParseInt(whole, 10, 64)
	kop, _ := strconv.ParseInt(frac, 10, 64)
	return domain.Money(rub*100 + kop), nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseGUID checks a GUID (8-4-4-4-12 hex digits, optionally in braces) and returns it in
// lowercase, the form GIS uses.
func parseGUID(s string) (string, error) {
	g := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}"))
	if len(g) != 36 {
		return "", fmt.Errorf("%q is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
	}
	for i, c := range g {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", fmt.Errorf("%q is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return "", fmt.Errorf("%q is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
			}
		}
	}
	return g, nil
}

// parseSNILS accepts 11 digits with optional spaces and hyphens (123-456-789 01) and checks
// the control number: the digits 1–9 weighted 9…1 are summed; a sum below 100 is the control
// number itself, 100 and 101 give 00, a larger sum is taken modulo 101 (100 again giving 00).
// Numbers up to 001-001-998 were issued before control numbers and are not checked.
func parseSNILS(s string) (string, error) {
	digits := strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if !allDigits(digits) {
		return "", errors.New("SNILS may contain only digits, spaces and hyphens")
	}
	if len(digits) != 11 {
		return "", errors.New("SNILS must have 11 digits (in a spreadsheet, format the column as text so that leading zeros stay)")
	}
	number, _ := strconv.Atoi(digits[:9])
	control, _ := strconv.Atoi(digits[9:])
	if number <= 1001998 {
		return digits, nil
	}
	if want := snilsControl(digits[:9]); want != control {
		return "", fmt.Errorf("SNILS control number is %02d, expected %02d: check the number", control, want)
	}
	return digits, nil
}

func snilsControl(nine string) int {
	sum := 0
	for i, r := range nine {
		sum += int(r-'0') * (9 - i)
	}
	for sum > 101 {
		sum %= 101
	}
	if sum == 100 || sum == 101 {
		return 0
	}
	return sum
}

// parseActKind accepts the canonical kinds and their Russian names.
func parseActKind(s string) (domain.ActKind, error) {
	switch normalizeName(s) {
	case "court order", "судебный приказ", "приказ":
		return domain.ActCourtOrder, nil
	case "judgment", "judgement", "решение", "решение суда", "судебное решение":
		return domain.ActJudgment, nil
	}
	return "", fmt.Errorf("act kind %q is unknown: use court_order (судебный приказ) or judgment (решение суда)", s)
}
