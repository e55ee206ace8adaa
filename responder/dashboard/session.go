package dashboard

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

const (
	sessionTTL  = 12 * time.Hour
	maxSessions = 10_000 // only holders of the token create sessions; the cap is a backstop

	// Guessing: after freeFailures failed attempts from one address, each further failure
	// makes the address wait failureDelay, doubling up to maxFailureDelay. An address with no
	// failure for forgetFailures starts afresh; at most maxTracked addresses are remembered.
	freeFailures    = 5
	failureDelay    = time.Second
	maxFailureDelay = 15 * time.Minute
	forgetFailures  = time.Hour
	maxTracked      = 10_000
)

// sessions are the form logins, kept in memory: logout deletes one, and a restart of the
// daemon deletes them all (everyone logs in again).
type sessions struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]session
}

type session struct {
	user    string
	expires time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, m: make(map[string]session)}
}

// create starts a session for user and returns its ID: 32 random bytes, base64url.
func (s *sessions) create(user string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session ID: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.m) >= maxSessions {
		s.evict(now)
	}
	s.m[id] = session{user: user, expires: now.Add(sessionTTL)}
	return id, nil
}

// evict drops the expired sessions, or when none has expired the one expiring first.
func (s *sessions) evict(now time.Time) {
	var first string
	for id, ss := range s.m {
		if !now.Before(ss.expires) {
			delete(s.m, id)
			continue
		}
		if first == "" || ss.expires.Before(s.m[first].expires) {
			first = id
		}
	}
	if len(s.m) >= maxSessions {
		delete(s.m, first)
	}
}

// user returns the user of a live session.
func (s *sessions) user(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[id]
	if !ok {
		return "", false
	}
	if !s.now().Before(ss.expires) {
		delete(s.m, id)
		return "", false
	}
	return ss.user, true
}

func (s *sessions) revoke(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// throttle counts failed authentications per client address and makes an address that keeps
// failing wait before its next attempt.
type throttle struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]*failures
}

type failures struct {
	count int
	last  time.Time // of the last failure
	until time.Time // no attempt is checked before this
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, m: make(map[string]*failures)}
}

// attempt is the outcome of throttle.try.
type attempt struct {
	ok       bool          // the check passed
	refused  bool          // not checked: the address must wait
	failures int           // the address's failures so far (after a failed check)
	wait     time.Duration // how long the address must wait now
}

// try runs check for addr unless addr must wait, and records the outcome: a success clears
// the address's failures. Checks run one at a time (they take microseconds), so a burst of
// parallel guesses is judged in order and cannot slip past the count.
func (t *throttle) try(addr string, check func() bool) attempt {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if f, ok := t.m[addr]; ok && now.Before(f.until) {
		return attempt{refused: true, failures: f.count, wait: f.until.Sub(now)}
	}
	if check() {
		delete(t.m, addr)
		return attempt{ok: true}
	}
	n, wait := t.fail(addr, now)
	return attempt{failures: n, wait: wait}
}

// fail records a failure of addr and returns the number of failures and the wait it now
// imposes (0 within the free attempts).
func (t *throttle) fail(addr string, now time.Time) (int, time.Duration) {
	f, ok := t.m[addr]
	if ok && now.Sub(f.last) > forgetFailures && !now.Before(f.until) {
		f.count = 0
	}
	if !ok {
		if len(t.m) >= maxTracked {
			t.evict(now)
		}
		f = &failures{}
		t.m[addr] = f
	}
	f.count++
	f.last = now
	if f.count <= freeFailures {
		return f.count, 0
	}
	d := maxFailureDelay
	if n := f.count - freeFailures - 1; n < 20 {
		d = min(failureDelay<<n, maxFailureDelay)
	}
	f.until = now.Add(d)
	return f.count, d
}

// evict drops the forgotten addresses, or when none is forgotten the one that failed
// longest ago.
func (t *throttle) evict(now time.Time) {
	var oldest string
	for a, f := range t.m {
		if now.Sub(f.last) > forgetFailures && !now.Before(f.until) {
			delete(t.m, a)
			continue
		}
		if oldest == "" || f.last.Before(t.m[oldest].last) {
			oldest = a
		}
	}
	if len(t.m) >= maxTracked {
		delete(t.m, oldest)
	}
}

// clientAddr is the address failures are counted by: the peer's IP, an IPv6 one by its /64
// (one host usually holds the whole /64). Behind a reverse proxy it is the proxy's.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
