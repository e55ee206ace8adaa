package match

import (
	"testing"
	"unicode/utf8"
)

// FuzzParseUnit feeds untrusted addressDetails to the parser: it must never panic, a parsed
// unit must read back to itself, and normalization must be idempotent.
func FuzzParseUnit(f *testing.F) {
	for _, s := range []string{
		"12", "кв. 12", "кв. 5, комн. 2", "12/2", "кв 12 к 2", "д. 5, кв. 12", "12 A", "KB 12",
		"г. Москва, ул. Ленина, д. 5, кв. 12", "ком. 3", "пом. 3н", "\xff", "", "//", "Kв.№012а",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := ParseUnit(s)
		if !ok {
			if u != (Unit{}) {
				t.Fatalf("ParseUnit(%q) = %+v with ok=false", s, u)
			}
		} else {
			if u.Flat == "" && u.Room == "" {
				t.Fatalf("ParseUnit(%q): ok with an empty unit", s)
			}
			back, ok := ParseUnit(u.String())
			if !ok || back != u {
				t.Fatalf("ParseUnit(%q) = %+v, but %q reads as %+v, %v", s, u, u.String(), back, ok)
			}
			for _, v := range []string{u.Flat, u.Room} {
				if v != "" && normalizeStored(v, false) != v {
					t.Fatalf("value %q normalizes to %q", v, normalizeStored(v, false))
				}
			}
		}
		if _, ok := unitFromAddress(s); ok && !utf8.ValidString(s) {
			t.Fatalf("unitFromAddress accepted invalid UTF-8 %q", s)
		}
		if utf8.ValidString(s) {
			n := normalizeText(s)
			if again := normalizeText(n); again != n {
				t.Fatalf("normalizeText(%q) = %q, then %q", s, n, again)
			}
		}
	})
}
