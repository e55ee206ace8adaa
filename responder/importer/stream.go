package importer

import (
	"bufio"
	"bytes"
	"context"
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

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// The streaming court-acts import reads the file row by row and hands the acts to the store
// in chunks of store.ActChunk, all in one transaction, so that memory does not grow with the
// file: what grows is the store's set of 64-bit hashes of the act ids (to notice an act
// listed twice, here an act whose rows are not next to each other) and the set of distinct
// document files. It is the path for clean files. Any
// problem (a bad row, a bad header, premises the store lacks, the rows of one act spread
// over the file) stops it, the store rolls back, and the whole-file path runs instead: it
// holds the file in memory but reports every problem by line, as it always did.

// errWholeFile stops the streaming import in favour of the whole-file path.
var errWholeFile = errors.New("the file needs the whole-file import")

// progressEvery is how many rows pass between two "rows" progress reports.
const progressEvery = 1000

// rowStream yields the data rows of an import file one at a time.
type rowStream struct {
	table *Table // Format, Encoding, Delimiter, Header, HeaderRow; Rows and Problems stay empty
	next  func() (Row, bool, error)
	read  func() int64 // bytes of the file read so far (0 when unknown)
	size  int64
	close func()
}

// openRowStream opens path for streaming. It returns errWholeFile for anything the
// whole-file reader handles better (it also words the errors).
func openRowStream(path string) (*rowStream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errWholeFile
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > MaxFileSize {
		f.Close()
		return nil, errWholeFile
	}
	magic := make([]byte, 8)
	n, _ := io.ReadFull(f, magic)
	magic = magic[:n]
	var s *rowStream
	switch {
	case bytes.HasPrefix(magic, []byte("PK\x03\x04")):
		s, err = openXLSXStream(f)
	case bytes.HasPrefix(magic, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")) || strings.EqualFold(filepath.Ext(path), ".xls"):
		err = errWholeFile
	default:
		s, err = openCSVStream(f)
	}
	if err != nil {
		f.Close()
		return nil, errWholeFile
	}
	s.size = st.Size()
	return s, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// validUTF8 reports whether everything r yields is UTF-8, reading it in blocks.
func validUTF8(r io.Reader) (bool, error) {
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		n, err := r.Read(buf[carry:])
		data := buf[:carry+n]
		// Keep an incomplete last character for the next block.
		cut := len(data)
		for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax; i-- {
			if utf8.RuneStart(data[i]) {
				if !utf8.FullRune(data[i:]) {
					cut = i
				}
				break
			}
		}
		if err == io.EOF {
			return utf8.Valid(data), nil
		}
		if err != nil {
			return false, err
		}
		if !utf8.Valid(data[:cut]) {
			return false, nil
		}
		carry = copy(buf, data[cut:])
	}
}

// openCSVStream reads CSV as ParseCSV does: UTF-8 (BOM or not) or, when the file is not
// valid UTF-8, Windows-1251; the delimiter from the header line.
func openCSVStream(f *os.File) (*rowStream, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	utf, err := validUTF8(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	cr := &countingReader{r: f}
	br := bufio.NewReaderSize(cr, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	head, _ := br.Peek(64 << 10)
	// ParseCSV looks at the whole first line; a header longer than the peek is left to it.
	if len(head) == 64<<10 && !headerLineEnds(head) {
		return nil, errWholeFile
	}
	t := &Table{Format: "csv", Encoding: "utf-8", Delimiter: detectDelimiter(head)}
	var src io.Reader = br
	if !utf {
		src, t.Encoding = charmap.Windows1251.NewDecoder().Reader(br), "windows-1251"
	}
	r := csv.NewReader(src)
	r.Comma = t.Delimiter
	r.FieldsPerRecord = -1
	// The strings of a record are fresh; only the slice is reused.
	r.ReuseRecord = true
	s := &rowStream{table: t, read: func() int64 { return cr.n }, close: func() { f.Close() }}
	s.next = func() (Row, bool, error) {
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				return Row{}, false, nil
			}
			if err != nil {
				// Unreadable lines are listed by the whole-file path.
				return Row{}, false, errWholeFile
			}
			line, _ := r.FieldPos(0)
			if row, ok := s.add(line, rec); ok {
				return row, true, nil
			}
			if len(t.Problems) > 0 {
				return Row{}, false, errWholeFile
			}
		}
	}
	// The header is the first non-empty record.
	for t.Header == nil {
		rec, err := r.Read()
		if err != nil {
			return nil, errWholeFile
		}
		line, _ := r.FieldPos(0)
		t.add(line, rec)
	}
	t.Header = append([]string(nil), t.Header...)
	return s, nil
}

// headerLineEnds reports whether data holds a newline outside double quotes.
func headerLineEnds(data []byte) bool {
	quoted := false
	for _, c := range data {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			return true
		}
	}
	return false
}

// add passes one record through Table.add and takes the row back out.
func (s *rowStream) add(line int, rec []string) (Row, bool) {
	t := s.table
	t.add(line, rec)
	if len(t.Rows) == 0 {
		return Row{}, false
	}
	row := t.Rows[0]
	t.Rows = t.Rows[:0]
	return row, true
}

// openXLSXStream reads the first sheet as ParseXLSX does, a row at a time. excelize still
// holds the archive and its shared strings in memory; the rows it does not.
func openXLSXStream(f *os.File) (s *rowStream, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, errWholeFile
		}
	}()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	wb, err := excelize.OpenReader(f, excelize.Options{UnzipSizeLimit: 4 * MaxFileSize, UnzipXMLSizeLimit: MaxFileSize})
	if err != nil {
		return nil, err
	}
	sheets := wb.GetSheetList()
	if len(sheets) == 0 {
		wb.Close()
		return nil, errWholeFile
	}
	rows, err := wb.Rows(sheets[0])
	if err != nil {
		wb.Close()
		return nil, err
	}
	t := &Table{Format: "xlsx"}
	s = &rowStream{table: t, read: func() int64 { return 0 }, close: func() { rows.Close(); wb.Close(); f.Close() }}
	line := 0
	s.next = func() (row Row, ok bool, err error) {
		defer func() {
			if r := recover(); r != nil {
				row, ok, err = Row{}, false, errWholeFile
			}
		}()
		for rows.Next() {
			line++
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				return Row{}, false, errWholeFile
			}
			if t.Header == nil {
				t.add(line, cols)
				continue
			}
			if row, ok := s.add(line, cols); ok {
				return row, true, nil
			}
			if len(t.Problems) > 0 {
				return Row{}, false, errWholeFile
			}
		}
		if rows.Error() != nil {
			return Row{}, false, errWholeFile
		}
		return Row{}, false, nil
	}
	// Read up to the header; the first data row waits in first.
	first, ok, err := s.next()
	if err != nil || t.Header == nil {
		s.close()
		return nil, errWholeFile
	}
	rest := s.next
	s.next = func() (Row, bool, error) {
		if ok {
			ok = false
			return first, true, nil
		}
		return rest()
	}
	return s, nil
}

// streamCourtActs is the streaming import of a clean court-acts file. It returns
// errWholeFile (with the store rolled back) when the file is not one it can take.
func streamCourtActs(ctx context.Context, st CourtActsStore, path string, r *run) (Result, error) {
	src, err := openRowStream(path)
	if err != nil {
		return Result{}, err
	}
	defer src.close()
	t := src.table
	if wrongKind(t, "court-acts") != nil {
		return Result{}, errWholeFile
	}
	errs := &collector{}
	known := courtActColumns()
	cols := mapHeader(t, known, errs)
	if len(errs.errs) > 0 {
		return Result{}, errWholeFile
	}
	p := &actRowParser{cols: cols, known: known, xlsx: t.Format == "xlsx", baseDir: filepath.Dir(path),
		files: make(map[string]fileInfo), errs: errs}
	var (
		cur       *domain.CourtAct // the act whose rows are being read
		curLine   int
		curDebtor = make(map[string]bool)
		rows      int
		acts      int
		done      bool
	)
	report := func(stage string) {
		if r.opts.Progress != nil {
			records := acts
			if stage == "read" {
				records = 0 // as the whole-file path: acts are counted when validated
			}
			r.opts.Progress(Progress{Stage: stage, Rows: rows, Records: records, Bytes: src.read(), Size: src.size,
				Elapsed: r.opts.Now().Sub(r.begin)})
		}
	}
	finish := func(chunk []domain.CourtAct) []domain.CourtAct {
		if cur == nil {
			return chunk
		}
		if r.opts.DocumentsDir != "" && cur.Document != nil {
			cur.Document.Path = relativeTo(r.opts.DocumentsDir, cur.Document.Path)
		}
		acts++
		chunk = append(chunk, *cur)
		cur = nil
		return chunk
	}
	next := func() ([]domain.CourtAct, error) {
		if done {
			return nil, nil
		}
		chunk := make([]domain.CourtAct, 0, store.ActChunk)
		for len(chunk) < store.ActChunk {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			row, ok, err := src.next()
			if err != nil {
				return nil, err
			}
			if !ok {
				done = true
				chunk = finish(chunk)
				report("read")
				report("validated")
				return chunk, nil
			}
			rows++
			if rows%progressEvery == 0 {
				report("rows")
			}
			valuesWithoutHeader(t.Header, row, errs)
			a, d := p.parse(row)
			if len(errs.errs) > 0 {
				return nil, errWholeFile
			}
			if cur == nil || a.ID != cur.ID {
				// An act whose rows are apart comes out twice; the store refuses that
				// (store.ErrRepeatedAct) and the whole-file path groups the rows.
				chunk = finish(chunk)
				a.Debtors = nil
				cur, curLine = &a, row.Line
				clear(curDebtor)
			} else {
				compareActRows(row, curLine, *cur, a, errs)
				if len(errs.errs) > 0 {
					return nil, errWholeFile
				}
			}
			if curDebtor[d.Key()] {
				return nil, errWholeFile
			}
			curDebtor[d.Key()] = true
			cur.Debtors = append(cur.Debtors, d)
		}
		return chunk, nil
	}
	pre, stop := prefetch(next)
	stats, err := st.ImportCourtActsStream(ctx, r.opts.Org, pre)
	stop() // next has returned for the last time: rows and acts are final
	var mp *store.MissingPremisesError
	if errors.Is(err, errWholeFile) || errors.Is(err, store.ErrRepeatedAct) || errors.As(err, &mp) {
		return Result{}, errWholeFile
	}
	if err != nil {
		return Result{}, fmt.Errorf("import %s: %w", path, err)
	}
	res := Result{Rows: rows, Records: acts, Stats: stats, Elapsed: r.opts.Now().Sub(r.begin), streamed: true}
	report("written")
	return res, nil
}

// prefetch calls next in a goroutine one chunk ahead of the caller, so that reading and
// checking the file (one core) overlaps the store's work on the chunk before (the other).
// next runs only in that goroutine. stop waits for it to end, stopping it early when the
// caller did not read up to the last chunk (the store gave up).
func prefetch(next func() ([]domain.CourtAct, error)) (get func() ([]domain.CourtAct, error), stop func()) {
	type result struct {
		chunk []domain.CourtAct
		err   error
	}
	out := make(chan result, 1)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			chunk, err := next()
			select {
			case out <- result{chunk, err}:
			case <-quit:
				return
			}
			if err != nil || len(chunk) == 0 {
				return
			}
		}
	}()
	finished := false
	get = func() ([]domain.CourtAct, error) {
		if finished {
			return nil, nil
		}
		res := <-out
		if res.err != nil || len(res.chunk) == 0 {
			finished = true
		}
		return res.chunk, res.err
	}
	stop = func() {
		close(quit)
		<-done
	}
	return get, stop
}
