package storeopen_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

func TestIsPostgres(t *testing.T) {
	t.Parallel()
	for dsn, want := range map[string]bool{
		"postgres://u@h/db":         true,
		"POSTGRESQL://u@h/db":       true,
		"/var/lib/gisgw/gisgw.db":   false,
		"gisgw.db":                  false,
		"postgres.db":               false,
		"file:postgres://x":         false,
		"host=localhost dbname=xyz": false,
	} {
		if got := storeopen.IsPostgres(dsn); got != want {
			t.Errorf("IsPostgres(%q) = %t; want %t", dsn, got, want)
		}
	}
}

func TestOpenRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dsn, want, hidden string
	}{
		{"", "empty DSN", ""},
		{"host=db user=u password=s3cret dbname=x", "postgres:// URL", "s3cret"},
		{filepath.Join(t.TempDir(), "a?b.db"), "must not contain '?'", ""},
	}
	for _, tc := range tests {
		_, err := storeopen.Open(t.Context(), tc.dsn)
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.hidden != "" && strings.Contains(err.Error(), tc.hidden)) {
			t.Errorf("Open(%q): err = %v; want %q without %q", tc.dsn, err, tc.want, tc.hidden)
		}
	}
	_, err := storeopen.Open(t.Context(), filepath.Join(t.TempDir(), "new.db"))
	if !errors.Is(err, store.ErrStaleSchema) || !strings.Contains(err.Error(), "gisgw migrate --db DSN") {
		t.Errorf("Open of a new file without migrating: err = %v; want ErrStaleSchema with the fix", err)
	}
}

func TestOpenMissingFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts []storeopen.Option
		want string
	}{
		{"read-only, missing file", filepath.Join(dir, "typo.db"), []storeopen.Option{storeopen.WithMustExist()}, "typo.db does not exist"},
		{"read-only, missing folder", filepath.Join(dir, "nope", "g.db"), []storeopen.Option{storeopen.WithMustExist()}, "the folder " + filepath.Join(dir, "nope") + " does not exist"},
		{"creating, missing folder", filepath.Join(dir, "nope", "g.db"), nil, "the folder " + filepath.Join(dir, "nope") + " does not exist"},
	}
	for _, tc := range tests {
		_, err := storeopen.Open(t.Context(), tc.path, tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Open(%q): err = %v; want %q", tc.name, tc.path, err, tc.want)
		}
		if _, serr := os.Stat(tc.path); serr == nil {
			t.Errorf("%s: Open created %s", tc.name, tc.path)
		}
	}
}
