package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/alert"
	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/pipeline"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/soap/soaptest"
)

// simClock is a simulated clock the test moves by hand.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// hookSink records the alerts posted to the webhook.
type hookSink struct {
	mu  sync.Mutex
	got []alert.Payload
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p alert.Payload
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, p)
}

// items lists the sub-requests alerted with kind.
func (h *hookSink) items(kind string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.got {
		if p.Kind == kind {
			for _, it := range p.Items {
				out = append(out, it.SubRequestGUID)
			}
		}
	}
	slices.Sort(out)
	return out
}

const (
	subNoHouse = "1b1b1b1b-0000-4000-8000-000000000001"
	subDoubt   = "1b1b1b1b-0000-4000-8000-000000000002"
	ourHouse   = "2c2c2c2c-0000-4000-8000-000000000001"
)

// TestDeadlineRuleAgainstTheSimulator (LEGAL-RULES §10.8) on a simulated clock: two
// sub-requests sent Monday 16 November 2026, due Monday 23 November. One names a house the
// organization does not hold, the other a flat whose court act has no balance. Both alert
// from Thursday (two working days before, although alerts.days_before is 1); on Friday the
// unmatched house is answered "no debt" by the organization's rule, with its description,
// audited and in the report, while the doubtful act stays with the person (alerted again).
func TestDeadlineRuleAgainstTheSimulator(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		policy  map[string]string
		answers bool // the unmatched house is answered on Friday
	}{
		{"default rule", nil, true},
		{"unmatched house set to wait", map[string]string{"no_house": "wait"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runDeadlineRule(t, tc.policy, tc.answers)
		})
	}
}

func runDeadlineRule(t *testing.T, policy map[string]string, answers bool) {
	ctx := t.Context()
	clk := &simClock{t: time.Date(2026, 11, 18, 10, 0, 0, 0, calendar.Moscow())} // Wednesday
	sim := gissim.New(gissim.Options{Now: clk.Now, Seed: 3, Verify: gissim.VerifySignatures(nil)})
	sim.SetToday(clk.Now())
	scenario := "org_ppa_guid,subrequest_guid,request_guid,request_number,requester_guid,requester_name,house_guid,address_details,hm_object_guid,adress_type,fias_house_guid,address,period_from,period_to,sent_date,response_date\n" +
		apptest.Org + "," + subNoHouse + ",3d3d3d3d-0000-4000-8000-000000000001,2026-1,4e4e4e4e-0000-4000-8000-000000000001,УСЗН,5f5f5f5f-0000-4000-8000-000000000009,кв. 1,,,,\"г. Тест, ул. Чужая, д. 1, кв. 1\",2024-01-01,2026-10-31,2026-11-16,2026-11-23\n" +
		apptest.Org + "," + subDoubt + ",3d3d3d3d-0000-4000-8000-000000000002,2026-2,4e4e4e4e-0000-4000-8000-000000000001,УСЗН," + ourHouse + ",кв. 5,,,,\"г. Тест, ул. Наша, д. 2, кв. 5\",2024-01-01,2026-10-31,2026-11-16,2026-11-23\n"
	if err := sim.LoadScenario(strings.NewReader(scenario)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	hooks := &hookSink{}
	hookSrv := httptest.NewServer(hooks)
	t.Cleanup(hookSrv.Close)
	key, cert := apptest.TestKey(t)
	cfg := config.Config{
		DB:            filepath.Join(t.TempDir(), "gisgw.db"),
		Log:           config.Log{Level: "warn", Format: "text"},
		GIS:           config.GIS{Endpoint: srv.URL, Poll: []config.Duration{config.Duration(10 * time.Millisecond)}},
		Signing:       config.Signing{Key: key, Cert: cert},
		Organizations: []config.Organization{{OrgPPAGUID: apptest.Org, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"}},
		Alerts:        config.Alerts{DaysBefore: 1, Webhook: hookSrv.URL},
		Review:        config.Review{OnDeadline: policy},
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, cfg.WithDefaults(), app.Deps{Logger: slog.New(slog.DiscardHandler), Now: clk.Now, Registry: prometheus.NewRegistry(), Owner: "t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	st := a.Store()
	doc := filepath.Join(t.TempDir(), "act.pdf")
	if err := os.WriteFile(doc, []byte("%PDF-1.4\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportPremises(ctx, apptest.Org, []domain.Premises{{ID: "P-5", HouseGUID: ourHouse, Flat: "5", Address: "г. Тест, ул. Наша, д. 2, кв. 5"}}); err != nil {
		t.Fatal(err)
	}
	effective := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := st.ImportCourtActs(ctx, apptest.Org, []domain.CourtAct{{
		ID: "A-1", PremisesID: "P-5", CaseNumber: "2-1/2026", Kind: domain.ActCourtOrder, PronouncedOn: effective.AddDate(0, -1, 0),
		EffectiveOn: effective, DebtFrom: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), DebtTo: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
		Amount: 1_000_00, OutstandingUnknown: true, Debtors: []domain.Debtor{{LastName: "Должников", FirstName: "Пётр"}},
		Document: &domain.Document{Name: "act.pdf", Path: doc, Size: 15},
	}}); err != nil {
		t.Fatal(err)
	}
	day := func(d int) {
		t.Helper()
		clk.set(time.Date(2026, 11, d, 10, 0, 0, 0, calendar.Moscow()))
		sim.SetToday(clk.Now())
		if err := a.RunOnce(ctx); err != nil {
			t.Fatalf("RunOnce on %d November: %v", d, err)
		}
	}
	state := func(guid string) domain.State {
		t.Helper()
		sr, err := st.GetSubRequest(ctx, guid)
		if err != nil {
			t.Fatal(err)
		}
		return sr.State
	}
	both := []string{subNoHouse, subDoubt}

	// Wednesday: three working days left; both wait for a person, nobody is alerted yet.
	day(18)
	if state(subNoHouse) != domain.StateReview || state(subDoubt) != domain.StateReview {
		t.Fatalf("states on Wednesday = %s, %s; want review, review", state(subNoHouse), state(subDoubt))
	}
	if d, err := st.GetDecision(ctx, subNoHouse); err != nil || !strings.HasPrefix(strings.Join(d.ReviewReasons, "|"), "no_house: ") {
		t.Fatalf("the unmatched house's reasons = %q, %v; want no_house first", d.ReviewReasons, err)
	}
	if got := hooks.items("deadline-2"); len(got) != 0 {
		t.Fatalf("alerted on Wednesday: %v", got)
	}
	// Thursday: two working days left: both alerted, nothing answered yet.
	day(19)
	if got := hooks.items("deadline-2"); !slices.Equal(got, both) {
		t.Fatalf("deadline-2 alerts on Thursday = %v; want both", got)
	}
	if n := sim.Sends(subNoHouse) + sim.Sends(subDoubt); n != 0 {
		t.Fatalf("%d answers sent on Thursday; want none before the working day before the deadline", n)
	}
	// Friday: the working day before Monday's deadline.
	day(20)
	if got := sim.Sends(subDoubt); got != 0 || state(subDoubt) != domain.StateReview {
		t.Fatalf("the doubtful act: %d sends, state %s; want it left to the person", got, state(subDoubt))
	}
	if got := hooks.items("deadline-1"); !slices.Contains(got, subDoubt) {
		t.Fatalf("deadline-1 alerts on Friday = %v; want the doubtful act again", got)
	}
	rep, err := report.Build(ctx, st, report.Options{Org: apptest.Org, Today: clk.Now(), IncludeClosed: true})
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, r := range rep.Rows {
		notes[r.GUID] = r.Note
	}
	if !strings.Contains(notes[subDoubt], report.NoteWaits) {
		t.Fatalf("report note of the doubtful act = %q; want %q", notes[subDoubt], report.NoteWaits)
	}
	if !answers {
		if got := sim.Sends(subNoHouse); got != 0 || state(subNoHouse) != domain.StateReview {
			t.Fatalf("the unmatched house set to wait: %d sends, state %s; want it left to the person", got, state(subNoHouse))
		}
		if !strings.Contains(notes[subNoHouse], report.NoteWaits) {
			t.Fatalf("report note of the unmatched house = %q; want %q", notes[subNoHouse], report.NoteWaits)
		}
		return
	}
	if got := sim.Sends(subNoHouse); got != 1 || state(subNoHouse) != domain.StateAnswered {
		t.Fatalf("the unmatched house: %d sends, state %s; want answered once", got, state(subNoHouse))
	}
	for _, ans := range sim.Answers() {
		if ans.SubrequestGUID == subNoHouse && (ans.HasDebt == nil || *ans.HasDebt || ans.Description != pipeline.NoRecordsDescription) {
			t.Fatalf("GIS holds %+v; want \"no debt\" with the no-records description", ans)
		}
	}
	audit, err := st.Audit(ctx, subNoHouse)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(audit, func(e domain.AuditEntry) bool { return e.Actor == pipeline.PolicyActor }) {
		t.Fatalf("the audit trail does not name the organization's rule: %+v", audit)
	}
	if !strings.Contains(notes[subNoHouse], report.NoteByRule) {
		t.Fatalf("report note of the unmatched house = %q; want %q", notes[subNoHouse], report.NoteByRule)
	}
}

// TestOperatorSignature (LEGAL-RULES §10.9): every message for an organization with
// operator_signature carries IsOperatorSignature=true in its RequestHeader, another
// organization's messages do not, and the envelopes validate against the official XSD.
func TestOperatorSignature(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const other = "7a7a7a7a-0000-4000-8000-000000000001"
	sim := gissim.New(gissim.Options{Now: func() time.Time { return apptest.Today }, Seed: 5, Verify: gissim.VerifySignatures(nil)})
	sim.SetToday(apptest.Today)
	var mu sync.Mutex
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if bytes.Contains(b, []byte("RequestHeader")) {
			mu.Lock()
			bodies = append(bodies, b)
			mu.Unlock()
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	key, cert := apptest.TestKey(t)
	cfg := config.Config{
		DB:      filepath.Join(t.TempDir(), "gisgw.db"),
		Log:     config.Log{Level: "warn", Format: "text"},
		GIS:     config.GIS{Endpoint: srv.URL, Poll: []config.Duration{config.Duration(10 * time.Millisecond)}},
		Signing: config.Signing{Key: key, Cert: cert},
		Organizations: []config.Organization{
			{OrgPPAGUID: apptest.Org, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d", OperatorSignature: true},
			{OrgPPAGUID: other, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"},
		},
	}
	a, err := app.New(ctx, cfg.WithDefaults(), app.Deps{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return apptest.Today }, Registry: prometheus.NewRegistry(), Owner: "t"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	_ = a.RunOnce(ctx) // pulls both organizations; what GIS answers does not matter here

	orgRE := regexp.MustCompile(`orgPPAGUID>([^<]+)<`)
	seen := map[string]int{}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bodies {
		m := orgRE.FindSubmatch(b)
		if m == nil {
			t.Fatalf("a message names no orgPPAGUID:\n%s", b)
		}
		org := string(m[1])
		seen[org]++
		marked := bytes.Contains(b, []byte("IsOperatorSignature>true<"))
		if want := org == apptest.Org; marked != want {
			t.Errorf("a message of %s: IsOperatorSignature=true is %v; want %v", org, marked, want)
		}
		if seen[org] == 1 {
			soaptest.ValidateEnvelope(t, b)
		}
	}
	if seen[apptest.Org] == 0 || seen[other] == 0 {
		t.Fatalf("messages by organization = %v; want some of each", seen)
	}
}
