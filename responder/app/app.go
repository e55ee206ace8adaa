// Package app assembles the daemon from its parts — store, GIS client, signer, matcher and
// decision rules, pipeline, HTTP endpoints — and runs it. It takes its logger, clock, HTTP
// client and metrics registry as arguments, so tests run several instances side by side.
package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/responder/alert"
	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/dashboard"
	"github.com/gisgw/gisgw/responder/gisport"
	"github.com/gisgw/gisgw/responder/pipeline"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/soap/xades"
	"github.com/gisgw/gisgw/soap/xades/cryptopro"
)

// Deps are what the application takes from its caller rather than making itself.
type Deps struct {
	Logger *slog.Logger     // nil: built from the configuration, on stderr
	Now    func() time.Time // nil: time.Now
	// HTTPClient talks to GIS; nil: one built from the gis.* settings.
	HTTPClient *http.Client
	// Registry receives the metrics and serves /metrics; nil: a fresh registry.
	Registry *prometheus.Registry
	// Owner names this replica in leases; empty: host name and process id.
	Owner string
}

// App is a configured daemon.
type App struct {
	cfg    config.Config
	log    *slog.Logger
	now    func() time.Time
	reg    *prometheus.Registry
	store  store.Store
	pipe   *pipeline.Pipeline
	srv    *http.Server
	ln     net.Listener
	deps   Deps
	alerts *alert.Alerter       // nil when no channel is configured
	certs  []alert.Certificate  // watched for expiry: signing, TLS client
	dash   *dashboard.Dashboard // nil when no login is configured

	health *health
	cal    *calendar.Calendar // working days of the summaries' warnings

	td          teardown
	stopTimeout time.Duration // bounds Close
	serveErr    chan error    // the HTTP server's failure, for Run
}

// stopTimeout bounds Close: the HTTP server's graceful shutdown and the store's close.
const stopTimeout = 10 * time.Second

// readyTimeout bounds /readyz's write check: a store that hangs is not ready either.
const readyTimeout = 5 * time.Second

// New opens the store (applying pending migrations), loads the signing key and builds the
// pipeline. The caller closes the App. When New fails, what it had built is undone, newest
// first: the store is closed and the metrics are removed from d.Registry.
func New(ctx context.Context, cfg config.Config, d Deps) (*App, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	a := &App{cfg: cfg, deps: d, log: d.Logger, now: d.Now, reg: d.Registry, stopTimeout: stopTimeout, health: newHealth(cfg.Pipeline.UnreadyAfter)}
	if err := a.build(ctx); err != nil {
		return nil, errors.Join(err, a.Close())
	}
	return a, nil
}

// build makes the App's parts, pushing the teardown step of each as soon as it exists.
func (a *App) build(ctx context.Context) error {
	cfg, d := a.cfg, a.deps
	if a.log == nil {
		l, err := NewLogger(os.Stderr, cfg.Log.Level, cfg.Log.Format)
		if err != nil {
			return err
		}
		a.log = l
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.reg == nil {
		a.reg = prometheus.NewRegistry()
	}
	owner := d.Owner
	if owner == "" {
		host, _ := os.Hostname()
		owner = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	reg := registerer{reg: a.reg, td: &a.td}
	cal, err := calendar.New(cfg.Calendar...)
	if err != nil {
		return fmt.Errorf("calendar: %w", err)
	}
	a.cal = cal
	st, err := storeopen.Open(ctx, cfg.DB, storeopen.WithClock(a.now), storeopen.WithAutoMigrate(),
		storeopen.WithPoolSize(poolSize(cfg.Pipeline.Concurrency)))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	a.store = st
	a.td.push("store", func(context.Context) error { return st.Close() })
	port, err := a.gisPort(reg)
	if err != nil {
		return err
	}
	orgs := make([]pipeline.Org, len(cfg.Organizations))
	for i, o := range cfg.Organizations {
		orgs[i] = pipeline.Org{GUID: o.OrgPPAGUID, ExecutorGUID: o.ExecutorGUID}
	}
	a.pipe, err = pipeline.New(pipeline.Options{
		Store:       st,
		GIS:         port,
		Decider:     newDecider(st, cal),
		Orgs:        orgs,
		Owner:       owner,
		BatchSize:   cfg.Pipeline.BatchSize,
		Concurrency: cfg.Pipeline.Concurrency,
		// The pull's exports share the in-flight limit: day by day, that many at once.
		PullConcurrency: cfg.Pipeline.Concurrency,
		Lease:           time.Duration(cfg.Pipeline.Lease),
		Settle:          time.Duration(cfg.Pipeline.Settle),
		PullWindow:      firstPullWindow(cfg, a.now()),
		Now:             a.now,
		Logger:          a.log,
		IsTransient:     isTransient(gisclient.IsTransient),
		// A lost answer to an import and a poll that ran out leave GIS holding the message
		// maybe: the pipeline looks such answers up before sending any again.
		OutcomeUnknown: func(err error) bool {
			return errors.Is(err, gisclient.ErrOutcomeUnknown) || errors.Is(err, gisclient.ErrPollLimit)
		},
		CodeLabel:    gisclient.CodeLabel,
		RefreshEvery: time.Duration(cfg.Pipeline.RefreshEvery),
		DeferMin:     time.Duration(cfg.Pipeline.FileRetry),
		DeferMax:     time.Duration(cfg.Pipeline.FileRetryMax),
		Deadline:     pipeline.DeadlineRule{NoDebt: cfg.Review.NoDebtAtDeadline(), WorkingDaysLeft: cal.WorkingDaysLeft},
		Metrics:      pipeline.NewMetrics(reg),
	})
	if err != nil {
		return err
	}
	reg.MustRegister(newStateCollector(st, a.now))
	a.certs = append(a.certs, tlsCertificate(cfg, a.log)...)
	reg.MustRegister(newCertExpiryCollector(a.certs, a.now))
	if cfg.Dashboard.Token != "" || len(cfg.Dashboard.Users) > 0 {
		users := make(map[string]string, len(cfg.Dashboard.Users))
		for u, pw := range cfg.Dashboard.Users {
			users[u] = pw.Reveal()
		}
		orgs := make(map[string]string, len(cfg.Organizations))
		for _, o := range cfg.Organizations {
			orgs[o.OrgPPAGUID] = o.Name
		}
		a.dash, err = dashboard.New(dashboard.Options{
			Store: st, Calendar: cal, Now: a.now, Logger: a.log, Token: cfg.Dashboard.Token.Reveal(), Users: users,
			URL: cfg.Dashboard.URL, Organizations: orgs,
			Warnings: func() []string { return certWarnings(a.certs, a.now(), cfg.Signing.RefusesExpired()) },
		})
		if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
	} else {
		a.log.Warn("dashboard off: set dashboard.token or dashboard.users to serve it")
	}
	if cfg.Alerts.Webhook != "" || cfg.Alerts.SMTP.Addr != "" {
		ao := alert.Options{
			Store: st, Calendar: cal, Now: a.now, Logger: a.log, DaysBefore: cfg.Alerts.DaysBefore,
			Webhook: cfg.Alerts.Webhook, To: cfg.Alerts.To, DashboardURL: cfg.Dashboard.URL,
			SMTP: alert.SMTP{Addr: cfg.Alerts.SMTP.Addr, From: cfg.Alerts.SMTP.From, User: cfg.Alerts.SMTP.User, Password: cfg.Alerts.SMTP.Password.Reveal()},
		}
		if cfg.Alerts.Inventory {
			ao.Inventory, ao.OrgNames = st, map[string]string{}
			for _, o := range cfg.Organizations {
				ao.OrgNames[o.OrgPPAGUID] = o.Name
			}
		}
		a.alerts, err = alert.New(ao)
		if err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
	}
	return nil
}

// gisStart is the first day GIS ZhKKh keeps debt sub-requests for: answers through GIS
// began on 2022-01-01 (LEGAL-RULES.md).
var gisStart = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)

// poolSize is how many PostgreSQL connections a daemon with pipeline.concurrency c may
// use at once: the pull lock's own, c for the pull's pages being recorded, c for deciding
// and sending (each holds one for a query or a transaction, not across GIS's round trips)
// and one for the rest. With pgx's default of max(4, CPUs) the pull's pages waited for a
// connection behind deciding and sending (most of a page's time in a first pull of
// 20,000). At most 32; pool_max_conns in the DSN overrides it.
func poolSize(c int) int { return min(2*c+2, 32) }

// firstPullWindow is how far back an organization's first pull reaches: gis.first_pull_days,
// else the deprecated pipeline.pull_window, else everything GIS keeps.
func firstPullWindow(cfg config.Config, now time.Time) time.Duration {
	switch {
	case cfg.GIS.FirstPullDays > 0:
		return time.Duration(cfg.GIS.FirstPullDays) * 24 * time.Hour
	case cfg.Pipeline.PullWindow > 0:
		return time.Duration(cfg.Pipeline.PullWindow)
	}
	return max(now.Sub(gisStart), 24*time.Hour)
}

// alert sends the alerts due now; a failure is logged and retried on the next pass.
func (a *App) alert(ctx context.Context) {
	if a.alerts == nil {
		return
	}
	if n, err := a.alerts.Check(ctx); err != nil {
		a.log.Warn("alerts not sent; retrying on the next pass", "err", err)
	} else if n > 0 {
		a.log.Info("alerts sent", "subrequests", n)
	}
	if _, err := a.alerts.CheckCertificates(ctx, a.certs); err != nil {
		a.log.Warn("certificate expiry alerts not sent; retrying on the next pass", "err", err)
	}
}

// gisPort builds one DRS client per organization, sharing the HTTP client and the signer.
func (a *App) gisPort(reg prometheus.Registerer) (*gisport.Port, error) {
	cfg := a.cfg
	hc := a.deps.HTTPClient
	if hc == nil {
		var err error
		hc, err = gisclient.NewHTTPClient(gisclient.TransportOptions{
			ClientCertFile: cfg.GIS.ClientCert, ClientKeyFile: cfg.GIS.ClientKey, CAFile: cfg.GIS.CA,
			InsecureSkipVerify: cfg.GIS.InsecureSkipVerify, BasicUser: cfg.GIS.BasicUser,
			BasicPassword: cfg.GIS.BasicPassword.Reveal(), Timeout: time.Duration(cfg.GIS.Timeout),
		})
		if err != nil {
			return nil, fmt.Errorf("gis: %w", err)
		}
		// The caller's client is the caller's to close; this one is ours.
		a.td.push("GIS connections", func(context.Context) error {
			hc.CloseIdleConnections()
			return nil
		})
	}
	hc = instrument(hc, reg)
	var signer gisclient.Signer
	if cfg.Signing.Key != "" || cfg.Signing.Container != "" {
		s, cert, err := loadSigner(cfg.Signing, a.now, a.log)
		if err != nil {
			return nil, err
		}
		signer = s
		a.certs = append(a.certs, alert.Certificate{Role: "signing", Cert: cert})
	} else {
		a.log.Warn("no signing key configured: messages go out unsigned (simulator and test stands only)")
	}
	poll := make([]time.Duration, len(cfg.GIS.Poll))
	for i, d := range cfg.GIS.Poll {
		poll[i] = time.Duration(d)
	}
	orgs := map[string]gisport.Org{}
	for _, o := range cfg.Organizations {
		c, err := gisclient.New(gisclient.Options{
			Endpoint: cfg.GIS.Endpoint, OrgPPAGUID: o.OrgPPAGUID, IsOperatorSignature: o.OperatorSignature, HTTPClient: hc, Signer: signer,
			Now: a.now, Logger: a.log, Poll: poll, PollLimit: time.Duration(cfg.GIS.PollLimit), DumpDir: cfg.GIS.DumpDir,
			Retry: gisclient.Retry{
				InitialInterval: time.Duration(cfg.GIS.Retry.Initial), MaxInterval: time.Duration(cfg.GIS.Retry.Max),
				MaxElapsedTime: time.Duration(cfg.GIS.Retry.MaxElapsed), MaxRetries: cfg.GIS.Retry.MaxRetries,
			},
		})
		if err != nil {
			return nil, fmt.Errorf("organizations %s: %w", o.OrgPPAGUID, err)
		}
		orgs[o.OrgPPAGUID] = gisport.Org{Client: c, ExecutorGUID: o.ExecutorGUID}
	}
	fs, err := newFiles(cfg, hc, a.store)
	if err != nil {
		return nil, err
	}
	return gisport.New(orgs, fs)
}

// loadSigner builds the signer. With refuse_expired, a certificate that has expired does
// not stop the daemon (the dashboard and alerts must say why nothing is sent): the signer
// refuses each signature instead.
func loadSigner(s config.Signing, now func() time.Time, log *slog.Logger) (gisclient.Signer, *x509.Certificate, error) {
	kp, err := LoadSigningPair(s)
	if err != nil {
		return nil, nil, err
	}
	clock := func() time.Time { return now().In(calendar.Moscow()) }
	expired := now().After(kp.Certificate.NotAfter)
	xs, err := xades.NewSigner(kp, xades.Options{Clock: clock, RefuseExpired: s.RefusesExpired() && !expired, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	if !s.RefusesExpired() {
		return xs, kp.Certificate, nil
	}
	return &expiryGuard{signer: xs, cert: kp.Certificate, now: now, log: log}, kp.Certificate, nil
}

// LoadSigningPair reads the configured signing key with its certificate: a PEM key file
// (signing.key) or a CryptoPro container folder (signing.container, PIN in key_password).
func LoadSigningPair(s config.Signing) (*xades.KeyPair, error) {
	readCert := func() ([]byte, error) {
		b, err := os.ReadFile(s.Cert)
		if err != nil {
			return nil, fmt.Errorf("signing.cert: %w", err)
		}
		return b, nil
	}
	if s.Container != "" {
		var certBytes []byte
		if s.Cert != "" {
			b, err := readCert()
			if err != nil {
				return nil, err
			}
			certBytes = b
		}
		kp, err := cryptopro.LoadKeyPair(s.Container, certBytes, s.KeyPassword.Reveal())
		if err != nil {
			return nil, fmt.Errorf("signing.container: %w", err)
		}
		return kp, nil
	}
	keyPEM, err := os.ReadFile(s.Key)
	if err != nil {
		return nil, fmt.Errorf("signing.key: %w", err)
	}
	if s.Cert == "" {
		return nil, errors.New("signing.cert: required with signing.key")
	}
	certBytes, err := readCert()
	if err != nil {
		return nil, err
	}
	kp, err := xades.LoadKeyPair(keyPEM, certBytes, s.KeyPassword.Reveal())
	if err != nil {
		return nil, fmt.Errorf("signing key %s with certificate %s: %w", s.Key, s.Cert, err)
	}
	return kp, nil
}

// Store returns the application's store (the dashboard and reports read it).
func (a *App) Store() store.Store { return a.store }

// Logger returns the application's logger.
func (a *App) Logger() *slog.Logger { return a.log }

// RunOnce does one full pass and returns when nothing more can move without a person or
// the clock.
func (a *App) RunOnce(ctx context.Context) error {
	a.logStart(true)
	before := a.snapshots(ctx)
	err := a.pipe.RunOnce(ctx)
	a.alert(ctx)
	a.logSummaries(ctx, before)
	return err
}

// Run serves the HTTP endpoints and runs the pipeline until ctx ends or the HTTP server
// fails, then closes the App. In-flight work gets pipeline.shutdown_wait to finish before
// it is cut off; leases make any cut-off work return to the pool. A listener that cannot
// start or that fails later makes Run return its error.
func (a *App) Run(ctx context.Context) (err error) {
	defer func() { err = errors.Join(err, a.Close()) }()
	if a.srv == nil {
		if _, err := a.Serve(); err != nil {
			return err
		}
	}
	a.logStart(false)
	stop, cancelStop := context.WithCancel(ctx)
	defer cancelStop()
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	done := make(chan error, 1)
	go func() { done <- a.loop(stop, work) }()
	var serveErr error
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	case serveErr = <-a.serveErr:
		a.log.Error("HTTP server failed; stopping", "err", serveErr)
		cancelStop()
	}
	a.log.Info("stopping: finishing in-flight work", "wait", time.Duration(a.cfg.Pipeline.ShutdownWait).String())
	t := time.NewTimer(time.Duration(a.cfg.Pipeline.ShutdownWait))
	defer t.Stop()
	select {
	case err := <-done:
		return errors.Join(serveErr, err)
	case <-t.C:
		a.log.Warn("in-flight work did not finish in time; it resumes on the next start")
		cancelWork()
		return errors.Join(serveErr, <-done)
	}
}

// loop runs the steps until stop ends; work is the context of the calls themselves. Each
// organization is pulled and refreshed in loops of its own, answers are decided and sent
// in another, and alerts go out on their own schedule, so that a GIS call that hangs or
// fails holds back neither the other steps nor the other organizations.
func (a *App) loop(stop, work context.Context) error {
	var wg sync.WaitGroup
	for _, o := range a.cfg.Organizations {
		wg.Go(func() { a.pullLoop(stop, work, o.OrgPPAGUID) })
		wg.Go(func() { a.refreshLoop(stop, work, o.OrgPPAGUID) })
	}
	wg.Go(func() { a.alertLoop(stop, work) })
	wg.Go(func() { a.recheckLoop(stop, work) })
	a.answerLoop(stop, work)
	wg.Wait()
	return nil
}

// pullLoop pulls org every pipeline.pull_interval; a failed pull is retried with an
// exponential backoff from pipeline.pull_retry up to pipeline.pull_retry_max.
func (a *App) pullLoop(stop, work context.Context, org string) {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(time.Duration(a.cfg.Pipeline.PullRetry)),
		backoff.WithMaxInterval(time.Duration(a.cfg.Pipeline.PullRetryMax)),
		backoff.WithMaxElapsedTime(0), // never give up: the daemon keeps trying
	)
	last := a.snapshot(work, org)
	for stop.Err() == nil {
		pr, err := a.pipe.Pull(work, org)
		if work.Err() != nil {
			return
		}
		a.health.pulled(org, err)
		// One summary per pull interval: what moved for org since the previous one.
		if last != nil {
			last = a.logSummary(work, org, last)
		} else {
			last = a.snapshot(work, org)
		}
		wait := time.Duration(a.cfg.Pipeline.PullInterval)
		if err != nil {
			if pr.Pulled+pr.Exported > 0 {
				// It got somewhere (a retry asks only for what is left): no reason to wait longer
				// each time while the failures are of single exports.
				b.Reset()
			}
			wait = b.NextBackOff()
			a.log.Warn("pull failed; retrying", "org", org, "retry_in", wait.String(), "err", err)
		} else {
			b.Reset()
		}
		if !pause(stop, wait) {
			return
		}
	}
}

// refreshLoop looks org's overdue open sub-requests up in GIS; the pipeline bounds how often
// the same ones are asked about (pipeline.refresh_every).
func (a *App) refreshLoop(stop, work context.Context, org string) {
	for stop.Err() == nil {
		if _, err := a.pipe.Refresh(work, org); err != nil && work.Err() == nil {
			a.log.Warn("status refresh failed; retrying later", "org", org, "err", err)
		}
		if !pause(stop, time.Second) {
			return
		}
	}
}

// answerLoop decides, resumes and sends, at once again while it moves.
func (a *App) answerLoop(stop, work context.Context) {
	for stop.Err() == nil {
		pr, err := a.pipe.Answer(work)
		if work.Err() != nil {
			return
		}
		a.health.answered(err)
		if err != nil {
			a.log.Warn("pass finished with errors", "err", err)
		}
		if pr.Moved() {
			continue
		}
		if !pause(stop, time.Second) {
			return
		}
	}
}

// recheckLoop decides the answers GIS holds again every pipeline.recheck_every, from the
// start, so that a correction is offered for those the data no longer support.
func (a *App) recheckLoop(stop, work context.Context) {
	for stop.Err() == nil {
		if _, err := a.pipe.Recheck(work); err != nil && work.Err() == nil {
			a.log.Warn("re-check of sent answers failed; retrying at the next one", "err", err)
		}
		if !pause(stop, time.Duration(a.cfg.Pipeline.RecheckEvery)) {
			return
		}
	}
}

// alertLoop sends the due alerts every alerts.every.
func (a *App) alertLoop(stop, work context.Context) {
	if a.alerts == nil {
		return
	}
	for stop.Err() == nil {
		a.alert(work)
		if !pause(stop, time.Duration(a.cfg.Alerts.Every)) {
			return
		}
	}
}

// pause waits d; false when stop ended first.
func pause(stop context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stop.Done():
		return false
	case <-t.C:
		return true
	}
}

// Handler returns the HTTP endpoints: /healthz, /readyz, /metrics and the dashboard.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		cur, latest, err := a.store.SchemaVersion(r.Context())
		if err != nil || cur != latest {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "store not ready: schema %d of %d: %v\n", cur, latest, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := a.store.CheckWritable(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "store not ready: %v\n", err)
			return
		}
		if why := a.health.unready(); why != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, why)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{}))
	if a.dash != nil {
		a.dash.Register(mux)
	}
	return mux
}

// Serve starts the HTTP endpoints (Run does it when they are not started yet) and returns
// the address they listen on.
func (a *App) Serve() (string, error) {
	if a.srv != nil {
		return "", errors.New("HTTP endpoints already started")
	}
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return "", fmt.Errorf("listen %s (setting listen): %w", a.cfg.Listen, err)
	}
	a.ln = ln
	a.srv = &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	a.serveErr = make(chan error, 1)
	srv := a.srv
	a.td.push("HTTP server", func(ctx context.Context) error {
		if err := srv.Shutdown(ctx); err != nil {
			return errors.Join(err, srv.Close())
		}
		return nil
	})
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.serveErr <- fmt.Errorf("HTTP server on %s: %w", ln.Addr(), err)
		}
	}()
	a.log.Info("serving", "addr", ln.Addr().String())
	return ln.Addr().String(), nil
}

// Addr is the address the HTTP endpoints listen on (after Run started them).
func (a *App) Addr() string {
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// Close undoes what New and Serve built, newest first: the HTTP server (given time to finish
// its requests), the metrics, the store. It is safe to call more than once and from several
// goroutines; every call returns the first one's result. It gives up waiting after
// stopTimeout.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.stopTimeout)
	defer cancel()
	return a.td.run(ctx)
}
