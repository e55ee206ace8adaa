package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// stmtCache keeps one prepared statement per query text of a pool, prepared once per
// connection: the decide step's statements were otherwise parsed on every call, about an
// eighth of its CPU. Only a bounded set of texts may be cached (IN lists padded to a few
// lengths, see padded); past maxCached texts a statement is prepared for the one call.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxCached bounds the cached texts of one pool: a guard against a caller that builds
// unbounded texts, well above the few dozen the store's own statements make.
const maxCached = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

// get returns the cached statement of query, preparing it on first use; nil when the cache
// is full. The lock is not held while preparing: that waits for a connection of the pool,
// and the writer's one connection may be in a transaction that looks up a statement.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCached
	c.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.stmts[query]; ok {
		// Prepared meanwhile by another caller: keep theirs.
		return had, st.Close()
	}
	c.stmts[query] = st
	return st, nil
}

// QueryContext runs query on the pool through its cached statement.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs query on the pool through its cached statement; an error preparing
// it is reported by the row's Scan.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.get(ctx, query)
	if err != nil || st == nil {
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// close closes every cached statement.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.stmts {
		if err := st.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close statement: %w", err))
		}
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// cachedTx is a write transaction whose statements come from the writer's cache: the
// decide step's claims and saves run the same few statements for every batch. The writer
// pool's one connection is the transaction's, so a text not cached yet runs unprepared and
// is prepared after the transaction (warm).
type cachedTx struct {
	*sql.Tx
	c      *stmtCache
	missed []string
}

// stmt returns the transaction's form of query's cached statement (the statement prepared
// on this connection is reused; the transaction's end releases the form only), or nil.
func (t *cachedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	t.c.mu.Lock()
	st, ok := t.c.stmts[query]
	t.c.mu.Unlock()
	if !ok {
		t.missed = append(t.missed, query)
		return nil
	}
	return t.Tx.StmtContext(ctx, st)
}

// ExecContext runs query through its cached statement.
func (t *cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query through its cached statement.
func (t *cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// warm prepares the texts the transaction ran unprepared, once it has released the
// connection. A text that does not prepare is left out: the next transaction runs it
// unprepared again and reports its error.
func (t *cachedTx) warm(ctx context.Context) {
	for _, q := range t.missed {
		_, _ = t.c.get(ctx, q)
	}
	t.missed = nil
}

// writeCached is writeRelaxed with the writer's cached statements.
func (s *Store) writeCached(ctx context.Context, fn func(tx *cachedTx) error) error {
	ct := &cachedTx{c: s.wc}
	err := s.writeRelaxed(ctx, func(tx *sql.Tx) error {
		ct.Tx = tx
		return fn(ct)
	})
	ct.warm(ctx)
	return err
}

// txQuerier is what the claim's helpers need of a transaction: a *sql.Tx or a *cachedTx.
type txQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// padded is the length an IN list of n values (at most limit) is padded to with NULLs,
// which match nothing: a power of two, or limit. The statements of a lookup then come in a
// few texts that stay prepared, instead of one text per length.
func padded(n, limit int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return min(p, max(limit, n))
}

// inList returns "?, ?, …" for vals padded to padded(len(vals), limit), and the arguments
// (NULL for the padding).
func inList(vals []string, limit int) (string, []any) {
	n := padded(len(vals), limit)
	args := make([]any, n)
	for i, v := range vals {
		args[i] = v
	}
	return placeholders(n), args
}
