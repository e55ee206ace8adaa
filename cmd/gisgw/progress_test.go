package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/importer"
)

// feed passes reports of a file of rows rows of 100 bytes read at 50,000 rows/s to p, one
// every 1,000 rows, then the closing stages.
func feed(p *progressLine, rows int) {
	size := int64(rows) * 100
	for n := 1000; n <= rows; n += 1000 {
		p.report(importer.Progress{Stage: "rows", Rows: n, Records: n, Bytes: int64(n) * 100, Size: size,
			Elapsed: time.Duration(n) * time.Second / 50_000})
	}
	el := time.Duration(rows) * time.Second / 50_000
	for _, st := range []string{"read", "validated", "written"} {
		p.report(importer.Progress{Stage: st, Rows: rows, Records: rows, Elapsed: el})
	}
	p.done()
}

func TestProgressShortImportPrintsNothing(t *testing.T) {
	t.Parallel()
	for _, tty := range []bool{false, true} {
		var b bytes.Buffer
		p := newProgressLine(&b, "acts.csv", "court-acts")
		p.tty = tty
		feed(p, 45_000) // 0.9 s
		if b.Len() != 0 {
			t.Errorf("tty=%v: an import of 0.9 s printed %q; want nothing", tty, b.String())
		}
	}
}

func TestProgressLog(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	p := newProgressLine(&b, "acts.csv", "court-acts")
	feed(p, 400_000) // 8 s at 50,000 rows/s: lines at 1 s and 6 s, then the stages
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	want := []string{
		"imported 50,000 of ~400,000 rows (12 %), 50,000 rows/s",
		"imported 300,000 of ~400,000 rows (75 %), 50,000 rows/s",
		"read acts.csv: 400,000 rows in 8s; validating…",
		"validated 400,000 rows (400,000 acts) in 8s; writing…",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log output =\n%s\nwant\n%s", b.String(), strings.Join(want, "\n"))
	}
	if strings.Contains(b.String(), "\r") {
		t.Fatalf("log output has carriage returns: %q", b.String())
	}
}

func TestProgressTerminal(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	p := newProgressLine(&b, "acts.csv", "court-acts")
	p.tty = true
	feed(p, 100_000) // 2 s: refreshed every 0.2 s from 1 s on
	out := b.String()
	if n := strings.Count(out, "\r\x1b[K"); n < 6 || n > 9 {
		t.Fatalf("terminal output refreshed %d times; want about 6 (every 0.2 s for a second) plus the stages and the clearing: %q", n, out)
	}
	if strings.Contains(out, "\n") {
		t.Fatalf("terminal output has a newline: %q", out)
	}
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Fatalf("the progress line is not cleared before the summary: %q", out)
	}
	if !strings.Contains(out, "imported 50,000 of ~100,000 rows (50 %), 50,000 rows/s") {
		t.Fatalf("terminal output lacks the line at 1 s: %q", out)
	}
}

func TestGroup(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 52000: "52,000", 1234567: "1,234,567", -4000: "-4,000"} {
		if got := group(n); got != want {
			t.Errorf("group(%d) = %q; want %q", n, got, want)
		}
	}
	for n, want := range map[int]int{99: 99, 100_000: 100_000, 99_730: 100_000, 123_456: 120_000} {
		if got := roundTotal(n); got != want {
			t.Errorf("roundTotal(%d) = %d; want %d", n, got, want)
		}
	}
}
