package app_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// tenPercent is the fault mix of the end-to-end runs: one call in ten fails.
var tenPercent = gissim.Faults{HTTP500: 0.03, HTTP503: 0.03, EXP001000: 0.02, Drop: 0.02}

func TestEndToEndSQLite(t *testing.T) {
	t.Parallel()
	runWorld(t, filepath.Join(t.TempDir(), "gisgw.db"), 1, 1000, tenPercent)
}

func TestEndToEndPostgres(t *testing.T) {
	t.Parallel()
	runWorld(t, storetest.PostgresSchema(t), 1, 1000, tenPercent)
}

func TestEndToEndReplicasPostgres(t *testing.T) {
	t.Parallel()
	runWorld(t, storetest.PostgresSchema(t), 3, 1000, tenPercent)
}

type harness struct {
	t    testing.TB
	w    *apptest.World
	sim  *gissim.Sim
	srv  *httptest.Server
	cfg  config.Config
	now  func() time.Time
	logs *lockedBuffer
}

func newHarness(t testing.TB, dsn string, n int, faults gissim.Faults) *harness {
	return newHarnessWith(t, dsn, n, gissim.Options{Faults: faults})
}

// newHarnessWith is newHarness with more of the simulator's options (Faults, StuckOrgs,
// UploadFailNames); the harness sets the clock, delay, seed and checks.
func newHarnessWith(t testing.TB, dsn string, n int, so gissim.Options) *harness {
	t.Helper()
	h := &harness{t: t, w: apptest.NewWorld(t, n, 7, apptest.Today), logs: &lockedBuffer{}}
	base := time.Now()
	h.now = func() time.Time { return apptest.Today.Add(time.Since(base)) }
	so.Now, so.Delay, so.Seed = h.now, 20*time.Millisecond, 11
	so.Verify, so.CheckAttachments = gissim.VerifySignatures(nil), true
	h.sim = gissim.New(so)
	h.sim.SetToday(apptest.Today)
	if err := h.sim.LoadScenario(bytes.NewReader(h.w.Scenario)); err != nil {
		t.Fatalf("load scenario: %v", err)
	}
	h.srv = httptest.NewServer(h.sim.Handler())
	t.Cleanup(h.srv.Close)
	key, cert := apptest.TestKey(t)
	h.cfg = config.Config{
		DB:     dsn,
		Listen: "127.0.0.1:0",
		Log:    config.Log{Level: "warn", Format: "text"},
		GIS: config.GIS{
			Endpoint: h.srv.URL,
			Poll:     []config.Duration{config.Duration(20 * time.Millisecond), config.Duration(50 * time.Millisecond)},
			Retry:    config.Retry{Initial: config.Duration(5 * time.Millisecond), Max: config.Duration(50 * time.Millisecond), MaxRetries: 10},
		},
		Signing:       config.Signing{Key: key, Cert: cert},
		Organizations: []config.Organization{{OrgPPAGUID: apptest.Org, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"}},
		Pipeline:      config.Pipeline{Lease: config.Duration(3 * time.Second), Settle: config.Duration(time.Second)},
	}
	return h
}

func (h *harness) newApp(ctx context.Context, owner string) *app.App {
	h.t.Helper()
	log := slog.New(app.MaskHandler(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	a, err := app.New(ctx, h.cfg, app.Deps{Logger: log, Now: h.now, Registry: prometheus.NewRegistry(), Owner: owner})
	if err != nil {
		h.t.Fatalf("app.New: %v", err)
	}
	h.t.Cleanup(func() { a.Close() })
	return a
}

func (h *harness) load(ctx context.Context, st store.Store) {
	h.t.Helper()
	if _, err := st.ImportPremises(ctx, "", h.w.Premises); err != nil {
		h.t.Fatalf("import premises: %v", err)
	}
	if _, err := st.ImportCourtActs(ctx, "", h.w.Acts); err != nil {
		h.t.Fatalf("import court acts: %v", err)
	}
}

// answered counts the sub-requests GIS holds an answer for.
func (h *harness) answered() int {
	n := 0
	for _, a := range h.sim.Answers() {
		if a.ResponseStatus == "Sent" {
			n++
		}
	}
	return n
}

// check asserts that every sub-request was answered exactly once, as the rules demand.
func (h *harness) check(ctx context.Context, st store.Store) {
	t := h.t
	t.Helper()
	stats := h.sim.Stats()
	if stats.SendActions != len(h.w.GUIDs) {
		t.Errorf("simulator accepted %d Send actions for %d sub-requests; want exactly one each", stats.SendActions, len(h.w.GUIDs))
	}
	for _, g := range h.w.GUIDs {
		if n := h.sim.Sends(g); n != 1 {
			t.Errorf("GIS recorded %d Send actions for %s; want 1", n, g)
		}
	}
	debts := 0
	for _, a := range h.sim.Answers() {
		want, ok := h.w.Debt[a.SubrequestGUID]
		if !ok {
			t.Errorf("answer to unknown sub-request %s", a.SubrequestGUID)
			continue
		}
		if a.ResponseStatus != "Sent" {
			t.Errorf("%s: status %s; want Sent", a.SubrequestGUID, a.ResponseStatus)
			continue
		}
		if got := a.HasDebt != nil && *a.HasDebt; got != want {
			t.Errorf("%s: hasDebt %v; want %v", a.SubrequestGUID, got, want)
		}
		if want {
			debts++
			if len(a.Debtors) == 0 || len(a.Documents) == 0 {
				t.Errorf("%s: debt answer without debtors or documents", a.SubrequestGUID)
			}
		}
	}
	if debts == 0 || debts == len(h.w.GUIDs) {
		t.Errorf("%d of %d answers are debts; the world should mix both", debts, len(h.w.GUIDs))
	}
	srs, err := st.ListSubRequests(ctx, store.SubRequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sr := range srs {
		if sr.State != "answered" {
			t.Errorf("store: %s is %s; want answered", sr.GUID, sr.State)
		}
	}
	if injected := stats.Faults.HTTP500 + stats.Faults.HTTP503 + stats.Faults.EXP001000 + stats.Faults.Drop; injected == 0 {
		t.Errorf("no fault was injected; the run proves nothing about them")
	}
	t.Logf("%d sub-requests, %d debts, %d messages, faults %+v, files %d", len(srs), debts, stats.Messages, stats.Faults, stats.FileStore.Files)
}

func runWorld(t *testing.T, dsn string, replicas, n int, faults gissim.Faults, mods ...func(*config.Config)) *harness {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	h := newHarness(t, dsn, n, faults)
	for _, mod := range mods {
		mod(&h.cfg)
	}
	apps := make([]*app.App, replicas)
	for i := range apps {
		apps[i] = h.newApp(ctx, fmt.Sprintf("replica-%d", i+1))
	}
	h.load(ctx, apps[0].Store())
	start := time.Now()
	var wg sync.WaitGroup
	for _, a := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each replica passes until GIS holds every answer; errors from injected faults
			// are logged and the next pass retries.
			for ctx.Err() == nil && h.answered() < n {
				_ = a.RunOnce(ctx)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		review, _ := apps[0].Store().ListReview(ctx, "")
		t.Fatalf("not finished in time: %d of %d answered, %d in review; logs:\n%s", h.answered(), n, len(review), h.logs.tail(40))
	}
	t.Logf("%d replica(s): %d sub-requests answered in %s", replicas, n, time.Since(start).Round(time.Millisecond))
	h.check(ctx, apps[0].Store())
	if replicas == 1 {
		// Every cited file is uploaded once, however many answers cite it.
		cited := map[string]bool{}
		for _, a := range h.sim.Answers() {
			for _, d := range a.Documents {
				cited[d.AttachmentGUID] = true
			}
		}
		if got := h.sim.Stats().FileStore.Files; got != len(cited) {
			t.Errorf("%d files uploaded for %d cited attachments; want one upload each", got, len(cited))
		}
	}
	return h
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(b.buf.String()), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
