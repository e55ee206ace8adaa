package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// benchLatency is the simulator's model of GIS in the realistic end-to-end run, in GIS's own
// (unscaled) times: 2 s per message plus 60 ms per import action (100 actions: 8 s, 20:
// 3.2 s) or 30 ms per exported sub-request (a page of 100: 5 s), never sooner than 5 s; 3 %
// of business messages refused with EXP001000, and 5 % more per message of the
// organization in flight beyond 5 (what public clients keep to). Everything is ready by the
// first getState the official schedule allows (10 s after the Ack).
var benchLatency = gissim.Latency{
	PerAction: 60 * time.Millisecond, PerItem: 30 * time.Millisecond, MinWait: 5 * time.Second,
	EXP001000: 0.03, Busy: 5, BusyRate: 0.05,
}

const benchDelay = 2 * time.Second // Options.Delay: the fixed part of every message's time

// benchFirstPullDays is how far back the benchmark's first pull reaches: every generated
// sub-request was sent within the last week.
const benchFirstPullDays = 14

// defaultGISScale divides GIS's times and the daemon's poll schedule in the realistic run,
// so that the reference mode (about 6,000 s of GIS time) takes minutes. BENCH_GIS_DIVISOR
// sets another divisor.
const defaultGISScale = 15

// BenchmarkEndToEndGIS answers 10,000 generated sub-requests with the real daemon against a
// simulator that takes GIS's time (benchLatency) and injects EXP001000, with the official
// poll schedule (config.DefaultPoll); every time on both sides is divided by the same factor
// (reported as GIS-time-divisor). It reports gisgw's wall time (s/run), the protocol's floor
// for it (floor-s, x-floor; see gisFloor) and the reference mode's wall time in the same run
// (x-faster: reference / gisgw). BENCH_SWEEP=1,2,4,8 adds gisgw runs at those
// pipeline.concurrency values (sub-benchmarks concurrency=N). Every answer, signature and
// attachment is checked as in BenchmarkEndToEnd, and the run must have met EXP001000.
func BenchmarkEndToEndGIS(b *testing.B) {
	div := float64(defaultGISScale)
	if v := os.Getenv("BENCH_GIS_DIVISOR"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 1 {
			b.Fatalf("BENCH_GIS_DIVISOR=%q: want a divisor >= 1", v)
		}
		div = f
	}
	b.Logf("GIS times and the poll schedule divided by %g: %s", div, scaledPoll(div))
	modes := []benchMode{gisgwMode, referenceMode}
	for _, s := range strings.Split(os.Getenv("BENCH_SWEEP"), ",") {
		if c, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && c > 0 {
			modes = append(modes, benchMode{fmt.Sprintf("concurrency=%d", c), 100, c})
		}
	}
	backends := []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"postgres", func(b *testing.B) string { return storetest.PostgresSchema(b) }},
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "gisgw.db") }},
	}
	for _, be := range backends {
		var gisgwWall time.Duration
		for _, mode := range modes {
			b.Run(be.name+"/"+mode.name, func(b *testing.B) {
				if be.name == "sqlite" && mode == referenceMode && os.Getenv("BENCH_GIS_SQLITE_REFERENCE") != "1" {
					b.Skip("the reference run takes minutes; on PostgreSQL only (BENCH_GIS_SQLITE_REFERENCE=1 runs it)")
				}
				var wall, floor time.Duration
				var peak int64
				runs := 0
				for b.Loop() {
					r, fl := realisticRun(b, be.dsn(b), mode, div)
					wall += r.Wall
					floor = fl
					peak = max(peak, r.PeakRSS)
					runs++
				}
				wall /= time.Duration(runs)
				b.ReportMetric(wall.Seconds(), "s/run")
				b.ReportMetric(float64(peak)/1e6, "MB-peak-RSS")
				b.ReportMetric(div, "GIS-time-divisor")
				switch {
				case mode == referenceMode:
					if gisgwWall > 0 {
						b.ReportMetric(wall.Seconds()/gisgwWall.Seconds(), "x-faster")
					}
				default:
					if mode == gisgwMode {
						gisgwWall = wall
					}
					b.ReportMetric(floor.Seconds(), "floor-s")
					b.ReportMetric(wall.Seconds()/floor.Seconds(), "x-floor")
				}
			})
		}
	}
}

// realisticRun is one end-to-end run against the slow simulator; it returns the run and the
// floor of its mode.
func realisticRun(b *testing.B, dsn string, mode benchMode, div float64) (childRun, time.Duration) {
	b.Helper()
	lat := benchLatency
	lat.Scale = 1 / div
	var floor time.Duration
	var simulated *gissim.Sim
	r, stats := endToEndRunWith(b, dsn, mode, benchSubRequests, e2eSetup{
		sim: func(o *gissim.Options) { o.Delay, o.Latency = benchDelay, lat },
		cfg: func(c *childConfig) {
			c.Poll = scaledPoll(div)
			c.PollLimit = scaled(config.DefaultPollLimit, div).String()
			// The client's own retry defaults (2 s, at most 1 min), scaled like the rest.
			c.Retry = fmt.Sprintf("{initial: %s, max: %s, max_retries: 10}", scaled(2*time.Second, div), scaled(time.Minute, div))
			c.FirstPull = benchFirstPullDays
			c.LogLevel = "warn"
		},
		timeout:  30 * time.Minute,
		scenario: spreadSentDates,
		world: func(w *apptest.World, sim *gissim.Sim) {
			var how string
			floor, how = gisFloor(sim, lat, mode)
			b.Logf("%s mode: floor %s = %s", mode.name, floor.Round(time.Millisecond), how)
			simulated = sim
		},
	})
	if simulated != nil {
		logTimeline(b, mode, simulated.Timeline(), os.Getenv("BENCH_GIS_TIMELINE"))
	}
	if stats.Faults.EXP001000 == 0 {
		b.Fatalf("%s mode: the simulator injected no EXP001000 in %d messages; the run must meet it", mode.name, stats.Messages)
	}
	return r, floor
}

// benchSentDays is over how many working days the realistic run's sub-requests were sent.
const benchSentDays = 5

// spreadSentDates sends the sub-requests of a scenario over the benchSentDays working days
// (Monday to Friday) before today, in turn, as a backlog looks when sub-requests arrive
// daily and are due five working days after they were sent; the simulator derives each
// deadline (response_date left empty) from the new date, so none has passed. apptest's
// world sends them over the last three weekdays, which are one, two or three distinct days
// by the day of the week; this way the benchmark's export chains are the same every day.
func spreadSentDates(b *testing.B, today time.Time, data []byte) []byte {
	b.Helper()
	var days []string
	for d := calendarDate(today).AddDate(0, 0, -1); len(days) < benchSentDays; d = d.AddDate(0, 0, -1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			days = append(days, d.Format(time.DateOnly))
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) < 2 {
		b.Fatalf("read the world's scenario: %d rows, %v", len(rows), err)
	}
	sent, due := slices.Index(rows[0], "sent_date"), slices.Index(rows[0], "response_date")
	if sent < 0 || due < 0 {
		b.Fatalf("scenario header %v: no sent_date or response_date", rows[0])
	}
	for i, r := range rows[1:] {
		r[sent], r[due] = days[i%len(days)], ""
	}
	var out bytes.Buffer
	cw := csv.NewWriter(&out)
	if err := cw.WriteAll(rows); err != nil {
		b.Fatalf("write the scenario: %v", err)
	}
	return out.Bytes()
}

func calendarDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// gisFloor is the shortest wall time in which a client with mode's limits could answer
// every sub-request sim holds under the simulator's latency model and the official poll
// schedule, and how it was computed. What counts:
//   - a message takes from its Ack to the first getState the schedule allows after GIS's
//     processing time (poll offsets 10 s, 70 s, 370 s … scaled): T_export for a page of
//     100, T_import for a message of mode's batch size;
//   - an export's pages come in turn (each cursor is in the previous result) and a period
//     cannot be finer than a day: the busiest day is a chain of ceil(n/100) pages, and an
//     import of its sub-requests can only follow its last page;
//   - the daemon keeps at most mode.concurrency exports and mode.concurrency imports of the
//     organization in flight (the pull runs beside the answering): the pages (ceil(n/100)
//     per day with sub-requests; empty days, the daemon's own cost, are not counted) share
//     the one limit, the imports (ceil(N/batch)) the other, and the first import needs a
//     finished page.
//
// floor = max(chain × T_export, ceil(pages / in flight) × T_export, T_export + ceil(imports / in flight) × T_import) + T_import
// (the first term's import ends the busiest day; the last one is counted once). CPU
// (deciding, signing, the store, the simulator's checks) and EXP001000 retries are not in it.
func gisFloor(sim *gissim.Sim, lat gissim.Latency, mode benchMode) (time.Duration, string) {
	perDay := map[time.Time]int{}
	n := 0
	for _, sr := range sim.SubRequests() {
		perDay[sr.SentDate]++
		n++
	}
	pages, chain := 0, 0
	for _, c := range perDay {
		p := (c + 99) / 100
		pages += p
		chain = max(chain, p)
	}
	imports := (n + mode.batchSize - 1) / mode.batchSize
	poll := make([]time.Duration, len(config.DefaultPoll))
	for i, d := range config.DefaultPoll {
		poll[i] = scaled(d, 1/lat.Scale)
	}
	te := firstPollAfter(poll, lat.ProcessingTime(benchDelay, true, 100))
	ti := firstPollAfter(poll, lat.ProcessingTime(benchDelay, false, mode.batchSize))
	c := mode.concurrency
	chainT := time.Duration(chain)*te + ti
	pagesT := time.Duration((pages+c-1)/c)*te + ti
	importsT := te + time.Duration((imports+c-1)/c)*ti
	how := fmt.Sprintf("max(busiest day %d pages × %s + %s, %d pages / %d in flight × %s + %s, %s + %d imports / %d in flight × %s) = max(%s, %s, %s)",
		chain, ms(te), ms(ti), pages, c, ms(te), ms(ti), ms(te), imports, c, ms(ti), ms(chainT), ms(pagesT), ms(importsT))
	return max(chainT, pagesT, importsT), how
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// firstPollAfter is the time from the Ack of the first getState on schedule poll (waits
// between getStates, the last repeating) at or after ready.
func firstPollAfter(poll []time.Duration, ready time.Duration) time.Duration {
	var t time.Duration
	for i := 0; ; i++ {
		t += poll[min(i, len(poll)-1)]
		if t >= ready {
			return t
		}
	}
}

func scaled(d time.Duration, div float64) time.Duration {
	return time.Duration(float64(d) / div).Round(time.Millisecond)
}

// scaledPoll is config.DefaultPoll divided by div, as a YAML list.
func scaledPoll(div float64) string {
	var parts []string
	for _, d := range config.DefaultPoll {
		parts = append(parts, scaled(d, div).String())
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// logTimeline logs how the run kept GIS busy: for exports and imports apart, from the first
// Ack to the last result read, the share of mode.concurrency slots holding a message
// (from its Ack until the client read its result), and the idle slot time. With detail
// (BENCH_GIS_TIMELINE=file) it also writes to file, every 250 ms, the messages in flight
// and read (the benchmark's log keeps only its first lines).
func logTimeline(b *testing.B, mode benchMode, spans []gissim.Span, detail string) {
	b.Helper()
	if len(spans) == 0 {
		return
	}
	t0 := spans[0].Accepted
	for _, export := range []bool{true, false} {
		var first, last time.Time
		var busy, late time.Duration
		n, items := 0, 0
		for _, s := range spans {
			if s.Export != export || s.Read.IsZero() {
				continue
			}
			if first.IsZero() || s.Accepted.Before(first) {
				first = s.Accepted
			}
			last = maxTime(last, s.Read)
			busy += s.Read.Sub(s.Accepted)
			late += s.Read.Sub(s.Due) // ready but not read yet
			n++
			items += s.Items
		}
		if n == 0 {
			continue
		}
		span := last.Sub(first)
		kind := "imports"
		if export {
			kind = "exports"
		}
		avail := time.Duration(mode.concurrency) * span
		b.Logf("%s mode timeline: %d %s (%d items) from %s to %s after the first Ack: %.0f%% of %d slots busy, idle slot time %s, ready-but-unread %s in all",
			mode.name, n, kind, items, ms(first.Sub(t0)), ms(last.Sub(t0)), 100*busy.Seconds()/avail.Seconds(), mode.concurrency, ms(avail-busy), ms(late))
	}
	if detail == "" {
		return
	}
	var out bytes.Buffer
	const step = 250 * time.Millisecond
	end := t0
	for _, s := range spans {
		end = maxTime(end, s.Read)
	}
	for t := t0; !t.After(end); t = t.Add(step) {
		var exp, imp, acked, read, actions int
		for _, s := range spans {
			if !s.Accepted.After(t) && (s.Read.IsZero() || s.Read.After(t)) {
				if s.Export {
					exp++
				} else {
					imp++
				}
			}
			if s.Export {
				continue
			}
			if !s.Accepted.After(t) {
				acked++
			}
			if !s.Read.IsZero() && !s.Read.After(t) {
				read++
				actions += s.Items
			}
		}
		fmt.Fprintf(&out, "t=%6s exports in flight %d, imports in flight %d; imports acked %d, done %d (%d actions)\n", ms(t.Sub(t0)), exp, imp, acked, read, actions)
	}
	if err := os.WriteFile(detail, out.Bytes(), 0o644); err != nil {
		b.Errorf("write the timeline: %v", err)
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
