package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestMain lets the test binary stand in for gisgw: with GISGWTEST_CHILD set it runs the
// command line it was given, so the crash tests kill a real daemon process.
func TestMain(m *testing.M) {
	if os.Getenv("GISGWTEST_CHILD") == "1" {
		os.Exit(run(os.Args[1:], &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}

func TestCrashRecoverySQLite(t *testing.T) {
	t.Parallel()
	crashRun(t, filepath.Join(t.TempDir(), "gisgw.db"), 600, 12)
}

func TestCrashRecoveryPostgres(t *testing.T) {
	t.Parallel()
	crashRun(t, storetest.PostgresSchema(t), 600, 12)
}

// crashRun answers n generated sub-requests with a daemon that is killed with SIGKILL at
// random moments kills times and restarted, then stopped with SIGTERM: every sub-request
// must be answered exactly once, as the rules say.
func crashRun(t *testing.T, dsn string, n, kills int) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	msk := time.FixedZone("MSK", 3*3600)
	today := time.Now().In(msk)
	w := apptest.NewWorld(t, n, 5, today)
	sim := gissim.New(gissim.Options{
		Delay: 100 * time.Millisecond, Seed: 3, Faults: gissim.Faults{HTTP503: 0.03, EXP001000: 0.02},
		Verify: gissim.VerifySignatures(nil), CheckAttachments: true,
	})
	sim.SetToday(today)
	if err := sim.LoadScenario(bytes.NewReader(w.Scenario)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()

	if err := w.Load(ctx, dsn); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	key, cert := apptest.TestKey(t)
	cfg := writeChildConfig(t, dir, childConfig{
		DSN: dsn, Endpoint: srv.URL, Key: key, Cert: cert, Poll: "[20ms, 50ms]", LogLevel: "info",
		BatchSize: 10, Concurrency: 2, Lease: "2s", PullEvery: "1s",
	})
	logPath := filepath.Join(dir, "daemon.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	start := func() *exec.Cmd {
		cmd := exec.CommandContext(ctx, os.Args[0], "run", "--config", cfg)
		cmd.Env = append(os.Environ(), "GISGWTEST_CHILD=1")
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	answered := func() int {
		k := 0
		for _, a := range sim.Answers() {
			if a.ResponseStatus == "Sent" {
				k++
			}
		}
		return k
	}
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var progress []int
	for i := 0; i < kills; i++ {
		cmd := start()
		if i%2 == 0 {
			// Any moment: starting, pulling, deciding, sending.
			time.Sleep(time.Duration(100+rnd.IntN(1400)) * time.Millisecond)
		} else {
			// In the middle of answering: after a few more answers, a little later.
			target, until := answered()+5+rnd.IntN(40), time.Now().Add(5*time.Second)
			for answered() < target && answered() < n && time.Now().Before(until) {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(time.Duration(rnd.IntN(100)) * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill %d: %v", i+1, err)
		}
		_ = cmd.Wait()
		progress = append(progress, answered())
	}
	if progress[len(progress)-1] >= n {
		t.Logf("warning: the run finished before the last kill; kills after it hit an idle daemon")
	}
	cmd := start()
	// Give it time to install its signal handler even when nothing is left to do.
	time.Sleep(time.Second)
	deadline := time.Now().Add(2 * time.Minute)
	for answered() < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := cmd.Wait()
	if got := answered(); got < n {
		logTail(t, logPath)
		t.Fatalf("after %d kills: %d of %d sub-requests answered (progress after each kill: %v)", kills, got, n, progress)
	}
	if waitErr != nil {
		logTail(t, logPath)
		t.Errorf("the daemon did not exit cleanly on SIGTERM: %v", waitErr)
	}
	stats := sim.Stats()
	if stats.SendActions != n {
		t.Errorf("simulator accepted %d Send actions for %d sub-requests; want exactly one each (progress after each kill: %v)", stats.SendActions, n, progress)
	}
	for _, a := range sim.Answers() {
		if got := a.HasDebt != nil && *a.HasDebt; got != w.Debt[a.SubrequestGUID] {
			t.Errorf("%s: hasDebt %v; want %v", a.SubrequestGUID, got, w.Debt[a.SubrequestGUID])
		}
	}
	t.Logf("%d kills; answered after each: %v; %d messages, %d Send actions", kills, progress, stats.Messages, stats.SendActions)
}

func logTail(t *testing.T, path string) {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	t.Logf("daemon log (last lines):\n%s", strings.Join(lines, "\n"))
}
