package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/gisgw/gisgw/responder/domain"
)

// Corrections of sent answers (LEGAL-RULES §10.7). The re-check decides every answer GIS
// holds again with the organization's current data; one that would now be different goes
// back to a person with both answers (Store.ProposeCorrection). Nothing is corrected without
// a person: only their approval (RecordReview) makes the sub-request ready with Correction
// approved, and then the revoke step sends a Revoke of the answer GIS holds. Once GIS
// confirms it, the store makes the sub-request ready again and the send step sends the new
// answer, exactly once like any answer. A Revoke whose outcome is unknown is looked up like
// a Send (lookUp): NotSent means it went through.

// Review reasons of a correction; officers read them.
const (
	CorrectionReason = "ответ больше не соответствует данным организации"
	LateReason       = "срок ответа прошёл: исправление будет отправлено с опозданием, ГИС ЖКХ может его не принять"
)

// RecheckStore is what the re-check needs from the store (a part of Store).
type RecheckStore interface {
	// Rechecks lists org's answered and auto-answered sub-requests with no correction under
	// way, by deadline.
	Rechecks(ctx context.Context, org string) ([]domain.SubRequest, error)
	// SentDecision returns the answer GIS last accepted from gisgw; ErrNotFound for none.
	SentDecision(ctx context.Context, guid string) (domain.Decision, error)
	// DecisionHistory returns every decision of a sub-request, oldest first.
	DecisionHistory(ctx context.Context, guid string) ([]domain.Decision, error)
	// ProposeCorrection stores a correction proposal and returns the sub-request to review;
	// ErrConflict when it no longer holds an answer to correct.
	ProposeCorrection(ctx context.Context, d domain.Decision) error
}

// Recheck decides the answers GIS holds for orgs again (answered by gisgw, or automatically
// by GIS) and proposes a correction for each that the current data no longer support. It
// returns how many it proposed. It needs no GIS: the import commands run it after loading
// data, and the daemon on a schedule (Pipeline.Recheck).
func Recheck(ctx context.Context, st RecheckStore, dec Decider, orgs []string, now time.Time, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := 0
	var errs []error
	for _, org := range orgs {
		k, err := recheckOrg(ctx, st, dec, org, now, log)
		n += k
		if err != nil {
			errs = append(errs, fmt.Errorf("re-check the answers of %s: %w", org, err))
		}
	}
	return n, errors.Join(errs...)
}

// recheckBatch is how many sub-requests the re-check decides at once.
const recheckBatch = 100

func recheckOrg(ctx context.Context, st RecheckStore, dec Decider, org string, now time.Time, log *slog.Logger) (int, error) {
	srs, err := st.Rechecks(ctx, org)
	if err != nil {
		return 0, err
	}
	n := 0
	for len(srs) > 0 {
		batch := srs[:min(recheckBatch, len(srs))]
		srs = srs[len(batch):]
		ds, err := dec.DecideBatch(ctx, batch, now)
		if err != nil {
			return n, fmt.Errorf("decide %d answers again: %w", len(batch), err)
		}
		if len(ds) != len(batch) {
			return n, fmt.Errorf("the decider returned %d decisions for %d sub-requests", len(ds), len(batch))
		}
		for i, sr := range batch {
			ok, err := recheckOne(ctx, st, sr, ds[i], now)
			if err != nil {
				return n, err
			}
			if ok {
				n++
				log.Warn("a sent answer no longer matches the data; a correction waits for a person",
					"subrequest", sr.GUID, "state", sr.State, "has_debt_now", ds[i].HasDebt)
			}
		}
	}
	return n, nil
}

// recheckOne proposes d as a correction of sr's answer when it answers otherwise, unless a
// person already had that very answer before them and decided otherwise.
func recheckOne(ctx context.Context, st RecheckStore, sr domain.SubRequest, d domain.Decision, now time.Time) (bool, error) {
	sent := domain.Decision{SubRequestGUID: sr.GUID} // GIS's automatic answer is "no debt"
	if sr.State != domain.StateAutoAnswered {
		var err error
		sent, err = st.SentDecision(ctx, sr.GUID)
		if errors.Is(err, domain.ErrNotFound) {
			return false, nil // answered elsewhere (the web cabinet): not ours to correct
		}
		if err != nil {
			return false, err
		}
	}
	if d.SameAnswer(sent) {
		return false, nil
	}
	hist, err := st.DecisionHistory(ctx, sr.GUID)
	if err != nil {
		return false, err
	}
	// A person who already had this very answer before them decided otherwise: a
	// correction proposal they turned down, or the rules' proposal they overrode when the
	// answer was first sent. Only a change of the data (another answer by the rules) is news.
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		overridden := !h.Correction && h.DecidedBy == "" && sent.DecidedBy != ""
		if h.Correction && h.Review || overridden {
			if h.SameAnswer(d) {
				return false, nil
			}
			break
		}
	}
	reasons := []string{CorrectionReason}
	if sr.State == domain.StateAutoAnswered || (!sr.ResponseDate.IsZero() && day(now).After(sr.ResponseDate)) {
		reasons = append(reasons, LateReason)
	}
	d.SubRequestGUID, d.Correction, d.Review = sr.GUID, true, true
	d.ReviewReasons = append(reasons, d.ReviewReasons...)
	if err := st.ProposeCorrection(ctx, d); err != nil {
		if errors.Is(err, domain.ErrConflict) {
			return false, nil // it moved meanwhile; the next re-check looks again
		}
		return false, err
	}
	return true, nil
}

// Recheck is the package's Recheck for the pipeline's organizations, on its clock.
func (p *Pipeline) Recheck(ctx context.Context) (Progress, error) {
	orgs := make([]string, len(p.o.Orgs))
	for i, o := range p.o.Orgs {
		orgs[i] = o.GUID
	}
	n, err := Recheck(ctx, p.o.Store, p.o.Decider, orgs, p.o.Now(), p.log)
	return Progress{Flagged: n}, err
}

// revokeAll sends the Revokes of every organization's approved corrections.
func (p *Pipeline) revokeAll(ctx context.Context) (Progress, error) {
	var pr Progress
	var errs []error
	for _, org := range p.o.Orgs {
		step, err := p.revoke(ctx, org.GUID)
		pr.add(step)
		if err != nil {
			errs = append(errs, fmt.Errorf("revoke for %s: %w", org.GUID, err))
		}
	}
	return pr, errors.Join(errs...)
}

// revoke sends a Revoke of the answer GIS holds for each of org's approved corrections, in
// messages stored before they are sent like any answer. The store makes a confirmed revoke
// ready again for its new answer, which the send step takes up.
func (p *Pipeline) revoke(ctx context.Context, org string) (Progress, error) {
	var pr Progress
	for ctx.Err() == nil {
		guids, err := p.o.Store.ClaimRevokes(ctx, org, p.o.Owner, p.o.BatchSize, p.o.Lease)
		if err != nil {
			return pr, fmt.Errorf("claim answers to revoke: %w", err)
		}
		if len(guids) == 0 {
			return pr, nil
		}
		m := domain.Message{ID: uuid.NewString(), OrgGUID: org, CreatedAt: p.o.Now(), Status: domain.MessagePending}
		for _, g := range guids {
			m.Actions = append(m.Actions, domain.Action{TransportGUID: uuid.NewString(), SubRequestGUID: g,
				Kind: domain.ActionRevoke, Decision: domain.Decision{SubRequestGUID: g}})
		}
		if err := p.o.Store.CreateMessage(ctx, p.o.Owner, m, p.o.Lease); err != nil {
			return pr, fmt.Errorf("store outbox message: %w", err)
		}
		step, err := p.deliver(ctx, m, nil)
		pr.add(step)
		if err != nil {
			return pr, err
		}
	}
	return pr, ctx.Err()
}

// revokedBy reports whether GIS's responseStatus shows that a Revoke went through: GIS no
// longer holds the answer (NotSent), or answered automatically once it was gone after the
// deadline (AutoGenerated).
func revokedBy(status string) bool {
	return status == "NotSent" || status == "AutoGenerated"
}
