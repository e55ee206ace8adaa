package sqlitestore_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/sqlitestore"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestReplicas runs the replica checks on two stores on one database file. SQLite serves one
// process; this checks that two Stores in it still share the work and the pull lock safely.
func TestReplicas(t *testing.T) {
	t.Parallel()
	storetest.RunReplicas(t, func(t *testing.T, now func() time.Time) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "gisgw.db")
		a, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Now: now, AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		b, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Now: now})
		if err != nil {
			a.Close()
			t.Fatal(err)
		}
		return a, b
	})
}
