// Package demo assembles the whole product in one process for `gisgw demo` and for tests:
// a GIS simulator loaded with the demo scenario, a fresh SQLite store with the demo premises
// and court acts, a generated test signing key, and the daemon pointed at the simulator.
package demo

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/importer"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/store"
)

// The demo organization (testdata/scenarios/demo.csv) and its answering employee.
const (
	Org      = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
	Executor = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
)

// Today is the simulated date of the demo scenario: the requests were sent in November 2026.
var Today = time.Date(2026, 11, 20, 10, 0, 0, 0, calendar.Moscow())

// Options configure a demo.
type Options struct {
	DataDir string       // holds scenarios/demo.csv and demo/{premises,court-acts,agreements}.csv; default "testdata"
	WorkDir string       // where the store and keys go; default a new temporary folder (removed by Close)
	Listen  string       // address of the daemon's HTTP endpoints; default 127.0.0.1:0
	Logger  *slog.Logger // nil: warnings and errors on stderr
}

// Demo is a running simulator and a configured daemon.
type Demo struct {
	Sim    *gissim.Sim
	App    *app.App
	Config config.Config
	Token  string // the dashboard token
	Now    func() time.Time

	simSrv  *http.Server
	simURL  string
	workDir string
	ownDir  bool
	log     *slog.Logger
}

// Start builds the demo: simulator, store, data, key, daemon (not yet run).
func Start(ctx context.Context, o Options) (*Demo, error) {
	if o.DataDir == "" {
		o.DataDir = "testdata"
	}
	scenario := filepath.Join(o.DataDir, "scenarios", "demo.csv")
	if _, err := os.Stat(scenario); err != nil {
		return nil, fmt.Errorf("demo data: %w (run from the repository root or pass --data DIR)", err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(app.MaskHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	}
	// The demo's clock starts on the scenario's date and runs at real speed, so leases and
	// polls behave as in production while the deadlines stay those of the scenario.
	base := time.Now()
	now := func() time.Time { return Today.Add(time.Since(base)) }
	d := &Demo{Now: now, workDir: o.WorkDir, log: o.Logger}
	if d.workDir == "" {
		dir, err := os.MkdirTemp("", "gisgw-demo-")
		if err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
		d.workDir, d.ownDir = dir, true
	}
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()

	d.Sim = gissim.New(gissim.Options{
		Now: now, Delay: 200 * time.Millisecond, Seed: 1, Logger: o.Logger,
		Verify: gissim.VerifySignatures(nil), CheckAttachments: true,
	})
	d.Sim.SetToday(Today)
	f, err := os.Open(scenario)
	if err != nil {
		return nil, err
	}
	err = d.Sim.LoadScenario(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("demo scenario %s: %w", scenario, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: simulator listener: %w", err)
	}
	d.simURL = "http://" + ln.Addr().String()
	d.simSrv = &http.Server{Handler: d.Sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go d.simSrv.Serve(ln)

	keyPath, certPath, err := writeTestKey(d.workDir, now())
	if err != nil {
		return nil, err
	}
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		return nil, err
	}
	d.Token = hex.EncodeToString(token)
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	d.Config = config.Config{
		DB:     filepath.Join(d.workDir, "gisgw.db"),
		Listen: listen,
		GIS: config.GIS{
			Endpoint: d.simURL,
			Poll:     []config.Duration{config.Duration(100 * time.Millisecond), config.Duration(200 * time.Millisecond)},
		},
		Signing:       config.Signing{Key: keyPath, Cert: certPath},
		Organizations: []config.Organization{{OrgPPAGUID: Org, Name: "ООО «УК Пример» (демо)", ExecutorGUID: Executor}},
		Pipeline:      config.Pipeline{Lease: config.Duration(30 * time.Second)},
		Dashboard:     config.Dashboard{Token: config.Secret(d.Token)},
	}
	deps := app.Deps{Logger: o.Logger, Now: now, Registry: prometheus.NewRegistry(), Owner: "demo"}
	if d.App, err = app.New(ctx, d.Config, deps); err != nil {
		return nil, err
	}
	st := d.App.Store()
	if _, err := importer.ImportPremises(ctx, st, filepath.Join(o.DataDir, "demo", "premises.csv"), importer.Options{}); err != nil {
		return nil, fmt.Errorf("demo premises: %w", err)
	}
	if _, err := importer.ImportCourtActs(ctx, st, filepath.Join(o.DataDir, "demo", "court-acts.csv"), importer.Options{}); err != nil {
		return nil, fmt.Errorf("demo court acts: %w", err)
	}
	// A repayment agreement on a counting act, so that the demo shows one in the evidence
	// and in the answer's description (LEGAL-RULES §10.6).
	if _, err := importer.ImportAgreements(ctx, st, filepath.Join(o.DataDir, "demo", "agreements.csv"), importer.Options{}); err != nil {
		return nil, fmt.Errorf("demo agreements: %w", err)
	}
	ok = true
	return d, nil
}

// ImportCourtActs imports a court-acts file into the demo's store and then, as `gisgw import
// court-acts` does, decides the answers GIS holds again (app.Recheck) on the demo's clock.
// It returns how many of them went back to a person as a proposed correction.
func (d *Demo) ImportCourtActs(ctx context.Context, path string) (int, error) {
	if _, err := importer.ImportCourtActs(ctx, d.App.Store(), path, importer.Options{}); err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	n, err := app.Recheck(ctx, d.App.Store(), d.Now(), d.log)
	if err != nil {
		return n, fmt.Errorf("demo: the court acts are stored, but the sent answers were not checked against them: %w", err)
	}
	return n, nil
}

// SimURL is the simulator's base URL (its /sim/answers and /sim/stats are there too).
func (d *Demo) SimURL() string { return d.simURL }

// Close stops the daemon and the simulator and removes the temporary folder.
func (d *Demo) Close() error {
	var errs []error
	if d.App != nil {
		errs = append(errs, d.App.Close())
	}
	if d.simSrv != nil {
		errs = append(errs, d.simSrv.Close())
	}
	if d.ownDir {
		errs = append(errs, os.RemoveAll(d.workDir))
	}
	return errors.Join(errs...)
}

// writeTestKey makes an RSA key and a self-signed certificate for signing the demo's
// messages (GIS itself wants a GOST key; the simulator accepts RSA, as test stands do).
func writeTestKey(dir string, now time.Time) (keyPath, certPath string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("demo key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.Unix()),
		Subject:      pkix.Name{CommonName: "gisgw demo signer", Organization: []string{"gisgw demo"}},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", fmt.Errorf("demo certificate: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	keyPath, certPath = filepath.Join(dir, "demo-key.pem"), filepath.Join(dir, "demo-cert.pem")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	return keyPath, certPath, nil
}

// WriteSummary prints what the run did: sub-requests by state and the simulator's counts.
func (d *Demo) WriteSummary(ctx context.Context, w io.Writer) error {
	srs, err := d.App.Store().ListSubRequests(ctx, storeFilterAll)
	if err != nil {
		return err
	}
	byState := map[string]int{}
	for _, sr := range srs {
		byState[string(sr.State)]++
	}
	st := d.Sim.Stats()
	fmt.Fprintf(w, "gisgw demo: %d sub-requests from the simulated GIS (simulated date %s)\n", len(srs), Today.Format(time.DateOnly))
	for _, s := range stateOrder {
		if n := byState[s.state]; n > 0 {
			fmt.Fprintf(w, "  %-14s %3d  %s\n", s.state, n, s.meaning)
		}
	}
	fmt.Fprintf(w, "GIS simulator: %d answer messages, %d Send actions accepted, %d refused, %d files uploaded\n\n",
		st.Messages, st.SendActions, st.RejectedActions, st.FileStore.Files)
	return report.WriteDeadlineTable(ctx, w, d.App.Store(), report.Options{Today: d.Now(), IncludeClosed: true, OrgNames: map[string]string{Org: d.Config.Organizations[0].Name}})
}

var storeFilterAll = store.SubRequestFilter{}

var stateOrder = []struct{ state, meaning string }{
	{"answered", "answered through GIS"},
	{"auto_answered", "missed: GIS answered \"no debt\" automatically"},
	{"review", "waiting for a person (gisgw review list)"},
	{"ready", "decided, waiting to be sent"},
	{"sending", "in a message not yet processed"},
	{"failed", "refused by GIS"},
	{"new", "not decided yet"},
}
