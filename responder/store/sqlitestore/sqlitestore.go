// Package sqlitestore is the embedded SQLite implementation of the gisgw store (pure Go
// driver modernc.org/sqlite, no cgo). It suits one small organization and the demo.
//
// SQLite allows one writer at a time, so the store keeps two pools: a single writer
// connection whose transactions start with BEGIN IMMEDIATE (no lock upgrades, so no
// SQLITE_BUSY deadlocks between writers), and a read-only pool that WAL mode lets read while
// the writer writes. A third connection copies the WAL back into the database file in the
// background (checkpoint.go), so that commits do not. Foreign keys are on and busy_timeout
// absorbs short waits for other processes (a CLI import while the daemon runs).
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options tune Open.
type Options struct {
	// Now is the clock for audit entries and timestamps; nil means time.Now.
	Now func() time.Time
	// AutoMigrate applies pending migrations while opening.
	AutoMigrate bool
	// AllowStale opens a store whose schema is not current instead of failing; until Migrate
	// runs, every method except Migrate, SchemaVersion and Close returns the schema error.
	AllowStale bool
	// Readers caps the read-only pool; 0 means 4.
	Readers int
	// MustExist refuses to create the database file: read-only commands use it so that a
	// typo in the path is an error instead of a new empty store.
	MustExist bool
}

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	w, r       *sql.DB
	rc, wc     *stmtCache // the pools' prepared statements
	now        func() time.Time
	migrations []storecore.Migration
	current    atomic.Bool // schema is at the latest version
	path       string
	attach     attachments // SetDocumentAttachment calls waiting for the writer
	ckpt       *checkpointer
}

// Open opens (creating if needed) the database file at path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite store: empty database path")
	}
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite store: database path %q must not contain '?'", path)
	}
	ms, err := storecore.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	s := &Store{now: opts.Now, migrations: ms, path: path}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.MustExist {
		if err := mustExist(path); err != nil {
			return nil, err
		}
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	// temp_store: statement journals and sorts of the multi-row writes stay in memory
	// instead of files in /var/tmp (a write per decision or more, and the rows they hold).
	const common = "_busy_timeout=10000&_foreign_keys=1&_pragma=temp_store(memory)"
	s.w, err = sql.Open("sqlite", path+"?"+common+"&_journal_mode=WAL&_txlock=immediate"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", writerAutoCheckpoint))
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	s.wc = newStmtCache(s.w)
	// The first connection sets WAL mode, which is persistent, before any reader opens.
	if err := s.w.PingContext(ctx); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	s.r, err = sql.Open("sqlite", path+"?"+common+"&_query_only=1")
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	readers := opts.Readers
	if readers <= 0 {
		readers = 4
	}
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	s.rc = newStmtCache(s.r)
	ck, err := sql.Open("sqlite", path+"?"+common)
	if err != nil {
		s.r.Close()
		s.w.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	s.ckpt = newCheckpointer(ck)

	cur, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	if cur != latest && opts.AutoMigrate && cur < latest {
		if _, err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
		cur = latest
	}
	// SQLite creates -wal and -shm with the database's mode; an older or hand-made
	// database may have been readable by others, and so would its journal be.
	if err := restrictMode(path, path+"-wal", path+"-shm"); err != nil {
		s.Close()
		return nil, err
	}
	if cur == latest {
		s.current.Store(true)
	} else if !opts.AllowStale {
		s.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", path, &storecore.SchemaError{Current: cur, Latest: latest})
	}
	return s, nil
}

// createPrivate creates the database file readable and writable by its owner only, before
// the driver would create it with 0644: the store holds debtors' names and SNILS. An
// existing file is left alone here (restrictMode narrows it after the open).
// mustExist reports a missing database file (or its missing folder) by path.
func mustExist(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if dir := filepath.Dir(path); !dirExists(dir) {
			return fmt.Errorf("sqlite database %s: the folder %s does not exist: check the path", path, dir)
		}
		return fmt.Errorf("sqlite database %s does not exist: check the path, or create it with gisgw migrate --db DSN (or --config FILE)", path)
	}
	if err != nil {
		return fmt.Errorf("sqlite database %s: %w", path, err)
	}
	return nil
}

func dirExists(dir string) bool {
	fi, err := os.Stat(dir)
	return err == nil && fi.IsDir()
}

func createPrivate(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil // not a plain file name: nothing to create
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if errors.Is(err, fs.ErrNotExist) && !dirExists(filepath.Dir(path)) {
		return fmt.Errorf("create sqlite database %s: the folder %s does not exist: create it first (mkdir -p)", path, filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("create sqlite database %s: %w", path, err)
	}
	return f.Close()
}

// restrictMode takes the group's and others' permissions off each existing file; the
// owner's stay (a database made read-only on purpose stays read-only).
func restrictMode(paths ...string) error {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sqlite store: %w", err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			if err := os.Chmod(p, perm&^0o077); err != nil {
				return fmt.Errorf("sqlite store: %s holds personal data and is readable by others; make it private (chmod 600 %s): %w", p, p, err)
			}
		}
	}
	return nil
}

// Close releases both pools and the checkpointer.
func (s *Store) Close() error {
	return errors.Join(s.rc.close(), s.wc.close(), s.ckpt.close(), s.r.Close(), s.w.Close())
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
	return fmt.Errorf("sqlite store %s: %w", s.path, &storecore.SchemaError{Current: cur, Latest: latest})
}

// SchemaVersion returns the version recorded in the database and the one this build needs.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	latest = len(s.migrations)
	var n int
	err = s.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil {
		return 0, latest, fmt.Errorf("read schema version of %s: %w", s.path, err)
	}
	if n == 0 {
		return 0, latest, nil
	}
	err = s.r.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil {
		return 0, latest, fmt.Errorf("read schema version of %s: %w", s.path, err)
	}
	return current, latest, nil
}

// Migrate applies the pending migrations, each in its own transaction with its version
// recorded in that transaction.
func (s *Store) Migrate(ctx context.Context) (storecore.MigrationResult, error) {
	var res storecore.MigrationResult
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return res, fmt.Errorf("migrate %s: create schema_migrations: %w", s.path, err)
	}
	cur, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		return res, err
	}
	res.From, res.To = cur, cur
	if cur > latest {
		return res, fmt.Errorf("migrate %s: %w", s.path, &storecore.SchemaError{Current: cur, Latest: latest})
	}
	for _, m := range s.migrations[cur:] {
		err := s.write(ctx, func(tx *sql.Tx) error {
			// Re-check inside the write lock: another process may have migrated meanwhile.
			var done int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&done); err != nil {
				return err
			}
			if done > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if step := migrationSteps[m.Name]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, stamp(s.now()))
			return err
		})
		if err != nil {
			return res, fmt.Errorf("migrate %s: apply %s: %w", s.path, m.Name, err)
		}
		res.Applied = append(res.Applied, m.Name)
		res.To = m.Version
	}
	s.current.Store(true)
	return res, nil
}

// write runs fn in one write transaction.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return translate(fmt.Errorf("begin: %w", err))
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return translate(err)
	}
	if err := tx.Commit(); err != nil {
		return translate(fmt.Errorf("commit: %w", err))
	}
	s.ckpt.wrote()
	return nil
}

// stmtTx is a write transaction that prepares each distinct statement once and reuses it:
// the per-action statements of a message or a pulled page (hundreds in one transaction)
// otherwise parse their SQL again every time, with the one writer connection held. The
// transaction's end closes the statements.
type stmtTx struct {
	*sql.Tx
	stmts map[string]*sql.Stmt
}

func prepared(tx *sql.Tx) *stmtTx { return &stmtTx{Tx: tx, stmts: map[string]*sql.Stmt{}} }

func (t *stmtTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.Tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	t.stmts[query] = st
	return st, nil
}

// ExecContext runs query through its prepared statement.
func (t *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// QueryRowContext runs query through its prepared statement. A statement that does not
// prepare goes to the transaction unprepared, whose Row reports the error at Scan.
func (t *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.Tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// execer and rowQuerier are what the helpers below need of a transaction: a *sql.Tx or a
// stmtTx.
type (
	execer interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	}
	rowQuerier interface {
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
)

// translate maps driver errors onto the domain's sentinel errors, keeping the original text.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) && !errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", domain.ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
		}
	}
	return err
}

func (s *Store) audit(ctx context.Context, tx execer, at time.Time, guid, actor, action, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (subrequest_guid, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)`,
		guid, stamp(at), actor, action, detail)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", err)
	}
	return nil
}

const (
	dateLayout  = "2006-01-02"
	stampLayout = "2006-01-02T15:04:05.000000Z"
)

// dateArg binds a calendar date; the zero time is NULL.
func dateArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(dateLayout)
}

func stamp(t time.Time) string { return storecore.Stamp(t).Format(stampLayout) }

func parseDate(ns sql.NullString) (time.Time, error) {
	if !ns.Valid || ns.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateLayout, ns.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored date %q: %w", ns.String, err)
	}
	return t, nil
}

func parseStamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored timestamp %q: %w", s, err)
	}
	return t.UTC(), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
