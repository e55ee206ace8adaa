package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// CheckWritable rewrites the heartbeat row in a transaction of its own: a read-only
// database (a standby, default_transaction_read_only) or a full disk refuses it with an
// error matching storecore.ErrNotWritable.
func (s *Store) CheckWritable(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE heartbeat SET at = $1 WHERE id = 1`, storecore.Stamp(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres store: write check: %w", notWritable(err))
	}
	return nil
}

// notWritable names a refused write: read-only (SQLSTATE 25006) or out of space (class 53:
// disk full, out of memory or connections is not meant, so only 53100).
func notWritable(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "25006": // read_only_sql_transaction
			return &storecore.NotWritableError{Err: err}
		case "53100": // disk_full
			return &storecore.NotWritableError{Full: true, Err: err}
		}
	}
	return translate(err)
}
