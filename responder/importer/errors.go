package importer

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// RowError is one problem in an import file. Line is the file's line (CSV) or row (XLSX)
// number counting from 1 with the header; 0 means the file as a whole. Column is the
// canonical column name, empty when the problem is not about one column.
type RowError struct {
	Line   int
	Column string
	Reason string
}

func (e RowError) String() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
	} else {
		b.WriteString("file")
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %s", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// RowErrors lists every problem found in a file; when it is returned nothing was imported.
type RowErrors struct {
	File   string
	Errors []RowError
}

func (e *RowErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s), nothing imported:", e.File, len(e.Errors))
	for _, re := range e.Errors {
		b.WriteString("\n  ")
		b.WriteString(re.String())
	}
	return b.String()
}

// collector gathers row errors in file order.
type collector struct {
	errs []RowError
}

func (c *collector) add(line int, column, format string, args ...any) {
	c.errs = append(c.errs, RowError{Line: line, Column: column, Reason: fmt.Sprintf(format, args...)})
}

func (c *collector) err(file string) error {
	if len(c.errs) == 0 {
		return nil
	}
	errs := slices.Clone(c.errs)
	// Stable: within a line, errors keep the column order they were found in.
	slices.SortStableFunc(errs, func(a, b RowError) int { return cmp.Compare(a.Line, b.Line) })
	return &RowErrors{File: file, Errors: errs}
}
