package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/apptest"
)

// childConfig is what a daemon child's configuration file varies in.
type childConfig struct {
	DSN         string
	Endpoint    string
	Key, Cert   string
	Poll        string // YAML list of durations, e.g. "[10ms, 20ms]"
	LogLevel    string
	BatchSize   int
	Concurrency int
	Lease       string // default 1m
	PullEvery   string // pipeline.pull_interval; default 1s
	PollLimit   string // gis.poll_limit; default 2h
	Retry       string // gis.retry; default {initial: 5ms, max: 50ms, max_retries: 10}
	FirstPull   int    // gis.first_pull_days; 0: as far back as GIS keeps sub-requests
}

// writeChildConfig writes the configuration file of a daemon child into dir.
func writeChildConfig(tb testing.TB, dir string, c childConfig) string {
	tb.Helper()
	path := filepath.Join(dir, "gisgw.yaml")
	yaml := fmt.Sprintf(`db: %q
listen: 127.0.0.1:0
log: {level: %s, format: json}
gis:
  endpoint: %s
  poll: %s
  poll_limit: %s
  retry: %s
  first_pull_days: %d
signing: {key: %q, cert: %q}
organizations:
  - {org_ppa_guid: %s, executor_guid: 0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d}
pipeline: {batch_size: %d, concurrency: %d, lease: %s, settle: 1s, pull_interval: %s, shutdown_wait: 5s}
`, c.DSN, c.LogLevel, c.Endpoint, c.Poll, cmp.Or(c.PollLimit, "2h"),
		cmp.Or(c.Retry, "{initial: 5ms, max: 50ms, max_retries: 10}"), c.FirstPull, c.Key, c.Cert, apptest.Org, c.BatchSize, c.Concurrency,
		cmp.Or(c.Lease, "1m"), cmp.Or(c.PullEvery, "1s"))
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		tb.Fatalf("write daemon configuration: %v", err)
	}
	return path
}

// childRun is how one daemon child process ended.
type childRun struct {
	Wall time.Duration // from start to exit
	// PeakRSS is the child's own peak resident set (VmHWM of its address space, read from
	// /proc while it runs), in bytes. MaxRSS is ru_maxrss from wait4: on Linux it is at
	// least the parent's resident set at the moment of the exec, because Go starts children
	// with vfork (CLONE_VM) and the kernel counts the address space the exec leaves, so it
	// is only an upper bound; PeakRSS falls back to it where /proc is missing.
	PeakRSS, MaxRSS int64
	CPU             time.Duration // the child's user + system CPU time (wait4)
	Err             error         // the child's exit error, if any
}

// childStarter returns a function that starts the test binary as `gisgw run --config cfg`
// (see TestMain) with its output going to out, for tests that kill and restart the daemon.
func childStarter(ctx context.Context, tb testing.TB, cfg string, out io.Writer) func() *exec.Cmd {
	return func() *exec.Cmd {
		tb.Helper()
		cmd := exec.CommandContext(ctx, os.Args[0], "run", "--config", cfg)
		cmd.Env = append(os.Environ(), "GISGWTEST_CHILD=1")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		return cmd
	}
}

// runChild runs the test binary as `gisgw args...` (see TestMain) to its exit, its output
// going to logPath, and measures its wall time and peak resident set size.
func runChild(ctx context.Context, tb testing.TB, logPath string, args ...string) childRun {
	tb.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatalf("create daemon log: %v", err)
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GISGWTEST_CHILD=1")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start daemon: %v", err)
	}
	stop, hwm := make(chan struct{}), make(chan int64, 1)
	go func() { hwm <- watchHWM(cmd.Process.Pid, stop) }()
	waitErr := cmd.Wait()
	r := childRun{Wall: time.Since(start), Err: waitErr}
	close(stop)
	r.PeakRSS = <-hwm
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSS = ru.Maxrss * 1024 // KiB on Linux
	}
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if r.PeakRSS == 0 {
		r.PeakRSS = r.MaxRSS
	}
	return r
}

// watchHWM reads the peak resident set (VmHWM) of process pid every 10 ms until stop is
// closed or the process is gone, and returns the last value read in bytes (0 when /proc
// has none). VmHWM only grows, so the last reading is the peak up to a few milliseconds
// before the exit.
func watchHWM(pid int, stop <-chan struct{}) int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var peak int64
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					var kib int64
					if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kib); err == nil {
						peak = max(peak, kib*1024)
					}
				}
			}
		}
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}

// childLogTail returns the last n lines of a daemon log.
func childLogTail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
