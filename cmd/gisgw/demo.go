package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/demo"
)

func demoCommand() command {
	return command{"run the whole job once on the demo data (simulated GIS, fresh SQLite store)", runDemo}
}

// selfCommand is how to run this binary again after it exits: `go run` builds it in a
// temporary folder that is gone by then, so that case gets the go run line (from the
// module's root, where make demo runs it).
func selfCommand(arg0 string) string {
	if strings.Contains(filepath.ToSlash(arg0), "/go-build") {
		return "go run ./cmd/gisgw"
	}
	return arg0
}

func runDemo(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "demo", "Usage: gisgw demo [--data DIR]\n\nStarts a simulated GIS with the demo sub-requests, a fresh SQLite store with the demo\npremises and court acts, and a test signing key; runs the daemon until every sub-request\nis answered or waits for a person; prints a summary.")
	data := fs.String("data", "testdata", "folder with scenarios/demo.csv and demo/{premises,court-acts}.csv")
	listen := fs.String("listen", "127.0.0.1:0", "address of the dashboard and the daemon's HTTP endpoints")
	serve := fs.Bool("serve", false, "after the run, keep the daemon and its dashboard running until interrupted (Ctrl-C)")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	start := time.Now()
	d, err := demo.Start(ctx, demo.Options{DataDir: *data, Listen: *listen})
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(env.stderr, "demo: simulator at %s, store %s; running the daemon once…\n", d.SimURL(), d.Config.DB)
	if err := d.App.RunOnce(ctx); err != nil {
		return fmt.Errorf("daemon run: %w", err)
	}
	if err := d.WriteSummary(ctx, env.stdout); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "done in %s\n", time.Since(start).Round(10*time.Millisecond))
	if !*serve {
		fmt.Fprintf(env.stdout, "run `%s demo --serve` to look at it in the dashboard and decide the review items\n", selfCommand(os.Args[0]))
		return nil
	}
	addr, err := d.App.Serve()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "dashboard: http://%s/login (token %s); Ctrl-C stops the demo\n", addr, d.Token)
	return d.App.Run(ctx)
}
