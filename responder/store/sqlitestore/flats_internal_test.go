package sqlitestore

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
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

// TestHouseFlatsQuerySearchesIndexes: a store whose premises mostly lack a FIAS GUID (one
// value for most rows in the statistics the import leaves) once made the planner scan the
// whole premises table for the FIAS join, for every pair asked; both joins must search
// their (house, flat_key) index.
func TestHouseFlatsQuerySearchesIndexes(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var ps []domain.Premises
	for i := range 8000 {
		p := domain.Premises{ID: fmt.Sprint(i), Address: "a"}
		switch {
		case i < 3000: // a flat known by its HMobjectGUID only
			p.HMObjectGUID, p.Flat = fmt.Sprintf("m%d", i), fmt.Sprint(i%150)
		case i < 6000: // a flat of one of 40 houses
			p.HouseGUID, p.Flat = fmt.Sprintf("h%d", i%40), fmt.Sprint(i/40)
		default: // single-family houses
			p.HouseGUID = fmt.Sprintf("s%d", i)
		}
		ps = append(ps, p)
	}
	if _, err := s.ImportPremises(ctx, "", ps); err != nil {
		t.Fatal(err)
	}
	var values []string
	args := []any{""}
	for i := range 50 {
		values = append(values, fmt.Sprintf("(?%d, ?%d)", 2*i+2, 2*i+3))
		args = append(args, fmt.Sprintf("h%d", i%40), fmt.Sprint(i))
	}
	plan := queryPlan(t, s.r, houseFlatsQuery(strings.Join(values, ", ")), args...)
	searches := 0
	for _, detail := range plan {
		if strings.HasPrefix(detail, "SCAN p") {
			t.Errorf("the plan scans premises: %q", detail)
		}
		if strings.HasPrefix(detail, "SEARCH p USING INDEX premises_") {
			searches++
		}
	}
	if searches != 2 {
		t.Errorf("the plan searches premises' indexes %d times; want 2 (one per join):\n%s", searches, strings.Join(plan, "\n"))
	}
}
