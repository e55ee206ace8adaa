package sqlitestore

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// TestCheckWritable makes the store's own writer connection refuse writes, as a full disk
// and a read-only database would, and back: CheckWritable says which, in words a user can
// act on, and recovers without reopening the store.
func TestCheckWritable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		breakIt, fix func(t *testing.T, s *Store)
		want         string
		full         bool
	}{
		{"full", fillUp, func(t *testing.T, s *Store) { pragma(t, s, "max_page_count = 1073741823") },
			"the disk or database is full", true},
		{"read-only", func(t *testing.T, s *Store) { pragma(t, s, "query_only = 1") },
			func(t *testing.T, s *Store) { pragma(t, s, "query_only = 0") }, "the database is read-only", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(t.Context(), filepath.Join(t.TempDir(), "w.db"), Options{AutoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.CheckWritable(t.Context()); err != nil {
				t.Fatalf("CheckWritable on a fresh store: %v", err)
			}
			tc.breakIt(t, s)
			err = s.CheckWritable(t.Context())
			var nw *storecore.NotWritableError
			if !errors.Is(err, storecore.ErrNotWritable) || !errors.As(err, &nw) || nw.Full != tc.full || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckWritable = %v; want ErrNotWritable saying %q", err, tc.want)
			}
			tc.fix(t, s)
			if err := s.CheckWritable(t.Context()); err != nil {
				t.Fatalf("CheckWritable after the fix: %v", err)
			}
		})
	}
}

// pragma runs a PRAGMA on the writer pool: one connection, kept open, so it sticks.
func pragma(t *testing.T, s *Store, p string) {
	t.Helper()
	if _, err := s.w.ExecContext(t.Context(), "PRAGMA "+p); err != nil {
		t.Fatalf("PRAGMA %s: %v", p, err)
	}
}

// fillUp caps the file at its size and fills its free pages, as a full disk leaves it.
func fillUp(t *testing.T, s *Store) {
	t.Helper()
	var pages int
	if err := s.w.QueryRowContext(t.Context(), "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	var got int
	if err := s.w.QueryRowContext(t.Context(), "PRAGMA max_page_count = "+strconv.Itoa(pages)).Scan(&got); err != nil || got != pages {
		t.Fatalf("max_page_count = %d, %v; want %d", got, err, pages)
	}
	for i := 0; ; i++ {
		_, err := s.w.ExecContext(t.Context(), `INSERT INTO heartbeat_probe (pad) VALUES (zeroblob(1000))`)
		if err != nil {
			if !strings.Contains(err.Error(), "full") {
				t.Fatalf("filling up: %v; want SQLITE_FULL", err)
			}
			break
		}
		if i > 100000 {
			t.Fatal("the capped database never filled up")
		}
	}
}
