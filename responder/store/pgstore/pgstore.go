// Package pgstore is the PostgreSQL implementation of the gisgw store (pgx v5, pgxpool), for
// production and for several daemon replicas sharing one database.
//
// Tables are created and used unqualified, so the schema is the first one in search_path
// (set it with the DSN's search_path parameter to keep gisgw in its own schema). Bulk imports
// COPY new rows straight into the tables and changed rows into temporary tables that one
// UPDATE … FROM applies, which keeps a 100,000-row import to seconds.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Advisory lock keys (arbitrary constants, "gisgw" in ASCII plus a suffix) that serialize
// schema migrations and data imports across processes.
const (
	migrateLockKey int64 = 0x6769736777_01
	importLockKey  int64 = 0x6769736777_02
)

// Options tune Open and New.
type Options struct {
	// Now is the clock for audit entries and timestamps; nil means time.Now. Leases run on
	// the database's clock; only this clock's progress since Open moves them on (simulated
	// time in tests), never its absolute value.
	Now func() time.Time
	// AutoMigrate applies pending migrations while opening.
	AutoMigrate bool
	// AllowStale opens a store whose schema is not current instead of failing; until Migrate
	// runs, every method except Migrate, SchemaVersion and Close returns the schema error.
	AllowStale bool
	// MaxConns sizes the connection pool when the DSN does not (pool_max_conns); 0 keeps
	// pgx's default, max(4, CPUs), which is too few for the daemon's workers.
	MaxConns int
}

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool       *pgxpool.Pool
	ownPool    bool
	now        func() time.Time
	migrations []storecore.Migration
	current    atomic.Bool
	// Leases run on the database's clock (leaseClock, SQL). With an injected clock
	// (simulated), leaseClock is the database's time at open, and lease times add that
	// clock's progress since openedAt.
	simulated  bool
	openedAt   time.Time
	leaseClock string
}

// Open connects to the database at dsn (a postgres:// URL or key=value string).
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres store: parse DSN: %w", err)
	}
	if opts.MaxConns > 0 && !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = int32(opts.MaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: connect: %w", err)
	}
	s, err := newStore(ctx, pool, true, opts)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// New wraps an existing pool; Close does not close it.
func New(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Store, error) {
	return newStore(ctx, pool, false, opts)
}

func newStore(ctx context.Context, pool *pgxpool.Pool, own bool, opts Options) (*Store, error) {
	ms, err := storecore.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	s := &Store{pool: pool, ownPool: own, now: opts.Now, migrations: ms, simulated: opts.Now != nil}
	if s.now == nil {
		s.now = time.Now
	}
	s.openedAt, s.leaseClock = s.now(), "statement_timestamp()"
	if err := pool.Ping(ctx); err != nil {
		return nil, fmt.Errorf("postgres store: connect to %s: %w", pool.Config().ConnConfig.Host, err)
	}
	if s.simulated {
		var at time.Time
		if err := pool.QueryRow(ctx, `SELECT statement_timestamp()`).Scan(&at); err != nil {
			return nil, fmt.Errorf("postgres store: read the database's clock: %w", err)
		}
		// A literal written from a time value: nothing of the caller's reaches the SQL.
		s.leaseClock = "'" + storecore.Stamp(at).Format(time.RFC3339Nano) + "'::timestamptz"
	}
	cur, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if cur < latest && opts.AutoMigrate {
		if _, err := s.Migrate(ctx); err != nil {
			return nil, err
		}
		cur = latest
	}
	if cur == latest {
		s.current.Store(true)
	} else if !opts.AllowStale {
		return nil, fmt.Errorf("postgres store: %w", &storecore.SchemaError{Current: cur, Latest: latest})
	}
	return s, nil
}

// Close closes the pool if Open made it.
func (s *Store) Close() error {
	if s.ownPool {
		s.pool.Close()
	}
	return nil
}

func (s *Store) usable(ctx context.Context) error {
	if s.current.Load() {
		return nil
	}
	cur, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if cur == latest {
		s.current.Store(true)
		return nil
	}
	return fmt.Errorf("postgres store: %w", &storecore.SchemaError{Current: cur, Latest: latest})
}

// SchemaVersion returns the version recorded in the database and the one this build needs.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	latest = len(s.migrations)
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, latest, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, latest, nil
	}
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, latest, fmt.Errorf("read schema version: %w", err)
	}
	return current, latest, nil
}

// Migrate applies the pending migrations, each in its own transaction with its version
// recorded in that transaction, holding an advisory lock so that replicas starting together
// do not race.
func (s *Store) Migrate(ctx context.Context) (storecore.MigrationResult, error) {
	var res storecore.MigrationResult
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return res, fmt.Errorf("migrate: take lock: %w", err)
	}
	defer func() {
		// A fresh context: the unlock must run even when ctx was cancelled.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey)
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`); err != nil {
		return res, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var cur int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
		return res, fmt.Errorf("migrate: read version: %w", err)
	}
	res.From, res.To = cur, cur
	latest := len(s.migrations)
	if cur > latest {
		return res, fmt.Errorf("migrate: %w", &storecore.SchemaError{Current: cur, Latest: latest})
	}
	for _, m := range s.migrations[cur:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			if step := migrationSteps[m.Name]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, storecore.Stamp(s.now()))
			return err
		})
		if err != nil {
			return res, fmt.Errorf("migrate: apply %s: %w", m.Name, err)
		}
		res.Applied = append(res.Applied, m.Name)
		res.To = m.Version
	}
	s.current.Store(true)
	return res, nil
}

// write runs fn in one transaction.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return translate(pgx.BeginFunc(ctx, s.pool, fn))
}

// translate maps driver errors onto the domain's sentinel errors, keeping the original text.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) && !errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505", "40001", "40P01": // unique violation, serialization failure, deadlock
			return fmt.Errorf("%w: %w", domain.ErrConflict, err)
		case "23503": // foreign key violation
			return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
		}
	}
	return err
}

func (s *Store) audit(ctx context.Context, tx pgx.Tx, at time.Time, guid, actor, action, detail string) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit (subrequest_guid, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)`,
		guid, storecore.Stamp(at), actor, action, detail)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", err)
	}
	return nil
}

// dateArg binds a calendar date; the zero time is NULL.
func dateArg(t time.Time) pgtype.Date {
	if t.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: t, Valid: true}
}

func dateOf(d pgtype.Date) time.Time {
	if !d.Valid {
		return time.Time{}
	}
	y, m, day := d.Time.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}
