package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresURL returns TEST_DATABASE_URL, or the local default the Makefile also uses.
func PostgresURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// PostgresSchema creates a fresh schema for one test, drops it in t.Cleanup, and returns a
// DSN whose search_path names it (pgx turns the parameter into a RuntimeParams entry, so
// every pooled connection uses the schema). When PostgreSQL is unreachable the test skips,
// except under CI (CI set), where it fails.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin := PostgresAdmin(t)
	defer admin.Close(context.Background())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// PostgresAdmin connects to TEST_DATABASE_URL for a test that manages databases or roles
// of its own. When PostgreSQL is unreachable the test skips, except under CI (CI set), where
// it fails. The caller closes the connection.
func PostgresAdmin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at TEST_DATABASE_URL is unreachable under CI: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set TEST_DATABASE_URL): %v", err)
	}
	return admin
}

// VacuumPostgres runs VACUUM (ANALYZE) on every table of the schema dsn's search_path
// names, as PostgreSQL's autovacuum does on a production server between one day's work
// and the next. Benchmarks use it: the PostgreSQL that tests run on here has autovacuum off
// (for repeatable tests), so without it each timed round would work over the dead row
// versions of the rounds before it and over statistics never taken.
func VacuumPostgres(tb testing.TB, dsn string) {
	tb.Helper()
	ctx := tb.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("vacuum: %v", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
	if err != nil {
		tb.Fatalf("vacuum: list tables: %v", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatalf("vacuum: list tables: %v", err)
	}
	if len(tables) == 0 {
		tb.Fatalf("vacuum: no tables in the schema of %s", dsn)
	}
	if _, err := conn.Exec(ctx, `VACUUM (ANALYZE) `+strings.Join(tables, ", ")); err != nil {
		tb.Fatalf("vacuum: %v", err)
	}
}

// PrewarmPostgres reads every table and index of dsn's schema into the operating system's
// page cache (pg_prewarm in read mode; the extension is created if missing, which takes a
// superuser, as the test server's postgres is), so that a timed run reads them from memory
// as a server whose RAM holds the database would, not from the disk.
func PrewarmPostgres(tb testing.TB, dsn string) {
	tb.Helper()
	ctx := tb.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("prewarm: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_prewarm SCHEMA public`); err != nil {
		tb.Fatalf("prewarm: %v", err)
	}
	var schema string
	if err := conn.QueryRow(ctx, `SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
		WHERE e.extname = 'pg_prewarm'`).Scan(&schema); err != nil {
		tb.Fatalf("prewarm: %v", err)
	}
	var blocks int64
	if err := conn.QueryRow(ctx, `SELECT coalesce(sum(`+schema+`.pg_prewarm(c.oid, 'read')), 0) FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'i', 't')`).Scan(&blocks); err != nil {
		tb.Fatalf("prewarm: %v", err)
	}
	if blocks == 0 {
		tb.Fatalf("prewarm: no blocks in the schema of %s", dsn)
	}
}
