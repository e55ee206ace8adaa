package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

const (
	reasonFile  = "не удаётся прочитать файл судебного акта 2-123/2024: файл не найден"
	reasonFile2 = "не удаётся прочитать файл судебного акта 2-123/2024: нет доступа к файлу"
)

func deferAudits(t *testing.T, b *bundle, guid string) []domain.AuditEntry {
	t.Helper()
	a, err := b.st.Audit(b.ctx, guid)
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.AuditEntry
	for _, e := range a {
		if e.Action == "deferred" {
			out = append(out, e)
		}
	}
	return out
}

// testDeferReady: a blocked answer is put aside without waiting for its lease: another owner
// takes it right after the retry time, not before; the reason shows on the sub-request and
// is audited once per change of reason.
func testDeferReady(t *testing.T, b *bundle) {
	ds := sendable(t, b, "r1", 2)
	blocked, other := ds[0].SubRequestGUID, ds[1].SubRequestGUID
	until := b.clock.Now().Add(10 * time.Minute)
	if err := b.st.DeferReady(b.ctx, "r1", []string{blocked}, until, reasonFile); err != nil {
		t.Fatalf("DeferReady: %v", err)
	}
	got := mustGet(t, b, blocked)
	if got.State != domain.StateReady || got.BlockedReason != reasonFile || !got.BlockedUntil.Equal(until.Truncate(time.Microsecond)) {
		t.Fatalf("deferred sub-request = %s, %q, %v; want ready, the reason, %v", got.State, got.BlockedReason, got.BlockedUntil, until)
	}
	list, err := b.st.ListSubRequests(b.ctx, store.SubRequestFilter{Org: orgA, States: []domain.State{domain.StateReady}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].GUID != blocked || list[0].BlockedReason != reasonFile || list[1].BlockedReason != "" {
		t.Fatalf("ListSubRequests = %+v; want the reason on the deferred one only", list)
	}
	// Its lease ended, but it is put aside: nobody takes it before the retry time.
	if got := claimReady(t, b.st, b, orgA, "r2"); len(got) != 0 {
		t.Fatalf("ClaimReady before the retry time = %+v; want nothing", got)
	}
	// A second before the retry time r1's lease on the other one has expired, so that one
	// is taken, and still not the deferred one.
	b.clock.Advance(10*time.Minute - time.Second)
	if got := claimReady(t, b.st, b, orgA, "r2"); len(got) != 1 || got[0].SubRequestGUID != other {
		t.Fatalf("ClaimReady a second before the retry time = %+v; want only the other one", got)
	}
	// Right at the retry time another owner takes it, though r1's lease would still run.
	b.clock.Advance(time.Second)
	again := claimReady(t, b.st, b, orgA, "r2")
	if len(again) != 1 || again[0].SubRequestGUID != blocked {
		t.Fatalf("ClaimReady at the retry time = %+v; want the deferred one", again)
	}
	// Still blocked for the same cause: no new audit entry; another cause: one more.
	if err := b.st.DeferReady(b.ctx, "r2", []string{blocked}, b.clock.Now().Add(time.Minute), reasonFile); err != nil {
		t.Fatal(err)
	}
	if a := deferAudits(t, b, blocked); len(a) != 1 || a[0].Detail != reasonFile {
		t.Fatalf("audit after two deferrals for one cause = %+v; want one entry with the reason", a)
	}
	b.clock.Advance(time.Minute)
	claimReady(t, b.st, b, orgA, "r2")
	if err := b.st.DeferReady(b.ctx, "r2", []string{blocked}, b.clock.Now().Add(time.Minute), reasonFile2); err != nil {
		t.Fatal(err)
	}
	if a := deferAudits(t, b, blocked); len(a) != 2 || a[1].Detail != reasonFile2 {
		t.Fatalf("audit after a new cause = %+v; want a second entry with the new reason", a)
	}
	if got := mustGet(t, b, blocked).BlockedReason; got != reasonFile2 {
		t.Fatalf("reason = %q; want the latest %q", got, reasonFile2)
	}
	if a := deferAudits(t, b, other); len(a) != 0 {
		t.Fatalf("the other sub-request has deferral entries: %+v", a)
	}
}

// testDeferReadyClearedOnSend: the answer going out clears the reason.
func testDeferReadyClearedOnSend(t *testing.T, b *bundle) {
	ds := sendable(t, b, "r1", 1)
	if err := b.st.DeferReady(b.ctx, "r1", []string{ds[0].SubRequestGUID}, b.clock.Now().Add(time.Minute), reasonFile); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(time.Minute)
	ds = claimReady(t, b.st, b, orgA, "r2")
	if len(ds) != 1 {
		t.Fatalf("claimed %d after the retry time; want 1", len(ds))
	}
	mustCreate(t, b.st, b, "r2", message("m-1", orgA, ds...))
	if got := mustGet(t, b, ds[0].SubRequestGUID); got.State != domain.StateSending || got.BlockedReason != "" || !got.BlockedUntil.IsZero() {
		t.Fatalf("after CreateMessage: %s, %q, %v; want sending with no reason", got.State, got.BlockedReason, got.BlockedUntil)
	}
}

// testDeferReadyConflict: only the lease owner puts ready answers aside, all or none.
func testDeferReadyConflict(t *testing.T, b *bundle) {
	ds := sendable(t, b, "r1", 1)
	mine := ds[0].SubRequestGUID
	fresh := subRequest(9, orgA, date(2025, 4, 1))
	mustUpsert(t, b, fresh)
	until := b.clock.Now().Add(time.Minute)
	for _, tc := range []struct {
		name  string
		owner string
		guids []string
		want  error
	}{
		{"another owner", "r2", []string{mine}, domain.ErrConflict},
		{"a sub-request that is not ready", "r1", []string{mine, fresh.GUID}, domain.ErrConflict},
		{"an unknown sub-request", "r1", []string{mine, "00000000-0000-4000-8000-00000000dead"}, domain.ErrNotFound},
	} {
		if err := b.st.DeferReady(b.ctx, tc.owner, tc.guids, until, reasonFile); !errors.Is(err, tc.want) {
			t.Errorf("DeferReady with %s: err = %v; want %v", tc.name, err, tc.want)
		}
	}
	if err := b.st.DeferReady(b.ctx, "r1", []string{mine}, until, " "); err == nil {
		t.Error("DeferReady without a reason was accepted")
	}
	if got := mustGet(t, b, mine); got.BlockedReason != "" || !got.BlockedUntil.IsZero() {
		t.Fatalf("a refused DeferReady wrote %q, %v", got.BlockedReason, got.BlockedUntil)
	}
	// r1 still holds it: nothing was released.
	if got := claimReady(t, b.st, b, orgA, "r2"); len(got) != 0 {
		t.Fatalf("a refused DeferReady released the lease: %+v", got)
	}
}
