package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
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
// is full.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	if len(c.stmts) >= maxCached {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
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

// inTx returns the transaction's form of query's cached statement (the pool's statement is
// reused when already prepared on the transaction's connection); nil when the cache is
// full. The transaction's end releases the form, not the statement.
func (c *stmtCache) inTx(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := c.get(ctx, query)
	if err != nil || st == nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st), nil
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
// decide step's claims and saves run the same few statements for every batch.
type cachedTx struct {
	*sql.Tx
	c *stmtCache
}

// ExecContext runs query through its cached statement.
func (t cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.c.inTx(ctx, t.Tx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return t.Tx.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext runs query through its cached statement.
func (t cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.c.inTx(ctx, t.Tx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return t.Tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
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

// numbered returns "?from, ?from+1, …" for n parameters.
func numbered(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "?%d", from+i)
	}
	return b.String()
}
