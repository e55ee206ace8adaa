package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// probeSize is the data CheckWritable stores and deletes: more than a page (4 KiB by
// default), so that the write needs room for a page that is not yet in use.
const probeSize = 16 << 10

// CheckWritable rewrites the heartbeat row and stores and deletes a few pages of data in one
// transaction: a read-only database, or one that cannot grow (the disk or max_page_count is
// full), refuses it with an error matching storecore.ErrNotWritable. The deleted pages are
// reused by the next check, so the file does not grow.
func (s *Store) CheckWritable(ctx context.Context) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE heartbeat SET at = ? WHERE id = 1`, stamp(s.now())); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO heartbeat_probe (pad) VALUES (zeroblob(?))`, probeSize); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM heartbeat_probe`)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite store %s: write check: %w", s.path, notWritable(err))
	}
	return nil
}

// notWritable names a refused write: SQLITE_READONLY (a read-only file or query_only) or
// SQLITE_FULL (the disk or max_page_count).
func notWritable(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_READONLY:
			return &storecore.NotWritableError{Err: err}
		case sqlite3.SQLITE_FULL:
			return &storecore.NotWritableError{Full: true, Err: err}
		}
	}
	return err
}
