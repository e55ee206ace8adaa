package app_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestCorrectionEndToEnd (LEGAL-RULES §10.7) against the simulator over HTTP: a "debt"
// answer is sent; the act is then imported as repaid; the re-check returns the sub-request
// to review with both answers; a person confirms "no debt"; GIS ends with one Revoke and two
// Sends for it and the answer "no debt".
func TestCorrectionEndToEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		dsn  func(t testing.TB) string
	}{
		{"SQLite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "gisgw.db") }},
		{"Postgres", storetest.PostgresSchema},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testCorrection(t, tc.dsn(t))
		})
	}
}

func testCorrection(t *testing.T, dsn string) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const n = 12
	h := newHarness(t, dsn, n, gissim.Faults{})
	a := h.newApp(ctx, "replica-1")
	st := a.Store()
	h.load(ctx, st)
	for ctx.Err() == nil && h.answered() < n {
		_ = a.RunOnce(ctx)
	}
	if ctx.Err() != nil {
		t.Fatalf("first answers not sent: %d of %d; logs:\n%s", h.answered(), n, h.logs.tail(40))
	}
	var g string
	for _, s := range h.w.GUIDs {
		if h.w.Debt[s] {
			g = s
			break
		}
	}
	if g == "" {
		t.Fatal("the world has no debt answer")
	}
	sent, err := st.SentDecision(ctx, g)
	if err != nil || !sent.HasDebt {
		t.Fatalf("sent answer of %s: %+v, %v; want debt", g, sent, err)
	}

	// The act is repaid: balance 0.
	var repaid []domain.CourtAct
	for _, act := range h.w.Acts {
		for _, di := range sent.DebtInfo {
			for _, doc := range di.Documents {
				if doc.ActID == act.ID && !slices.ContainsFunc(repaid, func(r domain.CourtAct) bool { return r.ID == act.ID }) {
					act.Outstanding = 0
					repaid = append(repaid, act)
				}
			}
		}
	}
	if len(repaid) == 0 {
		t.Fatalf("the sent answer cites no act of the world: %+v", sent)
	}
	if _, err := st.ImportCourtActs(ctx, "", repaid); err != nil {
		t.Fatal(err)
	}
	flagged, err := app.Recheck(ctx, st, h.now(), nil)
	if err != nil || flagged < 1 {
		t.Fatalf("Recheck = %d, %v; want the repaid answer flagged", flagged, err)
	}
	sr, err := st.GetSubRequest(ctx, g)
	if err != nil || sr.State != domain.StateReview || sr.Correction != domain.CorrectionProposed {
		t.Fatalf("after the re-check: %+v, %v; want review, a proposed correction", sr, err)
	}
	items, err := st.ListReview(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(items, func(it store.ReviewItem) bool {
		return it.SubRequest.GUID == g && it.Decision != nil && it.Decision.Correction
	}) {
		t.Fatalf("the review queue lacks the correction of %s", g)
	}
	proposal, err := st.GetDecision(ctx, g)
	if err != nil || proposal.HasDebt || !proposal.Correction || proposal.ReviewReasons[0] != "ответ больше не соответствует данным организации" {
		t.Fatalf("proposal %+v, %v; want a no-debt correction with the reason", proposal, err)
	}
	// Nothing is corrected without a person.
	_ = a.RunOnce(ctx)
	if r := h.sim.Revokes(g); r != 0 {
		t.Fatalf("%d revokes before a person decided", r)
	}

	acts, err := st.CourtActsByPremises(ctx, proposal.PremisesIDs)
	if err != nil {
		t.Fatal(err)
	}
	d, err := decide.Review(sr, &proposal, acts, decide.Choice{Answer: decide.Confirm, Sent: &sent}, "ivanova", "", h.now())
	if err != nil || !d.Correction {
		t.Fatalf("review: %+v, %v; want a correction", d, err)
	}
	if err := st.RecordReview(ctx, g, "ivanova", "", d); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil && h.sim.Sends(g) < 2 {
		_ = a.RunOnce(ctx)
	}
	if r, s := h.sim.Revokes(g), h.sim.Sends(g); r != 1 || s != 2 {
		t.Fatalf("GIS recorded %d revokes and %d sends for %s; want 1 and 2", r, s, g)
	}
	answer := simAnswer(t, h, g)
	if answer.ResponseStatus != "Sent" || answer.HasDebt == nil || *answer.HasDebt {
		t.Fatalf("GIS's answer %+v; want Sent, no debt", answer)
	}
	sr, err = st.GetSubRequest(ctx, g)
	if err != nil || sr.State != domain.StateAnswered || sr.Correction != domain.CorrectionNone {
		t.Fatalf("store after the correction: %+v, %v", sr, err)
	}
	audit, err := st.Audit(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range audit {
		if e.Action == "correction" {
			steps = append(steps, e.Detail)
		}
	}
	if len(steps) != 4 || !strings.Contains(steps[2], "подтвердила отзыв") {
		t.Fatalf("correction steps in the audit trail: %q", steps)
	}
}

func simAnswer(t *testing.T, h *harness, guid string) gissim.Answer {
	t.Helper()
	for _, a := range h.sim.Answers() {
		if a.SubrequestGUID == guid {
			return a
		}
	}
	t.Fatalf("the simulator has no sub-request %s", guid)
	return gissim.Answer{}
}
