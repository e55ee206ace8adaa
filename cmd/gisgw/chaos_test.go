package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/jackc/pgx/v5"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/store"
)

// chaosFaults is the chaos run's fault mix for n sub-requests: one SOAP or file-store call
// in five fails outright; besides, GIS loses the answer to some imports it processed, leaves
// some exports at RequestState 2 (each until the poll limit ends that call), sends some
// states backwards, and fails some file-store uploads.
//
// The test requires every kind. In the small run (600 sub-requests: about 170 business
// messages, 190 uploads) the rarer kinds are raised so that each is injected but for odds of
// about 1 in 10,000 (one run at the lower rates drew no state going backwards); the large
// runs keep the lower rates, at which every kind occurs hundreds of times anyway.
func chaosFaults(n int) gissim.Faults {
	f := gissim.Faults{
		HTTP500: 0.06, HTTP503: 0.05, EXP001000: 0.05, Drop: 0.04,
		LostResponse: 0.1, Stuck: 0.05, Backwards: 0.02, UploadFail: 0.03,
	}
	if n < 2000 {
		f.Stuck, f.Backwards, f.UploadFail = 0.1, 0.06, 0.06
	}
	return f
}

// TestChaos answers GISGW_CHAOS_N generated sub-requests (default 600; `make chaos` runs
// 5,000) through a simulated GIS that fails 20% of the calls, with a real daemon process
// that is killed with SIGKILL 12 times at random moments — some while it starts and pulls,
// most while it answers — and a PostgreSQL server of its own that is restarted once while
// the daemon answers. At the end every sub-request is answered exactly once, with the
// answer the world expects, and the daemon stops cleanly on SIGTERM.
func TestChaos(t *testing.T) {
	t.Parallel()
	n := 600
	if s := os.Getenv("GISGW_CHAOS_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 50 || v > 100_000 {
			t.Fatalf("GISGW_CHAOS_N=%q: want a number of sub-requests from 50 to 100000", s)
		}
		n = v
	}
	const kills = 12
	budget := 4*time.Minute + time.Duration(n)*150*time.Millisecond // 600: 5.5 min, 5000: 16.5 min
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()

	pg := startPostgres(t)
	dsn := pg.createDB(t, "gisgw")

	msk := time.FixedZone("MSK", 3*3600)
	today := time.Now().In(msk)
	w := apptest.NewWorld(t, n, 17, today)
	sim := gissim.New(gissim.Options{
		Delay: 100 * time.Millisecond, Seed: time.Now().UnixNano(), Faults: chaosFaults(n),
		Verify: gissim.VerifySignatures(nil), CheckAttachments: true,
	})
	sim.SetToday(today)
	if err := sim.LoadScenario(bytes.NewReader(w.Scenario)); err != nil {
		t.Fatal(err)
	}
	// Count every request the daemon makes (SOAP and file store) to check the fault rate.
	var requests atomic.Int64
	simHandler := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		simHandler.ServeHTTP(w, r)
	}))
	defer srv.Close()

	if err := w.Load(ctx, dsn); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	key, cert := apptest.TestKey(t)
	cfg := writeChildConfig(t, dir, childConfig{
		DSN: dsn, Endpoint: srv.URL, Key: key, Cert: cert, Poll: "[20ms, 50ms]", LogLevel: "info",
		BatchSize: min(max(n/60, 10), 50), Concurrency: 4, Lease: "2s", PullEvery: "5s", PollLimit: "3s",
	})
	logPath := filepath.Join(dir, "daemon.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	fail := func(format string, args ...any) {
		t.Helper()
		logTail(t, logPath)
		t.Fatalf(format, args...)
	}

	sends := func() int { return sim.Stats().SendActions }
	// waitSends waits until GIS has accepted at least target Send actions; it reports false
	// when the daemon exited by itself or the wait timed out.
	waitSends := func(d *daemon, target int, timeout time.Duration) bool {
		until := time.Now().Add(timeout)
		for sends() < target && time.Now().Before(until) && ctx.Err() == nil {
			select {
			case <-d.done:
				return false
			case <-time.After(20 * time.Millisecond):
			}
		}
		return sends() >= target
	}

	start := time.Now()
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	restartAt := 3 + rnd.IntN(kills-6) // one of the middle lives of the daemon
	var (
		progress   []int // Send actions after each kill
		busyKills  int   // kills that hit a daemon with work left
		restarted  bool
		restartLog string
	)
	for i := range kills {
		d := startDaemon(ctx, t, cfg, logFile)
		left := kills - i
		switch {
		case i == restartAt:
			// PostgreSQL goes away while the daemon answers, and comes back.
			before := sends()
			if !waitSends(d, min(before+1+rnd.IntN(max(n/20, 1)), n-left), time.Minute) && d.exited() {
				fail("life %d: the daemon exited by itself before the PostgreSQL restart: %v", i+1, d.err)
			}
			time.Sleep(time.Duration(rnd.IntN(200)) * time.Millisecond)
			down := time.Duration(500+rnd.IntN(2000)) * time.Millisecond
			at := sends()
			pg.restart(t, down)
			back := sends()
			// The same daemon process carries on: more answers go out after PostgreSQL is back.
			if !waitSends(d, min(back+n/50+1, n), 2*time.Minute) {
				if d.exited() {
					fail("the daemon did not survive the PostgreSQL restart: it exited: %v", d.err)
				}
				fail("no progress within 2 minutes after the PostgreSQL restart: %d Send actions before, %d after", back, sends())
			}
			restarted = true
			restartLog = fmt.Sprintf("PostgreSQL down for %s at %d Send actions; %d when it was back; %d a moment later, same daemon process",
				down.Round(time.Millisecond), at, back, sends())
			time.Sleep(time.Duration(rnd.IntN(300)) * time.Millisecond)
		case i%3 == 0:
			// Any moment early in a life: starting, migrating, pulling, the first answers.
			time.Sleep(time.Duration(50+rnd.IntN(900)) * time.Millisecond)
		default:
			// In the middle of answering: after some more answers, a little later. Leave
			// work for the lives still to come.
			cur := sends()
			target := cur + 1 + rnd.IntN(max((n-cur)/(2*left), 1))
			waitSends(d, target, time.Minute)
			time.Sleep(time.Duration(rnd.IntN(150)) * time.Millisecond)
		}
		if d.exited() {
			fail("life %d: the daemon exited by itself: %v", i+1, d.err)
		}
		if sends() < n {
			busyKills++
		}
		d.kill(t)
		progress = append(progress, sends())
	}
	if !restarted {
		t.Fatal("PostgreSQL was never restarted")
	}
	d := startDaemon(ctx, t, cfg, logFile)
	// Give it time to install its signal handler even when nothing is left to do.
	time.Sleep(time.Second)
	answered := func() int {
		k := 0
		for _, a := range sim.Answers() {
			if a.ResponseStatus == "Sent" {
				k++
			}
		}
		return k
	}
	// Done when GIS holds every answer and the store has recorded every outcome (messages
	// cut off by a kill are resumed by this last daemon).
	st, err := storeopen.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recorded := func() int {
		srs, err := st.ListSubRequests(ctx, store.SubRequestFilter{})
		if err != nil {
			return -1
		}
		k := 0
		for _, sr := range srs {
			if sr.State == "answered" {
				k++
			}
		}
		return k
	}
	for (answered() < n || recorded() < n) && ctx.Err() == nil && !d.exited() {
		time.Sleep(200 * time.Millisecond)
	}
	if d.exited() {
		fail("the last daemon exited by itself: %v", d.err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-d.done
	wall := time.Since(start)
	if got := answered(); got < n {
		fail("after %d kills and a PostgreSQL restart: %d of %d sub-requests answered (Send actions after each kill: %v)", kills, got, n, progress)
	}
	if d.err != nil {
		logTail(t, logPath)
		t.Errorf("the daemon did not exit cleanly on SIGTERM: %v", d.err)
	}
	if busyKills < 10 {
		t.Errorf("only %d of %d kills hit a daemon with work left; want at least 10 (Send actions after each kill: %v)", busyKills, kills, progress)
	}
	stats := sim.Stats()
	if stats.SendActions != n {
		t.Errorf("simulator accepted %d Send actions for %d sub-requests; want exactly one each (after each kill: %v)", stats.SendActions, n, progress)
	}
	seen := map[string]bool{}
	for _, a := range sim.Answers() {
		seen[a.SubrequestGUID] = true
		if a.ResponseStatus != "Sent" {
			t.Errorf("%s: status %s; want Sent", a.SubrequestGUID, a.ResponseStatus)
			continue
		}
		if got := a.HasDebt != nil && *a.HasDebt; got != w.Debt[a.SubrequestGUID] {
			t.Errorf("%s: hasDebt %v; want %v", a.SubrequestGUID, got, w.Debt[a.SubrequestGUID])
		}
	}
	for _, g := range w.GUIDs {
		if !seen[g] {
			t.Errorf("%s: GIS holds no answer", g)
		}
		if k := sim.Sends(g); k != 1 {
			t.Errorf("%s: GIS recorded %d Send actions; want 1", g, k)
		}
	}
	if f := stats.Faults; f.LostResponse == 0 || f.Stuck == 0 || f.Backwards == 0 || f.UploadFail == 0 {
		t.Errorf("faults %+v: every kind should have been injected", f)
	}
	// The store agrees: every sub-request recorded once and answered.
	srs, err := st.ListSubRequests(ctx, store.SubRequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(srs) != n {
		t.Errorf("store holds %d sub-requests; want %d", len(srs), n)
	}
	for _, sr := range srs {
		if sr.State != "answered" {
			t.Errorf("store: %s is %s; want answered", sr.GUID, sr.State)
		}
	}
	f := stats.Faults
	injected := f.HTTP500 + f.HTTP503 + f.EXP001000 + f.Drop
	calls := stats.Calls.Export + stats.Calls.Import + stats.Calls.GetState + stats.Calls.Other
	total := int(requests.Load())
	if rate := float64(injected) / float64(max(total, 1)); rate < 0.10 || rate > 0.30 {
		t.Errorf("%d faults injected in %d requests (%.1f%%); want about 20%%", injected, total, 100*rate)
	}
	logb, _ := os.ReadFile(logPath)
	t.Logf("%d sub-requests in %s: %d kills (%d with work left), Send actions after each: %v", n, wall.Round(time.Millisecond), kills, busyKills, progress)
	t.Logf("%s", restartLog)
	shown := 0
	for line := range strings.Lines(string(logb)) {
		if shown < 4 && strings.Contains(line, "pass finished with errors") {
			shown++
			t.Logf("daemon: %.400s", strings.TrimSpace(line))
		}
	}
	t.Logf("%d messages, %d Send actions, %d requests (SOAP %d: export %d, import %d, getState %d), faults %+v (%.1f%% of requests), %d files, %d pass errors logged",
		stats.Messages, stats.SendActions, total, calls, stats.Calls.Export, stats.Calls.Import, stats.Calls.GetState, f,
		100*float64(injected)/float64(max(total, 1)), stats.FileStore.Files, bytes.Count(logb, []byte("pass finished with errors")))
}

// daemon is one `gisgw run` child process.
type daemon struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// startDaemon runs the test binary as `gisgw run --config cfg` (see TestMain). The child
// gets the test's environment without GISGW_* variables: the daemon's configuration reads
// those strictly, and the test's own settings are not the daemon's.
func startDaemon(ctx context.Context, t *testing.T, cfg string, out *os.File) *daemon {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "run", "--config", cfg)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GISGW_") || strings.HasPrefix(kv, "GISGWTEST_")
	}), "GISGWTEST_CHILD=1")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the daemon: %v", err)
	}
	d := &daemon{cmd: cmd, done: make(chan struct{})}
	go func() { d.err = cmd.Wait(); close(d.done) }()
	return d
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

func (d *daemon) kill(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("kill the daemon: %v", err)
	}
	<-d.done
}

// pgServer is a PostgreSQL server of the test's own, so that restarting it disturbs no other
// test: a fresh cluster in a temporary directory, trust authentication, on a free port on
// 127.0.0.1 with its socket in the same directory.
type pgServer struct {
	bin     string // the directory of initdb, pg_ctl, postgres
	data    string
	logFile string
	port    int
	asUser  string // run the server as this user (PostgreSQL refuses to run as root)
}

// startPostgres starts the server and stops it in t.Cleanup. Without a PostgreSQL
// installation the test skips, except under CI, where it fails.
func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		msg := "no PostgreSQL installation (no /usr/lib/postgresql/*/bin/pg_ctl, no pg_ctl on PATH); `make deps` installs it"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	slices.SortFunc(bins, func(a, b string) int { return pgVersion(a) - pgVersion(b) })
	s := &pgServer{bin: filepath.Dir(bins[len(bins)-1])}

	// Under /tmp rather than t.TempDir(): the postgres user must traverse every parent.
	base, err := os.MkdirTemp("", "gisgw-chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	s.data, s.logFile = filepath.Join(base, "data"), filepath.Join(base, "postgres.log")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres system user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(base, uid, gid); err != nil {
			t.Fatal(err)
		}
		s.asUser = "postgres"
	}
	if out, err := s.run("initdb", "-D", s.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		s.port = freePort(t)
		out, err := s.ctl("start")
		if err == nil {
			break
		}
		if attempt == 2 {
			logs, _ := os.ReadFile(s.logFile)
			t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, logs)
		}
	}
	t.Cleanup(func() {
		if out, err := s.run("pg_ctl", "stop", "-D", s.data, "-m", "immediate", "-w"); err != nil {
			t.Logf("pg_ctl stop: %v\n%s", err, out)
		}
	})
	return s
}

func pgVersion(path string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return v
}

// run runs one of the server's programs, as the postgres user when the test runs as root.
func (s *pgServer) run(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	argv := append([]string{filepath.Join(s.bin, prog)}, args...)
	if s.asUser != "" {
		argv = append([]string{"runuser", "-u", s.asUser, "--"}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = os.TempDir() // a directory the postgres user can enter
	return cmd.CombinedOutput()
}

// ctl runs pg_ctl start or stop, waiting for it to complete.
func (s *pgServer) ctl(action string) ([]byte, error) {
	switch action {
	case "start":
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", s.port, filepath.Dir(s.data))
		return s.run("pg_ctl", "start", "-D", s.data, "-l", s.logFile, "-w", "-t", "60", "-o", opts)
	case "stop":
		return s.run("pg_ctl", "stop", "-D", s.data, "-m", "fast", "-w", "-t", "60")
	}
	return nil, fmt.Errorf("pg_ctl %s: unknown action", action)
}

// restart stops the server (fast: open connections are cut), keeps it down for down, and
// starts it again on the same port.
func (s *pgServer) restart(t *testing.T, down time.Duration) {
	t.Helper()
	if out, err := s.ctl("stop"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
	time.Sleep(down)
	if out, err := s.ctl("start"); err != nil {
		logs, _ := os.ReadFile(s.logFile)
		t.Fatalf("pg_ctl start after stop: %v\n%s\n%s", err, out, logs)
	}
}

func (s *pgServer) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// createDB creates a database and returns its URL.
func (s *pgServer) createDB(t *testing.T, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.url("postgres"))
	if err != nil {
		t.Fatalf("connect to the test's PostgreSQL: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return s.url(name)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
