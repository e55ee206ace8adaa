package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gisgw/gisgw/responder/decide"
)

const (
	cookieName     = "gisgw_session"
	maxFormBytes   = 64 << 10
	maxNameRunes   = 100
	tokenActor     = "token" // the actor of requests authenticated by the bearer token
	csrfField      = "csrf"
	loginCSRFScope = "login"

	// MinTokenLength is the shortest dashboard token accepted, in characters.
	MinTokenLength = 24
)

// identity is who made a request and the session the CSRF token is bound to.
type identity struct {
	User    string
	Session string
	Cookie  bool   // logged in through the form: can log out
	sid     string // the form login's session ID
}

// authenticator checks the bearer token, the session cookie and basic auth, and slows down
// an address that keeps presenting wrong ones.
type authenticator struct {
	token     string
	tokenHash [32]byte
	users     map[string][32]byte // name → SHA-256 of the password
	csrfKey   []byte              // random per process
	sessions  *sessions
	throttle  *throttle
	log       *slog.Logger
	origin    *http.CrossOriginProtection
}

func newAuthenticator(token string, users map[string]string, csrfKey []byte, now func() time.Time, log *slog.Logger) *authenticator {
	a := &authenticator{
		token:    token,
		users:    make(map[string][32]byte, len(users)),
		csrfKey:  csrfKey,
		sessions: newSessions(now),
		throttle: newThrottle(now),
		log:      log,
		origin:   http.NewCrossOriginProtection(),
	}
	if token != "" {
		a.tokenHash = sha256.Sum256([]byte(token))
	}
	for name, pw := range users {
		a.users[name] = sha256.Sum256([]byte(pw))
	}
	return a
}

// tokenOK compares a presented token with the configured one in constant time.
func (a *authenticator) tokenOK(presented string) bool {
	if a.token == "" {
		return false
	}
	h := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(h[:], a.tokenHash[:]) == 1
}

// basicOK checks a basic-auth user; an unknown user costs the same comparison.
func (a *authenticator) basicOK(user, pw string) bool {
	want, known := a.users[user]
	h := sha256.Sum256([]byte(pw))
	eq := subtle.ConstantTimeCompare(h[:], want[:]) == 1
	return known && eq
}

// throttledError refuses an attempt from an address that must wait.
type throttledError struct{ wait time.Duration }

func (e *throttledError) Error() string {
	return fmt.Sprintf("too many failed logins from this address: retry in %s", e.wait)
}

var errUnauthenticated = errors.New("no valid credentials")

// authenticate returns the request's identity. A token or password is checked only when the
// client's address need not wait (a *throttledError otherwise); a wrong one is logged and
// counted against the address. A session cookie is a random ID, not worth guessing: it is
// not throttled.
func (a *authenticator) authenticate(r *http.Request) (identity, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			if err := a.check(r, "bearer", func() bool { return a.tokenOK(strings.TrimSpace(tok)) }); err != nil {
				return identity{}, err
			}
			return identity{User: tokenActor, Session: "bearer"}, nil
		}
		user, pw, _ := r.BasicAuth()
		if err := a.check(r, "basic", func() bool { return a.basicOK(user, pw) }); err != nil {
			return identity{}, err
		}
		return identity{User: user, Session: "basic\x00" + user}, nil
	}
	if c, err := r.Cookie(cookieName); err == nil {
		if name, ok := a.sessions.user(c.Value); ok {
			return identity{User: name, Session: "cookie\x00" + c.Value, Cookie: true, sid: c.Value}, nil
		}
	}
	return identity{}, errUnauthenticated
}

// check runs a token or password check through the client address's throttle. A failure is
// logged with the address and the method, never with what was presented.
func (a *authenticator) check(r *http.Request, method string, ok func() bool) error {
	at := a.throttle.try(clientAddr(r), ok)
	switch {
	case at.ok:
		return nil
	case at.refused:
		return &throttledError{at.wait}
	case at.wait > 0:
		a.log.Warn("dashboard: authentication failed; the address must wait before its next attempt",
			"method", method, "remote", r.RemoteAddr, "failures", at.failures, "wait", at.wait.String())
	default:
		a.log.Warn("dashboard: authentication failed", "method", method, "remote", r.RemoteAddr, "failures", at.failures)
	}
	return errUnauthenticated
}

func (a *authenticator) mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return m.Sum(nil)
}

// csrfToken is the form token of a session.
func (a *authenticator) csrfToken(session string) string {
	return base64.RawURLEncoding.EncodeToString(a.mac(a.csrfKey, "csrf", session))
}

func (a *authenticator) csrfOK(session, presented string) bool {
	got, err := base64.RawURLEncoding.DecodeString(presented)
	return err == nil && presented != "" && hmac.Equal(got, a.mac(a.csrfKey, "csrf", session))
}

// sameOrigin rejects cross-site POSTs: Sec-Fetch-Site and Origin (net/http's
// CrossOriginProtection), and, when a client sends neither, a Referer naming another host.
// A client that sends none of them (not a browser) still needs the CSRF token.
func (a *authenticator) sameOrigin(r *http.Request) error {
	if err := a.origin.Check(r); err != nil {
		return err
	}
	if r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Site") == "" {
		if ref := r.Header.Get("Referer"); ref != "" {
			u, err := url.Parse(ref)
			if err != nil || !strings.EqualFold(u.Host, r.Host) {
				return errors.New("cross-origin request: the Referer names another host")
			}
		}
	}
	return nil
}

// checkName validates the reviewer name typed at login. decide.Review refuses the same
// characters; refusing them here tells the person at once.
func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errors.New("укажите имя: оно записывается в журнал с каждым решением")
	case !utf8.ValidString(name):
		return "", errors.New("имя содержит недопустимые символы")
	case utf8.RuneCountInString(name) > maxNameRunes:
		return "", fmt.Errorf("имя длиннее %d символов", maxNameRunes)
	case name == tokenActor || name == "system":
		return "", fmt.Errorf("имя %q зарезервировано", name)
	case decide.CheckReviewer(name) != nil:
		return "", errors.New("имя содержит управляющие символы (например, смены направления текста), которые могут исказить его в журнале: введите имя без них")
	}
	return name, nil
}

// msgBadReviewer explains decide.ErrBadReviewer to the person.
const msgBadReviewer = "Имя содержит управляющие символы (например, смены направления текста), которые могут исказить его в журнале. Введите имя без них."

// protect wraps a page or an action: authentication, and on POST the origin and CSRF
// checks, before h runs with the caller's identity.
func (d *Dashboard) protect(h func(http.ResponseWriter, *http.Request, identity)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		id, err := d.auth.authenticate(r)
		if err != nil {
			d.unauthorized(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := d.auth.sameOrigin(r); err != nil {
				d.fail(w, r, id, http.StatusForbidden, "Запрос отклонён: он пришёл с другого сайта.")
				return
			}
			if err := r.ParseForm(); err != nil {
				d.fail(w, r, id, http.StatusBadRequest, "Не удалось прочитать форму.")
				return
			}
			if !d.auth.csrfOK(id.Session, r.PostForm.Get(csrfField)) {
				d.fail(w, r, id, http.StatusForbidden, "Запрос отклонён: устаревшая или чужая форма (CSRF). Обновите страницу и повторите.")
				return
			}
		}
		h(w, r, id)
	})
}

// unauthorized answers 401 with the login form (when a token is configured) and a basic-auth
// challenge (when users are); 429 with Retry-After when the address must wait.
func (d *Dashboard) unauthorized(w http.ResponseWriter, r *http.Request, err error) {
	view := d.loginView()
	status := http.StatusUnauthorized
	var te *throttledError
	if errors.As(err, &te) {
		status, view.Error = http.StatusTooManyRequests, waitMessage(te.wait)
		w.Header().Set("Retry-After", strconv.Itoa(waitSeconds(te.wait)))
	}
	if len(d.auth.users) > 0 {
		w.Header().Set("WWW-Authenticate", `Basic realm="gisgw", charset="UTF-8"`)
	}
	d.render(w, r, status, "login", identity{}, view)
}

func waitSeconds(wait time.Duration) int { return int((wait + time.Second - 1) / time.Second) }

func waitMessage(wait time.Duration) string {
	return fmt.Sprintf("Слишком много неудачных попыток входа с вашего адреса. Повторите через %d с.", waitSeconds(wait))
}

type loginView struct {
	TokenLogin, BasicLogin bool
	Error, CSRF, Name      string
}

func (d *Dashboard) loginView() loginView {
	return loginView{
		TokenLogin: d.auth.token != "",
		BasicLogin: len(d.auth.users) > 0,
		CSRF:       d.auth.csrfToken(loginCSRFScope),
	}
}

func (d *Dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	if _, err := d.auth.authenticate(r); err == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	d.render(w, r, http.StatusOK, "login", identity{}, d.loginView())
}

// login checks the token and the name from the login form and starts a session. The token
// is checked only when the client's address need not wait; a wrong one is logged and counted.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := d.auth.sameOrigin(r); err != nil {
		d.fail(w, r, identity{}, http.StatusForbidden, "Запрос отклонён: он пришёл с другого сайта.")
		return
	}
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, identity{}, http.StatusBadRequest, "Не удалось прочитать форму.")
		return
	}
	if !d.auth.csrfOK(loginCSRFScope, r.PostForm.Get(csrfField)) {
		d.fail(w, r, identity{}, http.StatusForbidden, "Запрос отклонён: устаревшая форма входа (CSRF). Обновите страницу.")
		return
	}
	view := d.loginView()
	view.Name = r.PostForm.Get("name")
	err := d.auth.check(r, "form", func() bool { return d.auth.tokenOK(r.PostForm.Get("token")) })
	var te *throttledError
	switch {
	case errors.As(err, &te):
		view.Error = waitMessage(te.wait)
		w.Header().Set("Retry-After", strconv.Itoa(waitSeconds(te.wait)))
		d.render(w, r, http.StatusTooManyRequests, "login", identity{}, view)
		return
	case err != nil:
		view.Error = "Неверный токен."
		d.render(w, r, http.StatusUnauthorized, "login", identity{}, view)
		return
	}
	name, err := checkName(r.PostForm.Get("name"))
	if err != nil {
		view.Error = err.Error()
		d.render(w, r, http.StatusBadRequest, "login", identity{}, view)
		return
	}
	sid, err := d.auth.sessions.create(name)
	if err != nil {
		d.log.Error("dashboard: start a session", "err", err)
		d.fail(w, r, identity{}, http.StatusInternalServerError, "Не удалось начать сеанс. Подробности в журнале сервиса.")
		return
	}
	http.SetCookie(w, d.sessionCookie(r, sid, int(sessionTTL/time.Second)))
	d.log.Info("dashboard login", "remote", r.RemoteAddr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// logout ends the session on the server too: its cookie no longer works, even if kept.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request, id identity) {
	if id.sid != "" {
		d.auth.sessions.revoke(id.sid)
	}
	http.SetCookie(w, d.sessionCookie(r, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sessionCookie is Secure when the request came over TLS or the dashboard's public address
// is https (TLS ends at a proxy in front).
func (d *Dashboard) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: cookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil || d.httpsURL, SameSite: http.SameSiteStrictMode,
	}
}

// secureHeaders forbids scripts, framing and sniffing, and caching of pages with personal
// data.
func secureHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}
