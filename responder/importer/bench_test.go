package importer

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// writeLargeFiles writes a premises file and a court-acts file of n rows (n acts with one
// debtor each, every third with a SNILS, every act with one of 100 document files) into dir.
func writeLargeFiles(tb testing.TB, dir string, n int) (premises, acts string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for i := range 100 {
		if err := os.WriteFile(filepath.Join(dir, "docs", fmt.Sprintf("act-%02d.pdf", i)), []byte("%PDF-1.4\n%%EOF\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write := func(name string, row func(w *bufio.Writer, i int)) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			tb.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for i := -1; i < n; i++ {
			row(w, i)
		}
		if err := w.Flush(); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	premises = write("premises.csv", func(w *bufio.Writer, i int) {
		if i < 0 {
			w.WriteString("premise_id;house_guid;flat;address;account_number\n")
			return
		}
		fmt.Fprintf(w, "P%07d;a3f0c7e2-4b1d-4c5e-9f6a-%012d;%d;г. Москва, ул. Ленина, д. %d, кв. %d;%d\n", i, i/100, i%100+1, i/100, i%100+1, 1000000+i)
	})
	acts = write("court-acts.csv", func(w *bufio.Writer, i int) {
		if i < 0 {
			w.WriteString(actsHeader + "\n")
			return
		}
		snils := ""
		if i%3 == 0 {
			nine := fmt.Sprintf("%09d", 100000000+i)
			snils = fmt.Sprintf("%s%02d", nine, snilsControl(nine))
		}
		fmt.Fprintf(w, "A%07d;P%07d;2-%d/2024;court_order;2024-02-01;2024-03-05;2022-01;2023-06;12 345,67;%d,00;2025-01-31;;Иванов;Иван;Иванович;%s;;;;docs/act-%02d.pdf\n",
			i, i, i, i%5000, snils, i%100)
	})
	return premises, acts
}

func TestLargeImportSmoke(t *testing.T) {
	t.Parallel()
	const n = 3000
	premises, acts := writeLargeFiles(t, t.TempDir(), n)
	st := newSQLite(t)
	if res, err := ImportPremises(t.Context(), st, premises, Options{}); err != nil || res.Stats.Inserted != n {
		t.Fatalf("premises = %+v, %v", res, err)
	}
	if res, err := ImportCourtActs(t.Context(), st, acts, Options{}); err != nil || res.Stats.Inserted != n {
		t.Fatalf("acts = %+v, %v", res, err)
	}
	if res, err := ImportCourtActs(t.Context(), st, acts, Options{}); err != nil || res.Stats.Unchanged != n {
		t.Fatalf("acts again = %+v, %v", res, err)
	}
}

// BenchmarkImport100k times `import court-acts` of a 100,000-row CSV (validation included)
// into a fresh store ("insert") and again into a store that already holds it ("reimport",
// everything unchanged), for SQLite and PostgreSQL. It reports rows/s, the importer's CPU
// time and, for PostgreSQL on this machine, its backends' CPU time (pg-cpu-s/op).
func BenchmarkImport100k(b *testing.B) {
	const n = 100_000
	premises, acts := writeLargeFiles(b, b.TempDir(), n)
	// open returns a fresh store and, for PostgreSQL, the application_name of its
	// connections, by which serverCPU finds their backends.
	backends := []struct {
		name string
		open func(b *testing.B) (store.Store, string)
	}{
		{"sqlite", func(b *testing.B) (store.Store, string) {
			st, err := storeopen.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), storeopen.WithAutoMigrate())
			if err != nil {
				b.Fatal(err)
			}
			return st, ""
		}},
		{"postgres", func(b *testing.B) (store.Store, string) {
			dsn, err := url.Parse(storetest.PostgresSchema(b))
			if err != nil {
				b.Fatal(err)
			}
			q := dsn.Query()
			app := "gisgw-bench-" + q.Get("search_path")
			q.Set("application_name", app)
			dsn.RawQuery = q.Encode()
			st, err := storeopen.Open(b.Context(), dsn.String(), storeopen.WithAutoMigrate())
			if err != nil {
				b.Fatal(err)
			}
			return st, app
		}},
	}
	for _, be := range backends {
		fresh := func(b *testing.B) (store.Store, string) {
			st, app := be.open(b)
			b.Cleanup(func() { st.Close() })
			if _, err := ImportPremises(b.Context(), st, premises, Options{}); err != nil {
				b.Fatal(err)
			}
			return st, app
		}
		// cpu returns the importer's and the server's CPU time so far.
		cpu := func(b *testing.B, app string) (own, server time.Duration, serverOK bool) {
			own = processCPU(b)
			if app != "" {
				server, serverOK = serverCPU(b, app)
			}
			return own, server, serverOK
		}
		report := func(b *testing.B, own, server time.Duration, serverOK bool) {
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(own.Seconds()/float64(b.N), "cpu-s/op")
			if serverOK {
				b.ReportMetric(server.Seconds()/float64(b.N), "pg-cpu-s/op")
			}
		}
		b.Run(be.name+"/insert", func(b *testing.B) {
			var own, server time.Duration
			serverOK := true
			for range b.N {
				b.StopTimer()
				st, app := fresh(b)
				own0, server0, ok0 := cpu(b, app)
				b.StartTimer()
				res, err := ImportCourtActs(b.Context(), st, acts, Options{})
				b.StopTimer()
				own1, server1, ok1 := cpu(b, app)
				b.StartTimer()
				own, server, serverOK = own+own1-own0, server+server1-server0, serverOK && ok0 && ok1
				if err != nil || res.Stats.Inserted != n {
					b.Fatalf("import = %+v, %v", res.Stats, err)
				}
			}
			report(b, own, server, serverOK)
		})
		b.Run(be.name+"/reimport", func(b *testing.B) {
			b.StopTimer()
			st, app := fresh(b)
			if _, err := ImportCourtActs(b.Context(), st, acts, Options{}); err != nil {
				b.Fatal(err)
			}
			own0, server0, ok0 := cpu(b, app)
			b.StartTimer()
			for range b.N {
				res, err := ImportCourtActs(b.Context(), st, acts, Options{})
				if err != nil || res.Stats.Unchanged != n {
					b.Fatalf("re-import = %+v, %v", res.Stats, err)
				}
			}
			b.StopTimer()
			own1, server1, ok1 := cpu(b, app)
			report(b, own1-own0, server1-server0, ok0 && ok1)
		})
	}
}

// BenchmarkImportMemory imports 100,000 and then 400,000 court-act rows (CSV, SQLite, each
// into a fresh store) and reports the peak heap in use during each import, sampled every
// 5 ms with runtime.ReadMemStats after a GC before the import, and their ratio: memory
// flat in the file size means a ratio near 1, holding the file means near 4.
func BenchmarkImportMemory(b *testing.B) {
	peak := func(b *testing.B, n int) float64 {
		dir := b.TempDir()
		premises, acts := writeLargeFiles(b, dir, n)
		st, err := storeopen.Open(b.Context(), filepath.Join(dir, "bench.db"), storeopen.WithAutoMigrate())
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		if _, err := ImportPremises(b.Context(), st, premises, Options{}); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var max atomic.Uint64
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			var ms runtime.MemStats
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > max.Load() {
					max.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		res, err := ImportCourtActs(b.Context(), st, acts, Options{})
		close(stop)
		<-done
		if err != nil || res.Stats.Inserted != n {
			b.Fatalf("import of %d rows = %+v, %v", n, res.Stats, err)
		}
		return float64(max.Load()) / (1 << 20)
	}
	for range b.N {
		small := peak(b, 100_000)
		large := peak(b, 400_000)
		b.ReportMetric(small, "MB-heap-100k")
		b.ReportMetric(large, "MB-heap-400k")
		b.ReportMetric(large/small, "x-heap-400k/100k")
	}
}
