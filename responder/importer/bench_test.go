package importer

import (
	"bufio"
	"fmt"
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
// everything unchanged), for SQLite and PostgreSQL. It reports rows/s.
func BenchmarkImport100k(b *testing.B) {
	const n = 100_000
	premises, acts := writeLargeFiles(b, b.TempDir(), n)
	backends := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store {
			st, err := storeopen.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), storeopen.WithAutoMigrate())
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
		{"postgres", func(b *testing.B) store.Store {
			st, err := storeopen.Open(b.Context(), storetest.PostgresSchema(b), storeopen.WithAutoMigrate())
			if err != nil {
				b.Fatal(err)
			}
			return st
		}},
	}
	for _, be := range backends {
		fresh := func(b *testing.B) store.Store {
			st := be.open(b)
			b.Cleanup(func() { st.Close() })
			if _, err := ImportPremises(b.Context(), st, premises, Options{}); err != nil {
				b.Fatal(err)
			}
			return st
		}
		b.Run(be.name+"/insert", func(b *testing.B) {
			var cpu time.Duration
			for range b.N {
				b.StopTimer()
				st := fresh(b)
				b.StartTimer()
				start := processCPU(b)
				res, err := ImportCourtActs(b.Context(), st, acts, Options{})
				cpu += processCPU(b) - start
				if err != nil || res.Stats.Inserted != n {
					b.Fatalf("import = %+v, %v", res.Stats, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
		b.Run(be.name+"/reimport", func(b *testing.B) {
			b.StopTimer()
			st := fresh(b)
			if _, err := ImportCourtActs(b.Context(), st, acts, Options{}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := processCPU(b)
			for range b.N {
				res, err := ImportCourtActs(b.Context(), st, acts, Options{})
				if err != nil || res.Stats.Unchanged != n {
					b.Fatalf("re-import = %+v, %v", res.Stats, err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric((processCPU(b)-start).Seconds()/float64(b.N), "cpu-s/op")
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
