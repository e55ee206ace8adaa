package domain

import (
	"slices"
	"testing"
)

// TestStateMeaning pins which states are open: the one definition the dashboard, the report,
// the metrics and the alerts share.
func TestStateMeaning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s                     State
		open, pending, closed bool
	}{
		{StateNew, true, true, false},
		{StateReview, true, true, false},
		{StateReady, true, true, false},
		{StateSending, true, true, false},
		{StateFailed, true, false, false}, // GIS refused the answer: a person must act
		{StateAnswered, false, false, true},
		{StateAutoAnswered, false, false, true},
		{State("archived"), false, false, false},
		{State(""), false, false, false},
	}
	for _, tt := range tests {
		if got := tt.s.Open(); got != tt.open {
			t.Errorf("%q.Open() = %v; want %v", tt.s, got, tt.open)
		}
		if got := tt.s.Pending(); got != tt.pending {
			t.Errorf("%q.Pending() = %v; want %v", tt.s, got, tt.pending)
		}
		if got := tt.s.Closed(); got != tt.closed {
			t.Errorf("%q.Closed() = %v; want %v", tt.s, got, tt.closed)
		}
		if got, want := tt.s.Valid(), slices.Contains(States(), tt.s); got != want {
			t.Errorf("%q.Valid() = %v; want %v", tt.s, got, want)
		}
	}
}

// TestStatesPartition checks that every known state is either open or closed, never both, and
// that the table above covers every known state.
func TestStatesPartition(t *testing.T) {
	t.Parallel()
	all := States()
	if len(all) != 7 {
		t.Fatalf("States() = %v; want the 7 pipeline states (extend TestStateMeaning for a new one)", all)
	}
	for _, s := range all {
		if s.Open() == s.Closed() {
			t.Errorf("%q: Open() = %v, Closed() = %v; want exactly one", s, s.Open(), s.Closed())
		}
		if s.Pending() && !s.Open() {
			t.Errorf("%q is pending but not open", s)
		}
	}
	if s := States(); &s[0] == &all[0] {
		t.Error("States() shares its slice between calls; a caller could change the others' list")
	}
}
