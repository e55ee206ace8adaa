package pgstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/pgstore"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// testPool returns a pool on a fresh schema; search_path goes into the pgx config's
// RuntimeParams (from the DSN), so unqualified table names resolve there.
func testPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(storetest.PostgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ConnConfig.RuntimeParams["search_path"] == "" {
		t.Fatal("search_path did not reach the connection's RuntimeParams")
	}
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func newStore(t *testing.T, now func() time.Time) store.Store {
	t.Helper()
	s, err := pgstore.New(t.Context(), testPool(t), pgstore.Options{Now: now, AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, newStore)
}

func TestStaleSchema(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	if _, err := pgstore.New(t.Context(), pool, pgstore.Options{}); !errors.Is(err, store.ErrStaleSchema) {
		t.Fatalf("open of an empty schema: err = %v; want ErrStaleSchema", err)
	}
	s, err := pgstore.New(t.Context(), pool, pgstore.Options{AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	storetest.RunStale(t, s)
	if _, err := pgstore.New(t.Context(), pool, pgstore.Options{}); err != nil {
		t.Fatalf("reopen after migrate: %v", err)
	}
}

func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := pgstore.New(t.Context(), pool, pgstore.Options{AutoMigrate: true})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("replicas migrating together: %v", err)
		}
	}
}

func TestOpenViaStore(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresSchema(t)
	if _, err := storeopen.Open(t.Context(), dsn); !errors.Is(err, store.ErrStaleSchema) {
		t.Fatalf("storeopen.Open of an empty schema: err = %v; want ErrStaleSchema", err)
	}
	s, err := storeopen.Open(t.Context(), dsn, storeopen.WithAutoMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*pgstore.Store); !ok {
		t.Fatalf("storeopen.Open(postgres URL) = %T; want *pgstore.Store", s)
	}
}

// TestActRelations: no write of the store leaves a court-act row without its parent, and
// the count below finds one written by hand.
func TestActRelations(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	st, err := pgstore.New(t.Context(), pool, pgstore.Options{AutoMigrate: true, Now: storetest.Start})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	orphans := func(t *testing.T) (n int) {
		t.Helper()
		if err := pool.QueryRow(t.Context(), `SELECT
			(SELECT count(*) FROM court_acts a WHERE NOT EXISTS (SELECT FROM premises p
				WHERE p.org_guid = a.premises_org AND p.premise_id = a.premise_id))
			+ (SELECT count(*) FROM court_act_debtors c WHERE NOT EXISTS (SELECT FROM court_acts a
				WHERE a.org_guid = c.org_guid AND a.act_id = c.act_id))
			+ (SELECT count(*) FROM balance_history c WHERE NOT EXISTS (SELECT FROM court_acts a
				WHERE a.org_guid = c.org_guid AND a.act_id = c.act_id))
			+ (SELECT count(*) FROM agreements c WHERE NOT EXISTS (SELECT FROM court_acts a
				WHERE a.org_guid = c.org_guid AND a.act_id = c.act_id))`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	storetest.RunActRelations(t, st, orphans)
	if _, err := pool.Exec(t.Context(), `INSERT INTO balance_history VALUES ('', 'gone', '2025-01-01', 1, false, now())`); err != nil {
		t.Fatal(err)
	}
	if n := orphans(t); n != 1 {
		t.Fatalf("orphans = %d with one balance row of an unknown act; want 1", n)
	}
}
