package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE court_acts SET doc_hash = ?, doc_attachment_guid = ?, updated_at = ?
			WHERE org_guid = ? AND act_id = ? AND doc_path <> ''`, hash, attachmentGUID, stamp(now), org, actID)
		if err != nil {
			return fmt.Errorf("update court act: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("update court act: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%w: court act %q of organization %q with a document", domain.ErrNotFound, actID, org)
		}
		return s.audit(ctx, tx, now, "", storecore.AttachmentActor, "document uploaded",
			fmt.Sprintf("org=%q act=%q attachment=%s", org, actID, attachmentGUID))
	})
	if err != nil {
		return fmt.Errorf("set document attachment: %w", err)
	}
	return nil
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
