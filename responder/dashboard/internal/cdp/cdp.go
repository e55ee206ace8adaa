// Package cdp is a minimal Chrome DevTools Protocol client for the dashboard's browser
// tests: it starts a headless Chromium, opens a page and drives it (navigate, evaluate
// JavaScript to read the DOM and fill forms, wait for the load event, take a screenshot).
// It speaks the protocol in flattened-session mode over one websocket
// (golang.org/x/net/websocket), so it needs nothing beyond the browser itself.
package cdp

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"
)

// origin is what the client presents in the websocket handshake; Chromium must allow it.
const origin = "http://127.0.0.1"

// Flags are the command-line flags Launch always gives Chromium (besides the profile
// directory and the DevTools port).
var Flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
	"--remote-allow-origins=" + origin,
}

// Browser is a running Chromium with a DevTools connection.
type Browser struct {
	cmd     *exec.Cmd
	dir     string
	conn    *conn
	stderr  *tail
	exited  chan struct{}
	closeMu sync.Once
}

// Launch starts the browser at exe with a fresh profile and connects to it. The browser
// ends when ctx does or when Close is called.
func Launch(ctx context.Context, exe string, extraFlags ...string) (*Browser, error) {
	dir, err := os.MkdirTemp("", "gisgw-chromium-")
	if err != nil {
		return nil, fmt.Errorf("cdp: profile directory: %w", err)
	}
	args := append(append(append([]string{}, Flags...), extraFlags...),
		"--user-data-dir="+dir, "--remote-debugging-port=0", "about:blank")
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stdout = io.Discard
	pipe, err := cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cdp: %w", err)
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cdp: start %s: %w", exe, err)
	}
	b := &Browser{cmd: cmd, dir: dir, stderr: &tail{}, exited: make(chan struct{})}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			b.stderr.add(line)
			if u, ok := strings.CutPrefix(strings.TrimSpace(line), "DevTools listening on "); ok {
				select {
				case urlc <- u:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
	}()
	go func() { _ = cmd.Wait(); close(b.exited) }()
	var wsURL string
	select {
	case wsURL = <-urlc:
	case <-b.exited:
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cdp: %s exited before DevTools listened: %s", exe, b.stderr.String())
	case <-time.After(30 * time.Second):
		b.kill()
		return nil, fmt.Errorf("cdp: %s did not print its DevTools address within 30s: %s", exe, b.stderr.String())
	case <-ctx.Done():
		b.kill()
		return nil, fmt.Errorf("cdp: start browser: %w", ctx.Err())
	}
	ws, err := websocket.Dial(wsURL, "", origin)
	if err != nil {
		b.kill()
		return nil, fmt.Errorf("cdp: connect to %s: %w (browser said: %s)", wsURL, err, b.stderr.String())
	}
	ws.MaxPayloadBytes = 64 << 20
	b.conn = newConn(ws)
	return b, nil
}

// Stderr returns the last lines the browser printed, for test failure messages.
func (b *Browser) Stderr() string { return b.stderr.String() }

func (b *Browser) kill() {
	if b.cmd.Process != nil {
		_ = b.cmd.Process.Kill()
	}
	<-b.exited
	os.RemoveAll(b.dir)
}

// Close asks the browser to exit, kills it if it does not within five seconds, and removes
// its profile.
func (b *Browser) Close() error {
	b.closeMu.Do(func() {
		if b.conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = b.conn.call(ctx, "", "Browser.close", nil, nil)
			cancel()
			b.conn.close()
		}
		select {
		case <-b.exited:
		case <-time.After(5 * time.Second):
		}
		b.kill()
	})
	return nil
}

// NewPage opens a blank tab and attaches to it.
func (b *Browser) NewPage(ctx context.Context) (*Page, error) {
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.conn.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.conn.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	p := &Page{c: b.conn, session: attached.SessionID}
	if err := p.Call(ctx, "Page.enable", nil, nil); err != nil {
		return nil, err
	}
	return p, nil
}

// Page is one attached tab.
type Page struct {
	c       *conn
	session string
}

// Call sends a protocol command to the page and decodes its result into result (nil: drop).
func (p *Page) Call(ctx context.Context, method string, params, result any) error {
	return p.c.call(ctx, p.session, method, params, result)
}

// Expect registers interest in the next event named method; call Wait on the result after
// triggering it.
func (p *Page) Expect(method string) *Waiter { return p.c.expect(p.session, method) }

// SetViewport sets the page's size in CSS pixels.
func (p *Page) SetViewport(ctx context.Context, width, height int) error {
	return p.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false,
	}, nil)
}

// Navigate loads url and waits for its load event. An HTTP error status is not an error
// here: the page shows what the server sent.
func (p *Page) Navigate(ctx context.Context, url string) error {
	w := p.Expect("Page.loadEventFired")
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.Call(ctx, "Page.navigate", map[string]any{"url": url}, &res); err != nil {
		w.Cancel()
		return err
	}
	if res.ErrorText != "" {
		w.Cancel()
		return fmt.Errorf("cdp: navigate to %s: %s", url, res.ErrorText)
	}
	if _, err := w.Wait(ctx); err != nil {
		return fmt.Errorf("cdp: navigate to %s: %w", url, err)
	}
	return nil
}

// Evaluate runs a JavaScript expression in the page (awaiting a promise) and decodes its
// value into out (nil: drop). A thrown exception is an error.
func (p *Page) Evaluate(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.Call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true,
	}, &res)
	if err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("cdp: evaluate %.80q: %s %s", expr, e.Text, e.Exception.Description)
	}
	if out == nil || len(res.Result.Value) == 0 {
		return nil
	}
	if err := json.Unmarshal(res.Result.Value, out); err != nil {
		return fmt.Errorf("cdp: evaluate %.80q: decode %s value: %w", expr, res.Result.Type, err)
	}
	return nil
}

// EvaluateAndWait runs an expression that starts a navigation (a click on a submit button)
// and waits for the new page's load event.
func (p *Page) EvaluateAndWait(ctx context.Context, expr string) error {
	w := p.Expect("Page.loadEventFired")
	if err := p.Evaluate(ctx, expr, nil); err != nil {
		w.Cancel()
		return err
	}
	if _, err := w.Wait(ctx); err != nil {
		return fmt.Errorf("cdp: after %.80q: %w", expr, err)
	}
	return nil
}

// Screenshot captures the whole page (beyond the viewport) as PNG.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	var m struct {
		CSSContentSize struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	if err := p.Call(ctx, "Page.getLayoutMetrics", nil, &m); err != nil {
		return nil, err
	}
	var res struct {
		Data string `json:"data"`
	}
	err := p.Call(ctx, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": m.CSSContentSize.Width, "height": m.CSSContentSize.Height, "scale": 1},
	}, &res)
	if err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		return nil, fmt.Errorf("cdp: screenshot: %w", err)
	}
	return png, nil
}

// Error is a protocol error answer.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data,omitempty"`
}

func (e *Error) Error() string {
	if e.Data != "" {
		return fmt.Sprintf("%s (%d): %s", e.Message, e.Code, e.Data)
	}
	return fmt.Sprintf("%s (%d)", e.Message, e.Code)
}

// message is one protocol frame: a command, its answer, or an event.
type message struct {
	ID        int64           `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *Error          `json:"error,omitempty"`
}

// conn multiplexes commands and events over the browser's websocket.
type conn struct {
	ws      *websocket.Conn
	sendMu  sync.Mutex
	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	waiters map[*Waiter]bool
	done    chan struct{}
	err     error // why the connection ended, set before done closes
}

func newConn(ws *websocket.Conn) *conn {
	c := &conn{ws: ws, pending: map[int64]chan message{}, waiters: map[*Waiter]bool{}, done: make(chan struct{})}
	go c.read()
	return c
}

func (c *conn) read() {
	var err error
	for {
		var data []byte
		if err = websocket.Message.Receive(c.ws, &data); err != nil {
			break
		}
		var m message
		if err = json.Unmarshal(data, &m); err != nil {
			err = fmt.Errorf("decode message: %w", err)
			break
		}
		c.mu.Lock()
		if m.ID != 0 {
			if ch, ok := c.pending[m.ID]; ok {
				delete(c.pending, m.ID)
				ch <- m
			}
		} else {
			for w := range c.waiters {
				if w.session == m.SessionID && w.method == m.Method {
					delete(c.waiters, w)
					w.ch <- m.Params
				}
			}
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.err = fmt.Errorf("cdp: connection closed: %w", err)
	c.mu.Unlock()
	close(c.done)
}

func (c *conn) close() { _ = c.ws.Close() }

func (c *conn) call(ctx context.Context, session, method string, params, result any) error {
	raw := json.RawMessage("{}")
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return fmt.Errorf("cdp: %s: encode params: %w", method, err)
		}
		raw = b
	}
	ch := make(chan message, 1)
	c.mu.Lock()
	select {
	case <-c.done:
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("cdp: %s: %w", method, err)
	default:
	}
	c.nextID++
	id := c.nextID
	c.pending[id] = ch
	c.mu.Unlock()
	b, err := json.Marshal(message{ID: id, SessionID: session, Method: method, Params: raw})
	if err != nil {
		return fmt.Errorf("cdp: %s: %w", method, err)
	}
	c.sendMu.Lock()
	err = websocket.Message.Send(c.ws, string(b))
	c.sendMu.Unlock()
	if err != nil {
		c.forget(id)
		return fmt.Errorf("cdp: %s: send: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("cdp: %s: %w", method, m.Error)
		}
		if result != nil && len(m.Result) > 0 {
			if err := json.Unmarshal(m.Result, result); err != nil {
				return fmt.Errorf("cdp: %s: decode result: %w", method, err)
			}
		}
		return nil
	case <-c.done:
		return fmt.Errorf("cdp: %s: %w", method, c.err)
	case <-ctx.Done():
		c.forget(id)
		return fmt.Errorf("cdp: %s: %w", method, ctx.Err())
	}
}

func (c *conn) forget(id int64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// Waiter waits for one event.
type Waiter struct {
	c       *conn
	session string
	method  string
	ch      chan json.RawMessage
}

func (c *conn) expect(session, method string) *Waiter {
	w := &Waiter{c: c, session: session, method: method, ch: make(chan json.RawMessage, 1)}
	c.mu.Lock()
	c.waiters[w] = true
	c.mu.Unlock()
	return w
}

// Wait returns the event's params once it arrives.
func (w *Waiter) Wait(ctx context.Context) (json.RawMessage, error) {
	select {
	case p := <-w.ch:
		return p, nil
	case <-w.c.done:
		return nil, fmt.Errorf("waiting for %s: %w", w.method, w.c.err)
	case <-ctx.Done():
		w.Cancel()
		return nil, fmt.Errorf("waiting for %s: %w", w.method, ctx.Err())
	}
}

// Cancel drops the waiter.
func (w *Waiter) Cancel() {
	w.c.mu.Lock()
	delete(w.c.waiters, w)
	w.c.mu.Unlock()
}

// tail keeps the last lines of the browser's stderr.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 20 {
		t.lines = t.lines[len(t.lines)-20:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return "(nothing on stderr)"
	}
	return strings.Join(t.lines, " | ")
}

// ErrNoBrowser matches the error of Find when no Chromium is installed.
var ErrNoBrowser = errors.New("no Chromium found")

// Find returns the Chromium to use: $GISGW_CHROMIUM, else the first of chromium,
// chromium-browser, google-chrome on PATH.
func Find() (string, error) {
	if p := os.Getenv("GISGW_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("cdp: %w (install Debian's chromium package, or set GISGW_CHROMIUM)", ErrNoBrowser)
}
