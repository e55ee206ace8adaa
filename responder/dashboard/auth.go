package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const (
	cookieName     = "gisgw_session"
	sessionTTL     = 12 * time.Hour
	maxFormBytes   = 64 << 10
	maxNameRunes   = 100
	tokenActor     = "token" // the actor of requests authenticated by the bearer token
	csrfField      = "csrf"
	loginCSRFScope = "login"
)

// identity is who made a request and the session the CSRF token is bound to.
type identity struct {
	User    string
	Session string
	Cookie  bool // logged in through the form: can log out
}

// authenticator checks the bearer token, the session cookie and basic auth.
type authenticator struct {
	token     string
	tokenHash [32]byte
	users     map[string][32]byte // name → SHA-256 of the password
	cookieKey []byte              // derived from the token: sessions survive a restart, not a token change
	csrfKey   []byte              // random per process
	now       func() time.Time
	origin    *http.CrossOriginProtection
}

func newAuthenticator(token string, users map[string]string, csrfKey []byte, now func() time.Time) *authenticator {
	a := &authenticator{
		token:   token,
		users:   make(map[string][32]byte, len(users)),
		csrfKey: csrfKey,
		now:     now,
		origin:  http.NewCrossOriginProtection(),
	}
	if token != "" {
		a.tokenHash = sha256.Sum256([]byte(token))
		k := sha256.Sum256([]byte("gisgw dashboard session\x00" + token))
		a.cookieKey = k[:]
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

// authenticate returns the request's identity, if any.
func (a *authenticator) authenticate(r *http.Request) (identity, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			if a.tokenOK(strings.TrimSpace(tok)) {
				return identity{User: tokenActor, Session: "bearer"}, true
			}
			return identity{}, false
		}
		if user, pw, ok := r.BasicAuth(); ok && a.basicOK(user, pw) {
			return identity{User: user, Session: "basic\x00" + user}, true
		}
		return identity{}, false
	}
	if c, err := r.Cookie(cookieName); err == nil {
		if name, ok := a.checkCookie(c.Value); ok {
			return identity{User: name, Session: "cookie\x00" + c.Value, Cookie: true}, true
		}
	}
	return identity{}, false
}

func (a *authenticator) mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return m.Sum(nil)
}

// makeCookie returns a session cookie value for name: name, expiry and their MAC.
func (a *authenticator) makeCookie(name string) string {
	exp := strconv.FormatInt(a.now().Add(sessionTTL).Unix(), 10)
	b64 := base64.RawURLEncoding
	n := b64.EncodeToString([]byte(name))
	return n + "." + exp + "." + b64.EncodeToString(a.mac(a.cookieKey, "session", n, exp))
}

func (a *authenticator) checkCookie(v string) (string, bool) {
	if a.cookieKey == nil {
		return "", false
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return "", false
	}
	b64 := base64.RawURLEncoding
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, a.mac(a.cookieKey, "session", parts[0], parts[1])) {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !a.now().Before(time.Unix(exp, 0)) {
		return "", false
	}
	name, err := b64.DecodeString(parts[0])
	if err != nil {
		return "", false
	}
	return string(name), true
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

// checkName validates the reviewer name typed at login.
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
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", errors.New("имя содержит недопустимые символы")
		}
	}
	return name, nil
}

// protect wraps a page or an action: authentication, and on POST the origin and CSRF
// checks, before h runs with the caller's identity.
func (d *Dashboard) protect(h func(http.ResponseWriter, *http.Request, identity)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secureHeaders(w)
		id, ok := d.auth.authenticate(r)
		if !ok {
			d.unauthorized(w, r, "")
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
// challenge (when users are).
func (d *Dashboard) unauthorized(w http.ResponseWriter, r *http.Request, msg string) {
	if len(d.auth.users) > 0 {
		w.Header().Set("WWW-Authenticate", `Basic realm="gisgw", charset="UTF-8"`)
	}
	d.render(w, r, http.StatusUnauthorized, "login", identity{}, loginView{
		TokenLogin: d.auth.token != "",
		BasicLogin: len(d.auth.users) > 0,
		Error:      msg,
		CSRF:       d.auth.csrfToken(loginCSRFScope),
	})
}

type loginView struct {
	TokenLogin, BasicLogin bool
	Error, CSRF, Name      string
}

func (d *Dashboard) loginForm(w http.ResponseWriter, r *http.Request) {
	secureHeaders(w)
	if _, ok := d.auth.authenticate(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	d.render(w, r, http.StatusOK, "login", identity{}, loginView{
		TokenLogin: d.auth.token != "",
		BasicLogin: len(d.auth.users) > 0,
		CSRF:       d.auth.csrfToken(loginCSRFScope),
	})
}

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
	view := loginView{
		TokenLogin: d.auth.token != "",
		BasicLogin: len(d.auth.users) > 0,
		CSRF:       d.auth.csrfToken(loginCSRFScope),
		Name:       r.PostForm.Get("name"),
	}
	if !d.auth.tokenOK(r.PostForm.Get("token")) {
		d.log.Warn("dashboard login refused: wrong token", "remote", r.RemoteAddr)
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
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    d.auth.makeCookie(name),
		Path:     "/",
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	d.log.Info("dashboard login", "remote", r.RemoteAddr)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request, _ identity) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
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
