package pgstore

import (
	"fmt"
	"testing"

	"github.com/gisgw/gisgw/responder/match"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestMigrationBackfillsFlatKeys: premises stored before migration 0010 get the flat key
// match.FlatKey gives their flat number.
func TestMigrationBackfillsFlatKeys(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, storetest.PostgresSchema(t), Options{AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	all := s.migrations
	s.migrations = all[:9] // the schema before flat keys
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	flats := []string{"12", "012", "кв. 12", "12А", "12/1", "1 2", "", "-", "пом. 16"}
	for i, f := range flats {
		if _, err := s.pool.Exec(ctx, `INSERT INTO premises (premise_id, house_guid, flat, updated_at) VALUES ($1, 'h', $2, now())`,
			fmt.Sprint(i), f); err != nil {
			t.Fatal(err)
		}
	}
	s.migrations = all
	res, err := s.Migrate(ctx)
	if err != nil || res.From != 9 || res.To != len(all) {
		t.Fatalf("Migrate = %+v, %v; want from 9 to %d", res, err, len(all))
	}
	for i, f := range flats {
		var got string
		if err := s.pool.QueryRow(ctx, `SELECT flat_key FROM premises WHERE premise_id = $1`, fmt.Sprint(i)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := match.FlatKey(f); got != want {
			t.Errorf("flat %q: flat_key = %q after the migration; want %q", f, got, want)
		}
	}
}
