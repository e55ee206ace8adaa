// Package dashboard is the compliance officers' web view of the store: overview counters,
// open sub-requests by deadline, one sub-request with everything known about it, the review
// queue where a person decides, and failed answers with a retry. Pages are rendered on the
// server (html/template, embedded assets) and work without JavaScript.
//
// Every route requires authentication: the configured token (as "Authorization: Bearer",
// or through the login form, which sets a session cookie) or HTTP basic auth with a
// configured user. Form sessions live in memory: logout ends one on the server, and a restart
// ends them all. A wrong token or password is logged and counted against the client's
// address, which must wait before further attempts once it has failed a few times. Every POST
// carries a per-session CSRF token and must come from the same host (Origin or Referer).
package dashboard

import (
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Options configure a Dashboard.
type Options struct {
	Store    store.Store
	Calendar *calendar.Calendar // for working days left; nil: the embedded calendar
	Now      func() time.Time   // nil: time.Now; "today" is its date in Moscow
	Logger   *slog.Logger       // nil: discard
	// Token logs in through the login form or as "Authorization: Bearer TOKEN"; at least
	// MinTokenLength characters.
	Token string
	// URL is how people reach the dashboard (dashboard.url); an https one makes the session
	// cookie Secure even when TLS ends at a proxy in front.
	URL string
	// Users are basic-auth users: name → password.
	Users map[string]string
	// Organizations names each organization (orgPPAGUID → name from the configuration), so
	// that officers read a name rather than a GUID.
	Organizations map[string]string
	// Warnings, when set, returns the warnings every page shows under its header (such as
	// an expiring signing certificate), in Russian; nil or empty: none.
	Warnings func() []string
}

// Dashboard serves the pages. Register adds its routes to a mux.
type Dashboard struct {
	store store.Store
	cal   *calendar.Calendar
	now   func() time.Time
	log   *slog.Logger
	auth  *authenticator
	orgs  map[string]string
	// warnings: Options.Warnings.
	warnings func() []string
	pages    map[string]*template.Template
	static   http.Handler
	limitUI  int
	// httpsURL: the public address is https, so the session cookie is always Secure.
	httpsURL bool
}

// New checks the options and prepares the templates. It refuses to build a dashboard
// without a token or a user: the dashboard requires authentication.
func New(o Options) (*Dashboard, error) {
	if o.Store == nil {
		return nil, errors.New("dashboard: a store is required")
	}
	if o.Token == "" && len(o.Users) == 0 {
		return nil, errors.New("dashboard: the dashboard requires authentication: set dashboard.token or dashboard.users")
	}
	if n := utf8.RuneCountInString(o.Token); o.Token != "" && n < MinTokenLength {
		return nil, fmt.Errorf("dashboard: dashboard.token has %d characters, at least %d are required (a short token is guessed): generate one with 'openssl rand -base64 32'",
			n, MinTokenLength)
	}
	for name, pw := range o.Users {
		if name == "" || pw == "" {
			return nil, fmt.Errorf("dashboard: user %q: both a name and a password are required", name)
		}
		if err := decide.CheckReviewer(name); err != nil {
			return nil, fmt.Errorf("dashboard: dashboard.users: %w", err)
		}
	}
	if o.Calendar == nil {
		c, err := calendar.New()
		if err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		o.Calendar = c
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("dashboard: CSRF key: %w", err)
	}
	orgs := make(map[string]string, len(o.Organizations))
	for guid, name := range o.Organizations {
		if name = strings.TrimSpace(name); name != "" {
			orgs[guid] = name
		}
	}
	pages, err := parsePages(orgs)
	if err != nil {
		return nil, fmt.Errorf("dashboard: templates: %w", err)
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("dashboard: static assets: %w", err)
	}
	return &Dashboard{
		store:    o.Store,
		cal:      o.Calendar,
		now:      o.Now,
		log:      o.Logger,
		auth:     newAuthenticator(o.Token, o.Users, key, o.Now, o.Logger),
		orgs:     orgs,
		warnings: o.Warnings,
		pages:    pages,
		static:   http.StripPrefix("/static/", http.FileServerFS(static)),
		limitUI:  500,
		httpsURL: strings.HasPrefix(strings.ToLower(strings.TrimSpace(o.URL)), "https://"),
	}, nil
}

// Register adds the dashboard's routes to mux:
//
//	GET  /                          overview: counters, chart, open sub-requests by deadline
//	GET  /subrequests?state=STATE   the sub-requests in one state (the overview's tiles)
//	GET  /subrequests/{guid}        one sub-request with everything known about it
//	GET  /review                    the review queue
//	POST /review/{guid}             a person's decision on one item
//	POST /review/bulk               one confirmation of several "no debt" proposals
//	GET  /failed                    answers GIS refused
//	GET  /inventory?month=YYYY-MM   the monthly inventory of court-confirmed debts
//	POST /failed/{guid}/retry       send a failed answer again
//	GET  /login, POST /login        the token login form (sets the session cookie)
//	POST /logout                    ends the cookie session (on the server too)
//	GET  /static/...                the stylesheet
func (d *Dashboard) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", d.static)
	mux.HandleFunc("GET /login", d.loginForm)
	mux.HandleFunc("POST /login", d.login)
	mux.Handle("POST /logout", d.protect(d.logout))
	mux.Handle("GET /{$}", d.protect(d.overview))
	mux.Handle("GET /subrequests", d.protect(d.stateList))
	mux.Handle("GET /subrequests/{guid}", d.protect(d.subRequest))
	mux.Handle("GET /review", d.protect(d.reviewQueue))
	mux.Handle("POST /review/bulk", d.protect(d.bulkConfirm))
	mux.Handle("POST /review/{guid}", d.protect(d.decide))
	mux.Handle("GET /failed", d.protect(d.failedList))
	mux.Handle("GET /inventory", d.protect(d.inventory))
	mux.Handle("POST /failed/{guid}/retry", d.protect(d.retry))
}

// Handler returns a mux with only the dashboard's routes.
func (d *Dashboard) Handler() http.Handler {
	mux := http.NewServeMux()
	d.Register(mux)
	return mux
}
