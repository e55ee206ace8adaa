package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gisgw/gisgw/responder/config"
)

func healthCommand() command {
	return command{"probe a running daemon's /healthz (container health checks; --url URL or --config FILE)", runHealth}
}

// runHealth is the container's health check: distroless images have no curl, so the binary
// probes itself. It exits 0 only when /healthz answers 200 within --timeout.
func runHealth(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "health", "Usage: gisgw health [--url URL | --config FILE] [--timeout D]\n\n"+
		"Asks a running daemon's /healthz and exits 0 when it answers 200. Without --url the\n"+
		"address is the configuration's listen (the file, then GISGW_LISTEN); an address on all\n"+
		"interfaces is asked on 127.0.0.1.")
	target := fs.String("url", "", "the /healthz URL, e.g. http://127.0.0.1:8686/healthz")
	path := fs.String("config", os.Getenv("GISGW_CONFIG"), "configuration file to take listen from; default $GISGW_CONFIG")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	if *target == "" {
		cfg, err := config.Load(*path, os.Environ())
		if err != nil {
			return err
		}
		u, err := healthURL(cfg.WithDefaults().Listen)
		if err != nil {
			return err
		}
		*target = u
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *target, nil)
	if err != nil {
		return fmt.Errorf("--url %q: %w", *target, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the daemon does not answer at %s: %w", *target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", *target, resp.Status)
	}
	_, err = fmt.Fprintf(env.stdout, "%s: ok\n", *target)
	return err
}

// healthURL is the /healthz URL of a daemon listening on listen.
func healthURL(listen string) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("listen %q is not host:port: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
