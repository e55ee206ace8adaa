package gisclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/wsdl"
)

const testExecutor = "e0e0e0e0-1111-4222-8333-444455556666"

// simFor starts the simulator over HTTP with sub-requests of testOrg and returns it, its
// URL and the GUIDs of its sub-requests.
func simFor(t *testing.T, clock *fakeClock, opts gissim.Options) (*gissim.Sim, string, []string) {
	t.Helper()
	opts.Now = clock.Now
	opts.Seed = 20261122
	sim := gissim.New(opts)
	sim.SetToday(time.Date(2026, 8, 10, 0, 0, 0, 0, time.UTC))
	sim.Generate(5, testOrg, time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC))
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	var guids []string
	for _, sr := range sim.SubRequests() {
		guids = append(guids, sr.GUID)
	}
	return sim, srv.URL, guids
}

func noDebtAction(sub string) gisclient.Action {
	return gisclient.Action{SubrequestGUID: sub, Type: wsdl.DSRResponseActionTypeSend,
		Response: &wsdl.ImportDSRResponseType{ExecutorGUID: guid(testExecutor)}}
}

// TestImportOutcomeUnknownNotResent: when the connection breaks after the whole import
// was written, the client returns ErrOutcomeUnknown and never sends the message again,
// whether the simulator applied it (lost Ack) or dropped it unread (the client cannot tell
// the two apart). The simulator's Send count proves what GIS holds.
func TestImportOutcomeUnknownNotResent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		faults    gissim.Faults
		wantSends int // Send actions GIS recorded
	}{
		{"response lost after processing", gissim.Faults{LostResponse: 1}, 1},
		{"connection dropped before processing", gissim.Faults{Drop: 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, combined := range []bool{false, true} {
				clock := newFakeClock()
				sim, url, subs := simFor(t, clock, gissim.Options{Faults: tc.faults})
				c := newClient(t, url, clock, nil)
				var err error
				if combined {
					_, err = c.ImportDSRResponses(context.Background(), []gisclient.Action{noDebtAction(subs[0])})
				} else {
					_, _, err = c.SubmitImport(context.Background(), []gisclient.Action{noDebtAction(subs[0])})
				}
				if !errors.Is(err, gisclient.ErrOutcomeUnknown) {
					t.Fatalf("combined=%v: err = %v, want ErrOutcomeUnknown", combined, err)
				}
				if !gisclient.IsTransient(err) || !strings.Contains(err.Error(), "look the sub-requests up in GIS") {
					t.Errorf("err = %q: want a transient error that says to look the sub-requests up", err)
				}
				if n := sim.Stats().Calls.Import; n != 1 {
					t.Errorf("combined=%v: %d import calls, want 1 (no resend)", combined, n)
				}
				if n := sim.Sends(subs[0]); n != tc.wantSends {
					t.Errorf("combined=%v: GIS recorded %d Sends, want %d", combined, n, tc.wantSends)
				}
			}
		})
	}
}

// TestExportStillRetriedAfterDrop: an export reads only, so a dropped connection is
// retried as before and never reported as an unknown outcome.
func TestExportStillRetriedAfterDrop(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "getStateRequest" {
			return srv.state(ex, "getstate-export-last.xml")
		}
		if ex.N == 1 {
			return reply{Close: true}
		}
		return srv.ack(ex)
	})
	c := newClient(t, srv.URL(), clock, nil)
	if _, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, ""); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests("exportDSRsRequest")); n != 2 {
		t.Errorf("%d export attempts, want 2", n)
	}
}

// TestImportDeliveryClasses: failures before GIS can have the request are retried with a
// fresh message; failures after it was written are not.
func TestImportDeliveryClasses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		first    func(t *testing.T) reply
		timeout  time.Duration
		unknown  bool
		attempts int
	}{
		{"HTTP 503 page", func(t *testing.T) reply { return fixtureReply(t, "bad-gateway.html", 503) }, 0, false, 2},
		{"SOAP fault EXP001000", func(t *testing.T) reply { return fixtureReply(t, "fault-exp001000.xml", 500) }, 0, false, 2},
		{"code only in faultstring", func(t *testing.T) reply {
			return reply{Status: 500, Body: []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>EXP001000: Произошла ошибка при передаче данных</faultstring></s:Fault></s:Body></s:Envelope>`)}
		}, 0, false, 2},
		{"HTTP 504 gateway timeout", func(t *testing.T) reply { return fixtureReply(t, "bad-gateway.html", 504) }, 0, true, 1},
		{"connection closed after the request", func(t *testing.T) reply { return reply{Close: true} }, 0, true, 1},
		{"answer cut short", func(t *testing.T) reply { return fixtureReply(t, "truncated.txt", 200) }, 0, true, 1},
		{"no answer within the timeout", func(t *testing.T) reply { return reply{Hang: true} }, 200 * time.Millisecond, true, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			var srv *gisServer
			srv = newGISServer(t, clock, func(ex exchange) reply {
				if ex.N == 1 {
					return tc.first(t)
				}
				return srv.ack(ex)
			})
			c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) {
				if tc.timeout > 0 {
					hc, err := gisclient.NewHTTPClient(gisclient.TransportOptions{Timeout: tc.timeout})
					if err != nil {
						t.Fatal(err)
					}
					o.HTTPClient = hc
				}
			})
			_, _, err := c.SubmitImport(context.Background(), []gisclient.Action{noDebtAction("5b0c0000-0000-4000-8000-000000000001")})
			if got := errors.Is(err, gisclient.ErrOutcomeUnknown); got != tc.unknown {
				t.Errorf("err = %v: outcome unknown = %v, want %v", err, got, tc.unknown)
			}
			if !tc.unknown && err != nil {
				t.Errorf("err = %v, want success after a retry", err)
			}
			if n := len(srv.Requests("importDSRResponsesRequest")); n != tc.attempts {
				t.Errorf("%d import attempts, want %d", n, tc.attempts)
			}
		})
	}
}

// TestImportRefusedConnectionIsNotUnknown: nothing listens, so GIS cannot have it.
func TestImportRefusedConnectionIsNotUnknown(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	clock := newFakeClock()
	c := newClient(t, url, clock, func(o *gisclient.Options) { o.Retry.MaxRetries = 1 })
	_, _, err := c.SubmitImport(context.Background(), []gisclient.Action{noDebtAction("5b0c0000-0000-4000-8000-000000000001")})
	if err == nil || errors.Is(err, gisclient.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want a refused connection that is not an unknown outcome", err)
	}
}

// TestImportCancelledAfterWriteIsUnknown: the caller's own deadline while waiting for the
// answer leaves the outcome unknown too, and still matches the context's error.
func TestImportCancelledAfterWriteIsUnknown(t *testing.T) {
	t.Parallel()
	srv := newGISServer(t, nil, func(ex exchange) reply { return reply{Hang: true} })
	c, err := gisclient.New(gisclient.Options{Endpoint: srv.URL(), OrgPPAGUID: testOrg, Logger: testLogger(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err = c.SubmitImport(ctx, []gisclient.Action{noDebtAction("5b0c0000-0000-4000-8000-000000000001")})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, gisclient.ErrOutcomeUnknown) || gisclient.IsTransient(err) {
		t.Fatalf("err = %v, want the deadline and an unknown outcome, not transient", err)
	}
	if n := len(srv.Requests("")); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// TestPollLimit: an export GIS never finishes fails after PollLimit of waiting, naming the
// message and the wait; another organization's exports are not stuck.
func TestPollLimit(t *testing.T) {
	t.Parallel()
	const other = "0bad0bad-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
	clock := newFakeClock()
	sim, url, _ := simFor(t, clock, gissim.Options{Faults: gissim.Faults{Stuck: 1}, StuckOrgs: []string{testOrg}, Delay: 15 * time.Second})
	sim.Generate(3, other, time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC))
	c := newClient(t, url, clock, func(o *gisclient.Options) { o.PollLimit = 30 * time.Minute })
	start := clock.Now()
	_, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, "")
	if !errors.Is(err, gisclient.ErrPollLimit) || !gisclient.IsTransient(err) {
		t.Fatalf("err = %v, want ErrPollLimit", err)
	}
	if waited := clock.Now().Sub(start); waited != 30*time.Minute {
		t.Errorf("waited %s, want exactly the 30m limit", waited)
	}
	for _, w := range []string{"has not processed message", "after 30m0s of waiting", "last RequestState 2", "gis.poll_limit"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if st := sim.Stats(); st.Faults.Stuck != 1 || st.Calls.GetState != 5 {
		t.Errorf("stats %+v: want 1 stuck export polled 5 times (10s, 1m, 5m, 15m, then the rest of 30m)", st)
	}
	// The other organization is not stuck.
	oc := newClient(t, url, clock, func(o *gisclient.Options) { o.OrgPPAGUID = other; o.PollLimit = 30 * time.Minute })
	p, err := oc.ExportPage(context.Background(), gisclient.ExportFilter{Period: &gisclient.Period{From: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}}, "")
	if err != nil || len(p.SubRequests) != 3 {
		t.Fatalf("other organization: %d sub-requests, %v", len(p.SubRequests), err)
	}
}

func TestPollLimitDefault(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	_, url, _ := simFor(t, clock, gissim.Options{Faults: gissim.Faults{Stuck: 1}})
	c := newClient(t, url, clock, nil)
	start := clock.Now()
	_, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, "")
	if !errors.Is(err, gisclient.ErrPollLimit) || clock.Now().Sub(start) != gisclient.DefaultPollLimit {
		t.Fatalf("err = %v after %s, want ErrPollLimit after %s", err, clock.Now().Sub(start), gisclient.DefaultPollLimit)
	}
}

// TestStateBackwards: RequestState 2 then 1 fails the call at once instead of waiting.
func TestStateBackwards(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	sim, url, subs := simFor(t, clock, gissim.Options{Faults: gissim.Faults{Backwards: 1}})
	c := newClient(t, url, clock, nil)
	_, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, "")
	if err == nil || !strings.Contains(err.Error(), "RequestState 1") || !strings.Contains(err.Error(), "after 2") ||
		!strings.Contains(err.Error(), "never goes back") || gisclient.IsTransient(err) {
		t.Fatalf("err = %v, want a permanent error about the state going back", err)
	}
	if n := sim.Stats().Calls.GetState; n != 2 {
		t.Errorf("%d getState calls, want 2", n)
	}
	// An import that goes backwards was acknowledged: GIS has it, so its outcome is unknown.
	_, err = c.ImportDSRResponses(context.Background(), []gisclient.Action{noDebtAction(subs[0])})
	if !errors.Is(err, gisclient.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "never goes back") {
		t.Fatalf("import: err = %v, want an unknown outcome caused by the state going back", err)
	}
	if n := sim.Stats().Calls.Import; n != 1 {
		t.Errorf("%d import calls, want 1", n)
	}
}

// TestRealShapes: the client works against answers shaped like GIS's own (other prefixes,
// pretty-printing, ds:Signature in getStateResult, whitespace around the Ack's GUIDs),
// sent after a WCF Action header.
func TestRealShapes(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	sim, url, subs := simFor(t, clock, gissim.Options{RealShapes: true, Delay: 15 * time.Second, PageSize: 2})
	c := newClient(t, url, clock, nil)
	n := 0
	for _, err := range c.ExportDSRs(context.Background(), gisclient.ExportFilter{Period: &gisclient.Period{From: time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(subs) {
		t.Errorf("exported %d sub-requests, want %d", n, len(subs))
	}
	res, err := c.ImportDSRResponses(context.Background(), []gisclient.Action{noDebtAction(subs[0])})
	if err != nil || len(res) != 1 || !res[0].OK {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if sim.Sends(subs[0]) != 1 {
		t.Errorf("GIS recorded %d Sends", sim.Sends(subs[0]))
	}
}

// TestOverlongTextRefused: a 14 MB organization name is refused with the element named,
// not passed on to be stored.
func TestOverlongTextRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ from, to, want string }{
		{"<drs:name>Управление социальной защиты населения</drs:name>", "<drs:name>" + strings.Repeat("Ж", 7<<20) + "</drs:name>", "requestInfo/organization/name has 7340032 characters, more than the 1000 allowed"},
		{"<drs:requestNumber>", "<drs:requestNumber>" + strings.Repeat("7", 40), "requestInfo/requestNumber has"},
	} {
		clock := newFakeClock()
		var srv *gisServer
		srv = newGISServer(t, clock, func(ex exchange) reply {
			if ex.Op == "exportDSRsRequest" {
				return srv.ack(ex)
			}
			r := srv.state(ex, "getstate-export-last.xml")
			if !strings.Contains(string(r.Body), tc.from) {
				t.Fatalf("fixture has no %s", tc.from)
			}
			r.Body = []byte(strings.Replace(string(r.Body), tc.from, tc.to, 1))
			return r
		})
		c := newClient(t, srv.URL(), clock, nil)
		p, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) || len(p.SubRequests) != 0 {
			t.Errorf("err = %.300v, want %q and no sub-requests", err, tc.want)
		}
	}
}

func TestCodeLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "", "EXP001000": "EXP001000", " INT002012 ": "INT002012", "AUT011003": "AUT011003",
		"INT002029": "INT002029", "INT002000": "INT002000", "FMT001300": "FMT001300",
		"XYZ999999": "other", "EXP001000; EXP001000": "other", strings.Repeat("A", 1000): "other",
	} {
		if got := gisclient.CodeLabel(in); got != want {
			t.Errorf("CodeLabel(%.20q) = %q, want %q", in, got, want)
		}
	}
	// The label set is bounded whatever comes in.
	seen := map[string]bool{}
	for i := range 10000 {
		seen[gisclient.CodeLabel(fmt.Sprintf("GEN%06d", i))] = true
	}
	if len(seen) != 1 {
		t.Errorf("%d labels for 10000 unknown codes, want 1", len(seen))
	}
}

// TestAckGUIDsTrimmed: an Ack whose GUIDs are wrapped in whitespace (a pretty-printer
// that indents text) is read with the whitespace trimmed.
func TestAckGUIDsTrimmed(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	const gis = "9a5e0000-0000-4000-8000-000000000077"
	srv := newGISServer(t, clock, func(ex exchange) reply {
		b := readFixture(t, "ack.xml")
		b = []byte(strings.ReplaceAll(string(b), phRequester, "\n          "+ex.MessageGUID+"\n        "))
		b = []byte(strings.ReplaceAll(string(b), ">"+phGISMsg+"<", ">\n\t"+gis+"  <"))
		return reply{Body: b}
	})
	c := newClient(t, srv.URL(), clock, nil)
	got, err := c.Submit(context.Background(), mustExport(t, gisclient.ExportFilter{Period: period()}))
	if err != nil || got != gis {
		t.Fatalf("Submit = %q, %v; want %s", got, err, gis)
	}
}
