package importer

import (
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		xlsx    bool
		want    domain.Money
		wantErr string
	}{
		{"0", false, 0, ""},
		{"12345", false, 1234500, ""},
		{"12345.6", false, 1234560, ""},
		{"12345,67", false, 1234567, ""},
		{"12 345,67", false, 1234567, ""},
		{"1\u00a0234\u00a0567.89", false, 123456789, ""},
		{"1\u202f000,00", false, 100000, ""},
		{"0,5", false, 50, ""},
		{"1234.5600000000001", true, 123456, ""},
		{"1.5E3", true, 150000, ""},
		{"1234.567", false, 0, "more than two decimals"},
		{"1,234.56", false, 0, "not an amount"},
		{"1.234.567", false, 0, "not an amount"},
		{"-5", false, 0, "negative"},
		{"12a", false, 0, "not an amount"},
		{",5", false, 0, "not an amount"},
		{"99999999999999", false, 0, "not an amount"},
		{"руб", false, 0, "not an amount"},
	}
	for _, tc := range tests {
		got, err := parseMoney(tc.in, tc.xlsx)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseMoney(%q) = %d, %v; want error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseMoney(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func d(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }

func TestParseDates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		kind    string // date, from, to
		xlsx    bool
		want    time.Time
		wantErr bool
	}{
		{"2024-03-05", "date", false, d(2024, 3, 5), false},
		{"05.03.2024", "date", false, d(2024, 3, 5), false},
		{"5.3.2024", "date", false, d(2024, 3, 5), false},
		{"45356", "date", true, d(2024, 3, 5), false},
		{"45356", "date", false, time.Time{}, true},
		{"2024-02-30", "date", false, time.Time{}, true},
		{"31.02.2024", "date", false, time.Time{}, true},
		{"05.03.24", "date", false, time.Time{}, true},
		{"1899-01-01", "date", false, time.Time{}, true},
		{"2024/03/05", "date", false, time.Time{}, true},
		{"2023-02", "from", false, d(2023, 2, 1), false},
		{"2023-02", "to", false, d(2023, 2, 28), false},
		{"2024-02", "to", false, d(2024, 2, 29), false},
		{"12.2023", "to", false, d(2023, 12, 31), false},
		{"2023-06-15", "to", false, d(2023, 6, 15), false},
		{"2023-13", "from", false, time.Time{}, true},
	}
	for _, tc := range tests {
		var got time.Time
		var err error
		switch tc.kind {
		case "date":
			got, err = parseDate(tc.in, tc.xlsx)
		default:
			got, err = parsePeriodBound(tc.in, tc.kind == "from", tc.xlsx)
		}
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s %q = %v; want an error", tc.kind, tc.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s %q = %v, %v; want %v", tc.kind, tc.in, got, err, tc.want)
		}
	}
}

func TestParseSNILS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, wantErr string
	}{
		{"112-233-445 95", "11223344595", ""},
		{"11223344595", "11223344595", ""},
		{"123 456 789 64", "12345678964", ""},
		{"987-654-321 83", "98765432183", ""},
		{"001-001-998 00", "00100199800", ""}, // before control numbers
		{"112-233-445 96", "", "control number is 96, expected 95"},
		{"1122334459", "", "11 digits"},
		{"112233445950", "", "11 digits"},
		{"112-233-445 9x", "", "only digits"},
	}
	for _, tc := range tests {
		got, err := parseSNILS(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseSNILS(%q) = %q, %v; want error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSNILS(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	// The control number rule for sums of 100, 101 and above 101.
	for nine, want := range map[string]int{"000000000": 0, "900000010": 83, "999999999": 1, "920000003": 0, "920000004": 0, "996000006": 0, "100100100": 18} {
		if got := snilsControl(nine); got != want {
			t.Errorf("snilsControl(%s) = %d; want %d", nine, got, want)
		}
	}
}

func TestParseGUIDAndKind(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"E1D2C3B4-A5F6-4789-9ABC-DEF012345678":   "e1d2c3b4-a5f6-4789-9abc-def012345678",
		"{e1d2c3b4-a5f6-4789-9abc-def012345678}": "e1d2c3b4-a5f6-4789-9abc-def012345678",
		"e1d2c3b4a5f647899abcdef012345678":       "",
		"e1d2c3b4-a5f6-4789-9abc-def01234567g":   "",
		"e1d2c3b4-a5f6-4789-9abc_def012345678":   "",
	} {
		got, err := parseGUID(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("parseGUID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]domain.ActKind{
		"court_order": domain.ActCourtOrder, "Судебный приказ": domain.ActCourtOrder, "JUDGMENT": domain.ActJudgment,
		"решение суда": domain.ActJudgment, "appeal": "",
	} {
		got, err := parseActKind(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("parseActKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
