// Package storeopen opens a store.Store by DSN. It is the only package that links both
// database drivers, so that the packages working through the store.Store interface (match,
// decide, report, alert, dashboard, pipeline) link neither.
package storeopen

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/pgstore"
	"github.com/gisgw/gisgw/responder/store/sqlitestore"
)

// Option tunes Open.
type Option func(*options)

type options struct {
	now         func() time.Time
	autoMigrate bool
	allowStale  bool
	mustExist   bool
	poolSize    int
}

// WithClock sets the clock used for timestamps and audit entries (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithAutoMigrate applies pending migrations while opening (the daemon's opt-in).
func WithAutoMigrate() Option { return func(o *options) { o.autoMigrate = true } }

// WithStaleSchema opens a store whose schema is not current; until Migrate runs, its other
// methods return an error matching store.ErrStaleSchema. `gisgw migrate` uses it.
func WithStaleSchema() Option { return func(o *options) { o.allowStale = true } }

// WithMustExist refuses to create a missing SQLite file: read-only commands use it, so a
// typo in the path is an error naming the path instead of a new empty store.
func WithMustExist() Option { return func(o *options) { o.mustExist = true } }

// WithPoolSize sizes a PostgreSQL store's connection pool to n, unless the DSN sets
// pool_max_conns itself; SQLite ignores it.
func WithPoolSize(n int) Option { return func(o *options) { o.poolSize = n } }

// Open opens the store named by dsn: a postgres:// or postgresql:// URL is PostgreSQL,
// anything else is the path of an SQLite database file (created when missing). Unless an
// option says otherwise, a schema that is not current is an error matching
// store.ErrStaleSchema.
func Open(ctx context.Context, dsn string, opts ...Option) (store.Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if dsn == "" {
		return nil, fmt.Errorf("open store: empty DSN: give a postgres:// URL or an SQLite file path")
	}
	if IsPostgres(dsn) {
		s, err := pgstore.Open(ctx, dsn, pgstore.Options{Now: o.now, AutoMigrate: o.autoMigrate, AllowStale: o.allowStale, MaxConns: o.poolSize})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	if strings.Contains(dsn, "=") && strings.Contains(dsn, " ") {
		return nil, fmt.Errorf("open store: %q looks like a key=value PostgreSQL DSN: use a postgres:// URL", config.Redact(dsn))
	}
	s, err := sqlitestore.Open(ctx, dsn, sqlitestore.Options{Now: o.now, AutoMigrate: o.autoMigrate, AllowStale: o.allowStale, MustExist: o.mustExist})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Compile-time checks that both implementations satisfy store.Store.
var (
	_ store.Store = (*pgstore.Store)(nil)
	_ store.Store = (*sqlitestore.Store)(nil)
)
