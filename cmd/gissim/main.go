// Command gissim runs the GIS ZhKKh debt-request service simulator (package
// gisclient/gissim) for demos, tests and integrators without access to GIS.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap/xades"
)

// generateDays is how far back --generate spreads the sent dates.
const generateDays = 15

// demoOrg is the organization of testdata/scenarios/demo.csv, the default for --generate.
const demoOrg = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "gissim:", err)
		os.Exit(2)
	}
}

// run serves until ctx ends. ready, when set, receives the address actually listened on.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("gissim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gissim [flags]\n\nSimulates the GIS ZhKKh DebtRequestsAsync service at %s,\n"+
			"the file store at %s%s and /sim/answers, /sim/stats and /sim/clock for inspection.\n\nFlags:\n", gissim.ServicePath, gissim.FileStorePath, gissim.FileStoreContext)
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:8085", "address to listen on")
	scenario := fs.String("scenario", "", "scenario CSV to load (see testdata/scenarios/demo.csv)")
	generate := fs.Int("generate", 0, "generate this many random sub-requests, sent over the 15 days up to --today (never after it)")
	org := fs.String("org", demoOrg, "orgPPAGUID for --generate")
	delay := fs.Duration("delay", 2*time.Second, "processing time before getState answers RequestState 3")
	faultSpec := fs.String("faults", "", `injected failures, e.g. "500=0.05,503=0.02,exp=0.03,drop=0.02,latency=50ms"; `+
		`also lost (import applied, Ack lost), stuck (export stays at RequestState 2), backwards (state 2 then 1), upload (file-store upload fails)`)
	stuckOrgs := fs.String("stuck-orgs", "", "comma-separated orgPPAGUIDs whose exports the stuck fault applies to (default: all)")
	failNames := fs.String("fail-uploads", "", "comma-separated file names whose every upload fails with HTTP 500")
	realShapes := fs.Bool("real-shapes", false, "answer with GIS's own namespace prefixes, pretty-printing and a ds:Signature in getStateResult")
	today := fs.String("today", "", "simulated date YYYY-MM-DD (default: today in Moscow); drives automatic answers")
	seed := fs.Int64("seed", 0, "seed of faults and --generate (0 = random)")
	verifySigs := fs.Bool("verify-signatures", false, "verify the XAdES-BES signature of exportDSRsRequest and importDSRResponsesRequest (any certificate); refused messages get a SOAP Fault SIG000000")
	var trust []string
	fs.Func("trust", "PEM certificate(s) to trust when verifying signatures (repeatable or comma-separated; implies --verify-signatures)", func(v string) error {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				trust = append(trust, p)
			}
		}
		return nil
	})
	checkAttachments := fs.Bool("check-attachments", false, "refuse Send actions whose attachments were not uploaded to the simulator's file store with that AttachmentHASH")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (all options are flags)", fs.Arg(0))
	}
	if u, err := uuid.Parse(*org); err != nil || len(*org) != 36 || u.String() != strings.ToLower(*org) {
		return fmt.Errorf("--org %q: want a GUID such as %s", *org, demoOrg)
	}
	faults, err := gissim.ParseFaults(*faultSpec)
	if err != nil {
		return fmt.Errorf("--faults: %w", err)
	}
	verify, err := signatureCheck(*verifySigs, trust)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	stuck := splitList(*stuckOrgs)
	for _, o := range stuck {
		if _, err := uuid.Parse(o); err != nil || len(o) != 36 {
			return fmt.Errorf("--stuck-orgs: %q is not a GUID", o)
		}
	}
	sim := gissim.New(gissim.Options{Delay: *delay, Faults: faults, Logger: log, Seed: *seed,
		Verify: verify, CheckAttachments: *checkAttachments, RealShapes: *realShapes,
		StuckOrgs: stuck, UploadFailNames: splitList(*failNames)})
	if *today != "" {
		d, err := time.Parse(time.DateOnly, *today)
		if err != nil {
			return fmt.Errorf("--today %q: want YYYY-MM-DD", *today)
		}
		sim.SetToday(d)
	}
	if *scenario != "" {
		f, err := os.Open(*scenario)
		if err != nil {
			return fmt.Errorf("--scenario: %w", err)
		}
		err = sim.LoadScenario(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("--scenario %s: %w", *scenario, err)
		}
	}
	if *generate > 0 {
		// Sent over the last 15 days: deadlines (5 working days) fall on both sides of today.
		sim.GenerateRecent(*generate, *org, generateDays)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	srv := &http.Server{
		Handler:           sim.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute + faults.Latency,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "url", "http://"+ln.Addr().String()+gissim.ServicePath, "subrequests", len(sim.SubRequests()),
		"today", sim.Today().Format(time.DateOnly), "delay", *delay,
		"file_store", "http://"+ln.Addr().String()+gissim.FileStorePath+gissim.FileStoreContext,
		"verify_signatures", verify != nil, "trusted_certificates", len(trust), "check_attachments", *checkAttachments)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// signatureCheck builds Options.Verify from --verify-signatures and --trust: nil when neither
// is given, any certificate with the first alone, only the listed ones with --trust.
func signatureCheck(on bool, files []string) (func([]byte) error, error) {
	if len(files) == 0 {
		if !on {
			return nil, nil
		}
		return gissim.VerifySignatures(nil), nil
	}
	var certs []*x509.Certificate
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--trust: %w", err)
		}
		cs, err := xades.ParseCertificates(b)
		if err != nil {
			return nil, fmt.Errorf("--trust %s: %w", f, err)
		}
		certs = append(certs, cs...)
	}
	return gissim.VerifySignatures(certs), nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
