package match_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

// TestPrefetchSQLiteStore checks the same against the real store's batched lookups.
func TestPrefetchSQLiteStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := storeopen.Open(ctx, filepath.Join(t.TempDir(), "s.db"), storeopen.WithAutoMigrate())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	byOrg := map[string][]domain.Premises{}
	for _, p := range match.TestPremises() {
		byOrg[p.OrgGUID] = append(byOrg[p.OrgGUID], p)
	}
	for o, ps := range byOrg {
		if _, err := s.ImportPremises(ctx, o, ps); err != nil {
			t.Fatal(err)
		}
	}
	srs := match.PrefetchCases()
	l, err := match.Prefetch(ctx, s, srs)
	if err != nil {
		t.Fatal(err)
	}
	for _, sr := range srs {
		want, err := match.Match(ctx, s, sr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := match.Match(ctx, l, sr)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: Match over Prefetch = %+v\nwant %+v", sr, got, want)
		}
	}
}
