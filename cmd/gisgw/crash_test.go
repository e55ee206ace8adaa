package main

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
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
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

func TestCrashRecoverySQLite(t *testing.T) {
	t.Parallel()
	crashRun(t, filepath.Join(t.TempDir(), "gisgw.db"), 600, 12, 1)
}

func TestCrashRecoveryPostgres(t *testing.T) {
	t.Parallel()
	crashRun(t, storetest.PostgresSchema(t), 600, 12, 1)
}

// TestCrashRecoveryReplicasPostgres: three replicas on one PostgreSQL database, one of
// them killed at a time.
func TestCrashRecoveryReplicasPostgres(t *testing.T) {
	t.Parallel()
	crashRun(t, storetest.PostgresSchema(t), 300, 9, 3)
}

// crashFaults: besides transient failures, 30 % of the imports GIS processed lose their
// answer (the connection closes instead of the Ack), so that a resend would answer twice.
var crashFaults = gissim.Faults{HTTP503: 0.03, EXP001000: 0.02, LostResponse: 0.3}

// crashRun answers n generated sub-requests with replicas daemons, one of which is killed
// with SIGKILL at random moments kills times and restarted, then all are stopped with
// SIGTERM: every sub-request must be answered exactly once, as the rules say, although
// GIS loses the answers to many imports it processed.
func crashRun(t *testing.T, dsn string, n, kills, replicas int) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	msk := time.FixedZone("MSK", 3*3600)
	today := time.Now().In(msk)
	w := apptest.NewWorld(t, n, 5, today)
	sim := gissim.New(gissim.Options{
		Delay: 100 * time.Millisecond, Seed: 3, Faults: crashFaults,
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
	start := childStarter(ctx, t, cfg, logFile)
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
	cmds := make([]*exec.Cmd, replicas)
	for r := 1; r < replicas; r++ {
		cmds[r] = start() // the others run throughout; replica 0 is the one killed mostly
	}
	for i := 0; i < kills; i++ {
		victim := 0
		if replicas > 1 && i%3 == 2 {
			victim = 1 + rnd.IntN(replicas-1)
			if err := cmds[victim].Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill %d: %v", i+1, err)
			}
			_ = cmds[victim].Wait()
			cmds[victim] = start()
			victim = -1
		}
		if victim == 0 {
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
		} else {
			time.Sleep(time.Duration(100+rnd.IntN(900)) * time.Millisecond)
		}
		progress = append(progress, answered())
	}
	if progress[len(progress)-1] >= n {
		t.Logf("warning: the run finished before the last kill; kills after it hit an idle daemon")
	}
	cmds[0] = start()
	// Give it time to install its signal handler even when nothing is left to do.
	time.Sleep(time.Second)
	deadline := time.Now().Add(2 * time.Minute)
	for answered() < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	var waitErr error
	for _, cmd := range cmds {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitErr = errors.Join(waitErr, cmd.Wait())
	}
	if got := answered(); got < n {
		logTail(t, logPath)
		t.Fatalf("after %d kills: %d of %d sub-requests answered (progress after each kill: %v)", kills, got, n, progress)
	}
	if waitErr != nil {
		logTail(t, logPath)
		t.Errorf("a daemon did not exit cleanly on SIGTERM: %v", waitErr)
	}
	for _, g := range w.GUIDs {
		if k := sim.Sends(g); k != 1 {
			t.Errorf("GIS recorded %d Send actions for %s; want 1", k, g)
		}
	}
	if lost := sim.Stats().Faults.LostResponse; lost == 0 {
		t.Errorf("no import lost its answer; the run proves nothing about them")
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
	t.Logf("%d replica(s), %d kills; answered after each: %v; %d messages, %d Send actions, faults %+v", replicas, kills, progress, stats.Messages, stats.SendActions, stats.Faults)
}

func logTail(t *testing.T, path string) {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	t.Logf("daemon log (last lines):\n%s", strings.Join(lines, "\n"))
}

// childMain runs the daemon in a child process; GISGWTEST_CPUPROFILE=FILE writes its CPU
// profile there (the benchmarks' -cpuprofile sees only the test process, the simulator).
func childMain() int {
	if path := os.Getenv("GISGWTEST_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	return run(os.Args[1:], &cliEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
}
