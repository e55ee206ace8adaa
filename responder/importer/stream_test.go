package importer

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// TestStreamingPath: clean files in every format take the streaming path; files it cannot
// take fall back to the whole-file path with the same outcome.
func TestStreamingPath(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"court-acts.csv", "court-acts-cp1251.csv", "court-acts.xlsx"} {
		st := newSQLite(t)
		mustImportExamplePremises(t, st)
		res, err := ImportCourtActs(t.Context(), st, examples(name), Options{})
		if err != nil || !res.streamed || res.Rows != 5 || res.Records != 4 || res.Stats != (store.ImportStats{Inserted: 4}) {
			t.Fatalf("%s: %+v, %v; want streamed, 5 rows, 4 acts inserted", name, res, err)
		}
		acts, err := st.CourtActsByPremises(t.Context(), []string{"P-001"})
		if err != nil || len(acts) != 1 || len(acts[0].Debtors) != 2 || acts[0].Debtors[1].LastName != "Иванова" {
			t.Fatalf("%s: acts at P-001 = %+v, %v", name, acts, err)
		}
	}

	// The two rows of act B-1 are apart: the whole-file path groups them.
	apart := writeFile(t, "apart.csv", actsHeader+"\n"+
		goodAct(nil)+"\n"+
		goodAct(map[string]string{"act_id": "B-2", "premise_id": "P-002", "debtor_snils": ""})+"\n"+
		goodAct(map[string]string{"debtor_last_name": "Орлова", "debtor_snils": ""})+"\n")
	st := newSQLite(t)
	mustImportExamplePremises(t, st)
	res, err := ImportCourtActs(t.Context(), st, apart, Options{})
	if err != nil || res.streamed || res.Rows != 3 || res.Records != 2 || res.Stats != (store.ImportStats{Inserted: 2}) {
		t.Fatalf("rows of one act apart: %+v, %v; want the whole-file path, 3 rows, 2 acts", res, err)
	}
	acts, err := st.CourtActsByPremises(t.Context(), []string{"P-001"})
	if err != nil || len(acts) != 1 || len(acts[0].Debtors) != 2 {
		t.Fatalf("act B-1 = %+v, %v; want its two debtors", acts, err)
	}

	// Premises the store lacks, found only by the store in the second chunk: reported by
	// line, nothing written.
	missing := writeFile(t, "missing.csv", actsHeader+"\n"+goodAct(nil)+"\n"+
		goodAct(map[string]string{"act_id": "B-2", "premise_id": "P-404", "debtor_snils": ""})+"\n")
	st = newSQLite(t)
	mustImportExamplePremises(t, st)
	_, err = ImportCourtActs(t.Context(), st, missing, Options{})
	var re *RowErrors
	if !errors.As(err, &re) || len(re.Errors) != 1 || re.Errors[0].Line != 3 || re.Errors[0].Column != "premise_id" {
		t.Fatalf("missing premises: err = %v; want one error on line 3, premise_id", err)
	}
	if acts, _ := st.CourtActsByPremises(t.Context(), []string{"P-001"}); len(acts) != 0 {
		t.Fatalf("a failed import wrote %+v", acts)
	}
}

// TestStreamingChunkBoundaries: files of 0, 1, chunk-1, chunk and chunk+1 acts stream whole;
// the act that closes the first chunk has two rows, the second of them read after the
// chunk was full.
func TestStreamingChunkBoundaries(t *testing.T) {
	t.Parallel()
	const c = store.ActChunk
	dir := t.TempDir()
	premises, _ := writeLargeFiles(t, dir, c+1)
	st := newSQLite(t)
	if _, err := ImportPremises(t.Context(), st, premises, Options{}); err != nil {
		t.Fatal(err)
	}
	prev := 0
	for _, n := range []int{0, 1, c - 1, c, c + 1} {
		path := filepath.Join(dir, fmt.Sprintf("acts-%d.csv", n))
		writeActs(t, path, n, c-1)
		res, err := ImportCourtActs(t.Context(), st, path, Options{})
		rows, want := n, store.ImportStats{Inserted: n - prev, Unchanged: prev}
		if n > c {
			// Act c-1 gains its second debtor.
			rows, want = n+1, store.ImportStats{Inserted: n - prev, Updated: 1, Unchanged: prev - 1}
		}
		if err != nil || !res.streamed || res.Rows != rows || res.Records != n || res.Stats != want {
			t.Fatalf("%d acts: %+v, %v; want streamed, %d rows, stats %+v", n, res, err, rows, want)
		}
		prev = n
	}
	acts, err := st.CourtActsByPremises(t.Context(), []string{fmt.Sprintf("P%07d", c-1)})
	if err != nil || len(acts) != 1 || len(acts[0].Debtors) != 2 {
		t.Fatalf("the act across the chunk boundary = %+v, %v; want two debtors", acts, err)
	}
}

// writeActs writes a court-acts file of n acts (as writeLargeFiles) where act twoRows, when
// there are more acts than that, has a second debtor row.
func writeActs(t *testing.T, path string, n, twoRows int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(actsHeader + "\n")
	row := func(i int, last string) {
		fmt.Fprintf(w, "A%07d;P%07d;2-%d/2024;court_order;2024-02-01;2024-03-05;2022-01;2023-06;12 345,67;%d,00;2025-01-31;;%s;Иван;Иванович;;;;;docs/act-%02d.pdf\n",
			i, i, i, i%5000, last, i%100)
	}
	for i := range n {
		row(i, "Иванов")
		if i == twoRows && n > twoRows+1 {
			row(i, "Иванова")
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestValidUTF8(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("я", 40000) // 80,000 bytes: a character straddles the 64 KiB block
	tests := []struct {
		in   string
		want bool
	}{
		{"", true},
		{"act_id;premise_id\n", true},
		{long, true},
		{long + "\xff", false},
		{long[:len(long)-1], false},
		{"\xc7\xe0\xe3\xee\xeb\xee\xe2\xee\xea", false}, // Windows-1251
	}
	for _, tc := range tests {
		got, err := validUTF8(strings.NewReader(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("validUTF8(%d bytes) = %v, %v; want %v", len(tc.in), got, err, tc.want)
		}
	}
}

// TestStreamingProgress: the streaming path reports rows as it goes, then the stages of
// the whole-file path.
func TestStreamingProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	premises, acts := writeLargeFiles(t, dir, 2500)
	st := newSQLite(t)
	if _, err := ImportPremises(t.Context(), st, premises, Options{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	var last Progress
	opts := Options{Progress: func(p Progress) {
		got = append(got, fmt.Sprintf("%s:%d", p.Stage, p.Rows))
		last = p
	}}
	if _, err := ImportCourtActs(t.Context(), st, acts, opts); err != nil {
		t.Fatal(err)
	}
	want := []string{"rows:1000", "rows:2000", "read:2500", "validated:2500", "written:2500"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("progress = %v; want %v", got, want)
	}
	if last.Size == 0 || last.Bytes != last.Size {
		t.Fatalf("last progress read %d of %d bytes; want all", last.Bytes, last.Size)
	}
}

// TestPrefetchStopsEarly: when the store stops reading before the last chunk, stop ends
// the goroutine (it would otherwise block on its send), and next is never called after.
func TestPrefetchStopsEarly(t *testing.T) {
	t.Parallel()
	calls := 0
	next := func() ([]domain.CourtAct, error) {
		calls++
		return []domain.CourtAct{{ID: fmt.Sprint(calls)}}, nil
	}
	get, stop := prefetch(next)
	if chunk, err := get(); err != nil || len(chunk) != 1 || chunk[0].ID != "1" {
		t.Fatalf("first chunk = %+v, %v", chunk, err)
	}
	stop()
	if n := calls; n > 3 {
		t.Fatalf("next called %d times for one chunk read; want at most 3 (one ahead, one blocked)", n)
	}

	// Read to the end: an error ends the stream and get keeps returning nothing.
	boom := errors.New("boom")
	k := 0
	get, stop = prefetch(func() ([]domain.CourtAct, error) {
		k++
		if k == 2 {
			return nil, boom
		}
		return []domain.CourtAct{{ID: "a"}}, nil
	})
	defer stop()
	if _, err := get(); err != nil {
		t.Fatal(err)
	}
	if _, err := get(); !errors.Is(err, boom) {
		t.Fatalf("second get: err = %v; want boom", err)
	}
	if chunk, err := get(); chunk != nil || err != nil {
		t.Fatalf("get after the end = %+v, %v; want nothing", chunk, err)
	}
}
