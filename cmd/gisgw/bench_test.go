package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// benchSubRequests is the size of the end-to-end load run.
const benchSubRequests = 10_000

// benchMode is how the daemon batches its answers.
type benchMode struct {
	name        string
	batchSize   int // answers per message
	concurrency int // messages in flight
}

var (
	gisgwMode     = benchMode{"gisgw", 100, 4}    // the defaults (config.DefaultBatchSize, config.DefaultConcurrency)
	referenceMode = benchMode{"reference", 20, 1} // today's public clients: 20 per message, one at a time
)

// BenchmarkEndToEnd answers 10,000 generated sub-requests with the real daemon (`gisgw run
// --once` as a child process) against an in-process simulator with no delay and no faults,
// on SQLite and PostgreSQL, in gisgw's mode: the daemon's own cost (CPU, the store) when GIS
// answers at once. It reports the daemon's wall time from start to exit (s/run) and its
// peak resident set size (MB-peak-RSS: the child's own VmHWM, see childRun). Every run must
// answer every sub-request exactly once, correctly. Run it with -benchtime=1x: one run is
// the figure. The comparison with the reference mode is BenchmarkEndToEndGIS's: with a GIS
// that answers at once it measured only the CPU of more, smaller messages.
func BenchmarkEndToEnd(b *testing.B) {
	backends := []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "gisgw.db") }},
		{"postgres", func(b *testing.B) string { return storetest.PostgresSchema(b) }},
	}
	for _, be := range backends {
		b.Run(be.name+"/"+gisgwMode.name, func(b *testing.B) {
			var total time.Duration
			var peak int64
			runs := 0
			for b.Loop() {
				r := endToEndRun(b, be.dsn(b), gisgwMode, benchSubRequests)
				total += r.Wall
				peak = max(peak, r.PeakRSS)
				runs++
			}
			b.ReportMetric((total / time.Duration(runs)).Seconds(), "s/run")
			b.ReportMetric(float64(peak)/1e6, "MB-peak-RSS")
		})
	}
}

// endToEndRun makes a world of n sub-requests, loads it into a fresh simulator and the store
// at dsn, runs `gisgw run --once` to its exit and checks every answer.
func endToEndRun(b *testing.B, dsn string, mode benchMode, n int) childRun {
	b.Helper()
	r, _ := endToEndRunWith(b, dsn, mode, n, e2eSetup{})
	return r
}

// e2eSetup varies an end-to-end run: the simulator's options and the daemon's configuration.
type e2eSetup struct {
	sim     func(*gissim.Options)
	cfg     func(*childConfig)
	timeout time.Duration // default 10m
	// scenario, when set, rewrites the world's scenario CSV before the simulator loads it.
	scenario func(b *testing.B, today time.Time, csv []byte) []byte
	// world, when set, sees the world and the loaded simulator before the daemon starts.
	world func(*apptest.World, *gissim.Sim)
}

// endToEndRunWith is endToEndRun with setup applied; it also returns the simulator's
// statistics after the run.
func endToEndRunWith(b *testing.B, dsn string, mode benchMode, n int, setup e2eSetup) (childRun, gissim.Stats) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(setup.timeout, 10*time.Minute))
	defer cancel()
	msk := time.FixedZone("MSK", 3*3600)
	today := time.Now().In(msk)
	w := apptest.NewWorld(b, n, 5, today)
	opts := gissim.Options{Seed: 3, Verify: gissim.VerifySignatures(nil), CheckAttachments: true}
	if setup.sim != nil {
		setup.sim(&opts)
	}
	sim := gissim.New(opts)
	sim.SetToday(today)
	scenario := w.Scenario
	if setup.scenario != nil {
		scenario = setup.scenario(b, today, scenario)
	}
	if err := sim.LoadScenario(bytes.NewReader(scenario)); err != nil {
		b.Fatalf("load scenario: %v", err)
	}
	if setup.world != nil {
		setup.world(w, sim)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	st, err := storeopen.Open(ctx, dsn, storeopen.WithAutoMigrate())
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	defer st.Close()
	if _, err := st.ImportPremises(ctx, "", w.Premises); err != nil {
		b.Fatalf("import premises: %v", err)
	}
	if _, err := st.ImportCourtActs(ctx, "", w.Acts); err != nil {
		b.Fatalf("import court acts: %v", err)
	}
	dir := b.TempDir()
	key, cert := apptest.TestKey(b)
	cc := childConfig{
		DSN: dsn, Endpoint: srv.URL, Key: key, Cert: cert, Poll: "[10ms, 20ms]", LogLevel: "info",
		BatchSize: mode.batchSize, Concurrency: mode.concurrency,
	}
	if setup.cfg != nil {
		setup.cfg(&cc)
	}
	cfg := writeChildConfig(b, dir, cc)
	logPath := filepath.Join(dir, "daemon.log")
	r := runChild(ctx, b, logPath, "run", "--once", "--config", cfg)
	if r.Err != nil {
		b.Fatalf("gisgw run --once: %v; daemon log (last lines):\n%s", r.Err, childLogTail(logPath, 30))
	}
	if err := checkAnswered(ctx, sim, st, w); err != nil {
		b.Fatalf("%s mode: %v; daemon log (last lines):\n%s", mode.name, err, childLogTail(logPath, 30))
	}
	stats := sim.Stats()
	b.Logf("%s mode: %d sub-requests answered in %s (daemon CPU %s), peak RSS %.0f MB (ru_maxrss %.0f MB, which includes the parent's at the exec); %d messages, %d export, %d import and %d getState calls, %d EXP001000, %d files",
		mode.name, n, r.Wall.Round(time.Millisecond), r.CPU.Round(time.Millisecond), float64(r.PeakRSS)/1e6, float64(r.MaxRSS)/1e6, stats.Messages, stats.Calls.Export, stats.Calls.Import, stats.Calls.GetState, stats.Faults.EXP001000, stats.FileStore.Files)
	return r, stats
}

// checkAnswered reports how the run fell short of answering every sub-request of w exactly
// once with the answer the world expects, as GIS and the store see it.
func checkAnswered(ctx context.Context, sim *gissim.Sim, st store.Store, w *apptest.World) error {
	stats := sim.Stats()
	if stats.SendActions != len(w.GUIDs) {
		return fmt.Errorf("simulator accepted %d Send actions for %d sub-requests; want exactly one each", stats.SendActions, len(w.GUIDs))
	}
	var bad []string
	sent, debts := 0, 0
	for _, a := range sim.Answers() {
		want, ok := w.Debt[a.SubrequestGUID]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("answer to unknown sub-request %s", a.SubrequestGUID))
		case a.ResponseStatus != "Sent":
			bad = append(bad, fmt.Sprintf("%s: status %s; want Sent", a.SubrequestGUID, a.ResponseStatus))
		case (a.HasDebt != nil && *a.HasDebt) != want:
			bad = append(bad, fmt.Sprintf("%s: hasDebt %v; want %v", a.SubrequestGUID, !want, want))
		case want && (len(a.Debtors) == 0 || len(a.Documents) == 0):
			bad = append(bad, fmt.Sprintf("%s: debt answer without debtors or documents", a.SubrequestGUID))
		default:
			sent++
			if want {
				debts++
			}
		}
	}
	if sent != len(w.GUIDs) && len(bad) == 0 {
		bad = append(bad, fmt.Sprintf("%d of %d sub-requests answered", sent, len(w.GUIDs)))
	}
	if debts == 0 || debts == len(w.GUIDs) {
		bad = append(bad, fmt.Sprintf("%d of %d answers are debts; the world should mix both", debts, len(w.GUIDs)))
	}
	srs, err := st.ListSubRequests(ctx, store.SubRequestFilter{})
	if err != nil {
		return fmt.Errorf("list sub-requests: %w", err)
	}
	if len(srs) != len(w.GUIDs) {
		bad = append(bad, fmt.Sprintf("store holds %d sub-requests; want %d", len(srs), len(w.GUIDs)))
	}
	for _, sr := range srs {
		if sr.State != domain.StateAnswered {
			bad = append(bad, fmt.Sprintf("store: %s is %s; want answered", sr.GUID, sr.State))
		}
	}
	if len(bad) > 0 {
		if len(bad) > 10 {
			bad = append(bad[:10], fmt.Sprintf("… and %d more", len(bad)-10))
		}
		return fmt.Errorf("%d problems:\n%s", len(bad), strings.Join(bad, "\n"))
	}
	return nil
}
