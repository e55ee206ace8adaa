package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/pgstore"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestCheckWritableReadOnly turns a database of its own read-only for new sessions and ends
// the store's sessions, so that its pool reconnects into the read-only database, and back:
// CheckWritable says so in words a user can act on, and recovers without reopening.
func TestCheckWritableReadOnly(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	admin, err := pgx.Connect(ctx, storetest.PostgresURL())
	if err != nil {
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	defer admin.Close(context.Background())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db := "gisgw_ro_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
	})
	u, err := url.Parse(storetest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	s, err := pgstore.Open(ctx, u.String(), pgstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatalf("CheckWritable on a fresh database: %v", err)
	}
	readOnly := func(on bool) {
		t.Helper()
		v := map[bool]string{true: "on", false: "off"}[on]
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+db+" SET default_transaction_read_only = "+v); err != nil {
			t.Fatal(err)
		}
		// The setting reaches new sessions only: end the pool's, it opens new ones.
		if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, db); err != nil {
			t.Fatal(err)
		}
	}
	// check retries past the errors of the sessions just ended.
	check := func(want func(error) bool) error {
		t.Helper()
		var err error
		for range 20 {
			if err = s.CheckWritable(ctx); want(err) {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
		return err
	}
	readOnly(true)
	err = check(func(err error) bool { return errors.Is(err, store.ErrNotWritable) })
	if !errors.Is(err, store.ErrNotWritable) || !strings.Contains(err.Error(), "the database is read-only") {
		t.Fatalf("CheckWritable on a read-only database = %v; want ErrNotWritable saying it is read-only", err)
	}
	readOnly(false)
	if err := check(func(err error) bool { return err == nil }); err != nil {
		t.Fatalf("CheckWritable after the database is writable again: %v", err)
	}
}
