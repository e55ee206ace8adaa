package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gisgw/gisgw/responder/domain"
)

// send answers org's ready sub-requests in messages of BatchSize, at most Concurrency of
// them in flight. Concurrency producers claim, compose (uploading the files the answers
// cite) and store the messages, so that the next messages are ready while the ones in
// flight are sent and polled; a stored message waiting for its turn keeps its lease.
func (p *Pipeline) send(ctx context.Context, org string) (Progress, error) {
	var (
		mu        sync.Mutex
		res       Progress
		errs      []error
		done      bool // nothing more to claim, or a step failed: claim no more
		producers sync.WaitGroup
		flying    sync.WaitGroup
		slots     = make(chan struct{}, p.o.Concurrency)
	)
	stop := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		done = true
		if err != nil {
			errs = append(errs, err)
		}
	}
	stopped := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return done
	}
	for range p.o.Concurrency {
		producers.Go(func() {
			for ctx.Err() == nil && !stopped() {
				ds, err := p.o.Store.ClaimReady(ctx, org, p.o.Owner, p.o.BatchSize, p.o.Lease)
				if err != nil {
					stop(fmt.Errorf("claim ready answers: %w", err))
					return
				}
				if len(ds) == 0 {
					stop(nil)
					return
				}
				m, err := p.compose(ctx, org, ds)
				if err != nil {
					stop(err)
					return
				}
				if err := p.o.Store.CreateMessage(ctx, p.o.Owner, m, p.o.Lease); err != nil {
					stop(fmt.Errorf("store outbox message: %w", err))
					return
				}
				held := p.keepLease(ctx, m.ID)
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					// Stored but not sent: recover reconciles it after the settle time.
					held()
					return
				}
				held()
				flying.Go(func() {
					defer func() { <-slots }()
					r, err := p.deliver(ctx, m, nil)
					mu.Lock()
					defer mu.Unlock()
					res.add(r)
					if err != nil {
						errs = append(errs, err)
					}
				})
			}
		})
	}
	producers.Wait()
	flying.Wait()
	return res, errors.Join(errs...)
}

// uploadConcurrency bounds the file uploads of one message in progress at a time.
const uploadConcurrency = 4

// compose uploads the documents the answers cite (each distinct file once, a few at a
// time) and builds the outbox message.
func (p *Pipeline) compose(ctx context.Context, org string, ds []domain.Decision) (domain.Message, error) {
	m := domain.Message{ID: uuid.NewString(), OrgGUID: org, CreatedAt: p.o.Now(), Status: domain.MessagePending}
	type ref struct{ d, i, j int } // decision, debt info, document
	var keys []string
	refs := map[string][]ref{}
	for di, d := range ds {
		for i := range d.DebtInfo {
			for j, doc := range d.DebtInfo[i].Documents {
				if doc.AttachmentGUID != "" && doc.Hash != "" {
					continue
				}
				k := docKey(doc)
				if _, ok := refs[k]; !ok {
					keys = append(keys, k)
				}
				refs[k] = append(refs[k], ref{di, i, j})
			}
		}
	}
	if len(keys) > 0 {
		ups := make([]domain.Document, len(keys))
		errs := make([]error, len(keys))
		uctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		sem := make(chan struct{}, uploadConcurrency)
		for n, k := range keys {
			r := refs[k][0]
			doc := ds[r.d].DebtInfo[r.i].Documents[r.j]
			select {
			case sem <- struct{}{}:
			case <-uctx.Done():
				errs[n] = uctx.Err()
				continue
			}
			wg.Go(func() {
				defer func() { <-sem }()
				ups[n], errs[n] = p.upload(uctx, org, doc)
				if errs[n] != nil {
					cancel() // the message cannot be composed: stop the other uploads
				}
			})
		}
		wg.Wait()
		cancel()
		// Report the upload that failed, not the ones it cancelled.
		first := -1
		for n, err := range errs {
			if err != nil && (first < 0 || errors.Is(errs[first], context.Canceled) && !errors.Is(err, context.Canceled)) {
				first = n
			}
		}
		if first >= 0 {
			r := refs[keys[first]][0]
			doc := ds[r.d].DebtInfo[r.i].Documents[r.j]
			return m, fmt.Errorf("upload %s for %s: %w", doc.Name, ds[r.d].SubRequestGUID, errs[first])
		}
		for n, k := range keys {
			for _, r := range refs[k] {
				ds[r.d].DebtInfo[r.i].Documents[r.j] = ups[n]
			}
		}
	}
	for _, d := range ds {
		m.Actions = append(m.Actions, domain.Action{
			TransportGUID:  uuid.NewString(),
			SubRequestGUID: d.SubRequestGUID,
			Kind:           domain.ActionSend,
			Decision:       d,
		})
	}
	return m, nil
}

// docKey names the file a document refers to: its court act's file when it has one.
func docKey(doc domain.Document) string {
	return doc.ActOrg + "|" + doc.ActID + "|" + doc.Path
}

// upload is GIS.Upload with concurrent uploads of one file, by producers composing
// messages side by side, joined into one.
func (p *Pipeline) upload(ctx context.Context, org string, doc domain.Document) (domain.Document, error) {
	k := org + "|" + docKey(doc)
	p.mu.Lock()
	if p.uploads == nil {
		p.uploads = map[string]*upload{}
	}
	if u, ok := p.uploads[k]; ok {
		p.mu.Unlock()
		select {
		case <-u.done:
			return u.doc, u.err
		case <-ctx.Done():
			return doc, ctx.Err()
		}
	}
	u := &upload{done: make(chan struct{})}
	p.uploads[k] = u
	p.mu.Unlock()
	u.doc, u.err = p.o.GIS.Upload(ctx, org, doc)
	p.mu.Lock()
	delete(p.uploads, k)
	p.mu.Unlock()
	close(u.done)
	return u.doc, u.err
}

// upload is a file upload in progress.
type upload struct {
	done chan struct{} // closed when doc and err are set
	doc  domain.Document
	err  error
}

// deliver sends a stored, unfinished message and records its outcomes. known are outcomes
// already established for actions of the stored message that m no longer carries (recovery
// found them answered in GIS); they are recorded together with m's.
func (p *Pipeline) deliver(ctx context.Context, m domain.Message, known []domain.Outcome) (Progress, error) {
	stop := p.keepLease(ctx, m.ID)
	defer stop()
	gisGUID, err := p.o.GIS.Submit(ctx, m)
	if err != nil {
		f := p.classify(ctx, err)
		if f == retryLater {
			p.o.Metrics.message("unacknowledged")
		} else {
			p.o.Metrics.message("refused")
		}
		return p.failed(ctx, m, known, f, "send", err)
	}
	if err := p.o.Store.MarkMessageAcked(ctx, m.ID, gisGUID); err != nil {
		return Progress{}, fmt.Errorf("record Ack of message %s: %w", m.ID, err)
	}
	p.o.Metrics.message("acknowledged")
	m.GISMessageGUID, m.Status = gisGUID, domain.MessageAcked
	pr, err := p.await(ctx, m, known)
	pr.Sent = len(m.Actions)
	return pr, err
}

// await polls an acknowledged message and records its outcomes, with known (see deliver).
func (p *Pipeline) await(ctx context.Context, m domain.Message, known []domain.Outcome) (Progress, error) {
	outs, err := p.o.GIS.Await(ctx, m)
	if err != nil {
		return p.failed(ctx, m, known, p.classify(ctx, err), "poll", err)
	}
	all := append(append(make([]domain.Outcome, 0, len(outs)+len(known)), outs...), known...)
	if err := p.o.Store.FinishMessage(ctx, m.ID, all); err != nil {
		return Progress{}, fmt.Errorf("record results of message %s: %w", m.ID, err)
	}
	for _, o := range outs {
		p.o.Metrics.outcome(o)
		if o.State == domain.StateFailed {
			p.log.Warn("GIS refused an answer", "subrequest", o.SubRequestGUID, "code", o.ErrorCode, "text", o.ErrorText)
		}
	}
	return Progress{Finished: len(all)}, nil
}

// failure is what a failed GIS call (Submit or Await) means for the message it carried.
// Every send and poll failure goes through classify, so that a finer classification (an
// outcome that is unknown rather than refused, say) is made in one place.
type failure int

const (
	// retryLater: GIS may or may not hold the message (a transient error, or we stopped
	// waiting). The attempt is recorded, which frees the message for recovery: a pending
	// one is looked up in GIS (Statuses) after the settle time before anything is resent,
	// an acked one is polled again.
	retryLater failure = iota
	// refused: GIS refused the whole message for good; every action in it fails.
	refused
)

// classify tells a failed GIS call on a message worth retrying from a refusal.
func (p *Pipeline) classify(ctx context.Context, err error) failure {
	if ctx.Err() != nil || p.o.IsTransient(err) {
		return retryLater
	}
	return refused
}

// failed records a failed GIS call (what: "send" or "poll") on m as f says.
func (p *Pipeline) failed(ctx context.Context, m domain.Message, known []domain.Outcome, f failure, what string, err error) (Progress, error) {
	if f == retryLater {
		// Recorded even when ctx ended: the attempt is what hands the message to recovery.
		_ = p.o.Store.RecordAttempt(context.WithoutCancel(ctx), m.ID, err.Error())
		return Progress{}, fmt.Errorf("%s message %s: %w", what, m.ID, err)
	}
	if err := p.finishAll(ctx, m, known, domain.StateFailed, err); err != nil {
		return Progress{}, err
	}
	return Progress{Finished: len(m.Actions) + len(known)}, nil
}

// finishAll gives every action of m the same outcome (a whole message refused), and
// records known with them.
func (p *Pipeline) finishAll(ctx context.Context, m domain.Message, known []domain.Outcome, state domain.State, cause error) error {
	code, text := ErrorCode(cause), cause.Error()
	outs := append(make([]domain.Outcome, 0, len(m.Actions)+len(known)), known...)
	for _, a := range m.Actions {
		outs = append(outs, domain.Outcome{TransportGUID: a.TransportGUID, SubRequestGUID: a.SubRequestGUID, State: state, ErrorCode: code, ErrorText: text})
	}
	if err := p.o.Store.FinishMessage(context.WithoutCancel(ctx), m.ID, outs); err != nil {
		return fmt.Errorf("record refusal of message %s: %w", m.ID, err)
	}
	p.log.Warn("GIS refused a message", "message", m.ID, "actions", len(m.Actions), "code", code, "err", cause)
	return nil
}

// ErrorCode extracts a GIS error code from err when it carries one.
func ErrorCode(err error) string {
	var c interface{ GISCode() string }
	if errors.As(err, &c) {
		return c.GISCode()
	}
	return ""
}

// keepLease renews the lease on a message while it is being worked on.
func (p *Pipeline) keepLease(ctx context.Context, id string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.o.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := p.o.Store.RenewMessage(ctx, id, p.o.Owner, p.o.Lease); err != nil && ctx.Err() == nil {
					p.log.Warn("could not renew lease", "message", id, "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}
