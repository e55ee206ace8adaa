package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// ClaimAlert records that the alert kind for sub-request guid is being sent and reports
// whether this call recorded it: false when it was recorded before (by any process).
func (s *Store) ClaimAlert(ctx context.Context, guid, kind string) (bool, error) {
	if err := s.usable(ctx); err != nil {
		return false, err
	}
	if guid == "" || kind == "" {
		return false, errors.New("claim alert: empty sub-request GUID or kind")
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO alerts (subrequest_guid, kind, sent_at) VALUES ($1, $2, $3)
		ON CONFLICT (subrequest_guid, kind) DO NOTHING`, guid, kind, storecore.Stamp(s.now()))
	if err != nil {
		return false, fmt.Errorf("claim alert %s for sub-request %s: %w", kind, guid, translate(err))
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseAlert forgets a claimed alert (its sending failed), so that the next ClaimAlert
// succeeds again. Releasing an alert that is not recorded is not an error.
func (s *Store) ReleaseAlert(ctx context.Context, guid, kind string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM alerts WHERE subrequest_guid = $1 AND kind = $2`, guid, kind); err != nil {
		return fmt.Errorf("release alert %s for sub-request %s: %w", kind, guid, translate(err))
	}
	return nil
}
