package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// writeRelaxed is write whose commit does not wait for the disk (PRAGMA synchronous =
// NORMAL for its transaction, then back): in WAL mode the commit is durable at the next sync
// of the WAL, a later ordinary commit's or a checkpoint's. For the decide step's writes (a
// claim's lease, the decisions): a power loss may lose them, never half, and the
// sub-requests are then new again and decided again; nothing leaves gisgw on them before a
// later ordinary write (the send step's), whose sync makes them durable too. Waiting for the
// disk twice per batch of 100 was most of the decide step's time.
func (s *Store) writeRelaxed(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, err := s.w.Conn(ctx) // the one writer connection, held so the pragma is ours
	if err != nil {
		return translate(fmt.Errorf("begin: %w", err))
	}
	defer conn.Close()
	var was int
	if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&was); err != nil {
		return translate(fmt.Errorf("read synchronous: %w", err))
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return translate(fmt.Errorf("relax synchronous: %w", err))
	}
	defer func() {
		// A fresh context: the setting must come back even when ctx was cancelled; a
		// connection that cannot take it back is dropped rather than reused relaxed.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA synchronous = %d`, was)); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
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
