package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

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
	err := s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE court_acts SET doc_hash = $3, doc_attachment_guid = $4, updated_at = $5
			WHERE org_guid = $1 AND act_id = $2 AND doc_path <> ''`, org, actID, hash, attachmentGUID, now)
		if err != nil {
			return fmt.Errorf("update court act: %w", err)
		}
		if tag.RowsAffected() == 0 {
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
	err = s.pool.QueryRow(ctx, `SELECT doc_hash, doc_attachment_guid FROM court_acts WHERE org_guid = $1 AND act_id = $2`,
		org, actID).Scan(&hash, &attachmentGUID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", fmt.Errorf("%w: court act %q of organization %q", domain.ErrNotFound, actID, org)
	}
	if err != nil {
		return "", "", fmt.Errorf("document attachment of act %q: %w", actID, err)
	}
	return hash, attachmentGUID, nil
}
