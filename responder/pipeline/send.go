package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gisgw/gisgw/responder/domain"
)

// send is sendWhile with nothing more to come: it answers what is ready now.
func (p *Pipeline) send(ctx context.Context, org string) (Progress, error) {
	return p.sendWhile(ctx, org, nil)
}

// sendWhile answers org's ready sub-requests in messages of BatchSize, at most Concurrency of
// them in flight. Concurrency producers claim, compose (uploading the files the answers
// cite) and store the messages, so that the next messages are ready while the ones in
// flight are sent and polled; a stored message waiting for its turn keeps its lease. While
// more (nil: never) says answers may still become ready, a producer that finds none waits
// for the next saved decisions instead of stopping.
func (p *Pipeline) sendWhile(ctx context.Context, org string, more func() bool) (Progress, error) {
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
				// Taken before the claim, so that decisions saved after it wake this producer.
				wake := p.readySignal()
				waiting := more != nil && more()
				ds, err := p.o.Store.ClaimReady(ctx, org, p.o.Owner, p.o.BatchSize, p.o.Lease)
				if err != nil {
					stop(fmt.Errorf("claim ready answers: %w", err))
					return
				}
				if len(ds) == 0 {
					if !waiting {
						stop(nil)
						return
					}
					// The decide side still runs: its next batch (or its end) is worth a
					// new claim; the timer bounds a wake-up missed by another replica's save.
					t := time.NewTimer(pullLook)
					select {
					case <-wake:
					case <-t.C:
					case <-ctx.Done():
					}
					t.Stop()
					continue
				}
				m, err := p.compose(ctx, org, ds)
				if err != nil {
					stop(err)
					return
				}
				if len(m.Actions) == 0 {
					continue // every answer of the batch waits for a file
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
// time) and builds the message. An answer citing a file that cannot be read or uploaded
// is left out and put aside (deferred) with the cause and a retry time, so that one bad
// file holds back only the answers that cite it; the message may then have no actions.
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
	ups := make([]domain.Document, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, uploadConcurrency)
	for n, k := range keys {
		r := refs[k][0]
		doc := ds[r.d].DebtInfo[r.i].Documents[r.j]
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[n] = ctx.Err()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			ups[n], errs[n] = p.upload(ctx, org, doc)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return m, err
	}
	blocked := make([]bool, len(ds))
	for n, k := range keys {
		if errs[n] == nil {
			p.uploaded(org, k)
			for _, r := range refs[k] {
				ds[r.d].DebtInfo[r.i].Documents[r.j] = ups[n]
			}
			continue
		}
		var guids []string
		for _, r := range refs[k] {
			if !blocked[r.d] {
				blocked[r.d] = true
				guids = append(guids, ds[r.d].SubRequestGUID)
			}
		}
		if len(guids) == 0 {
			continue // already put aside for another file
		}
		r := refs[k][0]
		if err := p.block(ctx, org, k, ds[r.d].DebtInfo[r.i].Documents[r.j], guids, errs[n]); err != nil {
			return m, err
		}
	}
	for n, d := range ds {
		if blocked[n] {
			continue
		}
		m.Actions = append(m.Actions, domain.Action{
			TransportGUID:  uuid.NewString(),
			SubRequestGUID: d.SubRequestGUID,
			Kind:           domain.ActionSend,
			Decision:       d,
		})
	}
	return m, nil
}

// block puts aside the answers (guids) that cite doc, whose file (key k) could not be
// read or uploaded, until a retry time that doubles with each failure of the file, from
// DeferMin up to DeferMax: a file that is back is picked up within DeferMax.
func (p *Pipeline) block(ctx context.Context, org, k string, doc domain.Document, guids []string, cause error) error {
	p.mu.Lock()
	if p.failures == nil {
		p.failures = map[string]int{}
	}
	n := p.failures[org+"|"+k]
	p.failures[org+"|"+k] = n + 1
	p.mu.Unlock()
	wait := p.o.DeferMax
	if n < 16 {
		wait = min(p.o.DeferMin<<n, p.o.DeferMax)
	}
	until := p.o.Now().Add(wait)
	if err := p.o.Store.DeferReady(ctx, p.o.Owner, guids, until, blockedReason(doc)); err != nil {
		return fmt.Errorf("put aside the answers citing %s: %w", doc.Name, err)
	}
	p.log.Warn("court-act file could not be read or uploaded; the answers citing it wait, the others go on",
		"org", org, "file", doc.Name, "act", doc.ActID, "answers", len(guids), "retry_in", wait.String(), "err", cause)
	p.o.Metrics.blocked(len(guids))
	return nil
}

// uploaded forgets the failures of a file that was uploaded.
func (p *Pipeline) uploaded(org, k string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.failures, org+"|"+k)
}

// blockedReason is what the officers read about an answer waiting for a file. It names the
// act and the file, never a debtor; it does not carry the retry time, so that it changes
// (and is audited) only when the cause does.
func blockedReason(doc domain.Document) string {
	act := ""
	if doc.ActID != "" {
		act = " (судебный акт " + doc.ActID + ")"
	}
	return "Ответ ждёт файла судебного акта «" + doc.Name + "»" + act +
		": файл не удалось прочитать или загрузить в ГИС ЖКХ. Ответ будет отправлен, как только файл станет доступен; попытки повторяются автоматически."
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
	// Only the lease holder sends: had the lease lapsed (the store unreachable for longer
	// than a lease while the message waited), another replica may have taken it over.
	if err := p.o.Store.RenewMessage(ctx, m.ID, p.o.Owner, p.o.Lease); err != nil {
		return Progress{}, fmt.Errorf("message %s: no longer held by this replica, not sent: %w", m.ID, err)
	}
	gisGUID, err := p.o.GIS.Submit(ctx, m)
	if err != nil {
		f := p.classify(ctx, err)
		switch f {
		case retryLater:
			p.o.Metrics.message("unacknowledged")
		case unknown:
			p.o.Metrics.message("unknown")
		default:
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
		f := p.classify(ctx, err)
		if f == refused && ErrorCode(err) == "" {
			// Not GIS's refusal of the message but nonsense about it (a state that went
			// back): GIS may or may not process it.
			f = unknown
		}
		if f == unknown {
			// GIS may process the message later, so nothing of it is sent again yet.
			// Should GIS show every answer already, the message is done; otherwise it is
			// polled again, and after pollGiveUp such polls the answers GIS still does
			// not show go back to ready, to be sent in a fresh message.
			found, lerr := p.lookUp(ctx, m, m.Actions)
			if lerr == nil && (len(found) == len(m.Actions) || m.Attempts+1 >= pollGiveUp) {
				if len(found) < len(m.Actions) {
					p.log.Warn("GIS did not process an acknowledged message after repeated polls; the answers it does not show are sent again",
						"message", m.ID, "gis_message", m.GISMessageGUID, "polls", m.Attempts+1, "resend", len(m.Actions)-len(found), "err", err)
				}
				return p.finish(ctx, m, found, known)
			}
		}
		return p.failed(ctx, m, known, f, "poll", err)
	}
	// An action GIS's result does not mention would go back to ready and be sent again;
	// GIS may have it nonetheless (a resumed message lists actions that a partial
	// reconciliation had found answered), so such actions are looked up first.
	missing := withoutOutcome(m.Actions, outs, known)
	if len(missing) > 0 {
		found, err := p.lookUp(ctx, m, missing)
		if err != nil {
			return p.failed(ctx, m, known, retryLater, "poll", err)
		}
		outs = append(outs, found...)
	}
	return p.finish(ctx, m, outs, known)
}

// pollGiveUp is how many polls of an acknowledged message may end without a result (the
// poll limit ran out, the state went back) before the answers GIS does not show are sent
// again: with the default gis.poll_limit, six hours.
const pollGiveUp = 3

// finish records the outcomes GIS gave (outs) together with known.
func (p *Pipeline) finish(ctx context.Context, m domain.Message, outs, known []domain.Outcome) (Progress, error) {
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

// withoutOutcome lists the actions that neither outs nor known give an outcome.
func withoutOutcome(actions []domain.Action, outs, known []domain.Outcome) []domain.Action {
	have := make(map[string]bool, len(outs)+len(known))
	for _, o := range append(slices.Clip(outs), known...) {
		have[strings.ToLower(o.TransportGUID)] = true
	}
	var out []domain.Action
	for _, a := range actions {
		if !have[strings.ToLower(a.TransportGUID)] {
			out = append(out, a)
		}
	}
	return out
}

// lookUp asks GIS for the response status of actions' sub-requests and returns the
// outcomes of those GIS shows answered (by us, elsewhere, or automatically), and of the
// Revokes GIS shows went through (revokedBy).
func (p *Pipeline) lookUp(ctx context.Context, m domain.Message, actions []domain.Action) ([]domain.Outcome, error) {
	guids := make([]string, len(actions))
	for i, a := range actions {
		guids[i] = a.SubRequestGUID
	}
	st, err := p.o.GIS.Statuses(ctx, m.OrgGUID, guids)
	if err != nil {
		return nil, fmt.Errorf("look up the answers of message %s in GIS: %w", m.ID, err)
	}
	var out []domain.Outcome
	for _, a := range actions {
		if a.Kind == domain.ActionRevoke {
			// The store reads an accepted Revoke's outcome as "answered".
			if revokedBy(st[a.SubRequestGUID]) {
				out = append(out, domain.Outcome{TransportGUID: a.TransportGUID, SubRequestGUID: a.SubRequestGUID, State: domain.StateAnswered})
			}
			continue
		}
		if to, ok := closedBy(st[a.SubRequestGUID]); ok {
			out = append(out, domain.Outcome{TransportGUID: a.TransportGUID, SubRequestGUID: a.SubRequestGUID, State: to})
		}
	}
	return out, nil
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
	// unknown: GIS may have the message although no result came (the request was written
	// in full and the answer was lost, or the poll limit ran out). Handled as retryLater —
	// never resent before GIS was asked — and counted apart; a poll that ran out is also
	// looked up at once, so that a message GIS did process is finished without waiting.
	unknown
	// refused: GIS refused the whole message for good; every action in it fails.
	refused
)

// classify tells a failed GIS call on a message worth retrying, or whose outcome is
// unknown, from a refusal.
func (p *Pipeline) classify(ctx context.Context, err error) failure {
	switch {
	case ctx.Err() != nil:
		return retryLater
	case p.o.OutcomeUnknown(err):
		return unknown
	case p.o.IsTransient(err):
		return retryLater
	}
	return refused
}

// failed records a failed GIS call (what: "send" or "poll") on m as f says.
func (p *Pipeline) failed(ctx context.Context, m domain.Message, known []domain.Outcome, f failure, what string, err error) (Progress, error) {
	if f != refused {
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
