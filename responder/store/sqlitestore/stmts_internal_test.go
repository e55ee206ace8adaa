package sqlitestore

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
)

// TestPaddedLengths: every list fits its padded length, and the lengths up to a limit come
// in a few values (the statements that stay prepared).
func TestPaddedLengths(t *testing.T) {
	for _, limit := range []int{100, 250, 500} {
		lengths := map[int]bool{}
		for n := 1; n <= limit; n++ {
			p := padded(n, limit)
			if p < n || p > limit {
				t.Fatalf("padded(%d, %d) = %d, want in [%d, %d]", n, limit, p, n, limit)
			}
			lengths[p] = true
		}
		if len(lengths) > 10 {
			t.Errorf("limit %d: %d padded lengths, want at most 10", limit, len(lengths))
		}
	}
}

// TestSaveLen: the pieces of a batch cover it exactly, each a power of two up to saveChunk.
func TestSaveLen(t *testing.T) {
	for n := 1; n <= 3*saveChunk; n++ {
		sum := 0
		for rest := n; rest > 0; {
			p := saveLen(rest)
			if p <= 0 || p > rest || p > saveChunk || p&(p-1) != 0 {
				t.Fatalf("saveLen(%d) = %d (batch of %d)", rest, p, n)
			}
			sum += p
			rest -= p
		}
		if sum != n {
			t.Fatalf("pieces of %d sum to %d", n, sum)
		}
	}
}

// TestPaddedLookups: lookups whose IN lists are padded with NULLs answer with the premises
// of their keys, in a store that has premises without the attribute, and lookups of
// different lengths that pad alike share one prepared statement.
func TestPaddedLookups(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	const org = "org"
	var ps []domain.Premises
	for i := range 5 {
		ps = append(ps, domain.Premises{OrgGUID: org, ID: fmt.Sprint("p", i), HMObjectGUID: fmt.Sprint("hm", i),
			HouseGUID: "house", Flat: fmt.Sprint(i + 1), Address: "addr"})
	}
	// No HMobjectGUID, no FIAS GUID: an empty value that a NULL must not match.
	ps = append(ps, domain.Premises{OrgGUID: org, ID: "bare", HouseGUID: "house", Flat: "9", Address: "addr"})
	if _, err := s.ImportPremises(ctx, org, ps); err != nil {
		t.Fatal(err)
	}
	before := len(s.rc.stmts)
	for _, keys := range [][]string{{"hm0", "hm1", "hm2"}, {"hm0", "hm1", "hm2", "hm4"}} {
		got, err := s.PremisesByHMObjects(ctx, org, keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(keys) {
			t.Fatalf("%d keys found, want %d: %v", len(got), len(keys), got)
		}
		for _, k := range keys {
			if len(got[k]) != 1 || got[k][0].HMObjectGUID != k {
				t.Errorf("key %s: %v", k, got[k])
			}
		}
	}
	if n := len(s.rc.stmts) - before; n != 1 {
		t.Errorf("lookups of 3 and 4 keys prepared %d statements, want 1 (both padded to 4)", n)
	}
	// Three house GUIDs pad to four, in both lists of the OR.
	got, err := s.PremisesByHouses(ctx, org, []string{"house", "nohouse", "other"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got["house"]) != len(ps) {
		t.Errorf("houses: %v, want the %d premises of house", got, len(ps))
	}
}
