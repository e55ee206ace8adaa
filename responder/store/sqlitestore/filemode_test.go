package sqlitestore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gisgw/gisgw/responder/store/sqlitestore"
)

// TestFilesArePrivate: a new store's database, WAL and shared-memory files are 0600
// (they hold names and SNILS), and an existing database readable by others is narrowed to
// its owner on open.
func TestFilesArePrivate(t *testing.T) {
	t.Parallel()
	for name, pre := range map[string]os.FileMode{"new": 0, "existing 0644": 0o644, "existing 0666": 0o666} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "gisgw.db")
			if pre != 0 {
				if err := os.WriteFile(path, nil, pre); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, pre); err != nil { // past the umask
					t.Fatal(err)
				}
			}
			s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{AutoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatalf("after open: %v", err)
				}
				if got := fi.Mode().Perm(); got != 0o600 {
					t.Errorf("%s: mode %#o, want 0600", filepath.Base(p), got)
				}
			}
		})
	}
}
