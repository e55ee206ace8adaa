package gisclient_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// Placeholder GUIDs in the response fixtures, replaced by the scripted server.
const (
	phRequester = "00000000-0000-4000-8000-00000000a001" // header MessageGUID of the request answered
	phGISMsg    = "00000000-0000-4000-8000-00000000b001" // GIS-assigned MessageGUID
)

// phTransport is the placeholder of the i-th TransportGUID (0-based) in getstate-import.xml.
func phTransport(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-00000000c%03d", i+1) }

const testOrg = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"

// fakeClock is the injected clock: Sleep advances it at once and records the wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 22, 15, 30, 0, 123e6, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// seqGUID returns a generator of predictable GUIDs.
func seqGUID(prefix string) func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("%s-0000-4000-8000-%012d", prefix, n)
	}
}

// exchange is one request the scripted server received.
type exchange struct {
	Op          string // body element local name
	MessageGUID string // header MessageGUID
	Body        []byte
	Header      http.Header
	At          time.Time // the injected clock's time on arrival (zero without one)
	N           int       // 1-based count of this Op so far
	Msg         *soap.Message
}

// reply is what the script answers.
type reply struct {
	Status int
	Body   []byte
	// Hang blocks until the client gives up; Close drops the connection without answering.
	Hang, Close bool
}

// gisServer is a real HTTP server scripted per request.
type gisServer struct {
	t      testing.TB
	srv    *httptest.Server
	clock  *fakeClock
	script func(ex exchange) reply

	mu   sync.Mutex
	reqs []exchange
	seq  int
}

func newGISServer(t testing.TB, clock *fakeClock, script func(ex exchange) reply) *gisServer {
	g := &gisServer{t: t, clock: clock, script: script}
	g.srv = httptest.NewServer(http.HandlerFunc(g.handle))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gisServer) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	msg, err := soap.ParseBytes(body)
	if err != nil {
		g.t.Errorf("server got a non-SOAP request: %v\n%s", err, body)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var hdr wsdl.RequestHeader
	if ok, err := msg.DecodeHeader(&hdr); !ok || err != nil || hdr.HeaderType == nil || hdr.MessageGUID == nil {
		g.t.Errorf("request without RequestHeader/MessageGUID: %v", err)
	}
	ex := exchange{Op: msg.BodyName().Local, Body: body, Header: r.Header.Clone(), Msg: msg}
	if hdr.HeaderType != nil && hdr.MessageGUID != nil {
		ex.MessageGUID = string(*hdr.MessageGUID)
	}
	if g.clock != nil {
		ex.At = g.clock.Now()
	}
	g.mu.Lock()
	for _, p := range g.reqs {
		if p.Op == ex.Op {
			ex.N++
		}
	}
	ex.N++
	g.reqs = append(g.reqs, ex)
	g.mu.Unlock()
	rep := g.script(ex)
	switch {
	case rep.Hang:
		<-r.Context().Done()
		return
	case rep.Close:
		hj, ok := w.(http.Hijacker)
		if !ok {
			g.t.Fatal("cannot hijack")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(cmpOr(rep.Status, http.StatusOK))
	w.Write(rep.Body)
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func (g *gisServer) URL() string { return g.srv.URL }

func (g *gisServer) Requests(op string) []exchange {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []exchange
	for _, r := range g.reqs {
		if op == "" || r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

// nextGISGUID returns a fresh GIS-assigned MessageGUID.
func (g *gisServer) nextGISGUID() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seq++
	return fmt.Sprintf("9a5e0000-0000-4000-8000-%012d", g.seq)
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ack answers ex with an AckRequest carrying its MessageGUID and a fresh GIS one.
func (g *gisServer) ack(ex exchange) reply {
	b := readFixture(g.t, "ack.xml")
	b = bytes.ReplaceAll(b, []byte(phRequester), []byte(ex.MessageGUID))
	b = bytes.ReplaceAll(b, []byte(phGISMsg), []byte(g.nextGISGUID()))
	return reply{Body: b}
}

// state answers a getStateRequest with fixture name, about the message polled.
func (g *gisServer) state(ex exchange, name string) reply {
	var req wsdl.GetStateRequest
	if err := ex.Msg.DecodeBody(&req); err != nil || req.MessageGUID == nil {
		g.t.Errorf("bad getStateRequest: %v", err)
		return reply{Status: 400}
	}
	b := readFixture(g.t, name)
	b = bytes.ReplaceAll(b, []byte(phGISMsg), []byte(*req.MessageGUID))
	return reply{Body: b}
}

func fixtureReply(t testing.TB, name string, status int) reply {
	return reply{Status: status, Body: readFixture(t, name)}
}

// testLogger logs to t.Log and to buf (when non-nil) for assertions.
func testLogger(t testing.TB, buf *syncBuffer) *slog.Logger {
	var w io.Writer = tWriter{t}
	if buf != nil {
		w = io.MultiWriter(w, buf)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newClient builds a client for srv with a fake clock, fast retries and the official poll
// schedule (free under the fake clock); tweak adjusts the options.
func newClient(t testing.TB, url string, clock *fakeClock, tweak func(*gisclient.Options)) *gisclient.Client {
	t.Helper()
	o := gisclient.Options{
		Endpoint:   url,
		OrgPPAGUID: testOrg,
		Now:        clock.Now,
		Sleep:      clock.Sleep,
		NewGUID:    seqGUID("a1b2c3d4"),
		Logger:     testLogger(t, nil),
		Retry:      gisclient.Retry{InitialInterval: time.Second, MaxInterval: 10 * time.Second, MaxElapsedTime: time.Hour, MaxRetries: 5},
	}
	if tweak != nil {
		tweak(&o)
	}
	c, err := gisclient.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func guid(s string) *wsdl.GUIDType { v := wsdl.GUIDType(s); return &v }
