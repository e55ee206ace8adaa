package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/config"
)

// lifecycleConfig is a daemon on a fresh SQLite file talking to an empty simulator.
func lifecycleConfig(t *testing.T) config.Config {
	t.Helper()
	sim := gissim.New(gissim.Options{Now: func() time.Time { return apptest.Today }, Seed: 1})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return config.Config{
		DB:            filepath.Join(t.TempDir(), "gisgw.db"),
		Listen:        "127.0.0.1:0",
		GIS:           config.GIS{Endpoint: srv.URL, Poll: []config.Duration{config.Duration(10 * time.Millisecond)}},
		Organizations: []config.Organization{{OrgPPAGUID: apptest.Org, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"}},
		Pipeline:      config.Pipeline{ShutdownWait: config.Duration(5 * time.Second)},
	}
}

func lifecycleDeps(reg *prometheus.Registry) app.Deps {
	return app.Deps{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return apptest.Today },
		Registry: reg, Owner: "lifecycle",
	}
}

// assertStoreClosed: SQLite removes the write-ahead log when the last connection to the
// database closes, so the file is gone only if the App closed its store.
func assertStoreClosed(t *testing.T, db string) {
	t.Helper()
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("the store was never opened: %v", err)
	}
	if _, err := os.Stat(db + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s-wal still exists (stat: %v): the store was left open", db, err)
	}
}

// TestNewFailingMidwayUndoes: New fails after opening the store and registering metrics (the
// signing key is missing); what it made is undone, so the same store and registry serve a
// second New.
func TestNewFailingMidwayUndoes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := lifecycleConfig(t)
	reg := prometheus.NewRegistry()
	bad := cfg
	bad.Signing = config.Signing{Key: filepath.Join(t.TempDir(), "missing.key"), Cert: "missing.crt"}
	if a, err := app.New(ctx, bad, lifecycleDeps(reg)); err == nil || !strings.Contains(err.Error(), "signing.key") {
		t.Fatalf("New with a missing key = %v, %v; want a signing.key error", a, err)
	}
	assertStoreClosed(t, cfg.DB)
	if mfs, err := reg.Gather(); err != nil || len(mfs) != 0 {
		t.Errorf("registry after the failed New: %d metric families (%v); want none", len(mfs), err)
	}
	// A metric left registered would make this New panic on the duplicate.
	a, err := app.New(ctx, cfg, lifecycleDeps(reg))
	if err != nil {
		t.Fatalf("New after the failed one: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v; want the first one's result", err)
	}
	assertStoreClosed(t, cfg.DB)
}

// TestRunListenAddressTaken: Run returns the listener's error and closes the App.
func TestRunListenAddressTaken(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := lifecycleConfig(t)
	cfg.Listen = taken.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := app.New(ctx, cfg, lifecycleDeps(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	err = a.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "listen "+cfg.Listen) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Run on a taken address = %v; want the listen error", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Run waited for the context instead of failing")
	}
	assertStoreClosed(t, cfg.DB)
}

// TestTwoInstancesSideBySide: two daemons run in one process (no globals: own registry,
// store, listener) and both stop cleanly when their context ends.
func TestTwoInstancesSideBySide(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type instance struct {
		cfg  config.Config
		addr string
		done chan error
	}
	var insts [2]instance
	for i := range insts {
		insts[i].cfg = lifecycleConfig(t)
		a, err := app.New(ctx, insts[i].cfg, lifecycleDeps(prometheus.NewRegistry()))
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		defer a.Close()
		if insts[i].addr, err = a.Serve(); err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		insts[i].done = make(chan error, 1)
		go func() { insts[i].done <- a.Run(ctx) }()
	}
	if insts[0].addr == insts[1].addr {
		t.Fatalf("both instances listen on %s", insts[0].addr)
	}
	for i, in := range insts {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			resp, err := http.Get(fmt.Sprintf("http://%s%s", in.addr, path))
			if err != nil {
				t.Fatalf("instance %d %s: %v", i, path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("instance %d %s: %s", i, path, resp.Status)
			}
		}
	}
	cancel()
	for i, in := range insts {
		select {
		case err := <-in.done:
			if err != nil {
				t.Errorf("instance %d: Run = %v; want nil after the context ended", i, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("instance %d: Run did not return after the context ended", i)
		}
		if _, err := net.DialTimeout("tcp", in.addr, time.Second); err == nil {
			t.Errorf("instance %d: %s still accepts connections after Run returned", i, in.addr)
		}
		assertStoreClosed(t, in.cfg.DB)
	}
}
