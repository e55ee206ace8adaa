package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// pipelineTests cover the pipeline's port of the store (pipeline.Store); Run appends them.
var pipelineTests = []struct {
	name string
	fn   func(t *testing.T, b *bundle)
}{
	{"ClaimForDecision", testClaimForDecision},
	{"ClaimForDecisionConcurrent", func(t *testing.T, b *bundle) { testConcurrentClaims(t, b.st, b.st, b) }},
	{"ClaimReady", testClaimReady},
	{"CreateMessage", testCreateMessage},
	{"CreateMessageConflict", testCreateMessageConflict},
	{"MarkMessageAcked", testMarkMessageAcked},
	{"PendingMessageSettles", testPendingMessageSettles},
	{"AckedMessageRecovered", func(t *testing.T, b *bundle) { testAckedMessageRecovered(t, b.st, b.st, b) }},
	{"FinishMessage", testFinishMessage},
	{"FinishMessageRejectsStrangers", testFinishMessageRejects},
	{"Watermark", testWatermark},
	{"TryLockOrg", func(t *testing.T, b *bundle) { testTryLockOrg(t, b.st, b.st, b) }},
	{"OpenPastDeadline", testOpenPastDeadline},
	{"DeferReady", testDeferReady},
	{"DeferReadyClearedOnSend", testDeferReadyClearedOnSend},
	{"DeferReadyConflict", testDeferReadyConflict},
}

// ReplicaFactory opens two stores on one new, empty, migrated database, both with clock now:
// two replicas of the daemon.
type ReplicaFactory func(t *testing.T, now func() time.Time) (store.Store, store.Store)

// RunReplicas checks what replicas rely on across two stores on one database: disjoint
// claims, recovery of another replica's message, and the exclusive pull lock.
func RunReplicas(t *testing.T, f ReplicaFactory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, c store.Store, b *bundle)
	}{
		{"ClaimForDecisionConcurrent", testConcurrentClaims},
		{"AckedMessageRecovered", testAckedMessageRecovered},
		{"TryLockOrg", testTryLockOrg},
		{"ClaimAlertConcurrent", testClaimAlertConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newClock(Start())
			a, c := f(t, clock.Now)
			t.Cleanup(func() { _ = a.Close(); _ = c.Close() })
			tc.fn(t, a, c, &bundle{ctx: t.Context(), st: a, clock: clock})
		})
	}
}

const lease = time.Minute

func claimNew(t *testing.T, st store.Store, b *bundle, owner string, limit int) []domain.SubRequest {
	t.Helper()
	srs, err := st.ClaimForDecision(b.ctx, owner, limit, lease)
	if err != nil {
		t.Fatalf("ClaimForDecision(%s): %v", owner, err)
	}
	return srs
}

func testClaimForDecision(t *testing.T, b *bundle) {
	s1, s2, s3 := subRequest(1, orgA, date(2025, 3, 22)), subRequest(2, orgA, date(2025, 3, 20)), subRequest(3, orgB, date(2025, 3, 21))
	s4 := subRequest(4, orgA, date(2025, 3, 19))
	s4.State = domain.StateReview
	mustUpsert(t, b, s1, s2, s3, s4)
	if _, err := b.st.ClaimForDecision(b.ctx, "", 1, lease); err == nil {
		t.Fatal("a claim without an owner was accepted")
	}
	if got := guidsOf(claimNew(t, b.st, b, "r1", 2)); !reflect.DeepEqual(got, []int{2, 3}) {
		t.Fatalf("first claim = %v; want [2 3] (new only, earliest deadline first)", got)
	}
	if got := guidsOf(claimNew(t, b.st, b, "r2", 5)); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("second owner's claim = %v; want [1], the rest is leased", got)
	}
	b.clock.Advance(lease - time.Second)
	if got := claimNew(t, b.st, b, "r3", 5); len(got) != 0 {
		t.Fatalf("claim before the leases expire = %v; want nothing", guidsOf(got))
	}
	// r1 decides 2 in time; its lease on 3 expires and r3 takes it over.
	if err := b.st.SaveDecision(b.ctx, decision(s2.GUID), domain.StateReady); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(2 * time.Second)
	if got := guidsOf(claimNew(t, b.st, b, "r3", 5)); !reflect.DeepEqual(got, []int{3, 1}) {
		t.Fatalf("claim after the leases expired = %v; want [3 1]", got)
	}
	// SaveDecision ended r1's lease: another owner can claim the ready answer at once.
	ds, err := b.st.ClaimReady(b.ctx, orgA, "sender", 10, lease)
	if err != nil || len(ds) != 1 || ds[0].SubRequestGUID != s2.GUID {
		t.Fatalf("ClaimReady after SaveDecision = %+v, %v; want the decided sub-request", ds, err)
	}
	if got := mustGet(t, b, s2.GUID).State; got != domain.StateReady {
		t.Fatalf("state = %s; want ready", got)
	}
}

// testConcurrentClaims: owners claiming together (half on st1, half on st2) claim every new
// sub-request exactly once.
func testConcurrentClaims(t *testing.T, st1, st2 store.Store, b *bundle) {
	const n, owners = 200, 8
	subs := make([]domain.SubRequest, n)
	for i := range subs {
		subs[i] = subRequest(i+1, orgA, date(2025, 3, 1).AddDate(0, 0, i%30))
	}
	mustUpsert(t, b, subs...)
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		wg     sync.WaitGroup
	)
	for i := range owners {
		st := st1
		if i%2 == 1 {
			st = st2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("replica-%d", i)
			for {
				srs, err := st.ClaimForDecision(b.ctx, owner, 7, lease)
				if err != nil {
					t.Errorf("ClaimForDecision(%s): %v", owner, err)
					return
				}
				if len(srs) == 0 {
					return
				}
				mu.Lock()
				for _, s := range srs {
					counts[s.GUID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(counts) != n {
		t.Fatalf("%d of %d sub-requests claimed", len(counts), n)
	}
	for g, c := range counts {
		if c != 1 {
			t.Fatalf("sub-request %s claimed %d times", g, c)
		}
	}
}

// mustReady records sub-request n of org as decided (ready) and returns its stored decision.
func mustReady(t *testing.T, b *bundle, n int, org string, deadline time.Time) domain.Decision {
	t.Helper()
	s := subRequest(n, org, deadline)
	mustUpsert(t, b, s)
	if err := b.st.SaveDecision(b.ctx, decision(s.GUID), domain.StateReady); err != nil {
		t.Fatal(err)
	}
	d, err := b.st.GetDecision(b.ctx, s.GUID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func claimReady(t *testing.T, st store.Store, b *bundle, org, owner string) []domain.Decision {
	t.Helper()
	ds, err := st.ClaimReady(b.ctx, org, owner, 100, lease)
	if err != nil {
		t.Fatalf("ClaimReady(%s): %v", owner, err)
	}
	return ds
}

func testClaimReady(t *testing.T, b *bundle) {
	d1 := mustReady(t, b, 1, orgA, date(2025, 3, 22))
	d2 := mustReady(t, b, 2, orgA, date(2025, 3, 20))
	mustReady(t, b, 3, orgB, date(2025, 3, 19))
	// Ready without a decision (moved by hand) has nothing to send.
	bare := subRequest(4, orgA, date(2025, 3, 18))
	mustUpsert(t, b, bare, subRequest(5, orgA, date(2025, 3, 17)))
	if err := b.st.SetState(b.ctx, bare.GUID, domain.StateNew, domain.StateReady, "", ""); err != nil {
		t.Fatal(err)
	}
	got := claimReady(t, b.st, b, orgA, "r1")
	if want := []domain.Decision{d2, d1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ClaimReady = %+v\nwant %+v (orgA's decided ready ones, earliest deadline first)", got, want)
	}
	if got := claimReady(t, b.st, b, orgA, "r2"); len(got) != 0 {
		t.Fatalf("second claim = %+v; want nothing while leased", got)
	}
	b.clock.Advance(lease)
	if got := claimReady(t, b.st, b, orgA, "r2"); len(got) != 2 {
		t.Fatalf("claim at the lease's expiry = %d decisions; want 2", len(got))
	}
}

// message builds an outbox message of org with one Send action per decision.
func message(id, org string, ds ...domain.Decision) domain.Message {
	m := domain.Message{ID: id, OrgGUID: org, Status: domain.MessagePending}
	for i, d := range ds {
		m.Actions = append(m.Actions, domain.Action{TransportGUID: fmt.Sprintf("%s-t%d", id, i), SubRequestGUID: d.SubRequestGUID,
			Kind: domain.ActionSend, Decision: d})
	}
	return m
}

func unfinished(t *testing.T, st store.Store, b *bundle) int {
	t.Helper()
	n, err := st.UnfinishedMessages(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func claimMessages(t *testing.T, st store.Store, b *bundle, owner string, settle time.Duration) []domain.Message {
	t.Helper()
	ms, err := st.ClaimMessages(b.ctx, owner, b.clock.Now().Add(-settle), 10, lease)
	if err != nil {
		t.Fatalf("ClaimMessages(%s): %v", owner, err)
	}
	return ms
}

func states(t *testing.T, b *bundle, ds ...domain.Decision) []domain.State {
	t.Helper()
	var out []domain.State
	for _, d := range ds {
		out = append(out, mustGet(t, b, d.SubRequestGUID).State)
	}
	return out
}

func repeat(s domain.State, n int) []domain.State {
	out := make([]domain.State, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// sendable stores n ready sub-requests of orgA, claimed by owner, and returns their decisions.
func sendable(t *testing.T, b *bundle, owner string, n int) []domain.Decision {
	t.Helper()
	for i := range n {
		mustReady(t, b, i+1, orgA, date(2025, 3, 20).AddDate(0, 0, i))
	}
	ds := claimReady(t, b.st, b, orgA, owner)
	if len(ds) != n {
		t.Fatalf("claimed %d ready answers; want %d", len(ds), n)
	}
	return ds
}

func mustCreate(t *testing.T, st store.Store, b *bundle, owner string, m domain.Message) {
	t.Helper()
	if err := st.CreateMessage(b.ctx, owner, m, lease); err != nil {
		t.Fatalf("CreateMessage: %v", err)
	}
}

func testCreateMessage(t *testing.T, b *bundle) {
	ds := sendable(t, b, "r1", 2)
	m := message("m-1", orgA, ds...)
	mustCreate(t, b.st, b, "r1", m)
	if got := states(t, b, ds...); !reflect.DeepEqual(got, repeat(domain.StateSending, 2)) {
		t.Fatalf("states = %v; want sending", got)
	}
	if n := unfinished(t, b.st, b); n != 1 {
		t.Fatalf("UnfinishedMessages = %d; want 1", n)
	}
	a, _ := b.st.Audit(b.ctx, ds[0].SubRequestGUID)
	if last := a[len(a)-1]; last.Action != "queued" || !strings.Contains(last.Detail, "m-1") || !strings.Contains(last.Detail, "ready→sending") {
		t.Fatalf("last audit entry = %+v; want the move into message m-1", last)
	}
	if err := b.st.CreateMessage(b.ctx, "r1", m, lease); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("CreateMessage again: err = %v; want ErrConflict", err)
	}
	for name, bad := range map[string]domain.Message{
		"no id":      message("", orgA, ds[0]),
		"no actions": message("m-2", orgA),
		"twice":      message("m-3", orgA, ds[0], ds[0]),
	} {
		if err := b.st.CreateMessage(b.ctx, "r1", bad, lease); err == nil {
			t.Errorf("CreateMessage of a message with %s was accepted", name)
		}
	}
}

func testCreateMessageConflict(t *testing.T, b *bundle) {
	ds := sendable(t, b, "r1", 2)
	other := mustReady(t, b, 9, orgA, date(2025, 4, 1))
	claimReady(t, b.st, b, orgA, "r2")
	for _, tc := range []struct {
		name string
		m    domain.Message
		want error
	}{
		{"a sub-request leased to another owner", message("m-1", orgA, ds[0], other), domain.ErrConflict},
		{"another organization", message("m-1", orgB, ds...), domain.ErrConflict},
		{"an unknown sub-request", message("m-1", orgA, ds[0], decision("00000000-0000-4000-8000-00000000dead")), domain.ErrNotFound},
	} {
		if err := b.st.CreateMessage(b.ctx, "r1", tc.m, lease); !errors.Is(err, tc.want) {
			t.Fatalf("CreateMessage with %s: err = %v; want %v", tc.name, err, tc.want)
		}
	}
	if got := states(t, b, append(ds, other)...); !reflect.DeepEqual(got, repeat(domain.StateReady, 3)) {
		t.Fatalf("states after refused messages = %v; want all still ready", got)
	}
	if n := unfinished(t, b.st, b); n != 0 {
		t.Fatalf("UnfinishedMessages = %d after refused messages; want 0", n)
	}
	b.clock.Advance(time.Hour)
	if ms := claimMessages(t, b.st, b, "r3", time.Minute); len(ms) != 0 {
		t.Fatalf("a refused message was stored: %+v", ms)
	}
	// Nothing of the refused messages blocks a correct one.
	mustCreate(t, b.st, b, "r1", message("m-1", orgA, ds...))
}

func testMarkMessageAcked(t *testing.T, b *bundle) {
	ds := sendable(t, b, "r1", 1)
	mustCreate(t, b.st, b, "r1", message("m-1", orgA, ds...))
	const gis = "aaaaaaaa-0000-4000-8000-000000000001"
	for range 2 {
		if err := b.st.MarkMessageAcked(b.ctx, "m-1", gis); err != nil {
			t.Fatalf("MarkMessageAcked (same GUID is idempotent): %v", err)
		}
	}
	if err := b.st.MarkMessageAcked(b.ctx, "m-1", "bbbbbbbb-0000-4000-8000-000000000002"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("MarkMessageAcked with another GUID: err = %v; want ErrConflict", err)
	}
	if err := b.st.MarkMessageAcked(b.ctx, "nope", gis); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("MarkMessageAcked of an unknown message: err = %v; want ErrNotFound", err)
	}
	if err := b.st.FinishMessage(b.ctx, "m-1", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.st.MarkMessageAcked(b.ctx, "m-1", gis); err != nil {
		t.Fatalf("MarkMessageAcked with its GUID after done: %v; want nil (a repeated Ack)", err)
	}
}

// testPendingMessageSettles: an unacknowledged message is not recovered while its owner
// holds it, nor before the settle time from its last attempt; RecordAttempt ends the lease.
func testPendingMessageSettles(t *testing.T, b *bundle) {
	const settle = 10 * time.Minute
	ds := sendable(t, b, "r1", 2)
	m := message("m-1", orgA, ds...)
	mustCreate(t, b.st, b, "r1", m)
	if ms := claimMessages(t, b.st, b, "r2", settle); len(ms) != 0 {
		t.Fatalf("a just-created message was claimed: %+v", ms)
	}
	b.clock.Advance(2 * time.Minute) // r1's lease expired, the message is not settled
	if ms := claimMessages(t, b.st, b, "r2", settle); len(ms) != 0 {
		t.Fatalf("a pending message was claimed before its settle time: %+v", ms)
	}
	if err := b.st.RenewMessage(b.ctx, "m-1", "r1", lease); err != nil {
		t.Fatalf("RenewMessage by its owner: %v", err)
	}
	if err := b.st.RecordAttempt(b.ctx, "m-1", "connection reset"); err != nil {
		t.Fatal(err)
	}
	if err := b.st.RenewMessage(b.ctx, "m-1", "r1", lease); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("RenewMessage after RecordAttempt ended the lease: err = %v; want ErrConflict", err)
	}
	b.clock.Advance(settle - time.Second)
	if ms := claimMessages(t, b.st, b, "r2", settle); len(ms) != 0 {
		t.Fatalf("claimed before the settle time from the last attempt: %+v", ms)
	}
	b.clock.Advance(2 * time.Second)
	ms := claimMessages(t, b.st, b, "r2", settle)
	if len(ms) != 1 {
		t.Fatalf("claimed %d messages after the settle time; want 1", len(ms))
	}
	got := ms[0]
	if got.Status != domain.MessagePending || got.Attempts != 1 || got.LastError != "connection reset" || got.GISMessageGUID != "" ||
		!got.CreatedAt.Equal(Start().Truncate(time.Microsecond)) || got.OrgGUID != orgA {
		t.Fatalf("claimed message = %+v; want pending, 1 attempt with its error, created at the start", got)
	}
	if !reflect.DeepEqual(got.Actions, m.Actions) {
		t.Fatalf("actions = %+v\nwant %+v", got.Actions, m.Actions)
	}
	if err := b.st.RenewMessage(b.ctx, "m-1", "r1", lease); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("RenewMessage by the old owner: err = %v; want ErrConflict", err)
	}
	if err := b.st.RenewMessage(b.ctx, "m-1", "r2", lease); err != nil {
		t.Fatalf("RenewMessage by the new owner: %v", err)
	}
	if err := b.st.RenewMessage(b.ctx, "nope", "r2", lease); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("RenewMessage of an unknown message: err = %v; want ErrNotFound", err)
	}
	a, _ := b.st.Audit(b.ctx, ds[1].SubRequestGUID)
	if last := a[len(a)-1]; last.Action != "attempt failed" || !strings.Contains(last.Detail, "connection reset") {
		t.Fatalf("last audit entry = %+v; want the failed attempt", last)
	}
	// The Ack starts the count anew: attempts of an acked message are its polls since.
	if err := b.st.MarkMessageAcked(b.ctx, "m-1", "9a5e0000-0000-4000-8000-0000000000a1"); err != nil {
		t.Fatal(err)
	}
	if err := b.st.RecordAttempt(b.ctx, "m-1", "poll limit"); err != nil {
		t.Fatal(err)
	}
	ms = claimMessages(t, b.st, b, "r3", settle)
	if len(ms) != 1 || ms[0].Attempts != 1 || ms[0].Status != domain.MessageAcked {
		t.Fatalf("claimed after the Ack and one failed poll: %+v; want acked with 1 attempt", ms)
	}
}

// testAckedMessageRecovered: a message GIS acknowledged whose owner (on st1) crashed is
// returned to another owner (on st2) once the lease expires, with its GIS MessageGUID and
// decisions, and without waiting for the settle time.
func testAckedMessageRecovered(t *testing.T, st1, st2 store.Store, b *bundle) {
	ds := sendable(t, b, "r1", 3)
	m := message("m-1", orgA, ds...)
	mustCreate(t, st1, b, "r1", m)
	const gis = "aaaaaaaa-0000-4000-8000-000000000001"
	if err := st1.MarkMessageAcked(b.ctx, m.ID, gis); err != nil {
		t.Fatal(err)
	}
	const settle = time.Hour
	if ms := claimMessages(t, st2, b, "r2", settle); len(ms) != 0 {
		t.Fatalf("claimed while its owner holds the lease: %+v", ms)
	}
	b.clock.Advance(lease + time.Second) // r1 "crashed": it renews no more
	ms := claimMessages(t, st2, b, "r2", settle)
	if len(ms) != 1 || ms[0].ID != m.ID || ms[0].Status != domain.MessageAcked || ms[0].GISMessageGUID != gis {
		t.Fatalf("claimed = %+v; want m-1, acked, with GIS MessageGUID %s", ms, gis)
	}
	if !reflect.DeepEqual(ms[0].Actions, m.Actions) {
		t.Fatalf("actions = %+v\nwant %+v", ms[0].Actions, m.Actions)
	}
	if again := claimMessages(t, st1, b, "r3", settle); len(again) != 0 {
		t.Fatalf("a message leased to r2 was claimed again: %+v", again)
	}
	if err := st1.RenewMessage(b.ctx, m.ID, "r1", lease); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("RenewMessage by the crashed owner: err = %v; want ErrConflict", err)
	}
	if err := st2.FinishMessage(b.ctx, m.ID, []domain.Outcome{
		{TransportGUID: m.Actions[0].TransportGUID, SubRequestGUID: ds[0].SubRequestGUID, State: domain.StateAnswered},
		{TransportGUID: m.Actions[1].TransportGUID, State: domain.StateAnswered},
		{SubRequestGUID: ds[2].SubRequestGUID, State: domain.StateAnswered},
	}); err != nil {
		t.Fatal(err)
	}
	if got := states(t, b, ds...); !reflect.DeepEqual(got, repeat(domain.StateAnswered, 3)) {
		t.Fatalf("states = %v; want answered", got)
	}
	if n := unfinished(t, st1, b); n != 0 {
		t.Fatalf("UnfinishedMessages = %d; want 0", n)
	}
}

func testFinishMessage(t *testing.T, b *bundle) {
	ds := sendable(t, b, "r1", 5)
	m := message("m-1", orgA, ds...)
	mustCreate(t, b.st, b, "r1", m)
	if err := b.st.MarkMessageAcked(b.ctx, m.ID, "aaaaaaaa-0000-4000-8000-000000000001"); err != nil {
		t.Fatal(err)
	}
	// GIS auto-answered the last one while the message was out.
	if err := b.st.SetState(b.ctx, ds[4].SubRequestGUID, domain.StateSending, domain.StateAutoAnswered, "", "GIS"); err != nil {
		t.Fatal(err)
	}
	outs := []domain.Outcome{
		{TransportGUID: m.Actions[0].TransportGUID, SubRequestGUID: ds[0].SubRequestGUID, State: domain.StateAnswered},
		{TransportGUID: m.Actions[1].TransportGUID, SubRequestGUID: ds[1].SubRequestGUID, State: domain.StateFailed,
			ErrorCode: "SRV006001", ErrorText: "Подзапрос уже обработан"},
		{TransportGUID: m.Actions[2].TransportGUID, SubRequestGUID: ds[2].SubRequestGUID, State: domain.StateReady,
			ErrorCode: "EXP001000", ErrorText: "Внутренняя ошибка"},
		// ds[3]: no outcome. ds[4]: answered, but it is closed already.
		{TransportGUID: m.Actions[4].TransportGUID, SubRequestGUID: ds[4].SubRequestGUID, State: domain.StateAnswered},
	}
	if err := b.st.FinishMessage(b.ctx, m.ID, outs); err != nil {
		t.Fatal(err)
	}
	want := []domain.State{domain.StateAnswered, domain.StateFailed, domain.StateReady, domain.StateReady, domain.StateAutoAnswered}
	if got := states(t, b, ds...); !reflect.DeepEqual(got, want) {
		t.Fatalf("states = %v; want %v", got, want)
	}
	a, _ := b.st.Audit(b.ctx, ds[1].SubRequestGUID)
	if last := a[len(a)-1]; last.Action != "result" || !strings.Contains(last.Detail, "sending→failed") ||
		!strings.Contains(last.Detail, "SRV006001") || !strings.Contains(last.Detail, "Подзапрос уже обработан") {
		t.Fatalf("last audit entry of the failed one = %+v; want the GIS error", last)
	}
	if sr := mustGet(t, b, ds[0].SubRequestGUID); sr.ResponseStatus != "Sent" {
		t.Fatalf("answered sub-request has GIS response status %q; want Sent", sr.ResponseStatus)
	}
	if sr := mustGet(t, b, ds[1].SubRequestGUID); sr.ErrorCode != "SRV006001" || sr.ErrorText != "Подзапрос уже обработан" {
		t.Fatalf("failed sub-request has error %q %q; want GIS's code and text", sr.ErrorCode, sr.ErrorText)
	}
	if n := unfinished(t, b.st, b); n != 0 {
		t.Fatalf("UnfinishedMessages = %d; want 0", n)
	}
	// The two back in ready have no lease: another owner claims them at once.
	got := claimReady(t, b.st, b, orgA, "r2")
	if len(got) != 2 || got[0].SubRequestGUID != ds[2].SubRequestGUID || got[1].SubRequestGUID != ds[3].SubRequestGUID {
		t.Fatalf("ClaimReady after the message = %+v; want the transient and the missing one", got)
	}
	// Done is final: finishing again, renewing or recording an attempt changes nothing.
	if err := b.st.FinishMessage(b.ctx, m.ID, []domain.Outcome{{TransportGUID: m.Actions[2].TransportGUID, State: domain.StateFailed}}); err != nil {
		t.Fatalf("FinishMessage of a done message: %v; want nil", err)
	}
	if err := b.st.RenewMessage(b.ctx, m.ID, "r1", lease); err != nil {
		t.Fatalf("RenewMessage of a done message: %v; want nil", err)
	}
	if err := b.st.RecordAttempt(b.ctx, m.ID, "late"); err != nil {
		t.Fatalf("RecordAttempt of a done message: %v; want nil", err)
	}
	if got := states(t, b, ds...); !reflect.DeepEqual(got, want) {
		t.Fatalf("states after finishing again = %v; want unchanged %v", got, want)
	}
	b.clock.Advance(24 * time.Hour)
	if ms := claimMessages(t, b.st, b, "r3", time.Minute); len(ms) != 0 {
		t.Fatalf("a done message was claimed: %+v", ms)
	}
	if err := b.st.FinishMessage(b.ctx, "nope", nil); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("FinishMessage of an unknown message: err = %v; want ErrNotFound", err)
	}
}

// testFinishMessageRejects: outcomes that do not fit the message are refused as a whole.
func testFinishMessageRejects(t *testing.T, b *bundle) {
	ds := sendable(t, b, "r1", 2)
	m := message("m-1", orgA, ds...)
	mustCreate(t, b.st, b, "r1", m)
	ok := domain.Outcome{TransportGUID: m.Actions[0].TransportGUID, State: domain.StateAnswered}
	for name, outs := range map[string][]domain.Outcome{
		"an unknown TransportGUID":    {ok, {TransportGUID: "stranger", State: domain.StateAnswered}},
		"a state that is no outcome":  {ok, {TransportGUID: m.Actions[1].TransportGUID, State: domain.StateSending}},
		"two outcomes for one action": {ok, ok},
		"a mismatched sub-request": {ok, {TransportGUID: m.Actions[1].TransportGUID, SubRequestGUID: ds[0].SubRequestGUID,
			State: domain.StateAnswered}},
	} {
		if err := b.st.FinishMessage(b.ctx, m.ID, outs); err == nil {
			t.Errorf("FinishMessage with %s was accepted", name)
		}
	}
	if got := states(t, b, ds...); !reflect.DeepEqual(got, repeat(domain.StateSending, 2)) {
		t.Fatalf("states after refused outcomes = %v; want still sending", got)
	}
	if n := unfinished(t, b.st, b); n != 1 {
		t.Fatalf("UnfinishedMessages = %d; want 1", n)
	}
}

func testWatermark(t *testing.T, b *bundle) {
	if wm, err := b.st.Watermark(b.ctx, orgA); err != nil || !wm.IsZero() {
		t.Fatalf("Watermark before any pull = %v, %v; want zero", wm, err)
	}
	if err := b.st.SetWatermark(b.ctx, orgA, date(2025, 3, 14)); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SetWatermark(b.ctx, orgB, date(2025, 3, 1)); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SetWatermark(b.ctx, orgA, date(2025, 3, 15)); err != nil {
		t.Fatal(err)
	}
	if wm, err := b.st.Watermark(b.ctx, orgA); err != nil || !wm.Equal(date(2025, 3, 15)) {
		t.Fatalf("Watermark(orgA) = %v, %v; want 2025-03-15", wm, err)
	}
	if wm, err := b.st.Watermark(b.ctx, orgB); err != nil || !wm.Equal(date(2025, 3, 1)) {
		t.Fatalf("Watermark(orgB) = %v, %v; want 2025-03-01", wm, err)
	}
}

// testTryLockOrg: the pull lock of an organization is exclusive (across st1 and st2) until
// unlocked, and other organizations are not affected.
func testTryLockOrg(t *testing.T, st1, st2 store.Store, b *bundle) {
	lock := func(st store.Store, org string) (func(), bool) {
		t.Helper()
		unlock, ok, err := st.TryLockOrg(b.ctx, org)
		if err != nil || unlock == nil {
			t.Fatalf("TryLockOrg(%s) = %v, %v; want an unlock function", org, ok, err)
		}
		return unlock, ok
	}
	unlockA, ok := lock(st1, orgA)
	if !ok {
		t.Fatal("the first TryLockOrg was refused")
	}
	if _, ok := lock(st2, orgA); ok {
		t.Fatal("a second TryLockOrg of the same organization was granted")
	}
	if _, ok := lock(st1, orgA); ok {
		t.Fatal("a second TryLockOrg of the same organization (same store) was granted")
	}
	unlockB, ok := lock(st2, orgB)
	if !ok {
		t.Fatal("TryLockOrg of another organization was refused")
	}
	unlockA()
	unlockA() // a second unlock is harmless
	unlockA2, ok := lock(st2, orgA)
	if !ok {
		t.Fatal("TryLockOrg after unlock was refused")
	}
	if _, ok := lock(st1, orgA); ok {
		t.Fatal("TryLockOrg granted while the other store holds the lock")
	}
	unlockA2()
	unlockB()
}

func testOpenPastDeadline(t *testing.T, b *bundle) {
	subs := []domain.SubRequest{
		subRequest(1, orgA, date(2025, 3, 10)),
		subRequest(2, orgA, date(2025, 3, 12)),
		subRequest(3, orgA, date(2025, 3, 13)), // answered
		subRequest(4, orgA, date(2025, 3, 14)), // the day itself: not past
		subRequest(5, orgB, date(2025, 3, 1)),  // another organization
		subRequest(6, orgA, date(2025, 3, 11)), // failed
		subRequest(7, orgA, date(2025, 3, 9)),  // sending
		subRequest(8, orgA, date(2025, 3, 8)),  // auto-answered
	}
	subs[2].State, subs[5].State, subs[6].State = domain.StateAnswered, domain.StateFailed, domain.StateSending
	subs[7].State = domain.StateAutoAnswered
	mustUpsert(t, b, subs...)
	got, err := b.st.OpenPastDeadline(b.ctx, orgA, date(2025, 3, 14), 10)
	if err != nil {
		t.Fatal(err)
	}
	// Failed is open: the status refresh must find GIS's automatic answer to it.
	if ids := guidsOf(got); !slices.Equal(ids, []int{7, 1, 6, 2}) {
		t.Fatalf("OpenPastDeadline = %v; want [7 1 6 2] (open ones, failed included)", ids)
	}
	if got, _ := b.st.OpenPastDeadline(b.ctx, orgA, date(2025, 3, 14), 2); len(got) != 2 {
		t.Fatalf("OpenPastDeadline with limit 2 = %d; want 2", len(got))
	}
}
