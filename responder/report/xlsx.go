package report

import (
	"fmt"
	"io"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/xuri/excelize/v2"
)

// Sheet names of the XLSX rendering.
const (
	SheetRows   = "Сроки"
	SheetTotals = "Итоги"
)

// WriteXLSX writes the report as an Excel workbook: sheet «Сроки» with one row per
// sub-request (header row frozen, autofilter on, dates as dates, days left as numbers) and
// sheet «Итоги» with the totals.
func (rep Report) WriteXLSX(w io.Writer) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write report XLSX: %w", cerr)
		}
	}()
	if err := rep.fillRows(f); err != nil {
		return fmt.Errorf("write report XLSX: %w", err)
	}
	if err := rep.fillTotals(f); err != nil {
		return fmt.Errorf("write report XLSX: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write report XLSX: %w", err)
	}
	return nil
}

func (rep Report) fillRows(f *excelize.File) error {
	if err := f.SetSheetName("Sheet1", SheetRows); err != nil {
		return err
	}
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
		Border:    []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}},
	})
	if err != nil {
		return err
	}
	dateFmt := "dd.mm.yyyy"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	stampFmt := "dd.mm.yyyy hh:mm"
	stampStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &stampFmt})
	if err != nil {
		return err
	}
	overdue, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "B00000"}})
	if err != nil {
		return err
	}

	cols := rep.columns()
	head := make([]any, len(cols))
	for i, c := range cols {
		head[i] = c.Header
		name, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := f.SetColWidth(SheetRows, name, name, c.Width); err != nil {
			return err
		}
	}
	if err := f.SetSheetRow(SheetRows, "A1", &head); err != nil {
		return err
	}
	last, err := excelize.CoordinatesToCellName(len(cols), 1)
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(SheetRows, "A1", last, header); err != nil {
		return err
	}

	for i, r := range rep.Rows {
		n := i + 2
		vals := make([]any, len(cols))
		for j, c := range cols {
			vals[j] = c.cell(r)
		}
		// Typed cells where Excel can sort and filter by value.
		vals[0], vals[1], vals[5], vals[8] = dateCell(r.Deadline), daysCell(r), dateCell(r.SentDate), stampCell(r.AnsweredAt)
		cell, _ := excelize.CoordinatesToCellName(1, n)
		if err := f.SetSheetRow(SheetRows, cell, &vals); err != nil {
			return err
		}
		for _, c := range []struct {
			col   int
			style int
		}{{1, dateStyle}, {6, dateStyle}, {9, stampStyle}} {
			ref, _ := excelize.CoordinatesToCellName(c.col, n)
			if err := f.SetCellStyle(SheetRows, ref, ref, c.style); err != nil {
				return err
			}
		}
		if r.Overdue {
			ref, _ := excelize.CoordinatesToCellName(3, n)
			if err := f.SetCellStyle(SheetRows, ref, ref, overdue); err != nil {
				return err
			}
		}
	}

	if err := f.SetPanes(SheetRows, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	end, err := excelize.CoordinatesToCellName(len(cols), max(len(rep.Rows)+1, 2))
	if err != nil {
		return err
	}
	return f.AutoFilter(SheetRows, "A1:"+end, nil)
}

func (rep Report) fillTotals(f *excelize.File) error {
	if _, err := f.NewSheet(SheetTotals); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}})
	if err != nil {
		return err
	}
	rows := [][]any{{rep.Title()}, {rep.Scope()}, {}}
	for _, l := range rep.TotalLines() {
		rows = append(rows, []any{l.Label, l.Count})
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(SheetTotals, cell, &r); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(SheetTotals, "A1", "A1", bold); err != nil {
		return err
	}
	return f.SetColWidth(SheetTotals, "A", "A", 45)
}

func dateCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return calendar.DateOf(t)
}

func stampCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	// Excel has no zones: write the Moscow wall-clock time.
	msk := t.In(calendar.Moscow())
	y, m, d := msk.Date()
	h, mi, s := msk.Clock()
	return time.Date(y, m, d, h, mi, s, 0, time.UTC)
}

func daysCell(r Row) any {
	if r.Deadline.IsZero() {
		return nil
	}
	return r.DaysLeft
}
