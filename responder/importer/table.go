package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// MaxFileSize bounds what the import reads into memory (about two million rows of CSV).
const MaxFileSize = 512 << 20

// maxCell bounds one value; longer values are refused as a sign of a broken file.
const maxCell = 2000

// Table is an import file read into rows of trimmed text cells.
type Table struct {
	Format    string // "csv" or "xlsx"
	Encoding  string // CSV: "utf-8" or "windows-1251"
	Delimiter rune   // CSV: ';' or ','
	Header    []string
	HeaderRow int        // line of the header
	Rows      []Row      // data rows; rows whose cells are all empty are left out
	Problems  []RowError // unreadable lines (CSV quoting errors), reported with the row errors
}

// Row is one data row. Cells has as many entries as Header (missing trailing cells are "").
type Row struct {
	Line  int
	Cells []string
}

// ReadFile reads a CSV or XLSX import file, telling them apart by content (XLSX is a ZIP
// archive).
func ReadFile(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open import file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB: split it into several files", path, MaxFileSize>>20)
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return ParseXLSX(data)
	}
	// The OLE2 compound file of Excel 97-2003 (.xls) would otherwise read as CSV garbage.
	if bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")) || strings.EqualFold(filepath.Ext(path), ".xls") {
		return nil, fmt.Errorf("%s is an Excel 97-2003 workbook (.xls), which gisgw does not read: open it in Excel or LibreOffice and save it as .xlsx or .csv", path)
	}
	return ParseCSV(data)
}

// ParseCSV reads CSV data: UTF-8 (with or without BOM) or, when the bytes are not valid
// UTF-8, Windows-1251; the delimiter (';' or ',') is whichever occurs more often in the
// header line outside quotes. The first non-empty line is the header.
func ParseCSV(data []byte) (*Table, error) {
	t := &Table{Format: "csv", Encoding: "utf-8"}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := charmap.Windows1251.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("decode Windows-1251: %w", err)
		}
		data, t.Encoding = dec, "windows-1251"
	}
	t.Delimiter = detectDelimiter(data)
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = t.Delimiter
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if t.Header == nil {
					return nil, fmt.Errorf("header line %d: %s", pe.StartLine, pe.Err)
				}
				t.Problems = append(t.Problems, RowError{Line: pe.StartLine, Reason: "unreadable CSV: " + pe.Err.Error()})
				continue
			}
			return nil, fmt.Errorf("read CSV: %w", err)
		}
		line, _ := r.FieldPos(0)
		t.add(line, rec)
	}
	if t.Header == nil {
		return nil, errors.New("the file is empty: a header row is required")
	}
	return t, nil
}

// detectDelimiter counts ';' and ',' outside double quotes in the first line.
func detectDelimiter(data []byte) rune {
	semi, comma, quoted := 0, 0, false
	for _, c := range data {
		if c == '\n' && !quoted {
			break
		}
		switch c {
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				semi++
			}
		case ',':
			if !quoted {
				comma++
			}
		}
	}
	if comma > semi {
		return ','
	}
	return ';'
}

// add appends one record: the first non-empty one is the header, then rows. Rows that are
// entirely empty (";;;" left by spreadsheet exports) are skipped.
func (t *Table) add(line int, rec []string) {
	empty := true
	for i, c := range rec {
		rec[i] = strings.TrimSpace(c)
		if rec[i] != "" {
			empty = false
		}
	}
	if empty {
		return
	}
	if t.Header == nil {
		t.Header, t.HeaderRow = rec, line
		return
	}
	if len(rec) > len(t.Header) {
		for _, c := range rec[len(t.Header):] {
			if c != "" {
				t.Problems = append(t.Problems, RowError{Line: line,
					Reason: fmt.Sprintf("the row has %d values but the header names %d columns", len(rec), len(t.Header))})
				return
			}
		}
		rec = rec[:len(t.Header)]
	}
	for len(rec) < len(t.Header) {
		rec = append(rec, "")
	}
	t.Rows = append(t.Rows, Row{Line: line, Cells: rec})
}

// ParseXLSX reads the first sheet of an XLSX workbook. Cells are read as stored (dates as
// Excel serial numbers, amounts as plain numbers), not as displayed, so that the display
// format of the user's locale does not matter.
func ParseXLSX(data []byte) (t *Table, err error) {
	// excelize is a large parser of untrusted input; a panic in it must not take the
	// process down.
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("unreadable XLSX file: %v", r)
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    4 * MaxFileSize,
		UnzipXMLSizeLimit: MaxFileSize,
	})
	if err != nil {
		return nil, fmt.Errorf("open XLSX: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("the XLSX workbook has no sheets")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("read sheet %q: %w", sheets[0], err)
	}
	defer rows.Close()
	t = &Table{Format: "xlsx"}
	line := 0
	for rows.Next() {
		line++
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fmt.Errorf("read sheet %q row %d: %w", sheets[0], line, err)
		}
		t.add(line, cols)
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("read sheet %q: %w", sheets[0], err)
	}
	if t.Header == nil {
		return nil, fmt.Errorf("sheet %q is empty: a header row is required", sheets[0])
	}
	return t, nil
}
