package sqlitestore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// SetDocumentAttachment records the AttachmentHASH and AttachmentGUID of the document of
// court act actID of org ("" in single-organization stores), once the file store has it.
// domain.ErrNotFound when the act does not exist or has no document.
func (s *Store) SetDocumentAttachment(ctx context.Context, org, actID, hash, attachmentGUID string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if err := storecore.CheckAttachment(actID, hash, attachmentGUID); err != nil {
		return fmt.Errorf("set document attachment: %w", err)
	}
	req := &attachment{org: org, actID: actID, hash: hash, guid: attachmentGUID, done: make(chan error, 1)}
	s.attach.mu.Lock()
	s.attach.queue = append(s.attach.queue, req)
	lead := !s.attach.writing
	s.attach.writing = true
	s.attach.mu.Unlock()
	if lead {
		s.writeAttachments(ctx)
	}
	var err error
	select {
	case err = <-req.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("set document attachment: %w", err)
	}
	return nil
}

// attachments gathers the SetDocumentAttachment calls that arrive while one is waiting for
// or holding the writer, so that they share a write transaction: a message's court-act
// files are uploaded several at a time, by several messages at once, and one transaction
// each (2,519 in the end-to-end run) queued the pull's pages and the outbox behind them on
// the single writer.
type attachments struct {
	mu      sync.Mutex
	queue   []*attachment
	writing bool // a caller is writing the queue
}

// attachment is one SetDocumentAttachment call; done receives its result.
type attachment struct {
	org, actID, hash, guid string
	done                   chan error
}

// writeAttachments writes the queued attachments in one transaction. Calls queued
// meanwhile are written next, by a goroutine of their own, so that no caller keeps writing
// for later ones. A call whose act is not found gets ErrNotFound and the others are still
// written; any other error fails the transaction's calls.
func (s *Store) writeAttachments(ctx context.Context) {
	// The callers queued behind this one wait for it: only their own ctx ends their wait.
	ctx = context.WithoutCancel(ctx)
	s.attach.mu.Lock()
	batch := s.attach.queue
	s.attach.queue = nil
	s.attach.mu.Unlock()
	results := make([]error, len(batch))
	now := s.now()
	err := s.write(ctx, func(raw *sql.Tx) error {
		tx := prepared(raw)
		for i, a := range batch {
			res, err := tx.ExecContext(ctx, `UPDATE court_acts SET doc_hash = ?, doc_attachment_guid = ?, updated_at = ?
				WHERE org_guid = ? AND act_id = ? AND doc_path <> ''`, a.hash, a.guid, stamp(now), a.org, a.actID)
			if err != nil {
				return fmt.Errorf("update court act: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("update court act: %w", err)
			}
			if n == 0 {
				results[i] = fmt.Errorf("%w: court act %q of organization %q with a document", domain.ErrNotFound, a.actID, a.org)
				continue
			}
			if err := s.audit(ctx, tx, now, "", storecore.AttachmentActor, "document uploaded",
				fmt.Sprintf("org=%q act=%q attachment=%s", a.org, a.actID, a.guid)); err != nil {
				return err
			}
		}
		return nil
	})
	for i, a := range batch {
		a.done <- cmp.Or(err, results[i])
	}
	s.attach.mu.Lock()
	defer s.attach.mu.Unlock()
	if len(s.attach.queue) == 0 {
		s.attach.writing = false
		return
	}
	go s.writeAttachments(ctx)
}

// DocumentAttachment returns the recorded AttachmentHASH and AttachmentGUID of the document
// of court act actID of org; both are empty until it is uploaded.
func (s *Store) DocumentAttachment(ctx context.Context, org, actID string) (hash, attachmentGUID string, err error) {
	if err := s.usable(ctx); err != nil {
		return "", "", err
	}
	err = s.r.QueryRowContext(ctx, `SELECT doc_hash, doc_attachment_guid FROM court_acts WHERE org_guid = ? AND act_id = ?`,
		org, actID).Scan(&hash, &attachmentGUID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("%w: court act %q of organization %q", domain.ErrNotFound, actID, org)
	}
	if err != nil {
		return "", "", fmt.Errorf("document attachment of act %q: %w", actID, err)
	}
	return hash, attachmentGUID, nil
}
