package dashboard

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"
)

// syncBuffer is a log destination that handlers in parallel requests may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// authBench is a dashboard over an empty SQLite store, called in process so that each
// request can come from any client address; its clock moves only when a test moves it.
type authBench struct {
	h     http.Handler
	clock *clock
	log   *syncBuffer
	csrf  string // the login form's token
}

func newAuthBench(t *testing.T, o Options) *authBench {
	t.Helper()
	st, err := storeopen.Open(t.Context(), filepath.Join(t.TempDir(), "gisgw.db"), storeopen.WithAutoMigrate())
	must(t, "open store", err)
	t.Cleanup(func() { _ = st.Close() })
	b := &authBench{clock: &clock{t: time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC)}, log: &syncBuffer{}}
	o.Store, o.Now, o.Logger = st, b.clock.Now, slog.New(slog.NewJSONHandler(b.log, nil))
	if o.Token == "" {
		o.Token = testToken
	}
	d, err := New(o)
	must(t, "New", err)
	b.h = d.Handler()
	rec := b.serve(httptest.NewRequest(http.MethodGet, "/login", nil))
	m := csrfRE.FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatalf("no CSRF token on the login page:\n%s", rec.Body)
	}
	b.csrf = m[1]
	return b
}

func (b *authBench) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, r)
	return rec
}

// login posts the login form from addr (host:port); target is "http://example.com/login"
// or an https one.
func (b *authBench) login(addr, target, token, name string) *httptest.ResponseRecorder {
	form := url.Values{"csrf": {b.csrf}, "token": {token}, "name": {name}}
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", strings.TrimSuffix(target, "/login"))
	r.RemoteAddr = addr
	return b.serve(r)
}

func (b *authBench) bearer(addr, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/failed", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	r.RemoteAddr = addr
	return b.serve(r)
}

const (
	addrA     = "203.0.113.7:40000"
	addrA2    = "203.0.113.7:40001" // the same client, another connection
	addrB     = "198.51.100.9:40000"
	wrongTok  = "wrong-token-Жук-0123456789-abcdef"
	plainURL  = "http://example.com/login"
	secureURL = "https://example.com/login"
)

func TestFailedLoginsSlowAnAddress(t *testing.T) {
	t.Parallel()
	b := newAuthBench(t, Options{})
	expect := func(t *testing.T, what string, rec *httptest.ResponseRecorder, code int, retryAfter string) {
		t.Helper()
		if rec.Code != code || rec.Header().Get("Retry-After") != retryAfter {
			t.Fatalf("%s = %d, Retry-After %q; want %d, %q\n%s", what, rec.Code, rec.Header().Get("Retry-After"), code, retryAfter, rec.Body)
		}
	}
	for range freeFailures + 1 {
		expect(t, "wrong token", b.login(addrA, plainURL, wrongTok, "Иванова"), http.StatusUnauthorized, "")
	}
	// The sixth failure makes the address wait a second: nothing is checked meanwhile, not even
	// the right token, on the form or as a bearer, from another port of the same address.
	rec := b.login(addrA2, plainURL, testToken, "Иванова")
	expect(t, "right token while waiting", rec, http.StatusTooManyRequests, "1")
	if !strings.Contains(rec.Body.String(), "Слишком много неудачных попыток входа") {
		t.Errorf("the 429 page does not say why:\n%s", rec.Body)
	}
	expect(t, "bearer while waiting", b.bearer(addrA, testToken), http.StatusTooManyRequests, "1")

	t.Run("another address is unaffected", func(t *testing.T) {
		expect(t, "wrong token from B", b.login(addrB, plainURL, wrongTok, "Петров"), http.StatusUnauthorized, "")
		expect(t, "bearer from B", b.bearer(addrB, testToken), http.StatusOK, "")
	})

	// Each further failure doubles the wait.
	b.clock.Set(b.clock.Now().Add(time.Second))
	expect(t, "wrong token after the wait", b.login(addrA, plainURL, wrongTok, "Иванова"), http.StatusUnauthorized, "")
	expect(t, "next attempt", b.login(addrA, plainURL, testToken, "Иванова"), http.StatusTooManyRequests, "2")
	b.clock.Set(b.clock.Now().Add(2 * time.Second))
	expect(t, "wrong bearer after the wait", b.bearer(addrA, wrongTok), http.StatusUnauthorized, "")
	expect(t, "next attempt", b.bearer(addrA, testToken), http.StatusTooManyRequests, "4")
	b.clock.Set(b.clock.Now().Add(4 * time.Second))

	// A successful login starts the count afresh.
	expect(t, "right token after the wait", b.login(addrA, plainURL, testToken, "Иванова"), http.StatusSeeOther, "")
	for range freeFailures {
		expect(t, "wrong token after a success", b.login(addrA, plainURL, wrongTok, "Иванова"), http.StatusUnauthorized, "")
	}
	expect(t, "right token within the free attempts", b.login(addrA, plainURL, testToken, "Иванова"), http.StatusSeeOther, "")
}

func TestFailureDelays(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC)}
	th := newThrottle(clk.Now)
	var got []time.Duration
	for range freeFailures + 14 {
		at := th.try("a", func() bool { return false })
		got = append(got, at.wait)
		clk.Set(clk.Now().Add(at.wait)) // wait as told
	}
	for i, want := range map[int]time.Duration{0: 0, freeFailures - 1: 0, freeFailures: time.Second, freeFailures + 1: 2 * time.Second,
		freeFailures + 9: 512 * time.Second, freeFailures + 10: maxFailureDelay, freeFailures + 13: maxFailureDelay} {
		if got[i] != want {
			t.Errorf("failure %d: wait %s; want %s", i+1, got[i], want)
		}
	}
	// An address that stopped failing is forgotten.
	clk.Set(clk.Now().Add(maxFailureDelay + forgetFailures + time.Second))
	if at := th.try("a", func() bool { return false }); at.refused || at.failures != 1 || at.wait != 0 {
		t.Errorf("after an hour without failures: %+v; want failure 1, no wait", at)
	}
}

// TestParallelGuessesAreCounted: a burst of parallel wrong guesses from one address cannot
// slip past the count: no more are checked than the free attempts and the one that starts
// the wait.
func TestParallelGuessesAreCounted(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC)}
	th := newThrottle(clk.Now)
	var mu sync.Mutex
	checked := 0
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			th.try("a", func() bool { mu.Lock(); checked++; mu.Unlock(); return false })
		})
	}
	wg.Wait()
	if checked != freeFailures+1 {
		t.Errorf("%d of 200 parallel guesses checked; want %d", checked, freeFailures+1)
	}
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC)}
	th := newThrottle(clk.Now)
	for i := range maxTracked + 100 {
		th.try("addr-"+time.Duration(i).String(), func() bool { return false })
	}
	if n := len(th.m); n > maxTracked {
		t.Errorf("%d addresses tracked; at most %d", n, maxTracked)
	}
	s := newSessions(clk.Now)
	for range maxSessions + 10 {
		if _, err := s.create("x"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.m); n > maxSessions {
		t.Errorf("%d sessions kept; at most %d", n, maxSessions)
	}
}

func TestFailedLoginIsLoggedWithoutTheToken(t *testing.T) {
	t.Parallel()
	b := newAuthBench(t, Options{Users: map[string]string{testUser: testPass}})
	b.login(addrA, plainURL, wrongTok, "Иванова")
	b.bearer(addrB, wrongTok)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(testUser, wrongTok)
	r.RemoteAddr = "192.0.2.1:5000"
	b.serve(r)
	logged := b.log.String()
	lines := strings.Count(logged, "authentication failed")
	if lines != 3 {
		t.Errorf("%d failed authentications logged; want 3:\n%s", lines, logged)
	}
	for _, want := range []string{addrA, addrB, "192.0.2.1:5000", `"method":"form"`, `"method":"bearer"`, `"method":"basic"`} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %q:\n%s", want, logged)
		}
	}
	for _, secret := range []string{wrongTok, "Жук", testToken, testPass} {
		if strings.Contains(logged, secret) {
			t.Errorf("log shows %q:\n%s", secret, logged)
		}
	}
}

func TestLogoutRevokesTheSession(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login(t, "Сидоров")
	u, _ := url.Parse(f.srv.URL)
	var kept *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == cookieName {
			kept = ck
		}
	}
	if kept == nil {
		t.Fatal("no session cookie after login")
	}
	// A copy of the cookie, as a thief would hold it.
	thief := f.client(t)
	thief.Jar.SetCookies(u, []*http.Cookie{{Name: cookieName, Value: kept.Value}})
	if code, _, _ := f.do(t, thief, http.MethodGet, "/", nil, noAuth, nil); code != http.StatusOK {
		t.Fatalf("copied cookie before logout = %d; want 200", code)
	}
	form := url.Values{"csrf": {f.csrf(t, c, "/", noAuth)}}
	code, body, resp := f.do(t, c, http.MethodPost, "/logout", form, noAuth, map[string]string{"Origin": f.srv.URL})
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("POST /logout = %d to %q\n%s", code, resp.Header.Get("Location"), body)
	}
	for name, cl := range map[string]*http.Client{"the browser that logged out": c, "a copy of the cookie": thief} {
		if code, _, _ := f.do(t, cl, http.MethodGet, "/", nil, noAuth, nil); code != http.StatusUnauthorized {
			t.Errorf("%s after logout = %d; want 401", name, code)
		}
	}
}

func TestSessionsEndWithTheProcess(t *testing.T) {
	t.Parallel()
	// Two dashboards with the same token are two daemon runs: a session of one is unknown to
	// the other.
	first := newAuthBench(t, Options{})
	second := newAuthBench(t, Options{})
	rec := first.login(addrA, plainURL, testToken, "Иванова")
	var sid string
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == cookieName {
			sid = ck.Value
		}
	}
	if len(sid) != 43 { // 32 random bytes, base64url without padding
		t.Fatalf("session cookie %q; want a 43-character ID", sid)
	}
	for name, b := range map[string]*authBench{"same process": first, "after a restart": second} {
		r := httptest.NewRequest(http.MethodGet, "/failed", nil)
		r.AddCookie(&http.Cookie{Name: cookieName, Value: sid})
		want := http.StatusOK
		if b == second {
			want = http.StatusUnauthorized
		}
		if got := b.serve(r).Code; got != want {
			t.Errorf("%s: GET with the cookie = %d; want %d", name, got, want)
		}
	}
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		url    string // Options.URL
		target string
		want   bool
	}{
		{"plain HTTP, no public URL", "", plainURL, false},
		{"plain HTTP, http public URL", "http://gisgw.example.org", plainURL, false},
		{"served over TLS", "", secureURL, true},
		{"behind a TLS proxy: https public URL", "https://gisgw.example.org/", plainURL, true},
		{"https public URL in capitals", "HTTPS://GISGW.EXAMPLE.ORG", plainURL, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newAuthBench(t, Options{URL: tt.url})
			rec := b.login(addrA, tt.target, testToken, "Иванова")
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("login = %d\n%s", rec.Code, rec.Body)
			}
			var sess *http.Cookie
			for _, ck := range rec.Result().Cookies() {
				if ck.Name == cookieName {
					sess = ck
				}
			}
			if sess == nil || sess.Secure != tt.want || !sess.HttpOnly {
				t.Fatalf("session cookie %+v; want Secure=%t, HttpOnly", sess, tt.want)
			}
			// Logout clears it with the same flags.
			r := httptest.NewRequest(http.MethodPost, strings.TrimSuffix(tt.target, "/login")+"/logout",
				strings.NewReader(url.Values{"csrf": {csrfOf(t, b, sess, tt.target)}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Origin", strings.TrimSuffix(tt.target, "/login"))
			r.AddCookie(sess)
			out := b.serve(r)
			cleared := out.Result().Cookies()
			if out.Code != http.StatusSeeOther || len(cleared) != 1 || cleared[0].MaxAge >= 0 || cleared[0].Secure != tt.want {
				t.Errorf("logout = %d, cookies %+v; want one cleared cookie with Secure=%t", out.Code, cleared, tt.want)
			}
		})
	}
}

// csrfOf reads the form token of the session sess from the overview.
func csrfOf(t *testing.T, b *authBench, sess *http.Cookie, target string) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, strings.TrimSuffix(target, "/login")+"/", nil)
	r.AddCookie(sess)
	rec := b.serve(r)
	m := csrfRE.FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || m == nil {
		t.Fatalf("GET / with the session = %d, no CSRF token", rec.Code)
	}
	return m[1]
}
