package sqlitestore

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// TestBackgroundCheckpoint: what the writer commits reaches the database file without the
// writer checkpointing (its own threshold is far off) and without the store being closed:
// the checkpointer copies it in the background, a little after the commit.
func TestBackgroundCheckpoint(t *testing.T) {
	t.Parallel()
	s := testStore(t, Options{})
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(s.path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Whatever opening and migrating wrote goes into the file first.
	if _, err := s.w.ExecContext(t.Context(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	before := size()
	ps := make([]domain.Premises, 2000) // some 300 pages: under SQLite's own 1,000 as well
	for i := range ps {
		ps[i] = domain.Premises{ID: fmt.Sprintf("P%05d", i), HouseGUID: fmt.Sprintf("house-%03d", i/50),
			Flat: fmt.Sprint(i%50 + 1), Address: fmt.Sprintf("г. Тест, ул. Первая, д. %d, кв. %d", i/50, i%50+1)}
	}
	if _, err := s.ImportPremises(t.Context(), "org-1", ps); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+100*4096 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes before the import, %d ten seconds after: the WAL was not checkpointed in the background",
				before, size())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCloseTwice: closing a store again is harmless, as closing its pools is.
func TestCloseTwice(t *testing.T) {
	t.Parallel()
	s := testStore(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
