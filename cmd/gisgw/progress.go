package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/gisgw/gisgw/responder/importer"
)

// An import that takes longer than progressAfter shows its progress: on a terminal one
// line refreshed in place, otherwise (a log, a pipe) a plain line every progressLogEvery.
// A shorter import prints only its summary.
const (
	progressAfter    = time.Second
	progressTTYEvery = 200 * time.Millisecond
	progressLogEvery = 5 * time.Second
)

// progressLine prints the progress reports of one import on w. Times come from the
// reports (the importer's clock), so tests drive it without sleeping.
type progressLine struct {
	w       io.Writer
	tty     bool
	file    string
	records string        // "acts", "premises", "agreements"
	last    time.Duration // Elapsed of the last line printed
	shown   bool          // a line was printed
	open    bool          // a terminal line waits to be cleared
}

func newProgressLine(w io.Writer, file, kind string) *progressLine {
	return &progressLine{w: w, tty: isTerminal(w), file: file, records: recordsName(kind)}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// report takes one importer.Progress.
func (p *progressLine) report(pr importer.Progress) {
	if pr.Elapsed < progressAfter {
		return
	}
	var text string
	switch pr.Stage {
	case "rows":
		every := progressLogEvery
		if p.tty {
			every = progressTTYEvery
		}
		if p.shown && pr.Elapsed-p.last < every {
			return
		}
		text = "imported " + group(pr.Rows)
		if pr.Bytes > 0 && pr.Size >= pr.Bytes {
			total := int(float64(pr.Rows) * float64(pr.Size) / float64(pr.Bytes))
			text += fmt.Sprintf(" of ~%s rows (%d %%)", group(roundTotal(total)), pr.Rows*100/max(total, 1))
		} else {
			text += " rows"
		}
		text += fmt.Sprintf(", %s rows/s", group(int(float64(pr.Rows)/pr.Elapsed.Seconds())))
	case "read":
		text = fmt.Sprintf("read %s: %s rows in %s; validating…", p.file, group(pr.Rows), pr.Elapsed.Round(time.Millisecond))
	case "validated":
		text = fmt.Sprintf("validated %s rows (%s %s) in %s; writing…", group(pr.Rows), group(pr.Records), p.records, pr.Elapsed.Round(time.Millisecond))
	default:
		return
	}
	p.last, p.shown = pr.Elapsed, true
	if p.tty {
		// Carriage return and erase-line: the next report overwrites this one.
		fmt.Fprintf(p.w, "\r\x1b[K%s", text)
		p.open = true
		return
	}
	fmt.Fprintln(p.w, text)
}

// done clears the terminal line before the summary.
func (p *progressLine) done() {
	if p.open {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.open = false
	}
}

// roundTotal rounds an estimated row count to two significant digits: it is an estimate.
func roundTotal(n int) int {
	unit := 1
	for n/unit >= 100 {
		unit *= 10
	}
	return (n + unit/2) / unit * unit
}

// group writes n with commas between thousands: 100,000.
func group(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
