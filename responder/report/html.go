package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"

	"github.com/gisgw/gisgw/responder/domain"
)

//go:embed templates/deadlines.html
var templates embed.FS

var page = template.Must(template.ParseFS(templates, "templates/deadlines.html"))

type htmlPage struct {
	Title, Scope string
	Totals       []TotalLine
	Headers      []string
	Rows         []htmlRow
}

type htmlRow struct {
	Class string
	Cells []htmlCell
}

type htmlCell struct{ Class, Text string }

// cellClass styles the columns by position (see columns).
var cellClass = map[int]string{0: "date", 1: "num", 2: "status", 5: "date", 8: "date", 11: "guid", 12: "guid"}

// WriteHTML writes the report as one printable HTML page (A4 landscape, no scripts): the
// totals above the table, overdue rows highlighted.
func (rep Report) WriteHTML(w io.Writer) error {
	cols := rep.columns()
	p := htmlPage{Title: rep.Title(), Scope: rep.Scope(), Totals: rep.TotalLines()}
	for _, c := range cols {
		p.Headers = append(p.Headers, c.Header)
	}
	for _, r := range rep.Rows {
		hr := htmlRow{}
		switch {
		case r.Overdue:
			hr.Class = "overdue"
		case r.State == domain.StateFailed:
			hr.Class = "failed"
		}
		for i, c := range cols {
			hr.Cells = append(hr.Cells, htmlCell{cellClass[i], c.Value(r)})
		}
		p.Rows = append(p.Rows, hr)
	}
	if err := page.Execute(w, p); err != nil {
		return fmt.Errorf("write report HTML: %w", err)
	}
	return nil
}
