package storetest

import (
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// SkewFactory opens two stores on one new, empty, migrated database: a with the real clock,
// b with clock nowB.
type SkewFactory func(t *testing.T, nowB func() time.Time) (a, b store.Store)

// RunClockSkew checks a store that leases on the database's clock (PostgreSQL): a replica
// whose clock runs an hour ahead takes none of another's live leases (sub-requests to
// decide, ready answers, outbox messages), and still takes one once it expired by the
// database's clock. SQLite serves one process and leases on its own clock, so it does not
// run this.
func RunClockSkew(t *testing.T, f SkewFactory) {
	ahead := func() time.Time { return time.Now().Add(time.Hour) }
	a, c := f(t, ahead)
	t.Cleanup(func() { _ = a.Close(); _ = c.Close() })
	b := &bundle{ctx: t.Context(), st: a, clock: NewClock(time.Now())}
	s1, s2, s3 := subRequest(1, orgA, date(2025, 3, 20)), subRequest(2, orgA, date(2025, 3, 21)), subRequest(3, orgA, date(2025, 3, 22))
	mustUpsert(t, b, s1, s2)
	if got := guidsOf(claimNew(t, a, b, "honest", 10)); len(got) != 2 {
		t.Fatalf("claim on the real clock = %v; want both", got)
	}
	if got := claimNew(t, c, b, "ahead", 10); len(got) != 0 {
		t.Fatalf("a replica an hour ahead took live leases: %v", guidsOf(got))
	}
	// A ready answer and an acknowledged message, both leased for a minute.
	if err := a.SaveDecision(b.ctx, decision(s1.GUID), domain.StateReady); err != nil {
		t.Fatal(err)
	}
	ds := claimReady(t, a, b, orgA, "honest")
	if len(ds) != 1 {
		t.Fatalf("ClaimReady = %d; want 1", len(ds))
	}
	if got := claimReady(t, c, b, orgA, "ahead"); len(got) != 0 {
		t.Fatalf("a replica an hour ahead took a leased ready answer: %+v", got)
	}
	mustCreate(t, a, b, "honest", message("m-1", orgA, ds...))
	if err := a.MarkMessageAcked(b.ctx, "m-1", "aaaaaaaa-0000-4000-8000-000000000001"); err != nil {
		t.Fatal(err)
	}
	ms, err := c.ClaimMessages(b.ctx, "ahead", ahead(), 10, lease)
	if err != nil || len(ms) != 0 {
		t.Fatalf("a replica an hour ahead claimed leased messages = %+v, %v; want none", ms, err)
	}
	if err := a.RenewMessage(b.ctx, "m-1", "honest", lease); err != nil {
		t.Fatalf("the owner lost its lease: %v", err)
	}
	// A lease that expired by the database's clock is free to the replica ahead.
	mustUpsert(t, b, s3)
	if _, err := a.ClaimForDecision(b.ctx, "honest", 1, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if got := guidsOf(claimNew(t, c, b, "ahead", 10)); len(got) != 1 || got[0] != 3 {
		t.Fatalf("claim after the short lease expired = %v; want [3]", got)
	}
}
