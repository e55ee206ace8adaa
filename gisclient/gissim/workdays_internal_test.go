package gissim

import (
	"testing"
	"time"
)

func TestAddWorkdays(t *testing.T) {
	t.Parallel()
	tests := []struct{ sent, want string }{
		{"2025-08-08", "2025-08-15"}, // Friday; a real GIS pair (DRS-PROTOCOL §4)
		{"2025-09-01", "2025-09-08"}, // Monday; a real GIS pair
		{"2026-11-20", "2026-11-27"}, // Friday
		{"2026-11-21", "2026-11-27"}, // Saturday: counting starts on Monday
		{"2026-11-02", "2026-11-10"}, // 4 November
		{"2026-12-30", "2027-01-14"}, // the January holidays
		{"2026-02-20", "2026-03-02"}, // 23 February (Monday)
		{"2026-03-06", "2026-03-13"}, // 8 March falls on Sunday: no transfer in this approximation
		{"2026-04-28", "2026-05-06"}, // 1 May
		{"2026-05-06", "2026-05-13"}, // 9 May falls on Saturday
		{"2026-06-10", "2026-06-18"}, // 12 June
	}
	for _, tc := range tests {
		sent, _ := time.Parse(time.DateOnly, tc.sent)
		if got := addWorkdays(sent, 5).Format(time.DateOnly); got != tc.want {
			t.Errorf("%s + 5 working days = %s, want %s", tc.sent, got, tc.want)
		}
	}
}
