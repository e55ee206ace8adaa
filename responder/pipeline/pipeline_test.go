package pipeline

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/responder/domain"
)

const org = "org-1"

// bundle is one pipeline over fresh fakes sharing a simulated clock.
type bundle struct {
	clk *clock
	st  *fakeStore
	gis *fakeGIS
	dec *fakeDecider
	reg *prometheus.Registry
	p   *Pipeline
}

// counter reads the pipeline metric name with the given label value, or the unlabelled
// one for "" (0 when absent).
func (b *bundle) counter(t *testing.T, name, label string) float64 {
	t.Helper()
	mfs, err := b.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label == "" && len(m.GetLabel()) == 0 {
				return m.GetCounter().GetValue()
			}
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// setup builds a pipeline over fakes; GIS serves subs. mod adjusts the options.
func setup(t *testing.T, mod func(*Options), subs ...domain.SubRequest) *bundle {
	t.Helper()
	b := &bundle{clk: newClock(), gis: newFakeGIS(subs...), dec: &fakeDecider{}, reg: prometheus.NewRegistry()}
	b.st = newFakeStore(b.clk.Now)
	o := Options{
		Store: b.st, GIS: b.gis, Decider: b.dec, Orgs: []Org{{GUID: org}}, Owner: "test",
		BatchSize: 2, Concurrency: 1, DecideConcurrency: 1, DecideBatchSize: 2, Lease: time.Hour, Settle: 10 * time.Minute,
		Now: b.clk.Now, IsTransient: isTransient, Metrics: NewMetrics(b.reg),
	}
	if mod != nil {
		mod(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	b.p = p
	return b
}

// subRequest is a sub-request of org sent two days before the clock's start.
func subRequest(guid string) domain.SubRequest {
	return domain.SubRequest{
		GUID: guid, OrgGUID: org,
		SentDate:     time.Date(2025, 5, 19, 0, 0, 0, 0, time.UTC),
		ResponseDate: time.Date(2025, 5, 26, 0, 0, 0, 0, time.UTC),
	}
}

func subRequests(guids ...string) []domain.SubRequest {
	out := make([]domain.SubRequest, len(guids))
	for i, g := range guids {
		out[i] = subRequest(g)
	}
	return out
}

// ready records guids in the store as decided and ready, as the decide step leaves them.
func (b *bundle) ready(t *testing.T, guids ...string) {
	t.Helper()
	ctx := t.Context()
	if _, err := b.st.UpsertSubRequests(ctx, subRequests(guids...)); err != nil {
		t.Fatal(err)
	}
	for _, g := range guids {
		d := domain.Decision{SubRequestGUID: g, RuleVersion: "test"}
		if act := b.dec.debtAt[g]; act != "" {
			d.HasDebt = true
			d.DebtInfo = []domain.DebtInfo{{Documents: []domain.Document{{ActOrg: "org", ActID: act, Name: act + ".pdf", Path: "/acts/" + act}}}}
		}
		if err := b.st.SaveDecision(ctx, d, domain.StateReady); err != nil {
			t.Fatal(err)
		}
	}
}

// stored puts guids (ready) into an outbox message created by another replica that then
// crashed; acked says whether GIS acknowledged it before the crash.
func (b *bundle) stored(t *testing.T, acked bool, guids ...string) domain.Message {
	t.Helper()
	ctx := t.Context()
	b.ready(t, guids...)
	ds, err := b.st.ClaimReady(ctx, org, "crashed", 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	m := domain.Message{ID: "msg-" + guids[0], OrgGUID: org}
	for _, d := range ds {
		m.Actions = append(m.Actions, domain.Action{TransportGUID: "tr-" + d.SubRequestGUID, SubRequestGUID: d.SubRequestGUID, Kind: domain.ActionSend, Decision: d})
	}
	if err := b.st.CreateMessage(ctx, "crashed", m, time.Minute); err != nil {
		t.Fatal(err)
	}
	if acked {
		if err := b.st.MarkMessageAcked(ctx, m.ID, "gis-"+m.ID); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func (b *bundle) wantStates(t *testing.T, want map[string]domain.State) {
	t.Helper()
	for g, st := range want {
		if got := b.st.state(g); got != st {
			t.Errorf("sub-request %s is %q; want %q", g, got, st)
		}
	}
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v; want one containing %q", err, want)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	st, gis, dec := newFakeStore(time.Now), newFakeGIS(), &fakeDecider{}
	orgs := []Org{{GUID: org}}
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"no store", Options{GIS: gis, Decider: dec, Orgs: orgs}, "required"},
		{"no GIS", Options{Store: st, Decider: dec, Orgs: orgs}, "required"},
		{"no decider", Options{Store: st, GIS: gis, Orgs: orgs}, "required"},
		{"no organization", Options{Store: st, GIS: gis, Decider: dec}, "no organizations"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(c.o)
			wantErr(t, err, c.want)
		})
	}
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		p, err := New(Options{Store: st, GIS: gis, Decider: dec, Orgs: orgs, BatchSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		o := p.o
		if !strings.HasPrefix(o.Owner, "gisgw-") || o.BatchSize != 100 || o.Concurrency != 2 ||
			o.DecideConcurrency != max(2, 2*runtime.GOMAXPROCS(0)) || o.Lease != 5*time.Minute ||
			o.Settle != 10*time.Minute || o.PullWindow != 30*24*time.Hour || o.Now == nil || o.Logger == nil || o.IsTransient(errTransient) {
			t.Errorf("defaults not applied: %+v", o)
		}
	})
}

func TestSpans(t *testing.T) {
	t.Parallel()
	d := func(s string) time.Time {
		v, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		from, to string
		want     []string // "from..to"
	}{
		{"2025-05-01", "2025-05-01", []string{"2025-05-01..2025-05-01"}},
		{"2025-05-01", "2025-04-30", nil},
		{"2025-01-01", "2025-06-30", []string{"2025-01-01..2025-06-30"}},
		{"2025-01-01", "2025-07-01", []string{"2025-01-01..2025-06-30", "2025-07-01..2025-07-01"}},
		{"2024-01-15", "2025-03-01", []string{"2024-01-15..2024-07-14", "2024-07-15..2025-01-14", "2025-01-15..2025-03-01"}},
	} {
		var got []string
		for _, s := range Spans(d(c.from), d(c.to)) {
			got = append(got, s[0].Format(time.DateOnly)+".."+s[1].Format(time.DateOnly))
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("Spans(%s, %s) = %v; want %v", c.from, c.to, got, c.want)
		}
	}
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want string
	}{
		{gisError{code: "INT002012"}, "INT002012"},
		{errors.Join(errTransient, gisError{code: "EXP001000"}), "EXP001000"},
		{errTransient, ""},
	} {
		if got := ErrorCode(c.err); got != c.want {
			t.Errorf("ErrorCode(%v) = %q; want %q", c.err, got, c.want)
		}
	}
}

func TestPull(t *testing.T) {
	t.Parallel()
	t.Run("from the window, then from the watermark", func(t *testing.T) {
		t.Parallel()
		old := subRequest("old")
		old.SentDate = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC) // before the 30-day window
		b := setup(t, nil, subRequest("a"), subRequest("b"), old)
		pr, err := b.p.pull(t.Context(), org)
		if err != nil || pr.Pulled != 2 {
			t.Fatalf("first pull: %+v, %v; want 2 new", pr, err)
		}
		today := time.Date(2025, 5, 21, 0, 0, 0, 0, time.UTC)
		if wm := b.st.watermarks[org]; !wm.Equal(today) {
			t.Errorf("watermark %v; want %v", wm, today)
		}
		if b.gis.pulls[0][0] != today.Add(-30*24*time.Hour) || b.gis.pulls[0][1] != today {
			t.Errorf("first pull asked for %v; want the 30 days to today", b.gis.pulls[0])
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateNew, "b": domain.StateNew, "old": ""})

		b.clk.advance(24 * time.Hour)
		pr, err = b.p.pull(t.Context(), org)
		if err != nil || pr.Pulled != 0 {
			t.Fatalf("second pull: %+v, %v; want nothing new", pr, err)
		}
		if got := b.gis.pulls[1]; got[0] != today.AddDate(0, 0, -1) || got[1] != today.AddDate(0, 0, 1) {
			t.Errorf("second pull asked for %v; want a day of overlap before the watermark to today", got)
		}
	})
	t.Run("a long window in spans of six months", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.PullWindow = 400 * 24 * time.Hour })
		if _, err := b.p.pull(t.Context(), org); err != nil {
			t.Fatal(err)
		}
		if len(b.gis.pulls) != 3 {
			t.Errorf("pulled in %d spans; want 3", len(b.gis.pulls))
		}
	})
	t.Run("day by day, several days at once", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.PullConcurrency = 3; o.PullWindow = 10 * 24 * time.Hour }, subRequest("a"), subRequest("b"))
		pr, err := b.p.pull(t.Context(), org)
		if err != nil || pr.Pulled != 2 {
			t.Fatalf("pull: %+v, %v; want 2 new", pr, err)
		}
		today := time.Date(2025, 5, 21, 0, 0, 0, 0, time.UTC)
		if len(b.gis.pulls) != 11 {
			t.Fatalf("pulled in %d exports; want one per day of the 11", len(b.gis.pulls))
		}
		seen := map[time.Time]bool{}
		for _, s := range b.gis.pulls {
			if !s[0].Equal(s[1]) || s[0].Before(today.AddDate(0, 0, -10)) || s[0].After(today) || seen[s[0]] {
				t.Errorf("export of %v; want each day of the window once", s)
			}
			seen[s[0]] = true
		}
		if wm := b.st.watermarks[org]; !wm.Equal(today) {
			t.Errorf("watermark %v; want %v", wm, today)
		}
	})
	t.Run("only the recent days one by one", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.PullConcurrency = 2; o.PullWindow = 100 * 24 * time.Hour })
		if _, err := b.p.pull(t.Context(), org); err != nil {
			t.Fatal(err)
		}
		today := time.Date(2025, 5, 21, 0, 0, 0, 0, time.UTC)
		var whole, single int
		for _, s := range b.gis.pulls {
			switch {
			case s[0].Equal(s[1]) && !s[0].Before(today.AddDate(0, 0, -30)):
				single++
			case s[0].Equal(today.AddDate(0, 0, -100)) && s[1].Equal(today.AddDate(0, 0, -31)):
				whole++
			default:
				t.Errorf("export of %v; want the older 70 days whole, then day by day", s)
			}
		}
		if whole != 1 || single != 31 {
			t.Errorf("%d whole and %d single-day exports; want 1 and 31", whole, single)
		}
	})
	t.Run("a failed day keeps the watermark", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.PullConcurrency = 2 }, subRequest("a"))
		b.gis.failNext("Pull", errTransient, 1)
		if _, err := b.p.pull(t.Context(), org); !errors.Is(err, errTransient) {
			t.Fatalf("pull: %v; want the Pull error", err)
		}
		if !b.st.watermarks[org].IsZero() {
			t.Error("the watermark moved although a day failed")
		}
		if pr, err := b.p.pull(t.Context(), org); err != nil || b.st.state("a") != domain.StateNew {
			t.Errorf("pull after the fault: %+v, %v; want a recorded", pr, err)
		}
	})
	t.Run("another replica pulls", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil, subRequest("a"))
		unlock, ok, err := b.st.TryLockOrg(t.Context(), org)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		defer unlock()
		pr, err := b.p.pull(t.Context(), org)
		if err != nil || pr.Pulled != 0 || len(b.gis.pulls) != 0 {
			t.Errorf("pull while locked: %+v, %v, %d GIS calls; want nothing", pr, err, len(b.gis.pulls))
		}
	})
	for _, method := range []string{"TryLockOrg", "Watermark", "Pull", "UpsertSubRequests", "SetWatermark"} {
		t.Run(method+" fails", func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil, subRequest("a"))
			b.st.failNext(method, errTransient, 1)
			b.gis.failNext(method, errTransient, 1)
			if _, err := b.p.pull(t.Context(), org); !errors.Is(err, errTransient) {
				t.Fatalf("pull: %v; want the %s error", err, method)
			}
			if method != "SetWatermark" && !b.st.watermarks[org].IsZero() {
				t.Error("the watermark moved although the pull failed")
			}
			if b.st.locked[org] {
				t.Error("the pull lock is still held")
			}
			// The next pull (the fault was transient) records what this one missed.
			if pr, err := b.p.pull(t.Context(), org); err != nil || b.st.state("a") != domain.StateNew {
				t.Errorf("pull after the fault: %+v, %v; want a recorded", pr, err)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	t.Run("ready and review, several batches at once", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.DecideConcurrency = 2 })
		b.dec.review = map[string]bool{"c": true}
		if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a", "b", "c", "d", "e")); err != nil {
			t.Fatal(err)
		}
		n, err := b.p.DecideNew(t.Context())
		if err != nil || n != 5 {
			t.Fatalf("DecideNew: %d, %v; want 5", n, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateReady, "b": domain.StateReady, "c": domain.StateReview, "d": domain.StateReady, "e": domain.StateReady})
		if got := b.counter(t, "gisgw_decisions_total", "review"); got != 1 {
			t.Errorf("review decisions counted %v; want 1", got)
		}
		for g, s := range b.st.subs {
			if s.owner != "" {
				t.Errorf("sub-request %s still leased to %q", g, s.owner)
			}
		}
	})
	t.Run("one claim for all the workers' batches", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.DecideConcurrency = 3 }) // batches of 2
		if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a", "b", "c", "d", "e", "f", "g")); err != nil {
			t.Fatal(err)
		}
		n, err := b.p.DecideNew(t.Context())
		if err != nil || n != 7 {
			t.Fatalf("DecideNew: %d, %v; want 7", n, err)
		}
		// 6 of the 7, then the last one, then none left.
		if !slices.Equal(b.st.claims, []int{6, 6, 6}) {
			t.Errorf("claims asked for %v; want [6 6 6]: one claim of three batches of 2 at a time", b.st.claims)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateReady, "b": domain.StateReady, "c": domain.StateReady,
			"d": domain.StateReady, "e": domain.StateReady, "f": domain.StateReady, "g": domain.StateReady})
	})
	t.Run("DecideConcurrency batches at once, more than Concurrency", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.Concurrency, o.DecideConcurrency = 1, 3 })
		b.dec.together, b.dec.want = make(chan struct{}), 3
		if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a", "b", "c", "d", "e", "f")); err != nil {
			t.Fatal(err)
		}
		n, err := b.p.DecideNew(t.Context())
		if err != nil || n != 6 {
			t.Fatalf("DecideNew: %d, %v; want 6", n, err)
		}
		if b.dec.apart != 0 {
			t.Errorf("%d of the 3 batches were decided apart; want all 3 at once", b.dec.apart)
		}
	})
	t.Run("a failing decider leaves the batch to a later pass", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.Lease = time.Minute })
		b.dec.failNext("DecideBatch", errTransient, 1)
		if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a", "b")); err != nil {
			t.Fatal(err)
		}
		pr, err := b.p.decide(t.Context())
		if !errors.Is(err, errTransient) || pr.Decided != 0 {
			t.Fatalf("decide: %+v, %v; want the decider's error", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateNew, "b": domain.StateNew})
		// Leased still: a crash here leaves them to whoever comes after the lease.
		if pr, _ := b.p.decide(t.Context()); pr.Decided != 0 {
			t.Errorf("decided %d under a live lease", pr.Decided)
		}
		b.clk.advance(2 * time.Minute)
		if pr, err := b.p.decide(t.Context()); err != nil || pr.Decided != 2 {
			t.Errorf("after the lease: %+v, %v; want both decided", pr, err)
		}
	})
	t.Run("a decider that skips one", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.dec.short = true
		if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a", "b")); err != nil {
			t.Fatal(err)
		}
		_, err := b.p.decide(t.Context())
		wantErr(t, err, "returned 1 decisions")
		b.wantStates(t, map[string]domain.State{"a": domain.StateNew, "b": domain.StateNew})
	})
	for _, closed := range []string{"a", "b", "c"} {
		t.Run("one closed meanwhile: the rest saved one by one/"+closed, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *Options) { o.DecideBatchSize = 3 })
			if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a", "b", "c")); err != nil {
				t.Fatal(err)
			}
			// GIS closes one of the batch while the batch is being decided; the others,
			// before and after it, are saved.
			b.dec.during = func() {
				if err := b.st.SetState(context.Background(), closed, domain.StateNew, domain.StateAutoAnswered, "system", ""); err != nil {
					t.Error(err)
				}
			}
			pr, err := b.p.decide(t.Context())
			if !errors.Is(err, domain.ErrConflict) || pr.Decided != 2 {
				t.Fatalf("decide: %+v, %v; want 2 saved and %s's conflict", pr, err, closed)
			}
			want := map[string]domain.State{"a": domain.StateReady, "b": domain.StateReady, "c": domain.StateReady}
			want[closed] = domain.StateAutoAnswered
			b.wantStates(t, want)
			if _, ok := b.st.decisions[closed]; ok {
				t.Error("a decision was saved for the closed sub-request")
			}
		})
	}
	for _, c := range []struct {
		name  string
		fail  map[string]error
		want  string
		saved int
	}{
		{"claim fails", map[string]error{"ClaimForDecision": errTransient}, "claim sub-requests to decide", 0},
		{"batch save fails", map[string]error{"SaveDecisions": errTransient}, "save 2 decisions", 0},
		{"saving one by one fails", map[string]error{"SaveDecisions": domain.ErrNotFound, "SaveDecision": errTransient}, "save decision for a", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			for m, err := range c.fail {
				b.st.failNext(m, err, 1)
			}
			if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a", "b")); err != nil {
				t.Fatal(err)
			}
			pr, err := b.p.decide(t.Context())
			wantErr(t, err, c.want)
			if pr.Decided != c.saved {
				t.Errorf("decided %d; want %d", pr.Decided, c.saved)
			}
		})
	}
}

func TestSend(t *testing.T) {
	t.Parallel()
	t.Run("answers in batches, each file uploaded once", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.Concurrency = 2 })
		b.dec.debtAt = map[string]string{"a": "act-1", "b": "act-1", "c": "act-2"}
		b.ready(t, "a", "b", "c")
		pr, err := b.p.send(t.Context(), org)
		if err != nil || pr.Sent != 3 || pr.Finished != 3 {
			t.Fatalf("send: %+v, %v; want 3 sent and finished", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered, "b": domain.StateAnswered, "c": domain.StateAnswered})
		if n := len(b.gis.submitted); n != 2 {
			t.Errorf("%d messages; want 2 of at most 2 actions", n)
		}
		if b.gis.uploads > 2 {
			t.Errorf("%d uploads; want at most one per file (2)", b.gis.uploads)
		}
		for _, m := range b.st.messages() {
			if m.m.Status != domain.MessageDone || m.m.GISMessageGUID == "" {
				t.Errorf("message %s is %s (GIS %q); want done and acked", m.m.ID, m.m.Status, m.m.GISMessageGUID)
			}
		}
		if got := b.counter(t, "gisgw_messages_total", "acknowledged"); got != 2 {
			t.Errorf("acknowledged messages counted %v; want 2", got)
		}
	})
	t.Run("GIS refuses one answer", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.gis.refuse["b"] = "SRV008001"
		b.ready(t, "a", "b")
		if _, err := b.p.send(t.Context(), org); err != nil {
			t.Fatal(err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered, "b": domain.StateFailed})
		if s := b.st.sub("b"); s.ErrorCode != "SRV008001" {
			t.Errorf("refused answer keeps code %q; want SRV008001", s.ErrorCode)
		}
	})
	t.Run("GIS refuses the whole message", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.gis.failNext("Submit", gisError{code: "INT002001", text: "bad signature"}, 1)
		b.ready(t, "a", "b")
		pr, err := b.p.send(t.Context(), org)
		if err != nil || pr.Finished != 2 || pr.Sent != 0 {
			t.Fatalf("send: %+v, %v; want both finished, none sent", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateFailed, "b": domain.StateFailed})
		if s := b.st.sub("a"); s.ErrorCode != "INT002001" || !strings.Contains(s.ErrorText, "bad signature") {
			t.Errorf("refusal kept as %q %q", s.ErrorCode, s.ErrorText)
		}
		if ms := b.st.messages(); len(ms) != 1 || ms[0].m.Status != domain.MessageDone {
			t.Errorf("messages %+v; want one, done", ms)
		}
	})
	t.Run("polling refused for good", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.gis.failNext("Await", gisError{code: "INT002000", text: "no such message"}, 1)
		b.ready(t, "a")
		pr, err := b.p.send(t.Context(), org)
		if err != nil || pr.Sent != 1 || pr.Finished != 1 {
			t.Fatalf("send: %+v, %v; want sent and finished", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateFailed})
	})
	t.Run("an upload fails: only the answers citing the file wait", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.BatchSize = 3 })
		b.dec.debtAt = map[string]string{"a": "act-1", "b": "act-2"}
		b.gis.failUpload = map[string]error{"act-1": errTransient}
		b.ready(t, "a", "b", "c")
		pr, err := b.p.send(t.Context(), org)
		if err != nil || pr.Sent != 2 || pr.Finished != 2 {
			t.Fatalf("send: %+v, %v; want b and c sent and finished, no error", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateReady, "b": domain.StateAnswered, "c": domain.StateAnswered})
		a := b.st.sub("a")
		if !strings.Contains(a.BlockedReason, "«act-1.pdf»") || !strings.Contains(a.BlockedReason, "act-1") {
			t.Errorf("reason %q; want the file and the act named", a.BlockedReason)
		}
		if want := b.clk.Now().Add(15 * time.Second); !a.BlockedUntil.Equal(want) {
			t.Errorf("retry at %v; want %v (15 s)", a.BlockedUntil, want)
		}
		if got := b.counter(t, "gisgw_answers_blocked_total", ""); got != 1 {
			t.Errorf("blocked answers counted %v; want 1", got)
		}
		// Not before its time; then the file fails again: twice as long, at most DeferMax.
		if pr, err := b.p.send(t.Context(), org); err != nil || pr.Moved() {
			t.Fatalf("send before the retry time: %+v, %v; want nothing", pr, err)
		}
		for _, wait := range []time.Duration{30 * time.Second, time.Minute, time.Minute} {
			b.clk.advance(time.Minute)
			if _, err := b.p.send(t.Context(), org); err != nil {
				t.Fatal(err)
			}
			if got := b.st.sub("a").BlockedUntil.Sub(b.clk.Now()); got != wait {
				t.Errorf("next retry in %v; want %v", got, wait)
			}
		}
		if n := len(b.st.audit["a"]); n != 1 {
			t.Errorf("%d audit entries for the same cause; want 1", n)
		}
		// The file is back: the answer goes out at the next retry.
		b.gis.failUpload = nil
		b.clk.advance(time.Minute)
		if pr, err := b.p.send(t.Context(), org); err != nil || pr.Finished != 1 {
			t.Fatalf("send after the file came back: %+v, %v; want a answered", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered})
		if r := b.st.sub("a").BlockedReason; r != "" {
			t.Errorf("reason %q kept after the answer went out", r)
		}
	})
	t.Run("an upload fails and the answer cannot be put aside", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.dec.debtAt = map[string]string{"a": "act-1"}
		b.gis.failUpload = map[string]error{"act-1": errTransient}
		b.st.failNext("DeferReady", errTransient, 1)
		b.ready(t, "a")
		_, err := b.p.send(t.Context(), org)
		wantErr(t, err, "put aside the answers citing act-1.pdf")
		if n := len(b.st.messages()); n != 0 {
			t.Errorf("%d messages stored; want none", n)
		}
	})
	t.Run("cancelled while uploading", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.dec.debtAt = map[string]string{"a": "act-1"}
		b.gis.uploadGate = make(chan struct{})
		b.ready(t, "a")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := b.p.send(ctx, org); err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("send: %v; want nothing or the cancellation", err)
		}
		if r := b.st.sub("a").BlockedReason; r != "" {
			t.Errorf("cancelled upload put the answer aside: %q", r)
		}
	})
	for _, c := range []struct {
		method string
		want   string
		state  domain.State
	}{
		{"ClaimReady", "claim ready answers", domain.StateReady},
		{"CreateMessage", "store outbox message", domain.StateReady},
		{"MarkMessageAcked", "record Ack of message", domain.StateSending},
		{"FinishMessage", "record results of message", domain.StateSending},
	} {
		t.Run(c.method+" fails", func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			b.st.failNext(c.method, errTransient, 1)
			b.ready(t, "a")
			_, err := b.p.send(t.Context(), org)
			wantErr(t, err, c.want)
			b.wantStates(t, map[string]domain.State{"a": c.state})
		})
	}
	t.Run("recording a refusal fails", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.gis.failNext("Submit", gisError{code: "INT002001"}, 1)
		b.st.failNext("FinishMessage", errTransient, 1)
		b.ready(t, "a")
		_, err := b.p.send(t.Context(), org)
		wantErr(t, err, "record refusal of message")
		b.wantStates(t, map[string]domain.State{"a": domain.StateSending})
	})
}

func TestSendNotAcknowledged(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		lostAck bool // GIS took the message although the caller saw an error
		submits int  // in all, the resend included
	}{
		{"the request never reached GIS: resent after the settle time", false, 2},
		{"the Ack was lost: looked up, not resent", true, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			if c.lostAck {
				b.gis.lostAck, b.gis.lostAckErr = 1, errTransient
			} else {
				b.gis.failNext("Submit", errTransient, 1)
			}
			b.ready(t, "a", "b")
			pr, err := b.p.send(t.Context(), org)
			if !errors.Is(err, errTransient) || pr.Sent != 0 {
				t.Fatalf("send: %+v, %v; want the transient error", pr, err)
			}
			ms := b.st.messages()
			if len(ms) != 1 || ms[0].m.Status != domain.MessagePending || ms[0].m.Attempts != 1 || ms[0].owner != "" {
				t.Fatalf("messages %+v; want one pending, one attempt, lease freed", ms)
			}
			b.wantStates(t, map[string]domain.State{"a": domain.StateSending, "b": domain.StateSending})

			// Not before the settle time: GIS may still be working on it.
			if pr, err := b.p.recover(t.Context()); err != nil || pr.Moved() {
				t.Fatalf("recover before the settle time: %+v, %v; want nothing", pr, err)
			}
			b.clk.advance(11 * time.Minute)
			pr, err = b.p.recover(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if c.lostAck && (pr.Refreshed != 2 || pr.Sent != 0) {
				t.Errorf("recover: %+v; want both found answered in GIS", pr)
			}
			if !c.lostAck && (pr.Sent != 2 || pr.Finished != 2) {
				t.Errorf("recover: %+v; want both resent and finished", pr)
			}
			b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered, "b": domain.StateAnswered})
			if n := len(b.gis.submitted); n != c.submits {
				t.Errorf("%d submits; want %d", n, c.submits)
			}
			if n, _ := b.st.UnfinishedMessages(t.Context()); n != 0 {
				t.Errorf("%d unfinished messages; want none", n)
			}
		})
	}
}

func TestSendPollFailsThenResumes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.gis.failNext("Await", errTransient, 1)
	b.ready(t, "a")
	pr, err := b.p.send(t.Context(), org)
	if !errors.Is(err, errTransient) || pr.Sent != 1 || pr.Finished != 0 {
		t.Fatalf("send: %+v, %v; want sent, not finished, the poll's error", pr, err)
	}
	ms := b.st.messages()
	if len(ms) != 1 || ms[0].m.Status != domain.MessageAcked || ms[0].m.Attempts != 1 {
		t.Fatalf("messages %+v; want one acked with an attempt", ms)
	}
	// An acked message is taken up at once, without the settle time, and only polled.
	pr, err = b.p.recover(t.Context())
	if err != nil || pr.Finished != 1 || pr.Sent != 0 {
		t.Fatalf("recover: %+v, %v; want it polled to completion", pr, err)
	}
	b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered})
	if len(b.gis.submitted) != 1 || len(b.gis.awaited) != 1 {
		t.Errorf("%d submits, %d successful polls; want 1 and 1", len(b.gis.submitted), len(b.gis.awaited))
	}
}

func TestRecover(t *testing.T) {
	t.Parallel()
	t.Run("a crash after the Ack: polled once the lease expired", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.stored(t, true, "a", "b")
		if pr, err := b.p.recover(t.Context()); err != nil || pr.Moved() {
			t.Fatalf("recover under the crashed replica's lease: %+v, %v; want nothing", pr, err)
		}
		b.clk.advance(2 * time.Minute)
		pr, err := b.p.recover(t.Context())
		if err != nil || pr.Finished != 2 {
			t.Fatalf("recover: %+v, %v; want both finished", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered, "b": domain.StateAnswered})
		if len(b.gis.submitted) != 0 {
			t.Errorf("an acknowledged message was submitted again")
		}
	})
	t.Run("a crash before sending: reconciled, then sent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.stored(t, false, "a")
		b.clk.advance(5 * time.Minute) // lease expired, not settled
		if pr, err := b.p.recover(t.Context()); err != nil || pr.Moved() {
			t.Fatalf("recover before the settle time: %+v, %v; want nothing", pr, err)
		}
		b.clk.advance(6 * time.Minute)
		if pr, err := b.p.recover(t.Context()); err != nil || pr.Sent != 1 || pr.Finished != 1 {
			t.Fatalf("recover: %+v, %v; want it sent and finished", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered})
	})
	for _, c := range []struct {
		name   string
		resend error // what the resend of the rest meets
		want   map[string]domain.State
		err    error
	}{
		{"partly answered in GIS: only the rest resent", nil,
			map[string]domain.State{"a": domain.StateAnswered, "b": domain.StateAutoAnswered, "c": domain.StateAnswered}, nil},
		{"the resend refused", gisError{code: "INT002001"},
			map[string]domain.State{"a": domain.StateAnswered, "b": domain.StateAutoAnswered, "c": domain.StateFailed}, nil},
		{"the resend not acknowledged", errTransient,
			map[string]domain.State{"a": domain.StateSending, "b": domain.StateSending, "c": domain.StateSending}, errTransient},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *Options) { o.BatchSize = 3 })
			b.stored(t, false, "a", "b", "c")
			b.gis.setStatus("a", "Sent")
			b.gis.setStatus("b", "AutoGenerated")
			b.gis.setStatus("c", "NotSent")
			if c.resend != nil {
				b.gis.failNext("Submit", c.resend, 1)
			}
			b.clk.advance(11 * time.Minute)
			_, err := b.p.recover(t.Context())
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Fatalf("recover: %v; want %v", err, c.err)
			}
			b.wantStates(t, c.want)
			if got := b.gis.submittedGUIDs(); len(got) != 1 || strings.Join(got[0], ",") != "c" {
				t.Errorf("submitted %v; want only c", got)
			}
		})
	}
	for _, c := range []struct {
		name   string
		method string
		want   string
	}{
		{"claiming fails", "ClaimMessages", "claim unfinished messages"},
		{"looking up fails", "Statuses", "reconcile message"},
		{"recording what GIS has fails", "FinishMessage", "record reconciled results"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			b.stored(t, false, "a")
			b.gis.setStatus("a", "Sent")
			b.st.failNext(c.method, errTransient, 1)
			b.gis.failNext(c.method, errTransient, 1)
			b.clk.advance(11 * time.Minute)
			_, err := b.p.recover(t.Context())
			wantErr(t, err, c.want)
			b.wantStates(t, map[string]domain.State{"a": domain.StateSending})
			// The next try, after the lease, completes it.
			b.clk.advance(2 * time.Hour)
			if _, err := b.p.recover(t.Context()); err != nil {
				t.Fatal(err)
			}
			b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered})
		})
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	t.Run("GIS statuses past the deadline", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		srs := subRequests("auto", "elsewhere", "open", "unknown", "future")
		srs[4].ResponseDate = time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
		if _, err := b.st.UpsertSubRequests(t.Context(), srs); err != nil {
			t.Fatal(err)
		}
		b.gis.setStatus("auto", "AutoGenerated")
		b.gis.setStatus("elsewhere", "Sent")
		b.gis.setStatus("open", "NotSent")
		b.gis.setStatus("future", "Sent") // not past its deadline: not asked about
		b.clk.advance(10 * 24 * time.Hour)
		pr, err := b.p.refresh(t.Context(), org)
		if err != nil || pr.Refreshed != 2 {
			t.Fatalf("refresh: %+v, %v; want 2", pr, err)
		}
		b.wantStates(t, map[string]domain.State{
			"auto": domain.StateAutoAnswered, "elsewhere": domain.StateAnswered,
			"open": domain.StateNew, "unknown": domain.StateNew, "future": domain.StateNew,
		})
		if a := strings.Join(b.st.audit["auto"], ""); !strings.Contains(a, "«задолженности нет»") {
			t.Errorf("audit of the automatic answer %q; want it said in Russian", a)
		}
	})
	t.Run("nothing past the deadline: GIS not asked", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.gis.failNext("Statuses", errTransient, 1)
		if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a")); err != nil {
			t.Fatal(err)
		}
		if pr, err := b.p.refresh(t.Context(), org); err != nil || pr.Moved() {
			t.Errorf("refresh: %+v, %v; want nothing", pr, err)
		}
	})
	for _, c := range []struct {
		name       string
		store, gis string
		fails      bool
	}{
		{"listing fails", "OpenPastDeadline", "", true},
		{"GIS fails", "", "Statuses", true},
		{"recording fails", "SetState", "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			b.st.failNext(c.store, errTransient, 1)
			b.gis.failNext(c.gis, errTransient, 1)
			if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a")); err != nil {
				t.Fatal(err)
			}
			b.gis.setStatus("a", "AutoGenerated")
			b.clk.advance(10 * 24 * time.Hour)
			if _, err := b.p.refresh(t.Context(), org); !errors.Is(err, errTransient) {
				t.Fatalf("refresh: %v; want the fault", err)
			}
			b.wantStates(t, map[string]domain.State{"a": domain.StateNew})
		})
	}
	t.Run("moved meanwhile: skipped", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.st.failNext("SetState", domain.ErrConflict, 1)
		if _, err := b.st.UpsertSubRequests(t.Context(), subRequests("a", "b")); err != nil {
			t.Fatal(err)
		}
		b.gis.setStatus("a", "Sent")
		b.gis.setStatus("b", "Sent")
		b.clk.advance(10 * 24 * time.Hour)
		if pr, err := b.p.refresh(t.Context(), org); err != nil || pr.Refreshed != 1 {
			t.Fatalf("refresh: %+v, %v; want the other one", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateNew, "b": domain.StateAnswered})
	})
}

func TestPass(t *testing.T) {
	t.Parallel()
	t.Run("every step, every organization", func(t *testing.T) {
		t.Parallel()
		other := subRequest("x")
		other.OrgGUID = "org-2"
		b := setup(t, func(o *Options) { o.Orgs = []Org{{GUID: org}, {GUID: "org-2"}} }, subRequest("a"), subRequest("b"), other)
		b.gis.failNext("Pull", errTransient, 1) // org-1's pull only
		pr, err := b.p.Pass(t.Context(), true)
		wantErr(t, err, "pull for "+org)
		if pr.Pulled != 1 || pr.Decided != 1 || pr.Sent != 1 || pr.Finished != 1 {
			t.Errorf("pass: %+v; want org-2's sub-request through every step", pr)
		}
		b.wantStates(t, map[string]domain.State{"x": domain.StateAnswered, "a": ""})
		pr, err = b.p.Pass(t.Context(), true)
		if err != nil || pr.Pulled != 2 || pr.Finished != 2 {
			t.Errorf("second pass: %+v, %v; want org-1's two answered", pr, err)
		}
	})
	t.Run("errors of every step are reported", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil, subRequest("a"))
		b.st.failNext("ClaimForDecision", errTransient, 1)
		b.st.failNext("OpenPastDeadline", errTransient, 1)
		b.st.failNext("ClaimMessages", errTransient, 1)
		b.st.failNext("ClaimReady", errTransient, 1)
		_, err := b.p.Pass(t.Context(), false)
		for _, want := range []string{"claim sub-requests to decide", "refresh statuses for " + org, "claim unfinished messages", "send for " + org} {
			wantErr(t, err, want)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil, subRequest("a"))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := b.p.Pass(ctx, true); !errors.Is(err, context.Canceled) {
			t.Errorf("Pass: %v; want context.Canceled", err)
		}
	})
}

func TestRunOnce(t *testing.T) {
	t.Parallel()
	t.Run("pulls, decides and answers everything", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil, subRequests("a", "b", "c")...)
		b.dec.review = map[string]bool{"c": true}
		if err := b.p.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered, "b": domain.StateAnswered, "c": domain.StateReview})
	})
	t.Run("a lost Ack is waited out and reconciled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.Settle, o.Lease = 30*time.Millisecond, 30*time.Millisecond }, subRequest("a"))
		b.clk.step = 5 * time.Millisecond // the simulated clock runs on as it is read
		b.gis.lostAck, b.gis.lostAckErr = 1, errTransient
		err := b.p.RunOnce(t.Context())
		if !errors.Is(err, errTransient) {
			t.Errorf("RunOnce: %v; want the lost Ack's error reported", err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered})
		if n := len(b.gis.submitted); n != 1 {
			t.Errorf("%d submits; want 1", n)
		}
	})
	t.Run("a clock that stands still does not hold it forever", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(o *Options) { o.Settle, o.Lease = 20*time.Millisecond, 20*time.Millisecond }, subRequest("a"))
		b.gis.lostAck, b.gis.lostAckErr = 1, errTransient
		err := b.p.RunOnce(t.Context())
		wantErr(t, err, "could not be completed")
		b.wantStates(t, map[string]domain.State{"a": domain.StateSending})
	})
	t.Run("the outbox cannot be counted", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.st.failNext("UnfinishedMessages", errTransient, 1)
		err := b.p.RunOnce(t.Context())
		wantErr(t, err, "count unfinished outbox messages")
	})
	t.Run("a failing peer gets one more pass", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil, subRequest("a"))
		b.gis.failNext("Pull", errTransient, 1)
		err := b.p.RunOnce(t.Context())
		if !errors.Is(err, errTransient) {
			t.Errorf("RunOnce: %v; want the pull's error", err)
		}
		// The run pulls once: its later passes do not try again.
		if n := len(b.gis.pulls); n != 0 {
			t.Errorf("%d successful pulls; want none", n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil, subRequest("a"))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := b.p.RunOnce(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("RunOnce: %v; want context.Canceled", err)
		}
	})
}

// TestUploadJoins: a file that one producer is uploading is not uploaded again by another.
func TestUploadJoins(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		b := setup(t, nil)
		b.gis.uploadGate, b.gis.entered = make(chan struct{}), make(chan struct{}, 3)
		doc := domain.Document{ActOrg: "org", ActID: "act-1", Name: "act-1.pdf", Path: "/acts/act-1"}
		type result struct {
			doc domain.Document
			err error
		}
		first, second := make(chan result, 1), make(chan result, 1)
		go func() {
			d, err := b.p.upload(t.Context(), org, doc)
			first <- result{d, err}
		}()
		synctest.Wait() // the first upload is under way, held at the gate
		go func() {
			d, err := b.p.upload(t.Context(), org, doc)
			second <- result{d, err}
		}()
		synctest.Wait() // the second waits for the first
		// A caller that gives up waiting gets its context's error.
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := b.p.upload(ctx, org, doc); !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled joiner got %v; want context.Canceled", err)
		}
		if n := len(b.gis.entered); n != 1 {
			t.Errorf("%d uploads reached GIS while the first was under way; want 1", n)
		}
		close(b.gis.uploadGate)
		r1, r2 := <-first, <-second
		if r1.err != nil || r2.err != nil || r1.doc.AttachmentGUID != "att-act-1" || r2.doc != r1.doc {
			t.Errorf("uploads: %+v and %+v; want one AttachmentGUID for both", r1, r2)
		}
		if b.gis.uploads != 1 {
			t.Errorf("%d uploads; want 1", b.gis.uploads)
		}
	})
}

// TestLeaseKept: a message whose poll outlasts the lease keeps its lease.
func TestLeaseKept(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Lease = 30 * time.Millisecond })
	b.gis.awaitDelay = 100 * time.Millisecond
	b.ready(t, "a")
	if _, err := b.p.send(t.Context(), org); err != nil {
		t.Fatal(err)
	}
	if b.st.renewals == 0 {
		t.Error("the lease was never renewed during a poll three leases long")
	}
	b.wantStates(t, map[string]domain.State{"a": domain.StateAnswered})
}
