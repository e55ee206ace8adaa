package sqlitestore

import (
	"path/filepath"
	"testing"

	"github.com/gisgw/gisgw/responder/store/storetest"
)

// testStore opens a migrated store in a new file of the test's own, on storetest's clock
// unless opts sets one, and closes it when the test ends.
func testStore(t *testing.T, opts Options) *Store {
	t.Helper()
	opts.AutoMigrate = true
	if opts.Now == nil {
		opts.Now = storetest.Start
	}
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "s.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
