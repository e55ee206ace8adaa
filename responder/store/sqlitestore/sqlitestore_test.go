package sqlitestore_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/sqlitestore"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

func newStore(t *testing.T, now func() time.Time) store.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gisgw.db")
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{Now: now, AutoMigrate: true})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, newStore)
}

func TestStaleSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gisgw.db")
	if _, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{}); !errors.Is(err, store.ErrStaleSchema) {
		t.Fatalf("open of an empty database: err = %v; want ErrStaleSchema", err)
	}
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.RunStale(t, s)
	// Reopening a migrated file needs no option.
	s2, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("reopen after migrate: %v", err)
	}
	s2.Close()
}

func TestOpenViaStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "via.db")
	s, err := storeopen.Open(t.Context(), path, storeopen.WithAutoMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*sqlitestore.Store); !ok {
		t.Fatalf("storeopen.Open(%q) = %T; want *sqlitestore.Store", path, s)
	}
	if _, err := storeopen.Open(t.Context(), "host=db user=x password=secret dbname=y"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("key=value DSN: err = %v; want a refusal without the password", err)
	}
}
