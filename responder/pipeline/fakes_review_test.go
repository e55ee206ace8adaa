package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// ListReview returns org's sub-requests in review by deadline, then GUID, each with its
// latest decision.
func (s *fakeStore) ListReview(_ context.Context, org string) ([]store.ReviewItem, error) {
	if err := s.fault("ListReview"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []store.ReviewItem
	for _, r := range s.subs {
		if r.sr.State != domain.StateReview || (org != "" && r.sr.OrgGUID != org) {
			continue
		}
		it := store.ReviewItem{SubRequest: r.sr}
		if d, ok := s.decisions[r.sr.GUID]; ok {
			it.Decision = &d
		}
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b store.ReviewItem) int {
		return cmp.Or(a.SubRequest.ResponseDate.Compare(b.SubRequest.ResponseDate), strings.Compare(a.SubRequest.GUID, b.SubRequest.GUID))
	})
	return out, nil
}

// RecordReview stores a decision made for a person and moves the sub-request from review to
// ready; ErrConflict when it is not in review.
func (s *fakeStore) RecordReview(_ context.Context, guid, who, comment string, d domain.Decision) error {
	if err := s.fault("RecordReview"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.subs[guid]; ok && r.sr.State != domain.StateReview {
		return fmt.Errorf("sub-request %s is %s, not waiting for a person: %w", guid, r.sr.State, domain.ErrConflict)
	}
	d.SubRequestGUID, d.DecidedBy, d.Comment, d.Review = guid, who, comment, false
	if err := s.checkDecision(d, domain.StateReady); err != nil {
		return err
	}
	s.saveDecision(d, domain.StateReady)
	s.audit[guid] = append(s.audit[guid], fmt.Sprintf("%s reviewed: %s", who, comment))
	return nil
}

// decision returns the latest decision of a sub-request for assertions.
func (s *fakeStore) decision(guid string) domain.Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decisions[guid]
}

// auditOf returns a sub-request's audit lines for assertions.
func (s *fakeStore) auditOf(guid string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.audit[guid])
}
