package sqlitestore

import (
	"path/filepath"
	"testing"
)

// TestConnectionSettings checks what the package comment promises about each pool.
func TestConnectionSettings(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "p.db"), Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check := func(name, pragma string, want any) {
		t.Helper()
		var got any
		db := s.w
		if name == "reader" {
			db = s.r
		}
		if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
		}
		if got != want {
			t.Errorf("%s: PRAGMA %s = %v (%T); want %v", name, pragma, got, got, want)
		}
	}
	for _, name := range []string{"writer", "reader"} {
		check(name, "journal_mode", "wal")
		check(name, "foreign_keys", int64(1))
		check(name, "busy_timeout", int64(10000))
		check(name, "temp_store", int64(2)) // memory: no temporary files with the rows
	}
	// The writer leaves the WAL to the background checkpointer up to this size.
	check("writer", "wal_autocheckpoint", int64(writerAutoCheckpoint))
	check("reader", "query_only", int64(1))
	check("writer", "query_only", int64(0))
	if _, err := s.r.ExecContext(t.Context(), "DELETE FROM audit"); err == nil {
		t.Error("the read pool accepted a write")
	}
	// Foreign keys are enforced: a decision without its sub-request is refused. (The
	// court-act tables have none since migration 0012: the import checks their relations.)
	_, err = s.w.ExecContext(t.Context(), `INSERT INTO decisions (subrequest_guid, decided_at, has_debt, review, body)
		VALUES ('nope', '2025-01-01', 0, 0, '{}')`)
	if err == nil {
		t.Error("a row violating a foreign key was accepted")
	}
}
