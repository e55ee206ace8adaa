package sqlitestore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/match"
)

// TestMigrationBackfillsFlatKeys: premises stored before migration 0010 get the flat key
// match.FlatKey gives their flat number.
func TestMigrationBackfillsFlatKeys(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{AllowStale: true})
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
		if _, err := s.w.ExecContext(ctx, `INSERT INTO premises (premise_id, house_guid, flat, updated_at) VALUES (?, 'h', ?, '2025-01-01')`,
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
		if err := s.r.QueryRowContext(ctx, `SELECT flat_key FROM premises WHERE premise_id = ?`, fmt.Sprint(i)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := match.FlatKey(f); got != want {
			t.Errorf("flat %q: flat_key = %q after the migration; want %q", f, got, want)
		}
	}
}

// TestRelaxedWriteRestoresSynchronous: the decide step's writes relax PRAGMA synchronous for
// their own transaction only; the writer connection's other writes wait for the disk again.
func TestRelaxedWriteRestoresSynchronous(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	sync := func() (n int) {
		if err := s.w.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := sync()
	if before < 2 {
		t.Fatalf("PRAGMA synchronous = %d on a fresh store; want FULL (2) or more", before)
	}
	during := -1
	if err := s.writeRelaxed(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&during)
	}); err != nil {
		t.Fatal(err)
	}
	if during != 1 {
		t.Errorf("PRAGMA synchronous in a relaxed write = %d; want NORMAL (1)", during)
	}
	if _, err := s.ClaimForDecision(ctx, "o", 10, time.Minute); err != nil {
		t.Fatal(err)
	}
	if after := sync(); after != before {
		t.Errorf("PRAGMA synchronous after relaxed writes = %d; want %d again", after, before)
	}
}
