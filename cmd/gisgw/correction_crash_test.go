package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

// TestCorrectionCrash (LEGAL-RULES §10.7): a correction survives the daemon killed with
// SIGKILL right after GIS recorded the Revoke and before the new Send. The restarted
// daemon learns that the revoke went through and sends the new answer once: GIS ends with
// one Revoke, two Sends and the answer "no debt".
func TestCorrectionCrash(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	msk := time.FixedZone("MSK", 3*3600)
	today := time.Now().In(msk)
	const n = 6
	w := apptest.NewWorld(t, n, 5, today)
	sim := gissim.New(gissim.Options{Delay: 100 * time.Millisecond, Seed: 3, Verify: gissim.VerifySignatures(nil), CheckAttachments: true})
	sim.SetToday(today)
	if err := sim.LoadScenario(bytes.NewReader(w.Scenario)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	dir := t.TempDir()
	dsn := filepath.Join(dir, "gisgw.db")
	if err := w.Load(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	key, cert := apptest.TestKey(t)
	cfg := writeChildConfig(t, dir, childConfig{
		DSN: dsn, Endpoint: srv.URL, Key: key, Cert: cert, Poll: "[20ms, 50ms]", LogLevel: "info",
		BatchSize: 10, Concurrency: 1, Lease: "2s", PullEvery: "1s",
	})
	logPath := filepath.Join(dir, "daemon.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	start := childStarter(ctx, t, cfg, logFile)
	stop := func(cmd *exec.Cmd, sig syscall.Signal) {
		t.Helper()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			if ctx.Err() != nil {
				logTail(t, logPath)
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	answer := func(g string) gissim.Answer {
		for _, a := range sim.Answers() {
			if a.SubrequestGUID == g {
				return a
			}
		}
		return gissim.Answer{}
	}

	// 1. The daemon answers every sub-request.
	cmd := start()
	waitFor("the first answers", func() bool {
		k := 0
		for _, a := range sim.Answers() {
			if a.ResponseStatus == "Sent" {
				k++
			}
		}
		return k == n
	})
	stop(cmd, syscall.SIGTERM)
	g := ""
	for _, s := range w.GUIDs {
		if w.Debt[s] {
			g = s
			break
		}
	}
	if g == "" {
		t.Fatal("the world has no debt answer")
	}

	// 2. The act is repaid; the import's re-check returns the answer to a person, who
	// confirms "no debt".
	st, err := storeopen.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := st.SentDecision(ctx, g)
	if err != nil || !sent.HasDebt {
		t.Fatalf("sent answer of %s: %+v, %v", g, sent, err)
	}
	var repaid []domain.CourtAct
	for _, act := range w.Acts {
		if slices.ContainsFunc(sent.DebtInfo, func(di domain.DebtInfo) bool {
			return slices.ContainsFunc(di.Documents, func(d domain.Document) bool { return d.ActID == act.ID })
		}) {
			act.Outstanding = 0
			repaid = append(repaid, act)
		}
	}
	if _, err := st.ImportCourtActs(ctx, "", repaid); err != nil {
		t.Fatal(err)
	}
	if k, err := app.Recheck(ctx, st, time.Now(), nil); err != nil || k < 1 {
		t.Fatalf("Recheck = %d, %v", k, err)
	}
	sr, err := st.GetSubRequest(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	proposal, err := st.GetDecision(ctx, g)
	if err != nil || !proposal.Correction || proposal.HasDebt {
		t.Fatalf("proposal %+v, %v; want a no-debt correction", proposal, err)
	}
	d, err := decide.Review(sr, &proposal, nil, decide.Choice{Answer: decide.Confirm, Sent: &sent}, "ivanova", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordReview(ctx, g, "ivanova", "", d); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// 3. Killed right after GIS recorded the Revoke (polling the simulator processes it as
	// soon as it is due), before the daemon could send the new answer.
	cmd = start()
	waitFor("the Revoke", func() bool { return sim.Revokes(g) == 1 })
	stop(cmd, syscall.SIGKILL)
	if k := sim.Sends(g); k != 1 {
		t.Logf("warning: the new answer was sent before the kill (%d Sends); the kill did not fall between Revoke and Send", k)
	}

	// 4. The restarted daemon finishes the correction, once.
	cmd = start()
	waitFor("the corrected answer", func() bool { a := answer(g); return a.ResponseStatus == "Sent" && a.HasDebt != nil && !*a.HasDebt })
	time.Sleep(500 * time.Millisecond) // a duplicate would show by now
	stop(cmd, syscall.SIGTERM)
	if r, s := sim.Revokes(g), sim.Sends(g); r != 1 || s != 2 {
		logTail(t, logPath)
		t.Fatalf("GIS recorded %d Revokes and %d Sends for %s; want 1 and 2", r, s, g)
	}
	for _, other := range w.GUIDs {
		if k := sim.Sends(other); other != g && k != 1 {
			t.Errorf("GIS recorded %d Sends for %s; want 1", k, other)
		}
	}
	st, err = storeopen.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if sr, err := st.GetSubRequest(ctx, g); err != nil || sr.State != domain.StateAnswered || sr.Correction != domain.CorrectionNone {
		t.Fatalf("store after the correction: %+v, %v", sr, err)
	}
}
