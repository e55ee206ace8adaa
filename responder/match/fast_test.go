package match

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/gisgw/gisgw/responder/domain"
)

// normalizeTextRef and flatTextRef are normalizeText and flatText as first written (over
// []rune, with strings.Fields): the references the faster forms must equal.
func normalizeTextRef(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if !unicode.IsLetter(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		cyr, allLook := false, true
		for ; j < len(rs) && unicode.IsLetter(rs[j]); j++ {
			if unicode.Is(unicode.Cyrillic, rs[j]) {
				cyr = true
			}
			if _, ok := lookalike(rs[j]); !ok {
				allLook = false
			}
		}
		for _, r := range rs[i:j] {
			if cyr || allLook {
				if c, ok := lookalike(r); ok {
					r = c
				}
			}
			r = unicode.ToLower(r)
			if r == 'ё' {
				r = 'е'
			}
			b.WriteRune(r)
		}
		i = j
	}
	return b.String()
}

func flatTextRef(s string) string {
	if len(s) > maxInput || !utf8.ValidString(s) {
		return ""
	}
	t := strings.Join(strings.Fields(normalizeTextRef(s)), "")
	for _, m := range flatMarkers {
		if rest, ok := strings.CutPrefix(t, m); ok {
			rest = strings.TrimPrefix(strings.TrimPrefix(rest, "."), "№")
			if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
				t = rest
			}
			break
		}
	}
	return strings.TrimPrefix(t, "№")
}

func checkTexts(t *testing.T, s string) {
	t.Helper()
	if got, want := normalizeText(s), normalizeTextRef(s); got != want {
		t.Fatalf("normalizeText(%q) = %q, want %q", s, got, want)
	}
	if got, want := flatText(s), flatTextRef(s); got != want {
		t.Fatalf("flatText(%q) = %q, want %q", s, got, want)
	}
}

func TestFastTextsAreTheReference(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "12", "12/1", " 1 2 ", "кв. 12", "KB 12", "Kв.№012а", "12a", "12B",
		"ROOM 5", "\xff12", "кв\xc3", "12\u00a0А", "ǅ5", "\u212a5", "Ёлка 3", "№ 7", "\u0085"} {
		checkTexts(t, s)
	}
	alphabet := []rune("0123 /.-№aAbBkKcCxXyYoOрРкКвВёЁ\t\u00a0\u2028ǅ\u212a\ufffdΣ")
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50_000 {
		rs := make([]rune, rng.IntN(10))
		for j := range rs {
			rs[j] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(rs)
		if rng.IntN(10) == 0 {
			s += "\xe0\x80"
		}
		checkTexts(t, s)
	}
}

func FuzzFastTexts(f *testing.F) {
	f.Add("Kв.№012а")
	f.Fuzz(func(t *testing.T, s string) { checkTexts(t, s) })
}

// TestDedupeSorted: dedupe's shortcut takes only premises already in order and each once,
// and its answer cannot write into the lookup's array.
func TestDedupeSorted(t *testing.T) {
	t.Parallel()
	ps := []domain.Premises{{ID: "1"}, {ID: "1", OrgGUID: "b"}, {ID: "2"}}
	got := dedupe(ps)
	if len(got) != 3 || cap(got) != 3 || &got[0] != &ps[0] {
		t.Fatalf("dedupe of sorted premises = %+v (cap %d)", got, cap(got))
	}
	for _, in := range [][]domain.Premises{
		{{ID: "2"}, {ID: "1"}},
		{{ID: "1"}, {ID: "1"}},
		{{ID: "1", OrgGUID: "b"}, {ID: "1"}},
	} {
		if sortedUnique(in) {
			t.Fatalf("%+v: taken as sorted", in)
		}
		if got := dedupe(in); !sortedUnique(got) {
			t.Fatalf("dedupe(%+v) = %+v: not sorted, or repeats", in, got)
		}
	}
}
