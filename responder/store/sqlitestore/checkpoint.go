package sqlitestore

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// The WAL is copied back into the database file (checkpointed) by a connection of its own,
// in the background, not by the writer when a commit finds the WAL past 1,000 pages
// (SQLite's automatic checkpoint): that copy and its two syncs of the disk ran inside the
// commit, with the one writer held, so every other write and the decide workers waiting
// for one sat idle behind it. The writer's own automatic checkpoint stays, at
// writerAutoCheckpoint pages, as a bound on the WAL should this one fall behind.

// checkpointEvery is the least time between two background checkpoints: writes that come
// faster share the next one instead of each syncing the disk.
const checkpointEvery = 250 * time.Millisecond

// writerAutoCheckpoint is the WAL size in pages (4 KiB) past which the writer checkpoints
// itself, as SQLite does by default at 1,000.
const writerAutoCheckpoint = 16_000

type checkpointer struct {
	db   *sql.DB
	kick chan struct{}
	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

func newCheckpointer(db *sql.DB) *checkpointer {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	c.done.Go(c.run)
	return c
}

// wrote tells the checkpointer that a transaction committed; it never blocks.
func (c *checkpointer) wrote() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		// PASSIVE: copies what no reader still needs and never waits for readers or the
		// writer. An error (the disk full, say) is left to the next round, or to the
		// writer's own checkpoint.
		_, _ = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// close stops the checkpointer and closes its connection; closing the last connection
// checkpoints the rest (SQLite does on close). Like Store.Close, it may be called again.
func (c *checkpointer) close() error {
	c.once.Do(func() { close(c.stop) })
	c.done.Wait()
	return c.db.Close()
}
