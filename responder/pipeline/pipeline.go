// Package pipeline is the daemon's work loop: pull sub-requests from GIS, decide them, and
// send the answers, earliest deadline first. It talks to GIS and to the store through the
// small ports below, in domain types only, so that the same loop runs against the real
// client, the simulator, PostgreSQL with several replicas, or SQLite.
//
// Nothing is lost and nothing is sent twice:
//   - every state change is one store transaction;
//   - a message is stored (outbox) before it is sent, and GIS's MessageGUID is stored as soon
//     as GIS acknowledges it, so polling resumes after a crash;
//   - a message that never got an Ack is not resent blindly: after a settle time the
//     sub-requests in it are looked up in GIS, those GIS already shows as answered are
//     recorded as answered, and only the rest are sent again;
//   - work is leased (owner + expiry), so replicas share it and a crashed replica's work
//     returns to the pool when its lease expires.
//
// The steps live in files of their own: pull.go, decide.go, deadline.go (the organization's
// rule for review items at the deadline), send.go and recover.go (resuming unfinished
// messages and refreshing GIS's statuses). Each step is a method that returns
// the Progress it made, so that Pass can run, bound or isolate them one by one.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// Store is what the pipeline needs from the store; both store implementations provide it.
// Work is leased to an owner until an expiry; a lease is free when it expired, so a crashed
// replica's work returns to the pool, and concurrent claims get disjoint sets.
type Store interface {
	// UpsertSubRequests records pulled sub-requests by GUID and returns how many were new;
	// a known one keeps its state unless GIS's is further along.
	UpsertSubRequests(ctx context.Context, srs []domain.SubRequest) (int, error)
	// ClaimForDecision leases up to limit sub-requests in state new, earliest deadline first.
	ClaimForDecision(ctx context.Context, owner string, limit int, lease time.Duration) ([]domain.SubRequest, error)
	// SaveDecision stores a decision, moves the sub-request to state (review or ready) and
	// ends its lease; ErrConflict when the sub-request can no longer be decided (sending or
	// closed), ErrNotFound when it is unknown.
	SaveDecision(ctx context.Context, d domain.Decision, state domain.State) error
	// SaveDecisions is SaveDecision for a batch, in one transaction: all or, on any
	// conflict, none.
	SaveDecisions(ctx context.Context, ups []domain.DecisionUpdate) error
	// ListReview returns org's review queue by deadline, each with its latest decision
	// (the deadline rule reads it).
	ListReview(ctx context.Context, org string) ([]store.ReviewItem, error)
	// RecordReview stores a decision made for a person (who, comment) and moves the
	// sub-request to ready; ErrConflict once it is sending or closed.
	RecordReview(ctx context.Context, guid, who, comment string, d domain.Decision) error
	// ClaimReady leases up to limit ready sub-requests of org that have a decision, earliest
	// deadline first, and returns their decisions.
	ClaimReady(ctx context.Context, org, owner string, limit int, lease time.Duration) ([]domain.Decision, error)
	// CreateMessage stores m (pending, leased to owner) and moves every sub-request in it
	// from ready (leased to owner, of m's organization) to sending, in one transaction;
	// ErrConflict, with nothing written, when any is not.
	CreateMessage(ctx context.Context, owner string, m domain.Message, lease time.Duration) error
	// MarkMessageAcked records GIS's MessageGUID and makes a pending message acked, its
	// attempts counted anew (they count the polls since the Ack); again with the same GUID
	// it changes nothing, another GUID is ErrConflict.
	MarkMessageAcked(ctx context.Context, id, gisMessageGUID string) error
	// RecordAttempt counts a failed attempt, keeps its error text and time, and frees the
	// message's lease: a pending message is claimable again once the settle time from this
	// attempt passed, an acked one at once. A done message is left alone.
	RecordAttempt(ctx context.Context, id, errText string) error
	// RenewMessage extends owner's lease on an unfinished message; ErrConflict when owner
	// no longer holds it, nil for a done message.
	RenewMessage(ctx context.Context, id, owner string, lease time.Duration) error
	// ClaimMessages leases up to limit unfinished messages whose lease is free, oldest
	// first, with their actions: acked ones at once, pending ones only when their last
	// attempt (or their creation) is before settledBefore.
	ClaimMessages(ctx context.Context, owner string, settledBefore time.Time, limit int, lease time.Duration) ([]domain.Message, error)
	// FinishMessage records the outcomes, moves each sub-request still sending to its
	// outcome's state (ready for a transient error or a missing outcome) and marks the
	// message done, in one transaction; finishing a done message again changes nothing.
	FinishMessage(ctx context.Context, id string, outcomes []domain.Outcome) error
	// UnfinishedMessages counts the messages that are not done.
	UnfinishedMessages(ctx context.Context) (int, error)
	// Watermark is the date through which org was last pulled (zero: never pulled).
	Watermark(ctx context.Context, org string) (time.Time, error)
	SetWatermark(ctx context.Context, org string, t time.Time) error
	// TryLockOrg makes the caller the only puller of org until unlock; ok is false while
	// another holds it. PostgreSQL: an advisory lock, across processes. SQLite: a lock within
	// the process (a second TryLockOrg in it is refused); it does not reach other processes,
	// which is why SQLite serves one daemon process.
	TryLockOrg(ctx context.Context, org string) (unlock func(), ok bool, err error)
	// OpenPastDeadline lists sub-requests of org not answered, failed or auto-answered whose
	// deadline is before day, earliest first.
	OpenPastDeadline(ctx context.Context, org string, day time.Time, limit int) ([]domain.SubRequest, error)
	// SetState moves a sub-request from one state to another (compare-and-set, audited);
	// ErrConflict when it is not in from.
	SetState(ctx context.Context, guid string, from, to domain.State, actor, detail string) error
	// ClaimRevokes leases up to limit ready sub-requests of org whose approved correction
	// needs the answer GIS holds revoked first (ClaimReady skips them). FinishMessage makes
	// a Revoke GIS accepted (outcome answered) ready again for the new answer.
	ClaimRevokes(ctx context.Context, org, owner string, limit int, lease time.Duration) ([]string, error)
	RecheckStore
	// DeferReady puts ready sub-requests leased to owner aside until until with reason (in
	// Russian, for the officers): their lease ends and ClaimReady skips them until then.
	DeferReady(ctx context.Context, owner string, guids []string, until time.Time, reason string) error
}

// GIS is what the pipeline needs from GIS ZhKKh (the client and the file store).
type GIS interface {
	// Pull returns every sub-request of org sent in [from, to], whatever its response
	// status, so that answers made elsewhere and GIS's automatic ones are recorded too. On
	// an error it may return the sub-requests it got before the failure.
	Pull(ctx context.Context, org string, from, to time.Time) ([]domain.SubRequest, error)
	// Statuses returns GIS's responseStatus (NotSent, Sent, AutoGenerated) of the given
	// sub-requests; unknown ones are absent.
	Statuses(ctx context.Context, org string, guids []string) (map[string]string, error)
	// Upload makes sure doc is in the GIS file store and returns it with AttachmentGUID and Hash.
	Upload(ctx context.Context, org string, doc domain.Document) (domain.Document, error)
	// Submit signs and sends m and returns GIS's MessageGUID from the Ack.
	Submit(ctx context.Context, m domain.Message) (string, error)
	// Await polls GIS until m (acked) is processed and returns one outcome per action.
	Await(ctx context.Context, m domain.Message) ([]domain.Outcome, error)
}

// Decider matches claimed sub-requests to premises and applies the decision rules. It
// returns one decision per sub-request, in order. The pipeline calls it from several
// goroutines at once (Options.DecideConcurrency), each with a batch of its own.
type Decider interface {
	DecideBatch(ctx context.Context, srs []domain.SubRequest, now time.Time) ([]domain.Decision, error)
}

// Org is one organization the pipeline answers for.
type Org struct {
	GUID         string
	ExecutorGUID string
}

// DefaultDecideBatchSize is the decide step's batch when Options leave it unset: measured
// against 100 and 1000 on SQLite and PostgreSQL stores of 1M premises (docs/performance.md).
const DefaultDecideBatchSize = 500

// Options configure a Pipeline. Zero values take the defaults noted.
type Options struct {
	Store       Store
	GIS         GIS
	Decider     Decider
	Orgs        []Org
	Owner       string // this replica's name in leases (default: a random id)
	BatchSize   int    // actions per message (default 100)
	Concurrency int    // messages in flight (default 2)
	// DecideConcurrency is how many batches are decided at once (default: Concurrency, and
	// at least twice GOMAXPROCS). Deciding waits for no GIS: it is the CPU of gisgw and of
	// the database plus the round trips between them, so it takes more batches in flight
	// than sending to keep the cores busy.
	DecideConcurrency int
	// DecideBatchSize is how many sub-requests one decide batch claims, decides and saves in
	// one transaction (default DefaultDecideBatchSize). Unlike BatchSize it is not bound by
	// GIS: a larger batch reads the store with fewer, larger queries and commits less often.
	DecideBatchSize int
	// PullConcurrency is how many exports of one organization's pull are in flight at once
	// (default 1: the whole period in one paged export). Above 1 the period is exported day
	// by day, that many days side by side (pull.go).
	PullConcurrency int
	Lease           time.Duration    // default 5m
	Settle          time.Duration    // how long an unacknowledged message waits before it is reconciled (default 10m)
	PullWindow      time.Duration    // how far back the first pull reaches (default 30 days)
	Now             func() time.Time // the clock of every date and time the pipeline reads (default time.Now)
	Logger          *slog.Logger
	IsTransient     func(error) bool // which GIS errors are worth retrying later (default: none)
	// OutcomeUnknown tells the failures after which GIS may hold the message although no
	// result came (the Ack was lost, the poll limit ran out): such a message is looked up
	// in GIS before any of it is sent again (default: none).
	OutcomeUnknown func(error) bool
	// CodeLabel bounds a GIS error code for a metric label (default: the code itself).
	CodeLabel func(string) string
	// RefreshEvery is how often the same open sub-requests of an organization are looked
	// up in GIS at most (default 5m): every look-up is an export GIS has to process.
	RefreshEvery time.Duration
	// DeferMin and DeferMax bound the retry of an answer whose court-act file could not be
	// read or uploaded: the first retry after DeferMin (default 15s), then twice as long
	// each time, at most DeferMax (default 1m).
	DeferMin, DeferMax time.Duration
	// Deadline is what happens to review items one working day before their deadline
	// (deadline.go); zero: nothing, they wait for a person.
	Deadline DeadlineRule
	Metrics  *Metrics // optional
}

// Pipeline runs the work loop. Its methods are safe to call from one goroutine at a time.
type Pipeline struct {
	o   Options
	log *slog.Logger

	mu        sync.Mutex
	uploads   map[string]*upload     // in progress, by organization and file
	failures  map[string]int         // consecutive failed uploads, by organization and file
	refreshed map[string]refreshed   // the last look-up of open sub-requests, by organization
	pulled    map[string]pulledSpans // periods exported in full since the last successful pull, by organization

	pulling atomic.Int32  // pulls of this process running (flow keeps deciding while > 0)
	ready   chan struct{} // closed (and replaced) when decisions were saved: wakes waiting senders
}

// New checks the options and applies the defaults.
func New(o Options) (*Pipeline, error) {
	if o.Store == nil || o.GIS == nil || o.Decider == nil {
		return nil, errors.New("pipeline: Store, GIS and Decider are required")
	}
	if len(o.Orgs) == 0 {
		return nil, errors.New("pipeline: no organizations configured")
	}
	if o.Owner == "" {
		o.Owner = "gisgw-" + uuid.NewString()[:8]
	}
	if o.BatchSize <= 0 || o.BatchSize > 100 {
		o.BatchSize = 100
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 2
	}
	if o.DecideConcurrency <= 0 {
		o.DecideConcurrency = max(o.Concurrency, 2*runtime.GOMAXPROCS(0))
	}
	if o.DecideBatchSize <= 0 {
		o.DecideBatchSize = DefaultDecideBatchSize
	}
	if o.Lease <= 0 {
		o.Lease = 5 * time.Minute
	}
	if o.Settle <= 0 {
		o.Settle = 10 * time.Minute
	}
	if o.PullWindow <= 0 {
		o.PullWindow = 30 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.IsTransient == nil {
		o.IsTransient = func(error) bool { return false }
	}
	if o.OutcomeUnknown == nil {
		o.OutcomeUnknown = func(error) bool { return false }
	}
	if o.CodeLabel == nil {
		o.CodeLabel = func(c string) string { return c }
	}
	if o.RefreshEvery <= 0 {
		o.RefreshEvery = 5 * time.Minute
	}
	if o.DeferMin <= 0 {
		o.DeferMin = 15 * time.Second
	}
	if o.DeferMax < o.DeferMin {
		o.DeferMax = max(time.Minute, o.DeferMin)
	}
	o.Metrics = o.Metrics.withLabel(o.CodeLabel)
	return &Pipeline{o: o, log: o.Logger.With("component", "pipeline", "owner", o.Owner)}, nil
}

// Progress counts what one pass, or one step of it, moved.
type Progress struct {
	Pulled    int // new sub-requests recorded
	Decided   int
	Sent      int // actions GIS acknowledged
	Finished  int // actions with a final outcome
	Refreshed int // sub-requests whose GIS status changed (auto-answered, answered elsewhere)
	Flagged   int // sent answers returned to a person for a correction (Recheck)
	// Exported counts the export periods a pull finished in full, also when another failed:
	// a failed pull that finished some made progress. Not part of Moved: a pull with
	// nothing new finishes periods too.
	Exported int
}

// Moved reports whether the pass changed anything.
func (p Progress) Moved() bool {
	return p.Pulled+p.Decided+p.Sent+p.Finished+p.Refreshed+p.Flagged > 0
}

func (p *Progress) add(q Progress) {
	p.Pulled += q.Pulled
	p.Decided += q.Decided
	p.Sent += q.Sent
	p.Finished += q.Finished
	p.Refreshed += q.Refreshed
	p.Flagged += q.Flagged
	p.Exported += q.Exported
}

// Pass does one round of every step; errors of one organization do not stop the others.
// The daemon runs the steps on schedules of their own (Pull, Refresh, Answer) so that a
// stuck step holds back no other; Pass is the one-shot order for RunOnce and tests.
func (p *Pipeline) Pass(ctx context.Context, pull bool) (Progress, error) {
	var steps []step
	if pull {
		for _, org := range p.o.Orgs {
			steps = append(steps, func(ctx context.Context) (Progress, error) { return p.Pull(ctx, org.GUID) })
		}
	}
	for _, org := range p.o.Orgs {
		steps = append(steps, func(ctx context.Context) (Progress, error) { return p.Refresh(ctx, org.GUID) })
	}
	pr, err := runSteps(ctx, append(steps, p.recover, p.revokeAll, p.flow)...)
	if ctx.Err() != nil {
		return pr, ctx.Err()
	}
	return pr, err
}

// step is one step of the pipeline.
type step func(context.Context) (Progress, error)

// runSteps runs steps in turn, adding up their progress and joining their errors: a step
// that fails holds back none of the ones after it.
func runSteps(ctx context.Context, steps ...step) (Progress, error) {
	var pr Progress
	var errs []error
	for _, s := range steps {
		q, err := s(ctx)
		pr.add(q)
		errs = append(errs, err)
	}
	return pr, errors.Join(errs...)
}

// Pull records org's new sub-requests (see pull); only one replica pulls an organization
// at a time.
func (p *Pipeline) Pull(ctx context.Context, org string) (Progress, error) {
	p.pulling.Add(1)
	defer p.pulling.Add(-1)
	pr, err := p.pull(ctx, org)
	if err != nil {
		return pr, fmt.Errorf("pull for %s: %w", org, err)
	}
	return pr, nil
}

// Refresh looks up in GIS org's open sub-requests past their deadline (see refresh), at
// most once per RefreshEvery for the same set.
func (p *Pipeline) Refresh(ctx context.Context, org string) (Progress, error) {
	pr, err := p.refresh(ctx, org)
	if err != nil {
		return pr, fmt.Errorf("refresh statuses for %s: %w", org, err)
	}
	return pr, nil
}

// Answer resumes unfinished messages, revokes the answers of approved corrections, then
// decides new sub-requests (and applies the deadline rule to the review queue) while it
// sends every organization's ready answers, the organizations side by side, so that one
// whose GIS calls hang does not hold back the others (see flow).
func (p *Pipeline) Answer(ctx context.Context) (Progress, error) {
	return runSteps(ctx, p.recover, p.revokeAll, p.flow)
}

// flow decides and sends side by side: the send producers keep claiming ready answers
// while the decide step runs, and it runs as long as a pull of this process is recording
// sub-requests, so that the messages in flight are topped up from the first decided batch
// to the last instead of draining after every round (GIS's processing time, not the CPU,
// is what the answering waits for). It returns once nothing more is decided and every
// message it sent is done.
func (p *Pipeline) flow(ctx context.Context) (Progress, error) {
	var (
		deciding = make(chan struct{}) // closed when the decide side is done
		sent     = make(chan struct{}) // closed when the send side is done (it may stop on an error)
		dpr      Progress
		derr     error
	)
	go func() {
		defer close(deciding)
		dpr, derr = p.decideWhilePulling(ctx, sent)
	}()
	more := func() bool {
		select {
		case <-deciding:
			return false
		default:
			return true
		}
	}
	spr, serr := p.sendAll(ctx, more)
	close(sent)
	<-deciding
	spr.add(dpr)
	return spr, errors.Join(derr, serr)
}

// flowIdle and flowMax bound how long flow waits for a running pull: a pull that records
// nothing for flowIdle (an export GIS is slow over, a retry's back-off) or a flow that ran
// for flowMax hands over to the next round, so that recovery and the other steps of Answer
// are not held back by a long pull.
const (
	flowIdle = 2 * time.Second
	flowMax  = time.Minute
)

// decideWhilePulling decides new sub-requests, round after round while a pull of this
// process is running (a round that finds nothing waits pullLook; see flowIdle, flowMax)
// and the send side is still on (sent not closed), then applies the deadline rule once.
func (p *Pipeline) decideWhilePulling(ctx context.Context, sent <-chan struct{}) (Progress, error) {
	var pr Progress
	start := time.Now()
	last := start // the last round that decided something
	for ctx.Err() == nil {
		// Read before the round: a pull that ended before it began has recorded everything
		// the round can see.
		pulling := p.pulling.Load() > 0
		q, err := p.decide(ctx)
		pr.add(q)
		if err != nil {
			q, derr := p.deadline(ctx)
			pr.add(q)
			return pr, errors.Join(err, derr)
		}
		now := time.Now()
		if q.Decided > 0 {
			last = now
			if now.Sub(start) < flowMax {
				continue
			}
		}
		if !pulling || now.Sub(last) >= flowIdle || now.Sub(start) >= flowMax {
			break
		}
		t := time.NewTimer(pullLook)
		select {
		case <-t.C:
		case <-sent:
		case <-ctx.Done():
		}
		t.Stop()
		select {
		case <-sent:
		default:
			continue
		}
		break
	}
	q, err := p.deadline(ctx)
	pr.add(q)
	return pr, err
}

// sendAll runs send for every organization at once; more tells whether answers may still
// become ready (nil: no).
func (p *Pipeline) sendAll(ctx context.Context, more func() bool) (Progress, error) {
	var (
		mu   sync.Mutex
		pr   Progress
		errs []error
		wg   sync.WaitGroup
	)
	for _, org := range p.o.Orgs {
		wg.Go(func() {
			step, err := p.sendWhile(ctx, org.GUID, more)
			mu.Lock()
			defer mu.Unlock()
			pr.add(step)
			if err != nil {
				errs = append(errs, fmt.Errorf("send for %s: %w", org.GUID, err))
			}
		})
	}
	wg.Wait()
	return pr, errors.Join(errs...)
}

// RunOnce does passes until nothing more moves without a person or the clock: new
// sub-requests are pulled once, then decided and answered; an unacknowledged message from
// an earlier crash is waited for until it can be reconciled. The pull runs beside the
// passes: what it has recorded (a day of a pull cut into days, a span) is decided and
// answered while the rest is still being exported, since GIS's processing time, not the
// daemon, is what a pull waits for; a pass keeps deciding and sending until the pull ends
// (flow).
func (p *Pipeline) RunOnce(ctx context.Context) error {
	type pulled struct {
		pr  Progress
		err error
	}
	pulling := make(chan pulled, 1)
	// Counted from here, not from the first Pull: the first pass must not take the pull for
	// one that has ended.
	p.pulling.Add(1)
	go func() {
		defer p.pulling.Add(-1)
		var steps []step
		for _, org := range p.o.Orgs {
			steps = append(steps, func(ctx context.Context) (Progress, error) { return p.Pull(ctx, org.GUID) })
		}
		pr, err := runSteps(ctx, steps...)
		pulling <- pulled{pr, err}
	}()
	var lastErr error
	var waitingSince time.Time
	var napped time.Duration // spent waiting since waitingSince
	nap := min(p.o.Settle, p.o.Lease)/4 + 10*time.Millisecond
	for idle := 0; idle < 2; {
		pr, err := p.Pass(ctx, false)
		if pulling != nil {
			select {
			case r := <-pulling:
				pulling = nil
				pr.add(r.pr)
				err = errors.Join(r.err, err)
				// What the pull recorded last has not been through a pass yet.
				pr.Pulled++
			default:
			}
		}
		if ctx.Err() != nil {
			if pulling != nil {
				<-pulling
			}
			return ctx.Err()
		}
		if err != nil {
			lastErr = err
			p.log.Warn("pass finished with errors", "err", err)
		}
		if pr.Moved() {
			idle, waitingSince, napped = 0, time.Time{}, 0
			continue
		}
		if pulling != nil {
			// Nothing to do until the pull records more: look again shortly.
			select {
			case r := <-pulling:
				pulling = nil
				if r.err != nil {
					lastErr = r.err
					p.log.Warn("pull finished with errors", "err", r.err)
				}
			case <-time.After(pullLook):
			case <-ctx.Done():
			}
			continue
		}
		waiting, werr := p.unsettled(ctx)
		if werr != nil {
			return werr
		}
		if waiting && waitingSince.IsZero() {
			waitingSince = p.o.Now()
		}
		// Given up by the clock, or by the naps alone when the clock stands still (a fixed
		// clock in tests would otherwise wait forever).
		limit := p.o.Settle + 2*p.o.Lease
		if waiting && (p.o.Now().Sub(waitingSince) > limit || napped > limit) {
			return fmt.Errorf("unfinished outbox messages could not be completed (last error: %v); the next run resumes them", lastErr)
		}
		if waiting {
			// A message from a crash waits out its settle time; nothing else can move.
			if err := sleep(ctx, nap); err != nil {
				return err
			}
			napped += nap
			continue
		}
		if err != nil {
			// Transient errors: give the peer a moment, then one more pass decides.
			if err := sleep(ctx, 200*time.Millisecond); err != nil {
				return err
			}
		}
		idle++
	}
	return lastErr
}

// readySignal returns a channel that is closed once decisions are saved after this call.
func (p *Pipeline) readySignal() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready == nil {
		p.ready = make(chan struct{})
	}
	return p.ready
}

// readied wakes the senders waiting for decisions.
func (p *Pipeline) readied() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready != nil {
		close(p.ready)
		p.ready = nil
	}
}

// pullLook is how often RunOnce looks for what a running pull has recorded when nothing
// else moves.
const pullLook = 50 * time.Millisecond

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
