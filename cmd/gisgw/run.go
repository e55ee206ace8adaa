package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/config"
)

func runCommand() command {
	return command{"the daemon: pull sub-requests, decide, answer (--config FILE [--once])", runRun}
}

func runRun(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "run", "Usage: gisgw run --config FILE [--once] [flags]\n\nRuns the daemon. Settings come from the file, then GISGW_* variables, then these flags.")
	path := fs.String("config", os.Getenv("GISGW_CONFIG"), "configuration file (YAML); default $GISGW_CONFIG")
	once := fs.Bool("once", false, "do one full pass and exit when nothing more can move without a person or the clock")
	dump := fs.Bool("print-config", false, "print the effective configuration (secrets redacted) and exit")
	strictPerms := fs.Bool("strict-permissions", false, "refuse to start when the signing key, the TLS client key or a configuration file with secrets is readable by group or others (default: a warning)")
	var f config.Flags
	fs.StringVar(&f.DB, "db", "", "database: a postgres:// URL or an SQLite file path (overrides db)")
	fs.StringVar(&f.Endpoint, "endpoint", "", "GIS base URL (overrides gis.endpoint)")
	fs.StringVar(&f.Org, "org", "", "orgPPAGUID of the one organization (overrides organizations)")
	fs.StringVar(&f.Executor, "executor", "", "executor GUID of the one organization's answering employee")
	fs.StringVar(&f.Key, "sign-key", "", "signing key, PEM PKCS#8 (overrides signing.key)")
	fs.StringVar(&f.Cert, "sign-cert", "", "signing certificate (overrides signing.cert)")
	// The old names meant the signing pair here but the TLS pair in gis export; kept for scripts.
	fs.StringVar(&f.Key, "key", "", "deprecated: use --sign-key")
	fs.StringVar(&f.Cert, "cert", "", "deprecated: use --sign-cert")
	fs.StringVar(&f.Listen, "listen", "", "address of /metrics, /healthz, /readyz and the dashboard (overrides listen)")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return err
	}
	if err := cfg.ApplyFlags(f); err != nil {
		return err
	}
	cfg = cfg.WithDefaults()
	if *dump {
		return cfg.Dump(env.stdout)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log, err := app.NewLogger(env.stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	if err := checkPermissions(log, *path, cfg, *strictPerms); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, app.Deps{Logger: log})
	if err != nil {
		return err
	}
	defer a.Close()
	if *once {
		return a.RunOnce(ctx)
	}
	return a.Run(ctx)
}

// checkPermissions warns about secret files readable by group or others, or refuses to
// start with --strict-permissions.
func checkPermissions(log *slog.Logger, path string, cfg config.Config, strict bool) error {
	problems, err := config.PermissionProblems(path, cfg)
	if err != nil {
		return err
	}
	if strict && len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.String()
		}
		return fmt.Errorf("--strict-permissions: %s", strings.Join(msgs, "; "))
	}
	for _, p := range problems {
		log.Warn("a file with secrets is readable by group or others; gisgw --strict-permissions would refuse to start",
			"file", p.File, "holds", p.What, "mode", fmt.Sprintf("%#o", p.Mode), "fix", p.Fix())
	}
	return nil
}
