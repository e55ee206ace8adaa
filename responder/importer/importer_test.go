package importer

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/sqlitestore"
)

var update = flag.Bool("update", false, "regenerate testdata/import/court-acts.xlsx from court-acts.csv")

// examples is the folder of the example import files shipped with the project.
func examples(name string) string { return filepath.Join("..", "..", "testdata", "import", name) }

func fixedClock() func() time.Time {
	return func() time.Time { return time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC) }
}

func newSQLite(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "gisgw.db"),
		sqlitestore.Options{AutoMigrate: true, Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustImportExamplePremises(t testing.TB, st store.Store) {
	t.Helper()
	if _, err := ImportPremises(t.Context(), st, examples("premises.csv"), Options{}); err != nil {
		t.Fatalf("import example premises: %v", err)
	}
}

// snapshot is everything an import can change, to prove a failed import changed nothing.
func snapshot(t *testing.T, st store.Store) string {
	t.Helper()
	acts, err := st.CourtActsByPremises(t.Context(), []string{"P-001", "P-002", "P-003", "P-004", "P-005"})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := st.PremisesByHouse(t.Context(), "", "a3f0c7e2-4b1d-4c5e-9f6a-1b2c3d4e5f60")
	if err != nil {
		t.Fatal(err)
	}
	audit, err := st.Audit(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal([]any{acts, ps, len(audit)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExampleFilesAgree(t *testing.T) {
	if *update {
		writeExampleXLSX(t)
	}
	t.Parallel()
	var want []domain.CourtAct
	for _, name := range []string{"court-acts.csv", "court-acts-cp1251.csv", "court-acts.xlsx"} {
		tab, err := ReadFile(examples(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		acts, err := ParseCourtActs(tab, examples(""))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want == nil {
			want = acts
			if len(acts) != 4 || len(acts[0].Debtors) != 2 {
				t.Fatalf("%s: %d acts, first with %d debtors; want 4 acts, 2 debtors", name, len(acts), len(acts[0].Debtors))
			}
			continue
		}
		if !reflect.DeepEqual(acts, want) {
			t.Errorf("%s reads differently from court-acts.csv:\n%+v\nwant\n%+v", name, acts, want)
		}
	}
	a1 := want[0]
	if a1.Amount != 4567890 || a1.DebtFrom != d(2022, 1, 1) || a1.DebtTo != d(2023, 6, 30) ||
		a1.Debtors[0].SNILS != "11223344595" || a1.Document == nil || a1.Document.Size != 131 ||
		a1.Document.Name != "act-A-001.pdf" || !filepath.IsAbs(a1.Document.Path) {
		t.Errorf("act A-001 = %+v (document %+v)", a1, a1.Document)
	}
	if want[2].Document != nil || !want[2].EffectiveOn.IsZero() {
		t.Errorf("act A-003 = %+v; want no document and not in force", want[2])
	}
}

func TestParseCSVFormats(t *testing.T) {
	t.Parallel()
	utf := "premise_id;address;house_guid\n1;Москва, Ленина 1;a3f0c7e2-4b1d-4c5e-9f6a-1b2c3d4e5f60\n"
	cp1251 := func(s string) string {
		var b bytes.Buffer
		for _, r := range s {
			switch {
			case r < 0x80:
				b.WriteByte(byte(r))
			case r >= 'А' && r <= 'я':
				b.WriteByte(byte(r - 'А' + 0xC0))
			default:
				t.Fatalf("test helper cannot encode %q", r)
			}
		}
		return b.String()
	}
	tests := []struct {
		name, data    string
		enc           string
		delim         rune
		header        []string
		rows          [][]string
		lines         []int
		problemsLines []int
	}{
		{"utf-8 semicolon", utf, "utf-8", ';', []string{"premise_id", "address", "house_guid"},
			[][]string{{"1", "Москва, Ленина 1", "a3f0c7e2-4b1d-4c5e-9f6a-1b2c3d4e5f60"}}, []int{2}, nil},
		{"utf-8 BOM CRLF", "\ufeffa;b\r\n1;2\r\n", "utf-8", ';', []string{"a", "b"}, [][]string{{"1", "2"}}, []int{2}, nil},
		{"windows-1251 comma", cp1251("адрес,квартира\n\"Москва, Ленина\",5\n"), "windows-1251", ',',
			[]string{"адрес", "квартира"}, [][]string{{"Москва, Ленина", "5"}}, []int{2}, nil},
		{"quoted delimiter in header", "\"a;x\",b,c\n1,2,3\n", "utf-8", ',', []string{"a;x", "b", "c"}, [][]string{{"1", "2", "3"}}, []int{2}, nil},
		{"blank and empty rows skipped", "a;b\n\n;\n1;2\n ; \n3;4\n", "utf-8", ';', []string{"a", "b"},
			[][]string{{"1", "2"}, {"3", "4"}}, []int{4, 6}, nil},
		{"multi-line quoted value", "a;b\n\"x\ny\";2\n3;4\n", "utf-8", ';', []string{"a", "b"},
			[][]string{{"x\ny", "2"}, {"3", "4"}}, []int{2, 4}, nil},
		{"short row padded", "a;b;c\n1\n", "utf-8", ';', []string{"a", "b", "c"}, [][]string{{"1", "", ""}}, []int{2}, nil},
		{"extra empty cells dropped", "a;b\n1;2;;\n", "utf-8", ';', []string{"a", "b"}, [][]string{{"1", "2"}}, []int{2}, nil},
		{"extra values are a problem", "a;b\n1;2;3\n4;5\n", "utf-8", ';', []string{"a", "b"}, [][]string{{"4", "5"}}, []int{3}, []int{2}},
		{"bad quote is a problem", "a;b\n1;x\"y\n3;4\n", "utf-8", ';', []string{"a", "b"}, [][]string{{"3", "4"}}, []int{3}, []int{2}},
		{"cells trimmed", "a ; b\n 1 ;\u00a02\u00a0\n", "utf-8", ';', []string{"a", "b"}, [][]string{{"1", "2"}}, []int{2}, nil},
	}
	for _, tc := range tests {
		tab, err := ParseCSV([]byte(tc.data))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if tab.Encoding != tc.enc || tab.Delimiter != tc.delim || !reflect.DeepEqual(tab.Header, tc.header) {
			t.Errorf("%s: encoding %s delimiter %q header %q; want %s %q %q", tc.name, tab.Encoding, tab.Delimiter, tab.Header, tc.enc, tc.delim, tc.header)
		}
		var rows [][]string
		var lines, plines []int
		for _, r := range tab.Rows {
			rows, lines = append(rows, r.Cells), append(lines, r.Line)
		}
		for _, p := range tab.Problems {
			plines = append(plines, p.Line)
		}
		if !reflect.DeepEqual(rows, tc.rows) || !reflect.DeepEqual(lines, tc.lines) || !reflect.DeepEqual(plines, tc.problemsLines) {
			t.Errorf("%s: rows %q at lines %v, problems at %v; want %q at %v, problems at %v", tc.name, rows, lines, plines, tc.rows, tc.lines, tc.problemsLines)
		}
	}
	for _, empty := range []string{"", "\ufeff", "\n\n", ";;\n"} {
		if _, err := ParseCSV([]byte(empty)); err == nil {
			t.Errorf("ParseCSV(%q) accepted a file without a header", empty)
		}
	}
}

func TestParseXLSXLines(t *testing.T) {
	t.Parallel()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	set := func(cell string, v any) {
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "premise_id")
	set("B1", "Адрес")
	set("C1", "house_guid")
	set("A2", 1001)
	set("B2", "Москва")
	set("C2", "a3f0c7e2-4b1d-4c5e-9f6a-1b2c3d4e5f60")
	// Row 3 empty, row 4 has a bad GUID: its error must say line 4.
	set("A4", "1002")
	set("B4", "Тверь")
	set("C4", "not-a-guid")
	if _, err := f.NewSheet("Second"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	tab, err := ParseXLSX(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 2 || tab.Rows[0].Cells[0] != "1001" || tab.Rows[1].Line != 4 {
		t.Fatalf("rows = %+v", tab.Rows)
	}
	_, err = ParsePremises(tab)
	var re *RowErrors
	if !errors.As(err, &re) || len(re.Errors) != 1 || re.Errors[0].Line != 4 || re.Errors[0].Column != "house_guid" {
		t.Fatalf("ParsePremises err = %v; want one error on line 4, column house_guid", err)
	}
	if _, err := ParseXLSX([]byte("PK\x03\x04 broken")); err == nil {
		t.Fatal("a broken XLSX was accepted")
	}
}

// writeExampleXLSX regenerates the committed XLSX example from court-acts.csv, storing dates
// as real date cells and amounts as numbers, as a spreadsheet user would have them.
func writeExampleXLSX(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(examples("court-acts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		for j, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var val any = v
			if i > 0 {
				switch recs[0][j] {
				case "pronounced_on", "effective_on", "balance_on", "cancelled_on":
					if tm, err := parseDate(v, false); err == nil && v != "" {
						val = tm
					}
				case "amount", "outstanding":
					if m, err := parseMoney(v, false); err == nil {
						val = float64(m) / 100
					}
				}
			}
			if err := f.SetCellValue(sheet, cell, val); err != nil {
				t.Fatal(err)
			}
			if _, ok := val.(time.Time); ok {
				if err := f.SetCellStyle(sheet, cell, cell, dateStyle); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := f.SaveAs(examples("court-acts.xlsx")); err != nil {
		t.Fatal(err)
	}
}

func TestImportExamplesIntoStore(t *testing.T) {
	t.Parallel()
	st := newSQLite(t)
	res, err := ImportPremises(t.Context(), st, examples("premises.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 4 || res.Stats != (store.ImportStats{Inserted: 4}) {
		t.Fatalf("premises import = %+v", res)
	}
	ps, err := st.PremisesByHMObject(t.Context(), "", "e1d2c3b4-a5f6-4789-9abc-def012345678")
	if err != nil || len(ps) != 1 || ps[0].Address != "г. Москва, ул. Ленина, д. 12; кв. 7" {
		t.Fatalf("premises P-004 by its (lower-cased) GUID = %+v, %v", ps, err)
	}
	var stages []string
	opts := Options{Progress: func(p Progress) { stages = append(stages, fmt.Sprintf("%s:%d:%d", p.Stage, p.Rows, p.Records)) }}
	res, err = ImportCourtActs(t.Context(), st, examples("court-acts.csv"), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 5 || res.Records != 4 || res.Stats != (store.ImportStats{Inserted: 4}) {
		t.Fatalf("court acts import = %+v", res)
	}
	if got := strings.Join(stages, " "); got != "read:5:0 validated:5:4 written:5:4" {
		t.Fatalf("progress = %s", got)
	}
	// The same data in the other encodings changes nothing.
	for _, name := range []string{"court-acts.csv", "court-acts-cp1251.csv", "court-acts.xlsx"} {
		res, err := ImportCourtActs(t.Context(), st, examples(name), Options{})
		if err != nil || res.Stats != (store.ImportStats{Unchanged: 4}) {
			t.Fatalf("re-import of %s = %+v, %v; want 4 unchanged", name, res.Stats, err)
		}
	}
	acts, err := st.CourtActsByPremises(t.Context(), []string{"P-001"})
	if err != nil || len(acts) != 1 || len(acts[0].Debtors) != 2 || acts[0].Debtors[1].LastName != "Иванова" {
		t.Fatalf("acts at P-001 = %+v, %v", acts, err)
	}
}

const actsHeader = "act_id;premise_id;case_number;act_kind;pronounced_on;effective_on;debt_from;debt_to;amount;outstanding;balance_on;cancelled_on;debtor_last_name;debtor_first_name;debtor_middle_name;debtor_snils;debtor_doc_type;debtor_doc_series;debtor_doc_number;document_file"

// goodAct is a valid court-acts row; fields can be overridden by column name.
func goodAct(over map[string]string) string {
	vals := map[string]string{
		"act_id": "B-1", "premise_id": "P-001", "case_number": "2-1/2024", "act_kind": "court_order",
		"pronounced_on": "2024-01-10", "effective_on": "2024-02-10", "debt_from": "2022-01", "debt_to": "2022-12",
		"amount": "1000", "outstanding": "500", "balance_on": "2025-01-01", "debtor_last_name": "Орлов",
		"debtor_first_name": "Олег", "debtor_snils": "112-233-445 95", "document_file": "docs/act-A-001.pdf",
	}
	for k, v := range over {
		vals[k] = v
	}
	var cells []string
	for _, c := range strings.Split(actsHeader, ";") {
		cells = append(cells, vals[c])
	}
	return strings.Join(cells, ";")
}

// writeFile writes an import file next to copies of the example documents.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(examples("docs/act-A-001.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "docs", "act-A-001.pdf"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "docs", "empty.pdf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCourtActsBadRows(t *testing.T) {
	t.Parallel()
	type want struct {
		line   int
		column string
		reason string
	}
	tests := []struct {
		name string
		rows []string
		want []want
	}{
		{"missing act_id", []string{goodAct(map[string]string{"act_id": ""})}, []want{{2, "act_id", "required"}}},
		{"missing premise_id", []string{goodAct(map[string]string{"premise_id": ""})}, []want{{2, "premise_id", "required"}}},
		{"missing act_kind", []string{goodAct(map[string]string{"act_kind": ""})}, []want{{2, "act_kind", "required"}}},
		{"unknown act_kind", []string{goodAct(map[string]string{"act_kind": "appeal"})}, []want{{2, "act_kind", `"appeal" is unknown`}}},
		{"bad date", []string{goodAct(map[string]string{"effective_on": "2024-13-01"})}, []want{{2, "effective_on", "not a date"}}},
		{"bad month", []string{goodAct(map[string]string{"debt_from": "2022/01"})}, []want{{2, "debt_from", "not a date or month"}}},
		{"period reversed", []string{goodAct(map[string]string{"debt_from": "2023-01", "debt_to": "2022-12"})}, []want{{2, "debt_to", "ends"}}},
		{"period half given", []string{goodAct(map[string]string{"debt_to": ""})}, []want{{2, "debt_to", "required when debt_from"}}},
		{"in force before pronounced", []string{goodAct(map[string]string{"effective_on": "2023-01-01"})}, []want{{2, "effective_on", "before it was pronounced"}}},
		{"in force without number", []string{goodAct(map[string]string{"case_number": ""})}, []want{{2, "case_number", "act in force"}}},
		{"bad amount", []string{goodAct(map[string]string{"amount": "12,34.5"})}, []want{{2, "amount", "not an amount"}}},
		{"negative outstanding", []string{goodAct(map[string]string{"outstanding": "-1"})}, []want{{2, "outstanding", "negative"}}},
		{"bad SNILS checksum", []string{goodAct(map[string]string{"debtor_snils": "112-233-445 96"})}, []want{{2, "debtor_snils", "control number"}}},
		{"short SNILS", []string{goodAct(map[string]string{"debtor_snils": "1122334459"})}, []want{{2, "debtor_snils", "11 digits"}}},
		{"missing debtor name", []string{goodAct(map[string]string{"debtor_first_name": ""})}, []want{{2, "debtor_first_name", "required"}}},
		{"doc number without type", []string{goodAct(map[string]string{"debtor_doc_number": "123"})}, []want{{2, "debtor_doc_type", "required when"}}},
		{"missing document file", []string{goodAct(map[string]string{"document_file": "docs/nope.pdf"})}, []want{{2, "document_file", "does not exist"}}},
		{"empty document file", []string{goodAct(map[string]string{"document_file": "docs/empty.pdf"})}, []want{{2, "document_file", "empty"}}},
		{"document is a folder", []string{goodAct(map[string]string{"document_file": "docs"})}, []want{{2, "document_file", "not a regular file"}}},
		{"premise not found", []string{goodAct(map[string]string{"premise_id": "P-404"})}, []want{{2, "premise_id", "not in the store"}}},
		{"duplicate row", []string{goodAct(nil), goodAct(nil)}, []want{{3, "debtor_snils", "already listed on line 2"}}},
		{"same debtor by name", []string{goodAct(map[string]string{"debtor_snils": ""}), goodAct(map[string]string{"debtor_snils": ""})},
			[]want{{3, "debtor_last_name", "already listed on line 2"}}},
		{"act rows disagree", []string{goodAct(nil), goodAct(map[string]string{"debtor_snils": "", "amount": "2000", "premise_id": "P-002"})},
			[]want{{3, "premise_id", "differs from line 2"}, {3, "amount", "differs from line 2"}}},
		{"extra value", []string{goodAct(nil) + ";surplus"}, []want{{2, "", "header names 20 columns"}}},
		{"all problems of a row", []string{goodAct(map[string]string{"act_kind": "x", "amount": "y", "pronounced_on": "z"})},
			[]want{{2, "act_kind", "unknown"}, {2, "pronounced_on", "not a date"}, {2, "amount", "not an amount"}}},
		{"every bad row", []string{goodAct(map[string]string{"act_id": "B-1"}), goodAct(map[string]string{"act_id": "B-2", "amount": "x"}),
			goodAct(map[string]string{"act_id": "B-3"}), goodAct(map[string]string{"act_id": "B-4", "premise_id": "P-404"}),
			goodAct(map[string]string{"act_id": "B-5", "debtor_snils": "1"})},
			[]want{{3, "amount", ""}, {5, "premise_id", "P-404"}, {6, "debtor_snils", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newSQLite(t)
			mustImportExamplePremises(t, st)
			if _, err := ImportCourtActs(t.Context(), st, examples("court-acts.csv"), Options{}); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, st)
			path := writeFile(t, "acts.csv", actsHeader+"\n"+strings.Join(tc.rows, "\n")+"\n")
			_, err := ImportCourtActs(t.Context(), st, path, Options{})
			var re *RowErrors
			if !errors.As(err, &re) {
				t.Fatalf("err = %v; want *RowErrors", err)
			}
			if len(re.Errors) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(re.Errors), len(tc.want), err)
			}
			for i, w := range tc.want {
				g := re.Errors[i]
				if g.Line != w.line || g.Column != w.column || !strings.Contains(g.Reason, w.reason) {
					t.Errorf("error %d = %+v; want line %d column %q reason containing %q", i, g, w.line, w.column, w.reason)
				}
				if !strings.Contains(err.Error(), g.String()) {
					t.Errorf("message does not list %q:\n%s", g.String(), err)
				}
			}
			if re.File != path || !strings.Contains(err.Error(), "nothing imported") {
				t.Errorf("message = %q; want the file name and that nothing was imported", err)
			}
			if after := snapshot(t, st); after != before {
				t.Errorf("a failed import changed the store:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestHeaderProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header string
		want         []string
	}{
		{"unknown column", actsHeader + ";efective_on", []string{`line 1: unknown column "efective_on"`}},
		{"missing required", strings.Replace(actsHeader, "act_kind;", "", 1), []string{"line 1, column act_kind: required column is missing"}},
		{"repeated column", actsHeader + ";СНИЛС", []string{"line 1, column debtor_snils: column given twice"}},
	}
	for _, tc := range tests {
		st := newSQLite(t)
		mustImportExamplePremises(t, st)
		path := writeFile(t, "acts.csv", tc.header+"\n")
		_, err := ImportCourtActs(t.Context(), st, path, Options{})
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v; want %q", tc.name, err, w)
			}
		}
	}
}

func TestPremisesBadRows(t *testing.T) {
	t.Parallel()
	const header = "premise_id;hm_object_guid;house_guid;fias_house_guid;flat;address\n"
	const g = "a3f0c7e2-4b1d-4c5e-9f6a-1b2c3d4e5f60"
	tests := []struct {
		name, body string
		want       []string
	}{
		{"missing premise_id", ";;" + g + ";;1;Москва\n", []string{"line 2, column premise_id: value is required"}},
		{"missing address", "P1;;" + g + ";;1;\n", []string{"line 2, column address: value is required"}},
		{"no GUID", "P1;;;;1;Москва\n", []string{"line 2, column hm_object_guid: one of hm_object_guid, house_guid, fias_house_guid is required"}},
		{"bad GUID", "P1;;" + g + ";xyz;1;Москва\n", []string{`line 2, column fias_house_guid: "xyz" is not a GUID`}},
		{"duplicate premise", "P1;;" + g + ";;1;Москва\nP1;;" + g + ";;2;Москва\n", []string{`line 3, column premise_id: premises "P1" is already listed on line 2`}},
		{"several rows", "P1;;bad;;1;Москва\nP2;;" + g + ";;2;Москва\nP3;;;;;\n", []string{
			"line 2, column house_guid", "line 4, column hm_object_guid", "line 4, column address"}},
	}
	for _, tc := range tests {
		st := newSQLite(t)
		path := writeFile(t, "premises.csv", header+tc.body)
		_, err := ImportPremises(t.Context(), st, path, Options{})
		var re *RowErrors
		if !errors.As(err, &re) || len(re.Errors) != len(tc.want) {
			t.Errorf("%s: err = %v; want %d errors", tc.name, err, len(tc.want))
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v; want %q", tc.name, err, w)
			}
		}
		if ps, _ := st.PremisesByHouse(t.Context(), "", g); len(ps) != 0 {
			t.Errorf("%s: a failed import left %d premises", tc.name, len(ps))
		}
	}
	// Without any GUID column the header says so once.
	st := newSQLite(t)
	path := writeFile(t, "premises.csv", "premise_id;address\nP1;Москва\nP2;Тверь\n")
	_, err := ImportPremises(t.Context(), st, path, Options{})
	var re *RowErrors
	if !errors.As(err, &re) || len(re.Errors) != 1 || re.Errors[0].Line != 1 {
		t.Errorf("file without GUID columns: err = %v; want one header error", err)
	}
}

func TestReimportUpdates(t *testing.T) {
	t.Parallel()
	st := newSQLite(t)
	mustImportExamplePremises(t, st)
	path := writeFile(t, "acts.csv", actsHeader+"\n"+goodAct(nil)+"\n"+goodAct(map[string]string{"act_id": "B-2"})+"\n")
	res, err := ImportCourtActs(t.Context(), st, path, Options{})
	if err != nil || res.Stats != (store.ImportStats{Inserted: 2}) {
		t.Fatalf("first import = %+v, %v", res, err)
	}
	res, err = ImportCourtActs(t.Context(), st, path, Options{})
	if err != nil || res.Stats != (store.ImportStats{Unchanged: 2}) {
		t.Fatalf("re-import = %+v, %v", res, err)
	}
	// A later file updates B-2 (another debtor added) by act_id + debtor.
	later := filepath.Join(filepath.Dir(path), "later.csv")
	writeLater := func(content string) {
		if err := os.WriteFile(later, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeLater(actsHeader + "\n" + goodAct(nil) + "\n" + goodAct(map[string]string{"act_id": "B-2"}) + "\n" +
		goodAct(map[string]string{"act_id": "B-2", "debtor_snils": "", "debtor_last_name": "Орлова", "debtor_first_name": "Ольга"}) + "\n")
	res, err = ImportCourtActs(t.Context(), st, later, Options{})
	if err != nil || res.Stats != (store.ImportStats{Updated: 1, Unchanged: 1}) {
		t.Fatalf("later import = %+v, %v", res, err)
	}
	acts, _ := st.CourtActsByPremises(t.Context(), []string{"P-001"})
	if len(acts) != 2 || len(acts[1].Debtors) != 2 {
		t.Fatalf("acts = %+v; want B-2 with two debtors", acts)
	}
}

func TestImportOrg(t *testing.T) {
	t.Parallel()
	st := newSQLite(t)
	const org = "6F1C7C4E-0C1E-4A57-9A3E-2D6A2B8F0A01"
	if _, err := ImportPremises(t.Context(), st, examples("premises.csv"), Options{Org: org}); err != nil {
		t.Fatal(err)
	}
	ps, err := st.PremisesByHouse(t.Context(), strings.ToLower(org), "a3f0c7e2-4b1d-4c5e-9f6a-1b2c3d4e5f60")
	if err != nil || len(ps) != 3 || ps[0].OrgGUID != strings.ToLower(org) {
		t.Fatalf("premises of the org = %+v, %v", ps, err)
	}
	// The acts of another organization cannot refer to these premises.
	_, err = ImportCourtActs(t.Context(), st, examples("court-acts.csv"), Options{Org: "6f1c7c4e-0c1e-4a57-9a3e-2d6a2b8f0b02"})
	var re *RowErrors
	if !errors.As(err, &re) || len(re.Errors) != 5 {
		t.Fatalf("acts of another org: err = %v; want 5 rows with unknown premises", err)
	}
	if _, err := ImportPremises(t.Context(), st, examples("premises.csv"), Options{Org: "org-1"}); err == nil {
		t.Fatal("a malformed --org was accepted")
	}
}

// TestBlankOutstandingIsUnknown: a blank outstanding amount (LEGAL-RULES §10.3) is stored
// as unknown, never as 0; an explicit 0 is a repaid debt; rows of one act must agree on it.
func TestBlankOutstandingIsUnknown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		outstanding string
		unknown     bool
		amount      domain.Money
	}{
		{"blank", "", true, 0},
		{"spaces only", "  ", true, 0},
		{"explicit zero", "0", false, 0},
		{"zero with kopecks", "0,00", false, 0},
		{"amount", "12,50", false, 1250},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newSQLite(t)
			mustImportExamplePremises(t, st)
			path := writeFile(t, "acts.csv", actsHeader+"\n"+goodAct(map[string]string{"outstanding": tc.outstanding})+"\n")
			if _, err := ImportCourtActs(t.Context(), st, path, Options{}); err != nil {
				t.Fatal(err)
			}
			acts, err := st.CourtActsByPremises(t.Context(), []string{"P-001"})
			if err != nil || len(acts) != 1 {
				t.Fatalf("acts at P-001 = %+v, %v; want one", acts, err)
			}
			if a := acts[0]; a.OutstandingUnknown != tc.unknown || a.Outstanding != tc.amount {
				t.Errorf("outstanding %q stored as %d (unknown %v); want %d (unknown %v)", tc.outstanding, a.Outstanding, a.OutstandingUnknown, tc.amount, tc.unknown)
			}
		})
	}

	t.Run("rows of one act disagree", func(t *testing.T) {
		t.Parallel()
		content := actsHeader + "\n" + goodAct(map[string]string{"outstanding": "0"}) + "\n" +
			goodAct(map[string]string{"outstanding": "", "debtor_last_name": "Орлова", "debtor_snils": ""}) + "\n"
		tab, err := ReadFile(writeFile(t, "acts.csv", content))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseCourtActs(tab, examples(""))
		var re *RowErrors
		if !errors.As(err, &re) || len(re.Errors) != 1 || re.Errors[0].Column != "outstanding" || re.Errors[0].Line != 3 {
			t.Fatalf("err = %v; want one error at line 3, column outstanding", err)
		}
	})
}

// TestWrongFileKind: a file of another kind gets one error naming the kind it looks like,
// not every missing column on every row; an old .xls gets the way out.
func TestWrongFileKind(t *testing.T) {
	t.Parallel()
	st := newSQLite(t)
	mustImportExamplePremises(t, st)
	acts, premises, agreements := examples("court-acts.csv"), examples("premises.csv"), examples("agreements.csv")
	tests := []struct {
		name   string
		doImp  func(path string) error
		path   string
		want   string
		errors int
	}{
		{"court acts as premises", func(p string) error { _, err := ImportPremises(t.Context(), st, p, Options{}); return err }, acts,
			"the columns of a court-acts file, not premises: import it with gisgw import court-acts", 1},
		{"premises as court acts", func(p string) error { _, err := ImportCourtActs(t.Context(), st, p, Options{}); return err }, premises,
			"the columns of a premises file, not court-acts", 1},
		{"court acts as agreements", func(p string) error { _, err := ImportAgreements(t.Context(), st, p, Options{}); return err }, acts,
			"the columns of a court-acts file, not agreements", 1},
		{"agreements as premises", func(p string) error { _, err := ImportPremises(t.Context(), st, p, Options{}); return err }, agreements,
			"the columns of an agreements file, not premises", 1},
		{"no known header", func(p string) error { _, err := ImportPremises(t.Context(), st, p, Options{}); return err },
			writeFile(t, "x.csv", "a;b;c\n1;2;3\n4;5;6\n"), "the header has 0 of the 2 required premises columns", 1},
	}
	for _, tc := range tests {
		err := tc.doImp(tc.path)
		var re *RowErrors
		if !errors.As(err, &re) || len(re.Errors) != tc.errors || !strings.Contains(err.Error(), tc.want) || re.File != tc.path {
			t.Errorf("%s: err = %v; want %d error(s) naming %s with %q", tc.name, err, tc.errors, tc.path, tc.want)
		}
	}
	xls := writeFile(t, "old.xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00garbage")
	renamed := writeFile(t, "old-renamed.csv", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00garbage")
	for _, p := range []string{xls, renamed} {
		_, err := ImportPremises(t.Context(), st, p, Options{})
		if err == nil || !strings.Contains(err.Error(), "save it as .xlsx or .csv") || !strings.Contains(err.Error(), p) {
			t.Errorf("import %s: err = %v; want the file named and \"save it as .xlsx or .csv\"", p, err)
		}
	}
}
