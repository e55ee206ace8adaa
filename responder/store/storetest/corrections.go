package storetest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
)

// Corrections of sent answers (LEGAL-RULES §10.7): proposal, review, revoke, new send.
var correctionTests = []struct {
	name string
	fn   func(t *testing.T, b *bundle)
}{
	{"CorrectionFlow", testCorrectionFlow},
	{"CorrectionKept", testCorrectionKept},
	{"CorrectionRevokeRefused", testCorrectionRevokeRefused},
}

// answeredOnce sends decision(s) of sub-request 1 of orgA through the outbox and records
// GIS's acceptance; it returns the sub-request and the sent decision.
func answeredOnce(t *testing.T, b *bundle) (domain.SubRequest, domain.Decision) {
	t.Helper()
	ds := sendable(t, b, "r1", 1)
	mustCreate(t, b.st, b, "r1", message("m-send", orgA, ds...))
	if err := b.st.FinishMessage(b.ctx, "m-send", []domain.Outcome{{TransportGUID: "m-send-t0", State: domain.StateAnswered}}); err != nil {
		t.Fatal(err)
	}
	return mustGet(t, b, ds[0].SubRequestGUID), ds[0]
}

// proposal is a "no debt" correction of sub-request guid.
func proposal(guid string) domain.Decision {
	return domain.Decision{SubRequestGUID: guid, RuleVersion: "rules/2", PremisesIDs: []string{"1"}, MatchMethod: "house_flat",
		Review: true, Correction: true, ReviewReasons: []string{"ответ больше не соответствует данным организации"},
		Evidence: []domain.Evidence{{ActID: "A1", Reason: "погашен"}}}
}

func propose(t *testing.T, b *bundle, guid string) {
	t.Helper()
	if err := b.st.ProposeCorrection(b.ctx, proposal(guid)); err != nil {
		t.Fatalf("ProposeCorrection: %v", err)
	}
	if sr := mustGet(t, b, guid); sr.State != domain.StateReview || sr.Correction != domain.CorrectionProposed {
		t.Fatalf("after the proposal: state %s, correction %q; want review, proposed", sr.State, sr.Correction)
	}
}

func auditActions(t *testing.T, b *bundle, guid, action string) []string {
	t.Helper()
	es, err := b.st.Audit(b.ctx, guid)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Action == action {
			out = append(out, e.Detail)
		}
	}
	return out
}

func testCorrectionFlow(t *testing.T, b *bundle) {
	sr, sent := answeredOnce(t, b)
	if sr.State != domain.StateAnswered || sr.Correction != domain.CorrectionNone {
		t.Fatalf("after the send: %s %q", sr.State, sr.Correction)
	}
	got, err := b.st.SentDecision(b.ctx, sr.GUID)
	if err != nil || !got.SameAnswer(sent) || got.Description != sent.Description {
		t.Fatalf("SentDecision = %+v, %v; want the sent one %+v", got, err, sent)
	}
	if _, err := b.st.SentDecision(b.ctx, "5eb5eb00-0000-4000-8000-000000000099"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("SentDecision of an unknown sub-request: %v; want ErrNotFound", err)
	}
	rs, err := b.st.Rechecks(b.ctx, orgA)
	if err != nil || len(rs) != 1 || rs[0].GUID != sr.GUID {
		t.Fatalf("Rechecks = %+v, %v; want the answered one", rs, err)
	}
	if err := b.st.ProposeCorrection(b.ctx, domain.Decision{SubRequestGUID: sr.GUID}); err == nil {
		t.Fatal("a proposal not marked as a correction was stored")
	}
	propose(t, b, sr.GUID)
	if err := b.st.ProposeCorrection(b.ctx, proposal(sr.GUID)); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a second proposal: %v; want ErrConflict", err)
	}
	if rs, _ := b.st.Rechecks(b.ctx, orgA); len(rs) != 0 {
		t.Fatalf("Rechecks lists a sub-request under correction: %+v", rs)
	}
	// A pull that still shows GIS's Sent answer does not close the review.
	pulled := subRequest(1, orgA, date(2025, 3, 20))
	pulled.ResponseStatus = "Sent"
	mustUpsert(t, b, pulled)
	if st := mustGet(t, b, sr.GUID).State; st != domain.StateReview {
		t.Fatalf("a re-pull moved the correction to %s", st)
	}
	items, err := b.st.ListReview(b.ctx, orgA)
	if err != nil || len(items) != 1 || items[0].Decision == nil || !items[0].Decision.Correction ||
		items[0].SubRequest.Correction != domain.CorrectionProposed {
		t.Fatalf("ListReview = %+v, %v; want the correction with its proposal", items, err)
	}

	person := proposal(sr.GUID)
	if err := b.st.RecordReview(b.ctx, sr.GUID, "ivanova", "", person); err != nil {
		t.Fatal(err)
	}
	if s := mustGet(t, b, sr.GUID); s.State != domain.StateReady || s.Correction != domain.CorrectionApproved {
		t.Fatalf("after approval: %s %q; want ready, approved", s.State, s.Correction)
	}
	if ds := claimReady(t, b.st, b, orgA, "r1"); len(ds) != 0 {
		t.Fatalf("ClaimReady took an answer whose sent one is not revoked yet: %+v", ds)
	}
	guids, err := b.st.ClaimRevokes(b.ctx, orgA, "r1", 10, lease)
	if err != nil || !reflect.DeepEqual(guids, []string{sr.GUID}) {
		t.Fatalf("ClaimRevokes = %v, %v; want [%s]", guids, err, sr.GUID)
	}
	rv := domain.Message{ID: "m-revoke", OrgGUID: orgA, Status: domain.MessagePending, Actions: []domain.Action{
		{TransportGUID: "m-revoke-t0", SubRequestGUID: sr.GUID, Kind: domain.ActionRevoke, Decision: domain.Decision{SubRequestGUID: sr.GUID}}}}
	mustCreate(t, b.st, b, "r1", rv)
	if err := b.st.FinishMessage(b.ctx, "m-revoke", []domain.Outcome{{TransportGUID: "m-revoke-t0", State: domain.StateAnswered}}); err != nil {
		t.Fatal(err)
	}
	s := mustGet(t, b, sr.GUID)
	if s.State != domain.StateReady || s.Correction != domain.CorrectionRevoked || s.ResponseStatus != "NotSent" {
		t.Fatalf("after the revoke: %s %q %s; want ready, revoked, NotSent", s.State, s.Correction, s.ResponseStatus)
	}
	ds := claimReady(t, b.st, b, orgA, "r1")
	if len(ds) != 1 || ds[0].HasDebt || !ds[0].Correction || ds[0].DecidedBy != "ivanova" {
		t.Fatalf("ClaimReady after the revoke = %+v; want the person's correction", ds)
	}
	mustCreate(t, b.st, b, "r1", message("m-send2", orgA, ds...))
	if err := b.st.FinishMessage(b.ctx, "m-send2", []domain.Outcome{{TransportGUID: "m-send2-t0", State: domain.StateAnswered}}); err != nil {
		t.Fatal(err)
	}
	s = mustGet(t, b, sr.GUID)
	if s.State != domain.StateAnswered || s.Correction != domain.CorrectionNone || s.ResponseStatus != "Sent" {
		t.Fatalf("after the new send: %s %q %s", s.State, s.Correction, s.ResponseStatus)
	}
	if got, err := b.st.SentDecision(b.ctx, sr.GUID); err != nil || got.HasDebt {
		t.Fatalf("SentDecision after the correction = %+v, %v; want the new no-debt answer", got, err)
	}
	steps := auditActions(t, b, sr.GUID, "correction")
	if len(steps) != 4 {
		t.Fatalf("correction steps in the audit trail: %q; want proposed, approved, revoked, corrected", steps)
	}
}

func testCorrectionKept(t *testing.T, b *bundle) {
	sr, sent := answeredOnce(t, b)
	propose(t, b, sr.GUID)
	keep := sent
	keep.Correction = false
	if err := b.st.RecordReview(b.ctx, sr.GUID, "ivanova", "акт не погашен, проверено", keep); err != nil {
		t.Fatal(err)
	}
	s := mustGet(t, b, sr.GUID)
	if s.State != domain.StateAnswered || s.Correction != domain.CorrectionNone {
		t.Fatalf("after keeping the sent answer: %s %q; want answered, none", s.State, s.Correction)
	}
	if d, err := b.st.GetDecision(b.ctx, sr.GUID); err != nil || !d.HasDebt || d.Correction || d.DecidedBy != "ivanova" {
		t.Fatalf("current decision = %+v, %v; want the kept sent answer, by ivanova", d, err)
	}
	if n := unfinished(t, b.st, b); n != 0 {
		t.Fatalf("%d messages after keeping the answer; want none", n)
	}
}

func testCorrectionRevokeRefused(t *testing.T, b *bundle) {
	sr, _ := answeredOnce(t, b)
	propose(t, b, sr.GUID)
	if err := b.st.RecordReview(b.ctx, sr.GUID, "ivanova", "", proposal(sr.GUID)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.st.ClaimRevokes(b.ctx, orgA, "r1", 10, lease); err != nil {
		t.Fatal(err)
	}
	rv := domain.Message{ID: "m-revoke", OrgGUID: orgA, Status: domain.MessagePending, Actions: []domain.Action{
		{TransportGUID: "m-revoke-t0", SubRequestGUID: sr.GUID, Kind: domain.ActionRevoke, Decision: domain.Decision{SubRequestGUID: sr.GUID}}}}
	mustCreate(t, b.st, b, "r1", rv)
	out := domain.Outcome{TransportGUID: "m-revoke-t0", State: domain.StateFailed, ErrorCode: "SIM001011", ErrorText: "не имеет статус"}
	if err := b.st.FinishMessage(b.ctx, "m-revoke", []domain.Outcome{out}); err != nil {
		t.Fatal(err)
	}
	s := mustGet(t, b, sr.GUID)
	if s.State != domain.StateFailed || s.ErrorCode != "SIM001011" || s.Correction != domain.CorrectionNone || s.ResponseStatus != "Sent" {
		t.Fatalf("after a refused revoke: %+v; want failed with GIS's error, the old answer standing", s)
	}
	if steps := auditActions(t, b, sr.GUID, "correction"); len(steps) != 3 {
		t.Fatalf("correction steps: %q; want proposed, approved, refused", steps)
	}
}
