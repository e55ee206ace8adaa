package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO alerts (subrequest_guid, kind, sent_at) VALUES (?, ?, ?)
			ON CONFLICT (subrequest_guid, kind) DO NOTHING`, guid, kind, stamp(s.now()))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim alert %s for sub-request %s: %w", kind, guid, err)
	}
	return n == 1, nil
}

// ReleaseAlert forgets a claimed alert (its sending failed), so that the next ClaimAlert
// succeeds again. Releasing an alert that is not recorded is not an error.
func (s *Store) ReleaseAlert(ctx context.Context, guid, kind string) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM alerts WHERE subrequest_guid = ? AND kind = ?`, guid, kind)
		return err
	})
	if err != nil {
		return fmt.Errorf("release alert %s for sub-request %s: %w", kind, guid, err)
	}
	return nil
}
