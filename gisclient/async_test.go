package gisclient_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient"
)

// TestPollFollowsSchedule: the server answers getState with state 1, 2, then 3; the client
// must poll exactly three times, each call no earlier than the official schedule allows
// after the Ack (10 s, then +60 s, then +300 s), measured on the injected clock.
func TestPollFollowsSchedule(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		switch {
		case ex.Op == "exportDSRsRequest":
			return srv.ack(ex)
		case ex.N == 1:
			return srv.state(ex, "getstate-state1.xml")
		case ex.N == 2:
			return srv.state(ex, "getstate-state2.xml")
		default:
			return srv.state(ex, "getstate-export-last.xml")
		}
	})
	c := newClient(t, srv.URL(), clock, nil) // Poll = the official default
	p, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.SubRequests) != 2 || !p.Last {
		t.Fatalf("page = %d sub-requests, last=%v", len(p.SubRequests), p.Last)
	}
	ack := srv.Requests("exportDSRsRequest")[0].At
	polls := srv.Requests("getStateRequest")
	if len(polls) != 3 {
		t.Fatalf("%d getState calls, want 3", len(polls))
	}
	want := []time.Duration{10 * time.Second, 70 * time.Second, 370 * time.Second}
	for i, p := range polls {
		if got := p.At.Sub(ack); got < want[i] {
			t.Errorf("getState %d came %s after the Ack, the schedule allows it only after %s", i+1, got, want[i])
		}
	}
}

// TestPollRepeatsLastInterval checks a custom schedule whose last step repeats.
func TestPollRepeatsLastInterval(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		switch {
		case ex.Op == "exportDSRsRequest":
			return srv.ack(ex)
		case ex.N < 5:
			return srv.state(ex, "getstate-state2.xml")
		default:
			return srv.state(ex, "getstate-export-last.xml")
		}
	})
	c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) { o.Poll = []time.Duration{time.Second, 3 * time.Second} })
	guid, err := c.Submit(context.Background(), mustExport(t, gisclient.ExportFilter{Period: period()}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Await(context.Background(), guid)
	if err != nil || res.ExportDSRsResult == nil {
		t.Fatalf("Await: %v, %+v", err, res)
	}
	want := []time.Duration{time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second}
	if got := clock.Sleeps(); !slices.Equal(got, want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
	for _, p := range srv.Requests("getStateRequest") {
		if !strings.Contains(string(p.Body), guid) {
			t.Errorf("getState polled another message than the acknowledged %s", guid)
		}
	}
}

func mustExport(t *testing.T, f gisclient.ExportFilter) any {
	t.Helper()
	req, err := gisclient.ExportRequest(f, "")
	if err != nil {
		t.Fatal(err)
	}
	return req
}

type recordingSigner struct {
	calls atomic.Int32
	docs  chan []byte
}

func (s *recordingSigner) Sign(doc []byte, id string) ([]byte, error) {
	s.calls.Add(1)
	if id != gisclient.SignedID {
		return nil, errors.New("unexpected id " + id)
	}
	out := []byte(strings.Replace(string(doc), "<soapenv:Body>", "<soapenv:Body><!--signed-->", 1))
	select {
	case s.docs <- out:
	default:
	}
	return out, nil
}

// TestTransientRetriedWithFreshMessage: 503 (HTML), a SOAP Fault EXP001000 and a dropped
// connection are each retried as a new message (new MessageGUID, signed again).
func TestTransientRetriedWithFreshMessage(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "getStateRequest" {
			return srv.state(ex, "getstate-export-last.xml")
		}
		switch ex.N {
		case 1:
			return fixtureReply(t, "bad-gateway.html", http.StatusServiceUnavailable)
		case 2:
			return fixtureReply(t, "fault-exp001000.xml", http.StatusInternalServerError)
		case 3:
			return reply{Close: true}
		}
		return srv.ack(ex)
	})
	signer := &recordingSigner{docs: make(chan []byte, 10)}
	c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) { o.Signer = signer })
	p, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.SubRequests) != 2 {
		t.Fatalf("%d sub-requests", len(p.SubRequests))
	}
	sent := srv.Requests("exportDSRsRequest")
	if len(sent) != 4 {
		t.Fatalf("%d export attempts, want 4", len(sent))
	}
	guids := map[string]bool{}
	for _, s := range sent {
		guids[s.MessageGUID] = true
		if !strings.Contains(string(s.Body), "<!--signed-->") {
			t.Errorf("attempt %d was not the signer's output", s.N)
		}
	}
	if len(guids) != 4 {
		t.Errorf("MessageGUIDs of the attempts: %v; every retry needs a fresh one", guids)
	}
	if n := signer.calls.Load(); n != 4 {
		t.Errorf("signer called %d times, want 4 (once per export attempt, never for getState)", n)
	}
	if w := clock.Sleeps(); len(w) != 4 || w[3] != 10*time.Second {
		t.Errorf("waits = %v, want 3 backoff waits then the 10 s poll", w)
	}
}

// TestResultEXP001000Resubmits: GIS processed the message with EXP001000, so the whole
// request goes again as a fresh message.
func TestResultEXP001000Resubmits(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		switch {
		case ex.Op == "exportDSRsRequest":
			return srv.ack(ex)
		case ex.N == 1:
			return srv.state(ex, "getstate-exp001000.xml")
		default:
			return srv.state(ex, "getstate-export-last.xml")
		}
	})
	c := newClient(t, srv.URL(), clock, nil)
	p, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.SubRequests) != 2 {
		t.Fatalf("%d sub-requests", len(p.SubRequests))
	}
	sent := srv.Requests("exportDSRsRequest")
	if len(sent) != 2 || sent[0].MessageGUID == sent[1].MessageGUID {
		t.Fatalf("want 2 submissions with different MessageGUIDs, got %d", len(sent))
	}
	polls := srv.Requests("getStateRequest")
	if len(polls) != 2 || polls[0].MessageGUID == polls[1].MessageGUID {
		t.Errorf("getState calls need their own MessageGUIDs too")
	}
}

// TestPermanentNotRetried covers the failures a retry cannot fix.
func TestPermanentNotRetried(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		reply      func(t *testing.T) reply
		code       string
		status     int
		wantInText []string
	}{
		{"fault AUT011003", func(t *testing.T) reply { return fixtureReply(t, "fault-aut011003.xml", 500) }, "AUT011003", 500,
			[]string{"GIS refused the message: AUT011003 Доступ запрещен", "check that the organization's IS is registered"}},
		{"HTTP 401 HTML", func(t *testing.T) reply {
			return reply{Status: 401, Body: []byte("<html><title>401 Authorization Required</title></html>")}
		}, "", 401,
			[]string{"HTTP 401", "401 Authorization Required", "GISGW_BASIC_PASSWORD"}},
		{"HTTP 200 not SOAP", func(t *testing.T) reply { return reply{Body: []byte(`{"error":"wrong door"}`)} }, "", 200,
			[]string{"not a usable SOAP message", `wrong door`}},
		{"fault without GIS code", func(t *testing.T) reply {
			return reply{Status: 500, Body: []byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>Unmarshalling Error</faultstring></s:Fault></s:Body></s:Envelope>`)}
		}, "", 500, []string{"Unmarshalling Error"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			srv := newGISServer(t, clock, func(ex exchange) reply { return tc.reply(t) })
			c := newClient(t, srv.URL(), clock, nil)
			_, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, "")
			var ge *gisclient.Error
			if !errors.As(err, &ge) {
				t.Fatalf("err = %v, want *gisclient.Error", err)
			}
			if ge.Code != tc.code || ge.HTTPStatus != tc.status || ge.Transient || gisclient.IsTransient(err) {
				t.Errorf("error = %+v, want code %q, status %d, permanent", ge, tc.code, tc.status)
			}
			for _, w := range tc.wantInText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if n := len(srv.Requests("")); n != 1 {
				t.Errorf("%d requests; a permanent failure must not be retried", n)
			}
		})
	}
}

// TestTransientClasses checks each transient failure alone: classified transient, and
// after MaxRetries the last error is returned, still transient.
func TestTransientClasses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		reply  func(t *testing.T) reply
		status int
		text   string
	}{
		{"HTML 502", func(t *testing.T) reply { return fixtureReply(t, "bad-gateway.html", 502) }, 502, "HTTP 502 Bad Gateway without a SOAP message: \"502 Bad Gateway\""},
		{"fault EXP001000", func(t *testing.T) reply { return fixtureReply(t, "fault-exp001000.xml", 500) }, 500, "EXP001000"},
		{"truncated", func(t *testing.T) reply { return fixtureReply(t, "truncated.txt", 200) }, 200, "truncated"},
		{"connection dropped", func(t *testing.T) reply { return reply{Close: true} }, 0, "connection closed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			srv := newGISServer(t, clock, func(ex exchange) reply { return tc.reply(t) })
			c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) { o.Retry.MaxRetries = 2 })
			_, err := c.Submit(context.Background(), mustExport(t, gisclient.ExportFilter{Period: period()}))
			var ge *gisclient.Error
			if !errors.As(err, &ge) || !gisclient.IsTransient(err) {
				t.Fatalf("err = %v, want a transient *gisclient.Error", err)
			}
			if ge.HTTPStatus != tc.status || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %q (status %d), want status %d and %q", err, ge.HTTPStatus, tc.status, tc.text)
			}
			if !strings.Contains(err.Error(), "gave up after 3 attempts") {
				t.Errorf("err = %q, want the attempt count", err)
			}
			if n := len(srv.Requests("exportDSRsRequest")); n != 3 {
				t.Errorf("%d attempts, want 1 + MaxRetries 2", n)
			}
		})
	}
}

// TestRetryTimeout: a server slower than the HTTP client timeout is a transient failure.
func TestRetryTimeout(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.N == 1 {
			return reply{Hang: true}
		}
		return srv.ack(ex)
	})
	hc, err := gisclient.NewHTTPClient(gisclient.TransportOptions{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) { o.HTTPClient = hc })
	if _, err := c.Submit(context.Background(), mustExport(t, gisclient.ExportFilter{Period: period()})); err != nil {
		t.Fatal(err)
	}
	sent := srv.Requests("exportDSRsRequest")
	if len(sent) != 2 || sent[0].MessageGUID == sent[1].MessageGUID {
		t.Fatalf("want a retry with a fresh MessageGUID after the timeout, got %d attempts", len(sent))
	}
}

// TestContextCancelStopsPromptly: cancelling while waiting between polls, or while a
// request hangs, returns at once with the context's error and without retrying.
func TestContextCancelStopsPromptly(t *testing.T) {
	t.Parallel()
	t.Run("between polls", func(t *testing.T) {
		t.Parallel()
		var srv *gisServer
		srv = newGISServer(t, nil, func(ex exchange) reply {
			if ex.Op == "getStateRequest" {
				return srv.state(ex, "getstate-state1.xml")
			}
			return srv.ack(ex)
		})
		c, err := gisclient.New(gisclient.Options{Endpoint: srv.URL(), OrgPPAGUID: testOrg, Logger: testLogger(t, nil),
			Poll: []time.Duration{time.Millisecond, time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err = c.ExportPage(ctx, gisclient.ExportFilter{Period: period()}, "")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %s to stop", d)
		}
		if n := len(srv.Requests("getStateRequest")); n != 1 {
			t.Errorf("%d getState calls, want 1 before the hour-long wait", n)
		}
	})
	t.Run("hanging request", func(t *testing.T) {
		t.Parallel()
		srv := newGISServer(t, nil, func(ex exchange) reply { return reply{Hang: true} })
		c, err := gisclient.New(gisclient.Options{Endpoint: srv.URL(), OrgPPAGUID: testOrg, Logger: testLogger(t, nil)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err = c.Submit(ctx, mustExport(t, gisclient.ExportFilter{Period: period()}))
		if !errors.Is(err, context.DeadlineExceeded) || gisclient.IsTransient(err) {
			t.Fatalf("err = %v, want the context's deadline, not a transient failure", err)
		}
		if n := len(srv.Requests("")); n != 1 {
			t.Errorf("%d attempts after cancellation, want 1", n)
		}
	})
}

// TestAckMismatch: an Ack for another message is refused.
func TestAckMismatch(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newGISServer(t, clock, func(ex exchange) reply { return fixtureReply(t, "ack.xml", 200) })
	c := newClient(t, srv.URL(), clock, nil)
	_, err := c.Submit(context.Background(), mustExport(t, gisclient.ExportFilter{Period: period()}))
	if err == nil || !strings.Contains(err.Error(), "not ours") || gisclient.IsTransient(err) {
		t.Fatalf("err = %v, want a permanent correlation error", err)
	}
}

// TestAwaitResumesAndReportsResultErrors: Await alone (as after a restart) returns the
// result with a typed error for getStateResult/ErrorMessage.
func TestAwaitResumesAndReportsResultErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fixture   string
		empty     bool
		transient bool
	}{
		{"getstate-int002012.xml", true, false},
		{"getstate-exp001000.xml", false, true},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			var srv *gisServer
			srv = newGISServer(t, clock, func(ex exchange) reply { return srv.state(ex, tc.fixture) })
			c := newClient(t, srv.URL(), clock, nil)
			res, err := c.Await(context.Background(), "9a5e0000-0000-4000-8000-000000000042")
			if res == nil || res.ErrorMessage == nil {
				t.Fatalf("want the result with its ErrorMessage, got %+v", res)
			}
			if errors.Is(err, gisclient.ErrEmpty) != tc.empty || gisclient.IsTransient(err) != tc.transient {
				t.Errorf("err = %v: empty=%v transient=%v", err, errors.Is(err, gisclient.ErrEmpty), gisclient.IsTransient(err))
			}
			if n := len(srv.Requests("")); n != 1 {
				t.Errorf("%d getState calls; Await must not retry a processed message", n)
			}
		})
	}
}

// TestResponseSizeLimit: a response over MaxResponseSize is refused, not retried.
func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "exportDSRsRequest" {
			return srv.ack(ex)
		}
		return srv.state(ex, "getstate-export-page.xml")
	})
	c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) { o.MaxResponseSize = 2000 })
	_, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, "")
	if err == nil || !strings.Contains(err.Error(), "larger than the 2000-byte limit") || gisclient.IsTransient(err) {
		t.Fatalf("err = %v, want a permanent size error", err)
	}
	if n := len(srv.Requests("getStateRequest")); n != 1 {
		t.Errorf("%d getState calls, want 1", n)
	}
}
