package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
)

// clock is a simulated clock shared by the pipeline and the fakes; each reading advances it
// by step (zero: it stands still until advanced).
type clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 5, 21, 9, 0, 0, 0, calendar.Moscow())}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// faults hands out injected errors by method name, first in first out.
type faults struct {
	mu   sync.Mutex
	next map[string][]error
}

// failNext makes the next n calls of method fail with err.
func (f *faults) failNext(method string, err error, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next == nil {
		f.next = map[string][]error{}
	}
	for range n {
		f.next[method] = append(f.next[method], err)
	}
}

func (f *faults) fault(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.next[method]
	if len(q) == 0 {
		return nil
	}
	f.next[method] = q[1:]
	return q[0]
}

// fakeStore is an in-memory Store that keeps the contracts documented on the port: leases
// that expire by the clock, compare-and-set of states, CreateMessage moving ready (leased to
// the owner) to sending or writing nothing, idempotent MarkMessageAcked and FinishMessage,
// RecordAttempt freeing the lease, ClaimMessages honouring the settle time.
type fakeStore struct {
	faults
	now func() time.Time

	mu         sync.Mutex
	subs       map[string]*fakeSub
	decisions  map[string]domain.Decision
	msgs       map[string]*fakeMsg
	watermarks map[string]time.Time
	locked     map[string]bool
	audit      map[string][]string // by sub-request: state changes with their details
	renewals   int
}

type fakeSub struct {
	sr    domain.SubRequest
	owner string
	until time.Time
}

type fakeMsg struct {
	m           domain.Message
	owner       string
	until       time.Time
	lastAttempt time.Time
	outcomes    []domain.Outcome
}

var _ Store = (*fakeStore)(nil)

func newFakeStore(now func() time.Time) *fakeStore {
	return &fakeStore{
		now: now, subs: map[string]*fakeSub{}, decisions: map[string]domain.Decision{}, msgs: map[string]*fakeMsg{},
		watermarks: map[string]time.Time{}, locked: map[string]bool{}, audit: map[string][]string{},
	}
}

func checkLease(owner string, limit int, lease time.Duration) error {
	if owner == "" || lease <= 0 || limit <= 0 {
		return fmt.Errorf("claim by %q for %v, limit %d: owner, lease and limit are required", owner, lease, limit)
	}
	return nil
}

func (s *fakeStore) free(until time.Time, now time.Time) bool { return !until.After(now) }

// sub returns a copy of a sub-request for assertions.
func (s *fakeStore) sub(guid string) domain.SubRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.subs[guid]; ok {
		return r.sr
	}
	return domain.SubRequest{}
}

func (s *fakeStore) state(guid string) domain.State { return s.sub(guid).State }

// messages returns copies of the stored messages, oldest first.
func (s *fakeStore) messages() []fakeMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []fakeMsg
	for _, m := range s.msgs {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b fakeMsg) int {
		return cmp.Or(a.m.CreatedAt.Compare(b.m.CreatedAt), cmp.Compare(a.m.ID, b.m.ID))
	})
	return out
}

func (s *fakeStore) UpsertSubRequests(_ context.Context, srs []domain.SubRequest) (int, error) {
	if err := s.fault("UpsertSubRequests"); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sr := range srs {
		if sr.GUID == "" {
			return n, errors.New("sub-request without GUID")
		}
		if sr.State == "" {
			sr.State = domain.StateNew
		}
		if old, ok := s.subs[sr.GUID]; ok {
			// A known one keeps its state unless GIS closed it.
			if sr.State != domain.StateAnswered && sr.State != domain.StateAutoAnswered {
				sr.State = old.sr.State
			}
			old.sr = sr
			continue
		}
		s.subs[sr.GUID] = &fakeSub{sr: sr}
		n++
	}
	return n, nil
}

// leaseSubs leases up to limit sub-requests that ok selects, earliest deadline first.
func (s *fakeStore) leaseSubs(owner string, limit int, lease time.Duration, ok func(*fakeSub) bool) []*fakeSub {
	now := s.now()
	var out []*fakeSub
	for _, r := range s.subs {
		if ok(r) && s.free(r.until, now) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *fakeSub) int {
		return cmp.Or(a.sr.ResponseDate.Compare(b.sr.ResponseDate), cmp.Compare(a.sr.GUID, b.sr.GUID))
	})
	out = out[:min(limit, len(out))]
	for _, r := range out {
		r.owner, r.until = owner, now.Add(lease)
	}
	return out
}

func (s *fakeStore) ClaimForDecision(_ context.Context, owner string, limit int, lease time.Duration) ([]domain.SubRequest, error) {
	if err := s.fault("ClaimForDecision"); err != nil {
		return nil, err
	}
	if err := checkLease(owner, limit, lease); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.SubRequest
	for _, r := range s.leaseSubs(owner, limit, lease, func(r *fakeSub) bool { return r.sr.State == domain.StateNew }) {
		out = append(out, r.sr)
	}
	return out, nil
}

func decidable(st domain.State) bool {
	return st == domain.StateNew || st == domain.StateReview || st == domain.StateReady
}

// checkDecision is SaveDecision's check, under s.mu.
func (s *fakeStore) checkDecision(d domain.Decision, state domain.State) error {
	if state != domain.StateReady && state != domain.StateReview {
		return fmt.Errorf("a decision moves a sub-request to ready or review, not %q", state)
	}
	r, ok := s.subs[d.SubRequestGUID]
	if !ok {
		return fmt.Errorf("sub-request %s: %w", d.SubRequestGUID, domain.ErrNotFound)
	}
	if !decidable(r.sr.State) {
		return fmt.Errorf("sub-request %s is %s: %w", d.SubRequestGUID, r.sr.State, domain.ErrConflict)
	}
	return nil
}

func (s *fakeStore) saveDecision(d domain.Decision, state domain.State) {
	r := s.subs[d.SubRequestGUID]
	s.decisions[d.SubRequestGUID] = d
	r.sr.State, r.owner, r.until = state, "", time.Time{}
}

func (s *fakeStore) SaveDecision(_ context.Context, d domain.Decision, state domain.State) error {
	if err := s.fault("SaveDecision"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkDecision(d, state); err != nil {
		return err
	}
	s.saveDecision(d, state)
	return nil
}

func (s *fakeStore) SaveDecisions(_ context.Context, ups []domain.DecisionUpdate) error {
	if err := s.fault("SaveDecisions"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range ups { // every check before any write: all or none
		if err := s.checkDecision(u.Decision, u.State); err != nil {
			return fmt.Errorf("save decisions: %w", err)
		}
	}
	for _, u := range ups {
		s.saveDecision(u.Decision, u.State)
	}
	return nil
}

func (s *fakeStore) ClaimReady(_ context.Context, org, owner string, limit int, lease time.Duration) ([]domain.Decision, error) {
	if err := s.fault("ClaimReady"); err != nil {
		return nil, err
	}
	if err := checkLease(owner, limit, lease); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Decision
	for _, r := range s.leaseSubs(owner, limit, lease, func(r *fakeSub) bool {
		_, decided := s.decisions[r.sr.GUID]
		return r.sr.OrgGUID == org && r.sr.State == domain.StateReady && decided
	}) {
		out = append(out, s.decisions[r.sr.GUID])
	}
	return out, nil
}

func (s *fakeStore) CreateMessage(_ context.Context, owner string, m domain.Message, lease time.Duration) error {
	if err := s.fault("CreateMessage"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.msgs[m.ID]; ok || m.ID == "" || len(m.Actions) == 0 {
		return fmt.Errorf("message %q: an id of its own and actions are required", m.ID)
	}
	for _, a := range m.Actions { // every check before any write
		r, ok := s.subs[a.SubRequestGUID]
		if !ok {
			return fmt.Errorf("sub-request %s: %w", a.SubRequestGUID, domain.ErrNotFound)
		}
		if r.sr.State != domain.StateReady || r.owner != owner || r.sr.OrgGUID != m.OrgGUID {
			return fmt.Errorf("sub-request %s is %s leased to %q: %w", a.SubRequestGUID, r.sr.State, r.owner, domain.ErrConflict)
		}
	}
	now := s.now()
	m.Status, m.CreatedAt = domain.MessagePending, now
	m.Actions = slices.Clone(m.Actions)
	s.msgs[m.ID] = &fakeMsg{m: m, owner: owner, until: now.Add(lease)}
	for _, a := range m.Actions {
		r := s.subs[a.SubRequestGUID]
		r.sr.State, r.owner, r.until = domain.StateSending, "", time.Time{}
	}
	return nil
}

func (s *fakeStore) msg(id string) (*fakeMsg, error) {
	m, ok := s.msgs[id]
	if !ok {
		return nil, fmt.Errorf("message %s: %w", id, domain.ErrNotFound)
	}
	return m, nil
}

func (s *fakeStore) MarkMessageAcked(_ context.Context, id, gisMessageGUID string) error {
	if err := s.fault("MarkMessageAcked"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.msg(id)
	if err != nil {
		return err
	}
	switch {
	case gisMessageGUID == "":
		return errors.New("empty GIS MessageGUID")
	case m.m.Status != domain.MessagePending && m.m.GISMessageGUID == gisMessageGUID:
		return nil
	case m.m.Status != domain.MessagePending:
		return fmt.Errorf("message %s is %s: %w", id, m.m.Status, domain.ErrConflict)
	}
	m.m.Status, m.m.GISMessageGUID = domain.MessageAcked, gisMessageGUID
	return nil
}

func (s *fakeStore) RecordAttempt(_ context.Context, id, errText string) error {
	if err := s.fault("RecordAttempt"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.msg(id)
	if err != nil || m.m.Status == domain.MessageDone {
		return err
	}
	m.m.Attempts++
	m.m.LastError, m.lastAttempt, m.owner, m.until = errText, s.now(), "", time.Time{}
	return nil
}

func (s *fakeStore) RenewMessage(_ context.Context, id, owner string, lease time.Duration) error {
	if err := s.fault("RenewMessage"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renewals++
	m, err := s.msg(id)
	if err != nil || m.m.Status == domain.MessageDone {
		return err
	}
	if m.owner != owner {
		return fmt.Errorf("message %s is leased to %q: %w", id, m.owner, domain.ErrConflict)
	}
	m.until = s.now().Add(lease)
	return nil
}

func (s *fakeStore) ClaimMessages(_ context.Context, owner string, settledBefore time.Time, limit int, lease time.Duration) ([]domain.Message, error) {
	if err := s.fault("ClaimMessages"); err != nil {
		return nil, err
	}
	if err := checkLease(owner, limit, lease); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var ms []*fakeMsg
	for _, m := range s.msgs {
		last := m.lastAttempt
		if last.IsZero() {
			last = m.m.CreatedAt
		}
		if m.m.Status != domain.MessageDone && s.free(m.until, now) && (m.m.Status == domain.MessageAcked || last.Before(settledBefore)) {
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b *fakeMsg) int {
		return cmp.Or(a.m.CreatedAt.Compare(b.m.CreatedAt), cmp.Compare(a.m.ID, b.m.ID))
	})
	var out []domain.Message
	for _, m := range ms[:min(limit, len(ms))] {
		m.owner, m.until = owner, now.Add(lease)
		c := m.m
		c.Actions = slices.Clone(m.m.Actions)
		out = append(out, c)
	}
	return out, nil
}

func (s *fakeStore) FinishMessage(_ context.Context, id string, outcomes []domain.Outcome) error {
	if err := s.fault("FinishMessage"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.msg(id)
	if err != nil || m.m.Status == domain.MessageDone {
		return err
	}
	// Every outcome names an action, once; actions without one go back to ready.
	res := make([]domain.Outcome, len(m.m.Actions))
	given := make([]bool, len(m.m.Actions))
	for i, a := range m.m.Actions {
		res[i] = domain.Outcome{TransportGUID: a.TransportGUID, SubRequestGUID: a.SubRequestGUID, State: domain.StateReady}
	}
	for _, o := range outcomes {
		i := slices.IndexFunc(m.m.Actions, func(a domain.Action) bool {
			return a.TransportGUID == o.TransportGUID || o.TransportGUID == "" && a.SubRequestGUID == o.SubRequestGUID
		})
		if i < 0 || given[i] {
			return fmt.Errorf("message %s: outcome %+v names no action, or one twice", id, o)
		}
		switch o.State {
		case domain.StateAnswered, domain.StateFailed, domain.StateAutoAnswered, domain.StateReady:
		default:
			return fmt.Errorf("message %s: outcome state %q", id, o.State)
		}
		res[i], given[i] = o, true
	}
	for _, o := range res {
		if r := s.subs[o.SubRequestGUID]; r != nil && r.sr.State == domain.StateSending {
			r.sr.State, r.sr.ErrorCode, r.sr.ErrorText, r.owner, r.until = o.State, o.ErrorCode, o.ErrorText, "", time.Time{}
		}
	}
	m.m.Status, m.owner, m.until, m.outcomes = domain.MessageDone, "", time.Time{}, res
	return nil
}

func (s *fakeStore) UnfinishedMessages(_ context.Context) (int, error) {
	if err := s.fault("UnfinishedMessages"); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.msgs {
		if m.m.Status != domain.MessageDone {
			n++
		}
	}
	return n, nil
}

func (s *fakeStore) Watermark(_ context.Context, org string) (time.Time, error) {
	if err := s.fault("Watermark"); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watermarks[org], nil
}

func (s *fakeStore) SetWatermark(_ context.Context, org string, t time.Time) error {
	if err := s.fault("SetWatermark"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watermarks[org] = t
	return nil
}

func (s *fakeStore) TryLockOrg(_ context.Context, org string) (func(), bool, error) {
	if err := s.fault("TryLockOrg"); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked[org] {
		return func() {}, false, nil
	}
	s.locked[org] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			delete(s.locked, org)
		})
	}, true, nil
}

func (s *fakeStore) OpenPastDeadline(_ context.Context, org string, day time.Time, limit int) ([]domain.SubRequest, error) {
	if err := s.fault("OpenPastDeadline"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.SubRequest
	for _, r := range s.subs {
		switch r.sr.State {
		case domain.StateAnswered, domain.StateFailed, domain.StateAutoAnswered:
			continue
		}
		if r.sr.OrgGUID == org && r.sr.ResponseDate.Before(day) {
			out = append(out, r.sr)
		}
	}
	slices.SortFunc(out, func(a, b domain.SubRequest) int {
		return cmp.Or(a.ResponseDate.Compare(b.ResponseDate), cmp.Compare(a.GUID, b.GUID))
	})
	if limit > 0 {
		out = out[:min(limit, len(out))]
	}
	return out, nil
}

func (s *fakeStore) SetState(_ context.Context, guid string, from, to domain.State, actor, detail string) error {
	if err := s.fault("SetState"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.subs[guid]
	if !ok {
		return fmt.Errorf("sub-request %s: %w", guid, domain.ErrNotFound)
	}
	if r.sr.State != from {
		return fmt.Errorf("sub-request %s is %s, not %s: %w", guid, r.sr.State, from, domain.ErrConflict)
	}
	r.sr.State = to
	s.audit[guid] = append(s.audit[guid], fmt.Sprintf("%s %s→%s: %s", actor, from, to, detail))
	return nil
}

// fakeGIS is an in-memory GIS: it serves the sub-requests it was given, remembers the
// answers it accepted (Statuses then shows them Sent), and fails calls as told.
type fakeGIS struct {
	faults

	mu        sync.Mutex
	subs      []domain.SubRequest
	status    map[string]string // responseStatus by sub-request
	refuse    map[string]string // GIS error code an action of this sub-request gets
	pulls     [][2]time.Time
	uploads   int
	submitted []domain.Message
	awaited   []domain.Message
	// lostAck makes the next n Submits reach GIS (the answers are taken) while the caller
	// sees err, as when the connection breaks after the request was written.
	lostAck    int
	lostAckErr error
	// awaitDelay holds every Await back, to exercise lease renewal.
	awaitDelay time.Duration
	// uploadGate, when set, holds every Upload until it is closed; entered is told first.
	uploadGate chan struct{}
	entered    chan struct{}
}

var _ GIS = (*fakeGIS)(nil)

func newFakeGIS(subs ...domain.SubRequest) *fakeGIS {
	g := &fakeGIS{subs: subs, status: map[string]string{}, refuse: map[string]string{}}
	for _, sr := range subs {
		g.status[sr.GUID] = "NotSent"
	}
	return g
}

func (g *fakeGIS) setStatus(guid, st string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.status[guid] = st
}

func (g *fakeGIS) Pull(_ context.Context, org string, from, to time.Time) ([]domain.SubRequest, error) {
	if err := g.fault("Pull"); err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pulls = append(g.pulls, [2]time.Time{from, to})
	var out []domain.SubRequest
	for _, sr := range g.subs {
		if sr.OrgGUID == org && !sr.SentDate.Before(from) && !sr.SentDate.After(to) && g.status[sr.GUID] == "NotSent" {
			out = append(out, sr)
		}
	}
	return out, nil
}

func (g *fakeGIS) Statuses(_ context.Context, _ string, guids []string) (map[string]string, error) {
	if err := g.fault("Statuses"); err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]string{}
	for _, id := range guids {
		if st, ok := g.status[id]; ok {
			out[id] = st
		}
	}
	return out, nil
}

func (g *fakeGIS) Upload(ctx context.Context, _ string, doc domain.Document) (domain.Document, error) {
	if g.entered != nil {
		g.entered <- struct{}{}
	}
	if g.uploadGate != nil {
		select {
		case <-g.uploadGate:
		case <-ctx.Done():
			return doc, ctx.Err()
		}
	}
	if err := g.fault("Upload"); err != nil {
		return doc, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.uploads++
	doc.AttachmentGUID, doc.Hash = "att-"+doc.ActID, "hash-"+doc.ActID
	return doc, nil
}

func (g *fakeGIS) Submit(_ context.Context, m domain.Message) (string, error) {
	g.mu.Lock()
	g.submitted = append(g.submitted, m) // every attempt, those that fail included
	g.mu.Unlock()
	if err := g.fault("Submit"); err != nil {
		return "", err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, a := range m.Actions {
		for _, doc := range documents(a.Decision) {
			if doc.AttachmentGUID == "" {
				return "", gisError{code: "INT002000", text: "document " + doc.Name + " not uploaded"}
			}
		}
	}
	if g.lostAck > 0 {
		g.lostAck--
		g.take(m)
		return "", g.lostAckErr
	}
	return "gis-" + m.ID, nil
}

// take records m's answers as GIS holds them once it processed the message.
func (g *fakeGIS) take(m domain.Message) {
	for _, a := range m.Actions {
		if g.refuse[a.SubRequestGUID] == "" {
			g.status[a.SubRequestGUID] = "Sent"
		}
	}
}

func (g *fakeGIS) Await(ctx context.Context, m domain.Message) ([]domain.Outcome, error) {
	if g.awaitDelay > 0 {
		if err := sleep(ctx, g.awaitDelay); err != nil {
			return nil, err
		}
	}
	if err := g.fault("Await"); err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if m.Status != domain.MessageAcked || m.GISMessageGUID == "" {
		return nil, fmt.Errorf("await message %s: not acknowledged", m.ID)
	}
	g.awaited = append(g.awaited, m)
	g.take(m)
	outs := make([]domain.Outcome, len(m.Actions))
	for i, a := range m.Actions {
		outs[i] = domain.Outcome{TransportGUID: a.TransportGUID, SubRequestGUID: a.SubRequestGUID, State: domain.StateAnswered}
		if code := g.refuse[a.SubRequestGUID]; code != "" {
			outs[i].State, outs[i].ErrorCode, outs[i].ErrorText = domain.StateFailed, code, "refused"
		}
	}
	return outs, nil
}

// submittedGUIDs lists the sub-requests of every message submitted, in order.
func (g *fakeGIS) submittedGUIDs() [][]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out [][]string
	for _, m := range g.submitted {
		var ids []string
		for _, a := range m.Actions {
			ids = append(ids, a.SubRequestGUID)
		}
		out = append(out, ids)
	}
	return out
}

func documents(d domain.Decision) []domain.Document {
	var out []domain.Document
	for _, di := range d.DebtInfo {
		out = append(out, di.Documents...)
	}
	return out
}

// gisError is a GIS refusal with its code.
type gisError struct{ code, text string }

func (e gisError) Error() string   { return e.code + ": " + e.text }
func (e gisError) GISCode() string { return e.code }

// errTransient is what IsTransient accepts in these tests.
var errTransient = errors.New("connection reset")

func isTransient(err error) bool { return errors.Is(err, errTransient) }

// fakeDecider decides by table: review for the listed sub-requests, a debt with the given
// court act's document for others; during runs inside DecideBatch (another actor moving a
// sub-request meanwhile).
type fakeDecider struct {
	faults
	review map[string]bool
	debtAt map[string]string // sub-request → court act id

	mu     sync.Mutex
	during func() // run once, inside the next DecideBatch
	short  bool   // return one decision too few
}

func (d *fakeDecider) DecideBatch(_ context.Context, srs []domain.SubRequest, now time.Time) ([]domain.Decision, error) {
	if err := d.fault("DecideBatch"); err != nil {
		return nil, err
	}
	d.mu.Lock()
	during, short := d.during, d.short
	d.during = nil
	d.mu.Unlock()
	if during != nil {
		during()
	}
	var out []domain.Decision
	for _, sr := range srs {
		dec := domain.Decision{SubRequestGUID: sr.GUID, RuleVersion: "test", DecidedAt: now, Review: d.review[sr.GUID]}
		if act := d.debtAt[sr.GUID]; act != "" {
			dec.HasDebt = true
			dec.DebtInfo = []domain.DebtInfo{{
				Person:    domain.Person{LastName: "Иванов"},
				Documents: []domain.Document{{ActOrg: "org", ActID: act, Name: act + ".pdf", Path: "/acts/" + act + ".pdf"}},
			}}
		}
		out = append(out, dec)
	}
	if short {
		out = out[:len(out)-1]
	}
	return out, nil
}

var _ Decider = (*fakeDecider)(nil)
