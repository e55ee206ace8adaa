package storecore

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// randomDecision fills every field of a decision, each string from an alphabet with what
// JSON escapes (quotes, controls, HTML, U+2028, invalid bytes), each list sometimes nil,
// sometimes empty.
func randomDecision(rng *rand.Rand) domain.Decision {
	alphabet := []string{"a", "Я", "ё", " ", "\"", "\\", "/", "<", ">", "&", "\b", "\f", "\n", "\r", "\t",
		"\x00", "\x1f", "\x7f", "\u2028", "\u2029", "\xff", "\xe2\x80", "₽", "\u00a0", "😀", "'", "+"}
	str := func() string {
		if rng.IntN(4) == 0 {
			return ""
		}
		var b []byte
		for range rng.IntN(12) {
			b = append(b, alphabet[rng.IntN(len(alphabet))]...)
		}
		return string(b)
	}
	strs := func() []string {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+rng.IntN(3))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	zones := []*time.Location{time.UTC, time.FixedZone("MSK", 3*3600), time.FixedZone("W", -(5*3600 + 30*60))}
	d := domain.Decision{
		SubRequestGUID: str(), RuleVersion: str(),
		DecidedAt:   time.Unix(rng.Int64N(4_000_000_000), rng.Int64N(2)*rng.Int64N(1e9)).In(zones[rng.IntN(len(zones))]),
		PremisesIDs: strs(), MatchMethod: str(), HasDebt: rng.IntN(2) == 0, Review: rng.IntN(2) == 0,
		ReviewReasons: strs(), Description: str(), Notes: strs(), DecidedBy: str(), Comment: str(),
		Correction: rng.IntN(2) == 0,
	}
	if rng.IntN(5) == 0 {
		d.DecidedAt = time.Time{}
	}
	for range rng.IntN(3) {
		di := domain.DebtInfo{Person: domain.Person{LastName: str(), FirstName: str(), MiddleName: str(),
			SNILS: str(), DocType: str(), DocSeries: str(), DocNumber: str()}}
		for range rng.IntN(3) {
			di.Documents = append(di.Documents, domain.Document{ActOrg: str(), ActID: str(), Name: str(),
				Path: str(), Hash: str(), Size: rng.Int64N(1e9) - 1e6, AttachmentGUID: str()})
		}
		d.DebtInfo = append(d.DebtInfo, di)
	}
	if rng.IntN(4) == 0 {
		d.DebtInfo = []domain.DebtInfo{}
	}
	for range rng.IntN(4) {
		d.Evidence = append(d.Evidence, domain.Evidence{ActID: str(), Counted: rng.IntN(2) == 0, Reason: str()})
	}
	return d
}

// TestEncodeDecisionIsMarshal: the hand-written encoder writes what json.Marshal of the
// stored form writes, byte for byte, and DecodeDecision reads it.
func TestEncodeDecisionIsMarshal(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20_000 {
		d := randomDecision(rng)
		got, err := EncodeDecision(d)
		if err != nil {
			t.Fatal(err)
		}
		want, err := marshalDecision(d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("EncodeDecision(%+v) =\n%s\nwant\n%s", d, got, want)
		}
		if _, err := DecodeDecision(d.SubRequestGUID, got); err != nil {
			t.Fatalf("DecodeDecision(%s): %v", got, err)
		}
	}
	// A year JSON cannot hold: json.Marshal's error.
	d := domain.Decision{SubRequestGUID: "g", DecidedAt: time.Date(10_000, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, err := EncodeDecision(d)
	_, want := marshalDecision(d)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Fatalf("EncodeDecision of year 10000: %v, want %v", err, want)
	}
}

// TestDecodeDecisionRoundTrip: a typical decision reads back as it was (UTC time).
func TestDecodeDecisionRoundTrip(t *testing.T) {
	t.Parallel()
	d := domain.Decision{SubRequestGUID: "g", RuleVersion: "2026.4", DecidedAt: time.Date(2025, 5, 21, 9, 0, 0, 5, time.UTC),
		PremisesIDs: []string{"P1"}, MatchMethod: "house_flat", HasDebt: true,
		DebtInfo: []domain.DebtInfo{{Person: domain.Person{LastName: "Иванов", FirstName: "Иван"},
			Documents: []domain.Document{{ActOrg: "o", ActID: "A1", Name: "a.pdf", Path: "docs/a.pdf", Size: 10}}}},
		Evidence: []domain.Evidence{{ActID: "A1", Counted: true, Reason: "учтён"}}, Review: true,
		ReviewReasons: []string{"partial_period: <x> & \"y\""}}
	b, err := EncodeDecision(d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeDecision("g", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, d) {
		t.Fatalf("round trip:\n%+v\nwant\n%+v", back, d)
	}
}

func FuzzEncodeDecision(f *testing.F) {
	f.Add("учтён <a&b>", "\xff\u2028", int64(1_700_000_000))
	f.Fuzz(func(t *testing.T, a, b string, sec int64) {
		d := domain.Decision{RuleVersion: a, DecidedAt: time.Unix(sec, 0).UTC(), PremisesIDs: []string{b, a},
			Evidence: []domain.Evidence{{ActID: b, Reason: a}}, Description: b,
			DebtInfo: []domain.DebtInfo{{Person: domain.Person{LastName: a, SNILS: b}, Documents: []domain.Document{{Name: a, Hash: b}}}}}
		got, err := EncodeDecision(d)
		want, werr := marshalDecision(d)
		if (err == nil) != (werr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("EncodeDecision = %s, %v; json.Marshal = %s, %v", got, err, want, werr)
		}
	})
}

// BenchmarkEncodeDecision compares the hand-written encoder with json.Marshal of the
// stored form.
func BenchmarkEncodeDecision(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	ds := make([]domain.Decision, 100)
	for i := range ds {
		ds[i] = randomDecision(rng)
	}
	for _, enc := range []struct {
		name string
		fn   func(domain.Decision) ([]byte, error)
	}{{"hand", EncodeDecision}, {"json.Marshal", marshalDecision}} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				if _, err := enc.fn(ds[i%len(ds)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecisionDetailIsFprintf: the audit text is what the fmt form wrote.
func TestDecisionDetailIsFprintf(t *testing.T) {
	t.Parallel()
	ref := func(d domain.Decision, from, to domain.State) string {
		var b strings.Builder
		fmt.Fprintf(&b, "has_debt=%t debtors=%d rule=%s", d.HasDebt, len(d.DebtInfo), d.RuleVersion)
		if d.MatchMethod != "" {
			fmt.Fprintf(&b, " match=%s", d.MatchMethod)
		}
		if len(d.ReviewReasons) > 0 {
			fmt.Fprintf(&b, " review_reasons=%d", len(d.ReviewReasons))
		}
		if from != to {
			fmt.Fprintf(&b, " state %s→%s", from, to)
		}
		return b.String()
	}
	rng := rand.New(rand.NewPCG(9, 10))
	states := domain.States()
	for range 2000 {
		d := randomDecision(rng)
		from, to := states[rng.IntN(len(states))], states[rng.IntN(len(states))]
		if got, want := DecisionDetail(d, from, to), ref(d, from, to); got != want {
			t.Fatalf("DecisionDetail = %q, want %q", got, want)
		}
	}
}
