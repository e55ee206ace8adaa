package report

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/gisgw/gisgw/responder/ru"
)

// Column is one column of the CSV, XLSX and HTML renderings.
type column struct {
	Header string
	Width  float64 // XLSX column width, in characters
	Value  func(Row) string
	// Text marks a column of free text from GIS (or quoting it): a spreadsheet must not
	// evaluate it (neutralize). The others are the report's own dates, numbers and words.
	Text bool
}

// columns are the report's columns; the organization column is there only when the rows
// span several organizations.
func (rep Report) columns() []column {
	cols := []column{
		{"Срок ответа", 12, func(r Row) string { return ru.Date(r.Deadline) }, false},
		{"Осталось раб. дней", 12, func(r Row) string { return r.DaysLeftText() }, false},
		{"Статус", 22, func(r Row) string { return r.Status }, false},
		{"Адрес", 50, func(r Row) string { return r.Address }, true},
		{"Запрашивающий орган", 36, func(r Row) string { return r.Requester }, true},
		{"Дата направления", 12, func(r Row) string { return ru.Date(r.SentDate) }, false},
		{"Номер запроса", 16, func(r Row) string { return r.RequestNumber }, true},
		{"Ответ", 24, func(r Row) string { return r.Answer() }, false},
		{"Дата ответа", 17, func(r Row) string { return ru.Stamp(r.AnsweredAt) }, false},
		{"Ошибка ГИС", 40, func(r Row) string { return r.GISError() }, true},
		{"Примечание", 50, func(r Row) string { return r.Note }, true},
		{"Подзапрос (GUID)", 38, func(r Row) string { return r.GUID }, true},
	}
	if rep.multiOrg() {
		cols = append(cols, column{"Организация", 38, func(r Row) string { return r.OrgName }, true})
	}
	return cols
}

// cell is the value of c in r for a spreadsheet (CSV, XLSX): free text neutralized.
func (c column) cell(r Row) string {
	if c.Text {
		return neutralize(c.Value(r))
	}
	return c.Value(r)
}

func (rep Report) multiOrg() bool {
	for _, r := range rep.Rows {
		if r.OrgGUID != rep.Rows[0].OrgGUID {
			return true
		}
	}
	return false
}

// Title is the report's heading.
func (rep Report) Title() string {
	return "Сроки ответов на подзапросы ГИС ЖКХ о задолженности на " + ru.Date(rep.Today)
}

// Scope names what the report covers.
func (rep Report) Scope() string {
	org := "все организации"
	if rep.Org != "" {
		org = "организация " + cmp.Or(rep.OrgName, rep.Org)
	} else if len(rep.Rows) > 0 && !rep.multiOrg() {
		org = "организация " + rep.Rows[0].OrgName
	}
	if rep.IncludeClosed {
		return org + "; открытые, с ошибкой и закрытые подзапросы"
	}
	return org + "; открытые подзапросы и подзапросы с ошибкой"
}

// TotalLine is one line of the totals.
type TotalLine struct {
	Label string
	Count int
}

// TotalLines are the totals in the order every rendering prints them; statuses without rows
// are left out.
func (rep Report) TotalLines() []TotalLine {
	t := rep.Totals
	lines := []TotalLine{
		{"Всего подзапросов", t.Total},
		{"Просрочено", t.Overdue},
		{"Срок истекает в течение 1 рабочего дня", t.DueIn1},
		{"Срок истекает в течение 2 рабочих дней", t.DueIn2},
	}
	if t.OnTime+t.Late > 0 {
		lines = append(lines,
			TotalLine{"Отвечено в срок", t.OnTime},
			TotalLine{"Отвечено с опозданием или автоматически ГИС ЖКХ", t.Late})
	}
	for _, s := range t.ByStatus {
		if s.Count > 0 {
			lines = append(lines, TotalLine{"Статус «" + s.Status + "»", s.Count})
		}
	}
	return lines
}

// WriteTable writes the report as a plain-text table for a terminal: the totals, then one
// line per sub-request.
func (rep Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", rep.Title(), rep.Scope())
	for _, l := range rep.TotalLines() {
		fmt.Fprintf(&b, "  %s: %d\n", l.Label, l.Count)
	}
	b.WriteString("\n")
	if len(rep.Rows) == 0 {
		b.WriteString("Подзапросов нет.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Срок\tОсталось\tСтатус\tАдрес\tОрган\tНаправлен\tОтвет / ошибка / примечание\tПодзапрос")
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			cmp.Or(ru.Date(r.Deadline), "—"), r.DaysLeftText(), r.Status, clip(r.Address, 50), clip(r.Requester, 30),
			ru.Date(r.SentDate), clip(r.outcome(), 70), r.GUID)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report table: %w", err)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write report table: %w", err)
	}
	return nil
}

// outcome is the table's combined column: the answer with its time, GIS's error, the note.
func (r Row) outcome() string {
	var parts []string
	if a := r.Answer(); a != "" {
		if !r.AnsweredAt.IsZero() {
			a += " " + ru.Stamp(r.AnsweredAt)
		}
		parts = append(parts, a)
	}
	if e := r.GISError(); e != "" {
		parts = append(parts, "ошибка ГИС "+e)
	}
	if r.Note != "" {
		parts = append(parts, r.Note)
	}
	return strings.Join(parts, "; ")
}

// WriteCSV writes the rows as CSV for Russian Excel: UTF-8 with a byte-order mark, ';'
// between fields, CRLF line ends, dates as dd.mm.yyyy. The totals are not in the file.
func (rep Report) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("write report CSV: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	cols := rep.columns()
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.Header
	}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("write report CSV: %w", err)
	}
	for _, r := range rep.Rows {
		for i, c := range cols {
			rec[i] = c.cell(r)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write report CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write report CSV: %w", err)
	}
	return nil
}

// neutralize keeps a spreadsheet from evaluating a cell: text starting with = + - @, a tab
// or a carriage return (a formula to Excel and LibreOffice, «=HYPERLINK(…)» from GIS) gets a
// leading ' (the OWASP rule for CSV injection). A plain number stays a number.
func neutralize(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}

// clip shortens s to n characters with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
