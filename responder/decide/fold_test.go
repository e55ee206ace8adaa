package decide

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// fullName is the folding appendFullName replaced, written with the strings functions: the
// reference it must equal.
func fullName(parts ...string) string {
	for i, p := range parts {
		p = strings.ReplaceAll(strings.ToLower(p), "ё", "е")
		parts[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(parts, "|")
}

func checkFold(t *testing.T, parts ...string) {
	t.Helper()
	got := string(appendFullName(nil, parts...))
	if want := fullName(append([]string(nil), parts...)...); got != want {
		t.Fatalf("appendFullName(%q) = %q, want %q", parts, got, want)
	}
}

func TestAppendFullNameIsFullName(t *testing.T) {
	t.Parallel()
	for _, parts := range [][]string{
		{"", "", ""},
		{"Иванов", "Иван", "Иванович"},
		{"  ЁЛКИН ", "пётр\tИльич", "\u00a0Семёнович\u0085"},
		{"O'Brien", "JOHN  PAUL", "Mc\u2003Donald"},
		{"\xff\xfeИван", "a\xc3", "\u212a"}, // invalid bytes, the Kelvin sign
		{"ǅ", "İstanbul", "ΣΑΣ"},
	} {
		checkFold(t, parts...)
	}
	alphabet := []rune("aZ Ёё еЕИиQ\t\n\u00a0\u0085\u2028\u3000|İǅ\u212a\ufffdΣ")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		var parts [3]string
		for i := range parts {
			rs := make([]rune, rng.IntN(8))
			for j := range rs {
				rs[j] = alphabet[rng.IntN(len(alphabet))]
			}
			parts[i] = string(rs)
			if rng.IntN(10) == 0 {
				parts[i] += "\xe0\x80" // a cut sequence
			}
		}
		checkFold(t, parts[:]...)
	}
}

func FuzzAppendFullName(f *testing.F) {
	f.Add("Иванов", " Пётр ", "\xffЁ")
	f.Fuzz(func(t *testing.T, a, b, c string) { checkFold(t, a, b, c) })
}

func TestAppendMonthIsSprintf(t *testing.T) {
	t.Parallel()
	for n := -200; n < 10_000*12+200; n++ {
		want := fmt.Sprintf("%02d.%04d", n%12+1, n/12)
		if got := string(appendMonth(nil, n)); got != want {
			t.Fatalf("appendMonth(%d) = %q, want %q", n, got, want)
		}
	}
}
