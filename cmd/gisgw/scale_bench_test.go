package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storeopen"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// init lets a daemon child of BenchmarkScale profile itself: with BENCH_SCALE_PROFILE=DIR
// each child writes DIR/cpu-PID.pprof from its start to its SIGTERM, and DIR/heap-PID.pprof
// at the SIGTERM (the daemon has no pprof endpoint, and a profile of the test process would
// show the simulator only).
func init() {
	dir := os.Getenv("BENCH_SCALE_PROFILE")
	if dir == "" || os.Getenv("GISGWTEST_CHILD") != "1" || len(os.Args) < 2 || os.Args[1] != "run" {
		return
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", os.Getpid())))
	if err != nil || pprof.StartCPUProfile(f) != nil {
		return
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		pprof.StopCPUProfile()
		f.Close()
		runtime.GC()
		if h, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap-%d.pprof", os.Getpid()))); err == nil {
			_ = pprof.WriteHeapProfile(h)
			h.Close()
		}
	}()
}

// scaleReplicas is how many daemons share the PostgreSQL store in BenchmarkScale.
const scaleReplicas = 3

// scaleLinear is the linearity threshold: the large run may take at most this many times
// (size ratio × the small run's wall time) before the scaling counts as not linear.
const scaleLinear = 1.25

// scaleSizes are the two runs compared; BENCH_SCALE_N replaces the large one (e.g. 20000 for
// a quick look).
func scaleSizes(b *testing.B) []int {
	large := 100_000
	if v := os.Getenv("BENCH_SCALE_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < benchSubRequests {
			b.Fatalf("BENCH_SCALE_N=%q: want a number >= %d", v, benchSubRequests)
		}
		large = n
	}
	return []int{benchSubRequests, large}
}

// BenchmarkScale answers 10,000 and then 100,000 generated sub-requests with three replicas
// of the daemon (`gisgw run`, as deployed, three child processes) on one PostgreSQL schema,
// against an in-process simulator with no delay and no faults: it measures gisgw's own
// scaling, not GIS's latency. The replicas run until the store holds every sub-request as
// answered and are then stopped with SIGTERM (a `run --once` pass ends when its own work
// is done, not when the other replicas' is, so it cannot say when the whole job is done).
// It reports the wall time from the first replica's start until the store shows the last
// answer (s/run), the largest peak RSS of the replicas (MB-peak-RSS) and each one's
// (MB-peak-RSS-r1…r3), and, on the large run, x-linear = (wall large / wall small) / (size
// ratio): at most 1.25 counts as linear. Every run checks exactly one Send per sub-request,
// the expected answer to each and the store's state. Run it with -benchtime=1x.
func BenchmarkScale(b *testing.B) {
	var small time.Duration
	sizes := scaleSizes(b)
	for _, n := range sizes {
		b.Run(fmt.Sprintf("postgres/n=%d", n), func(b *testing.B) {
			var total time.Duration
			var peaks []int64
			runs := 0
			for b.Loop() {
				r := scaleRun(b, storetest.PostgresSchema(b), n)
				total += r.wall
				if peaks == nil {
					peaks = make([]int64, len(r.peaks))
				}
				for i, p := range r.peaks {
					peaks[i] = max(peaks[i], p)
				}
				runs++
			}
			wall := total / time.Duration(runs)
			b.ReportMetric(wall.Seconds(), "s/run")
			b.ReportMetric(float64(slices.Max(peaks))/1e6, "MB-peak-RSS")
			for i, p := range peaks {
				b.ReportMetric(float64(p)/1e6, fmt.Sprintf("MB-peak-RSS-r%d", i+1))
			}
			if n == sizes[0] {
				small = wall
			} else if small > 0 {
				lin := wall.Seconds() / small.Seconds() / (float64(n) / float64(sizes[0]))
				b.ReportMetric(lin, "x-linear")
				if lin > scaleLinear {
					// Reported, not failed: on a shared machine one run's wall time is noise.
					b.Logf("not linear: %d sub-requests took %.2fx of %d times the %d run's %s (threshold %.2fx)",
						n, lin, n/sizes[0], sizes[0], small.Round(time.Millisecond), scaleLinear)
				}
			}
		})
	}
}

// scaleResult is one BenchmarkScale run: its wall time and each replica's peak RSS.
type scaleResult struct {
	wall  time.Duration
	peaks []int64
}

// scaleRun makes a world of n sub-requests, loads it into a fresh simulator and the store
// at dsn, runs scaleReplicas daemons until the store holds all as answered, stops them and
// checks every answer.
func scaleRun(b *testing.B, dsn string, n int) scaleResult {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	setup := time.Now()
	msk := time.FixedZone("MSK", 3*3600)
	today := time.Now().In(msk)
	w := apptest.NewWorld(b, n, 5, today)
	sim := gissim.New(gissim.Options{Seed: 3, Verify: gissim.VerifySignatures(nil), CheckAttachments: true})
	sim.SetToday(today)
	// Sent over the five working days before today, as in the realistic run: the world's own
	// dates fall on one to three distinct days by the day of the week, so the first pull's
	// longest export chain (and the wall time) would depend on the weekday the bench runs.
	if err := sim.LoadScenario(bytes.NewReader(spreadSentDates(b, today, w.Scenario))); err != nil {
		b.Fatalf("load scenario: %v", err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	if err := w.Load(ctx, dsn); err != nil {
		b.Fatal(err)
	}
	st, err := storeopen.Open(ctx, dsn)
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	defer st.Close()
	dir := b.TempDir()
	key, cert := apptest.TestKey(b)
	cfg := writeChildConfig(b, dir, childConfig{
		DSN: dsn, Endpoint: srv.URL, Key: key, Cert: cert, Poll: "[10ms, 20ms]", LogLevel: "info",
		BatchSize: gisgwMode.batchSize, Concurrency: gisgwMode.concurrency,
		// As deployed: one pull at the start finds everything; pulling every second, as the
		// crash tests do, would add a progress summary over the whole store per second
		// and replica, which no deployment pays.
		PullEvery: pullEvery(),
	})
	setupTime := time.Since(setup)

	start := time.Now()
	cmds := make([]*exec.Cmd, scaleReplicas)
	logs := make([]string, scaleReplicas)
	hwms := make([]chan int64, scaleReplicas)
	stop := make(chan struct{})
	for i := range cmds {
		logs[i] = filepath.Join(dir, fmt.Sprintf("daemon-%d.log", i+1))
		f, err := os.Create(logs[i])
		if err != nil {
			b.Fatalf("create daemon log: %v", err)
		}
		defer f.Close()
		cmds[i] = childStarter(ctx, b, cfg, f)()
		hwms[i] = make(chan int64, 1)
		go func() { hwms[i] <- watchHWM(cmds[i].Process.Pid, stop) }()
	}
	tails := func() string {
		var s string
		for i, l := range logs {
			s += fmt.Sprintf("\nreplica %d (last lines):\n%s", i+1, childLogTail(l, 15))
		}
		return s
	}
	stopAll := func() error {
		var errs error
		for i, cmd := range cmds {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				errs = errors.Join(errs, fmt.Errorf("replica %d: SIGTERM: %w", i+1, err))
			}
		}
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				errs = errors.Join(errs, fmt.Errorf("replica %d did not exit cleanly on SIGTERM: %w", i+1, err))
			}
		}
		close(stop)
		return errs
	}
	if err := waitAllAnswered(ctx, sim, st, n); err != nil {
		_ = stopAll()
		b.Fatalf("%d sub-requests, %d replicas: %v%s", n, scaleReplicas, err, tails())
	}
	wall := time.Since(start)
	if err := stopAll(); err != nil {
		b.Fatalf("%v%s", err, tails())
	}
	r := scaleResult{wall: wall, peaks: make([]int64, scaleReplicas)}
	for i := range hwms {
		r.peaks[i] = <-hwms[i]
	}
	check := time.Now()
	if err := checkAnswered(ctx, sim, st, w); err != nil {
		b.Fatalf("%v%s", err, tails())
	}
	for _, g := range w.GUIDs {
		if k := sim.Sends(g); k != 1 {
			b.Fatalf("GIS recorded %d Send actions for %s; want exactly 1", k, g)
		}
	}
	stats := sim.Stats()
	b.Logf("%d sub-requests, %d replicas: answered in %s (setup %s, checks %s), peak RSS %v MB; %d messages, %d export and %d import calls, %d files",
		n, scaleReplicas, wall.Round(time.Millisecond), setupTime.Round(time.Millisecond), time.Since(check).Round(time.Millisecond),
		mbs(r.peaks), stats.Messages, stats.Calls.Export, stats.Calls.Import, stats.FileStore.Files)
	return r
}

// waitAllAnswered waits until the simulator accepted n Send actions and the store holds no
// sub-request in any state but answered; the store is asked only once GIS has them all,
// so that the waiting adds no load of its own while the replicas work.
func waitAllAnswered(ctx context.Context, sim *gissim.Sim, st store.Store, n int) error {
	notAnswered := slices.DeleteFunc(domain.States(), func(s domain.State) bool { return s == domain.StateAnswered })
	last, lastMove := -1, time.Now()
	for {
		sent := sim.Stats().SendActions
		if sent > n {
			return fmt.Errorf("simulator accepted %d Send actions for %d sub-requests", sent, n)
		}
		if sent == n {
			left, err := st.ListSubRequests(ctx, store.SubRequestFilter{States: notAnswered})
			if err != nil {
				return fmt.Errorf("list the sub-requests not answered: %w", err)
			}
			if len(left) == 0 {
				return nil
			}
		}
		if sent != last {
			last, lastMove = sent, time.Now()
		} else if time.Since(lastMove) > time.Minute {
			return fmt.Errorf("no progress for a minute: %d of %d Send actions", sent, n)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d Send actions: %w", sent, n, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pullEvery is the replicas' pipeline.pull_interval: the default, or BENCH_SCALE_PULL (e.g.
// 1s, to see what frequent pulls and their progress summaries cost).
func pullEvery() string {
	if v := os.Getenv("BENCH_SCALE_PULL"); v != "" {
		return v
	}
	return config.DefaultPullInterval.String()
}

// mbs formats byte counts as whole megabytes.
func mbs(v []int64) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = (x + 5e5) / 1e6
	}
	return out
}
