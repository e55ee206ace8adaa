package pgstore_test

import (
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/pgstore"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestReplicas runs the replica checks on two stores with pools of their own on one schema,
// as two `gisgw run` processes would.
func TestReplicas(t *testing.T) {
	t.Parallel()
	storetest.RunReplicas(t, func(t *testing.T, now func() time.Time) (store.Store, store.Store) {
		dsn := storetest.PostgresSchema(t)
		a, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Now: now, AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		b, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Now: now})
		if err != nil {
			a.Close()
			t.Fatal(err)
		}
		return a, b
	})
}

// TestClockSkew: leases run on the database's clock, so a replica whose clock is an hour
// ahead cannot take another's live lease.
func TestClockSkew(t *testing.T) {
	t.Parallel()
	storetest.RunClockSkew(t, func(t *testing.T, nowB func() time.Time) (store.Store, store.Store) {
		dsn := storetest.PostgresSchema(t)
		a, err := pgstore.Open(t.Context(), dsn, pgstore.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		b, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Now: nowB})
		if err != nil {
			a.Close()
			t.Fatal(err)
		}
		return a, b
	})
}
