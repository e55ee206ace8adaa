package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/alert"
	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestLostResponsesSQLite: 30 % of the imports GIS processed lose their answer; every
// sub-request is answered and GIS records one Send each (check counts them per GUID).
func TestLostResponsesSQLite(t *testing.T) {
	t.Parallel()
	f := tenPercent
	f.LostResponse = 0.3
	// Small messages, so that many imports lose their answer.
	h := runWorld(t, filepath.Join(t.TempDir(), "gisgw.db"), 1, 300, f, func(c *config.Config) { c.Pipeline.BatchSize = 10 })
	if lost := h.sim.Stats().Faults.LostResponse; lost < 3 {
		t.Errorf("%d imports lost their answer; the run proves little", lost)
	}
}

// TestLostResponsesReplicasPostgres: the same with three replicas on PostgreSQL.
func TestLostResponsesReplicasPostgres(t *testing.T) {
	t.Parallel()
	f := tenPercent
	f.LostResponse = 0.3
	h := runWorld(t, storetest.PostgresSchema(t), 3, 300, f, func(c *config.Config) { c.Pipeline.BatchSize = 10 })
	if lost := h.sim.Stats().Faults.LostResponse; lost < 3 {
		t.Errorf("%d imports lost their answer; the run proves little", lost)
	}
}

// hooks records the webhook alerts.
type hooks struct {
	mu  sync.Mutex
	got []alert.Payload
	srv *httptest.Server
}

func newHooks(t *testing.T) *hooks {
	h := &hooks{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p alert.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err == nil {
			h.mu.Lock()
			h.got = append(h.got, p)
			h.mu.Unlock()
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hooks) kinds() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.got {
		out = append(out, p.Kind)
	}
	return out
}

func (h *hooks) has(prefix string) bool {
	for _, k := range h.kinds() {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// runDaemon runs a in daemon mode until the test ends.
func runDaemon(t *testing.T, a *app.App) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("daemon stopped: %v", err)
		}
	})
}

const org2 = "7e2d3c4b-5a69-4d7e-8f90-1a2b3c4d5e6f"

// TestStuckExportHoldsBackNothing: GIS keeps the first organization's exports at
// RequestState 2. Its answers already in the store, and every answer of a second
// organization, still reach GIS within 30 s, and alerts go out; run --once exits within
// its bound with a clear error.
func TestStuckExportHoldsBackNothing(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, filepath.Join(t.TempDir(), "gisgw.db"), 20, gissim.Options{
		Faults: gissim.Faults{Stuck: 1}, StuckOrgs: []string{apptest.Org},
	})
	// The second organization: a world of its own, addressed to org2.
	w2 := apptest.NewWorld(t, 20, 8, apptest.Today)
	if err := h.sim.LoadScenario(bytes.NewReader(bytes.ReplaceAll(w2.Scenario, []byte(apptest.Org), []byte(org2)))); err != nil {
		t.Fatal(err)
	}
	// Its records have ids of their own.
	for i := range w2.Premises {
		w2.Premises[i].ID = "B" + w2.Premises[i].ID
	}
	for i := range w2.Acts {
		w2.Acts[i].ID, w2.Acts[i].PremisesID = "B"+w2.Acts[i].ID, "B"+w2.Acts[i].PremisesID
	}
	hk := newHooks(t)
	h.cfg.Organizations = append(h.cfg.Organizations, config.Organization{OrgPPAGUID: org2, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6e"})
	h.cfg.GIS.PollLimit = config.Duration(2 * time.Second)
	h.cfg.Alerts = config.Alerts{Webhook: hk.srv.URL, DaysBefore: 5, Every: config.Duration(200 * time.Millisecond)}
	h.cfg.Pipeline.PullRetry, h.cfg.Pipeline.PullRetryMax = config.Duration(100*time.Millisecond), config.Duration(time.Second)
	ctx := t.Context()

	// run --once meets the stuck export: a clear error within the poll limit's bound. It
	// has a database of its own: the daemon below starts afresh.
	daemonDB := h.cfg.DB
	h.cfg.DB = filepath.Join(t.TempDir(), "once.db")
	once := h.newApp(ctx, "once")
	h.cfg.DB = daemonDB
	start := time.Now()
	err := once.RunOnce(ctx)
	if err == nil || !strings.Contains(err.Error(), "gis.poll_limit") || !strings.Contains(err.Error(), apptest.Org) {
		t.Fatalf("RunOnce against a stuck export: %v; want the poll limit named with the organization", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("RunOnce took %s; want it bounded by the poll limit", d)
	}
	once.Close()
	stuckRun := time.Since(start)

	a := h.newApp(ctx, "daemon")
	st := a.Store()
	// Records without an organization serve both (a settlement centre's shared register).
	h.load(ctx, st)
	if _, err := st.ImportPremises(ctx, "", w2.Premises); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportCourtActs(ctx, "", w2.Acts); err != nil {
		t.Fatal(err)
	}
	// The first organization's sub-requests were pulled before GIS got stuck.
	var first []domain.SubRequest
	for _, sr := range h.sim.SubRequests() {
		if strings.EqualFold(sr.OrgPPAGUID, apptest.Org) {
			first = append(first, domain.SubRequest{
				GUID: sr.GUID, OrgGUID: apptest.Org, RequestGUID: sr.RequestGUID, RequestNumber: sr.RequestNumber,
				RequesterGUID: sr.RequesterGUID, RequesterName: sr.RequesterName, HouseGUID: sr.HouseGUID,
				AddressDetails: sr.AddressDetails, HMObjectGUID: sr.HMObjectGUID, AddressType: sr.AddressType,
				FIASHouseGUID: sr.FIASHouseGUID, Address: sr.Address, PeriodFrom: sr.PeriodFrom, PeriodTo: sr.PeriodTo,
				SentDate: sr.SentDate, ResponseDate: sr.ResponseDate, ResponseStatus: sr.ResponseStatus, State: domain.StateNew,
			})
		}
	}
	if len(first) != 20 {
		t.Fatalf("%d sub-requests of the first organization; want 20", len(first))
	}
	if _, err := st.UpsertSubRequests(ctx, first); err != nil {
		t.Fatal(err)
	}
	// Two of them had gone to review, and a person has confirmed them since: answers of the
	// stuck organization that only wait for the send step.
	for _, sr := range first[:2] {
		proposal := domain.Decision{SubRequestGUID: sr.GUID, RuleVersion: decide.RuleVersion, DecidedAt: apptest.Today,
			Review: true, ReviewReasons: []string{"test: нужна проверка человеком"}}
		if err := st.SaveDecision(ctx, proposal, domain.StateReview); err != nil {
			t.Fatal(err)
		}
		d, err := decide.Review(sr, &proposal, nil, decide.Choice{Answer: decide.Confirm}, "officer", "", apptest.Today)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.RecordReview(ctx, sr.GUID, "officer", "", d); err != nil {
			t.Fatal(err)
		}
		if got, err := st.GetSubRequest(ctx, sr.GUID); err != nil || got.State != domain.StateReady {
			t.Fatalf("confirmed %s: state %s, %v; want ready", sr.GUID, got.State, err)
		}
	}
	runDaemon(t, a)
	all := append(append([]string{}, h.w.GUIDs...), w2.GUIDs...)
	var missing []string
	took := waitFor(t, 30*time.Second, "every answer in GIS", func() bool {
		missing = missing[:0]
		for _, g := range all {
			if h.sim.Sends(g) != 1 {
				missing = append(missing, g)
			}
		}
		if len(missing) > 0 && time.Since(start) > 29*time.Second+stuckRun {
			for _, g := range missing[:3] {
				sr, _ := st.GetSubRequest(ctx, g)
				d, err := st.GetDecision(ctx, g)
				t.Logf("missing %s: %s %v %v", g, sr.State, d.ReviewReasons, err)
			}
		}
		return len(missing) == 0
	})
	t.Logf("40 answers of two organizations (2 confirmed by a person) in GIS %s after the start, the first organization's exports stuck", took.Round(time.Millisecond))
	for _, sr := range first[:2] {
		if d, err := st.GetDecision(ctx, sr.GUID); err != nil || d.DecidedBy != "officer" {
			t.Errorf("%s: the answer sent is not the person's (%q, %v)", sr.GUID, d.DecidedBy, err)
		}
	}
	waitFor(t, 10*time.Second, "a deadline alert", func() bool { return hk.has("deadline-") })
}

// TestMissingCourtActFile: some court-act files are missing. Every other answer is sent;
// the waiting ones show the cause in the dashboard, the report and an alert, and go out
// within a minute of the files coming back.
func TestMissingCourtActFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t, filepath.Join(t.TempDir(), "gisgw.db"), 60, tenPercent)
	hk := newHooks(t)
	h.cfg.Alerts = config.Alerts{Webhook: hk.srv.URL, DaysBefore: 1, Every: config.Duration(200 * time.Millisecond)}
	h.cfg.Pipeline.FileRetry, h.cfg.Pipeline.FileRetryMax = config.Duration(500*time.Millisecond), config.Duration(2*time.Second)
	h.cfg.Dashboard = config.Dashboard{Token: "test-token-of-at-least-24-chars"}
	// Every other act's file is away.
	var away []string
	for i, act := range h.w.Acts {
		if i%2 == 1 {
			if err := os.Rename(act.Document.Path, act.Document.Path+".away"); err != nil {
				t.Fatal(err)
			}
			away = append(away, act.Document.Path)
		}
	}
	ctx := t.Context()
	a := h.newApp(ctx, "daemon")
	h.load(ctx, a.Store())
	addr, err := a.Serve()
	if err != nil {
		t.Fatal(err)
	}
	runDaemon(t, a)
	st := a.Store()
	var blocked []domain.SubRequest
	waitFor(t, 30*time.Second, "every answer but the blocked ones sent", func() bool {
		srs, err := st.ListSubRequests(ctx, store.SubRequestFilter{})
		if err != nil {
			t.Fatal(err)
		}
		blocked = blocked[:0]
		if len(srs) < len(h.w.GUIDs) {
			return false
		}
		for _, sr := range srs {
			switch {
			case sr.State == domain.StateAnswered:
			case sr.State == domain.StateReady && sr.BlockedReason != "":
				blocked = append(blocked, sr)
			default:
				return false
			}
		}
		return true
	})
	if len(blocked) == 0 {
		t.Fatal("no answer waits for a missing file; the test proves nothing")
	}
	for _, g := range h.w.GUIDs {
		if n := h.sim.Sends(g); n > 1 {
			t.Errorf("%s sent %d times", g, n)
		}
	}
	sr := blocked[0]
	if !strings.Contains(sr.BlockedReason, ".pdf»") || strings.Contains(sr.BlockedReason, "Должников") {
		t.Errorf("reason %q; want the file named and no debtor", sr.BlockedReason)
	}
	// The dashboard's sub-request page and open list, the report, an alert.
	for _, path := range []string{"/subrequests/" + sr.GUID, "/"} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer test-token-of-at-least-24-chars")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "не удалось прочитать или загрузить") {
			t.Errorf("dashboard %s does not show the cause", path)
		}
	}
	rep, err := report.Build(ctx, st, report.Options{Today: apptest.Today})
	if err != nil {
		t.Fatal(err)
	}
	noted := false
	for _, r := range rep.Rows {
		noted = noted || r.GUID == sr.GUID && strings.Contains(r.Note, "не удалось прочитать или загрузить")
	}
	if !noted {
		t.Error("the report does not show the cause")
	}
	waitFor(t, 10*time.Second, "an alert about the blocked answers", func() bool { return hk.has(alert.KindBlocked + "-") })
	if !strings.Contains(h.logs.tail(200), "court-act file could not be read or uploaded") {
		t.Error("no warning logged")
	}

	// The files come back: the answers go out within a minute.
	for _, p := range away {
		if err := os.Rename(p+".away", p); err != nil {
			t.Fatal(err)
		}
	}
	took := waitFor(t, time.Minute, "the blocked answers sent", func() bool {
		for _, b := range blocked {
			if h.sim.Sends(b.GUID) != 1 {
				return false
			}
		}
		return true
	})
	t.Logf("%d answers waited for their files; sent %s after the files came back", len(blocked), took.Round(time.Millisecond))
	waitFor(t, 10*time.Second, "GIS's results recorded", func() bool {
		srs, err := st.ListSubRequests(ctx, store.SubRequestFilter{States: []domain.State{domain.StateAnswered}})
		return err == nil && len(srs) == len(h.w.GUIDs)
	})
	h.check(ctx, st)
}

// TestAutoAnswersBeforeFirstPull: GIS answered automatically before gisgw's first pull;
// those sub-requests are recorded as answered automatically and count as late.
func TestAutoAnswersBeforeFirstPull(t *testing.T) {
	t.Parallel()
	h := newHarness(t, filepath.Join(t.TempDir(), "gisgw.db"), 20, gissim.Faults{})
	later := apptest.Today.AddDate(0, 0, 14)
	h.sim.SetToday(later) // every deadline passed: GIS answered "no debt" itself
	base := time.Now()
	h.now = func() time.Time { return later.Add(time.Since(base)) }
	h.cfg.Dashboard = config.Dashboard{Token: "test-token-of-at-least-24-chars"}
	ctx := t.Context()
	a := h.newApp(ctx, "late")
	if err := a.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	srs, err := a.Store().ListSubRequests(ctx, store.SubRequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(srs) != 20 {
		t.Fatalf("%d sub-requests recorded; want all 20", len(srs))
	}
	for _, sr := range srs {
		if sr.State != domain.StateAutoAnswered {
			t.Errorf("%s is %s; want auto_answered", sr.GUID, sr.State)
		}
	}
	if n := h.sim.Stats().SendActions; n != 0 {
		t.Errorf("%d answers sent to sub-requests GIS had closed", n)
	}
	rep, err := report.Build(ctx, a.Store(), report.Options{Today: later, IncludeClosed: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Late != 20 || rep.Totals.OnTime != 0 {
		t.Errorf("report: %d on time, %d late; want 0 and 20", rep.Totals.OnTime, rep.Totals.Late)
	}
	addr, err := a.Serve()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	req.Header.Set("Authorization", "Bearer test-token-of-at-least-24-chars")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`<span id="ontime">0</span>`, `<span id="closed">20</span>`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

// TestReadyzFollowsTheStore: /readyz is 503 while the PostgreSQL database is read-only and
// 200 again once it takes writes; /healthz stays 200.
func TestReadyzFollowsTheStore(t *testing.T) {
	t.Parallel()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx := t.Context()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at TEST_DATABASE_URL is unreachable under CI: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	defer admin.Close(context.Background())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db := "gisgw_ready_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)") })
	u, _ := url.Parse(base)
	u.Path = "/" + db
	h := newHarness(t, u.String(), 5, gissim.Faults{})
	a := h.newApp(ctx, "ready")
	addr, err := a.Serve()
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	readOnly := func(on string) {
		if _, err := admin.Exec(ctx, "ALTER DATABASE "+db+" SET default_transaction_read_only = "+on); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, db); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d %s; want 200", code, body)
	}
	readOnly("on")
	var body string
	waitFor(t, 10*time.Second, "/readyz 503 on a read-only database", func() bool {
		var code int
		code, body = get("/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "read-only")
	})
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d while the store is read-only; want 200 (alive)", code)
	}
	readOnly("off")
	waitFor(t, 10*time.Second, "/readyz 200 again", func() bool { code, _ := get("/readyz"); return code == http.StatusOK })
	t.Logf("read-only: %s", strings.TrimSpace(body))
}
