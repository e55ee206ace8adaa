package report_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/report/reporttest"
	"github.com/gisgw/gisgw/responder/ru"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

func d(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }

func sqliteStore(t *testing.T) store.Store {
	t.Helper()
	return reporttest.Open(t, filepath.Join(t.TempDir(), "gisgw.db"))
}

func build(t *testing.T, st store.Store, opts report.Options) report.Report {
	t.Helper()
	if opts.Today.IsZero() {
		opts.Today = reporttest.Today
	}
	rep, err := report.Build(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return rep
}

// rowKey is what the row tests compare: sub-request number, days left, status, overdue.
type rowKey struct {
	N       int
	Days    int
	Status  string
	Overdue bool
}

func keys(t *testing.T, rows []report.Row) []rowKey {
	t.Helper()
	var out []rowKey
	for _, r := range rows {
		n := 0
		for i := 1; i <= reporttest.Count; i++ {
			if reporttest.GUID(i) == r.GUID {
				n = i
			}
		}
		out = append(out, rowKey{n, r.DaysLeft, r.Status, r.Overdue})
	}
	return out
}

func counts(t report.Totals) map[string]int {
	m := map[string]int{}
	for _, s := range t.ByStatus {
		if s.Count > 0 {
			m[s.Status] = s.Count
		}
	}
	return m
}

func TestBuild(t *testing.T) {
	t.Parallel()
	testBuild(t, sqliteStore(t))
}

func TestBuildPostgres(t *testing.T) {
	t.Parallel()
	testBuild(t, reporttest.Open(t, storetest.PostgresSchema(t)))
}

func testBuild(t *testing.T, st store.Store) {
	open := []rowKey{
		{6, -5, "просрочен", true},
		{7, -3, "просрочен", true}, // failed is open: past its deadline, it is overdue
		{5, -1, "просрочен", true},
		{1, 0, "новый", false},
		{2, 1, "на проверке", false},
		{3, 2, "готов к отправке", false},
		{14, 3, "на проверке", false},
		{4, 4, "отправляется", false},
		{12, 6, "новый", false},
		{13, 0, "новый", false},
	}
	without := func(rows []rowKey, n int) []rowKey {
		var out []rowKey
		for _, r := range rows {
			if r.N != n {
				out = append(out, r)
			}
		}
		return out
	}
	withClosed := []rowKey{
		{10, -6, "ответ сформирован ГИС автоматически", false},
		open[0], open[1],
		{8, -2, "ответ отправлен", false},
		open[2], open[3], open[4], open[5],
		{9, 3, "ответ отправлен", false}, // 19.03 like 14; GUID ...09 sorts first
		open[6], open[7], open[8], open[9],
	}

	tests := []struct {
		name    string
		opts    report.Options
		rows    []rowKey
		total   int
		overdue int
		due1    int
		due2    int
		byState map[string]int
	}{
		{
			name: "open, every organization", opts: report.Options{}, rows: open,
			total: 10, overdue: 3, due1: 2, due2: 3,
			byState: map[string]int{"просрочен": 3, "новый": 3, "на проверке": 2, "готов к отправке": 1, "отправляется": 1},
		},
		{
			name: "open, one organization", opts: report.Options{Org: reporttest.OrgA}, rows: without(open, 12),
			total: 9, overdue: 3, due1: 2, due2: 3,
			byState: map[string]int{"просрочен": 3, "новый": 2, "на проверке": 2, "готов к отправке": 1, "отправляется": 1},
		},
		{
			name: "with closed from 1 March", opts: report.Options{IncludeClosed: true, ClosedFrom: d(3, 1), ClosedTo: d(3, 31)}, rows: withClosed,
			total: 13, overdue: 3, due1: 2, due2: 3,
			byState: map[string]int{"просрочен": 3, "новый": 3, "на проверке": 2, "готов к отправке": 1, "отправляется": 1,
				"ответ отправлен": 2, "ответ сформирован ГИС автоматически": 1},
		},
		{
			name: "with every closed one", opts: report.Options{IncludeClosed: true}, rows: append([]rowKey{{11, -37, "ответ отправлен", false}}, withClosed...),
			total: 14, overdue: 3, due1: 2, due2: 3,
			byState: map[string]int{"просрочен": 3, "новый": 3, "на проверке": 2, "готов к отправке": 1, "отправляется": 1,
				"ответ отправлен": 3, "ответ сформирован ГИС автоматически": 1},
		},
		{
			// A week later everything open is past its deadline except 12 (24.03) and 13.
			name: "a week later", opts: report.Options{Org: reporttest.OrgA, Today: d(3, 23)},
			total: 9, overdue: 8, due1: 0, due2: 0,
			byState: map[string]int{"просрочен": 8, "новый": 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := build(t, st, tc.opts)
			if tc.rows != nil {
				if got := keys(t, rep.Rows); !reflect.DeepEqual(got, tc.rows) {
					t.Errorf("rows =\n%v\nwant\n%v", got, tc.rows)
				}
			}
			tt := rep.Totals
			if tt.Total != tc.total || tt.Overdue != tc.overdue || tt.DueIn1 != tc.due1 || tt.DueIn2 != tc.due2 {
				t.Errorf("totals = %d total, %d overdue, %d/%d due in 1/2 days; want %d, %d, %d/%d",
					tt.Total, tt.Overdue, tt.DueIn1, tt.DueIn2, tc.total, tc.overdue, tc.due1, tc.due2)
			}
			if got := counts(tt); !reflect.DeepEqual(got, tc.byState) {
				t.Errorf("by status = %v; want %v", got, tc.byState)
			}
		})
	}

	// The details of single rows.
	rep := build(t, st, report.Options{IncludeClosed: true})
	byGUID := map[string]report.Row{}
	for _, r := range rep.Rows {
		byGUID[r.GUID] = r
	}
	r8 := byGUID[reporttest.GUID(8)]
	if r8.Answer() != "есть долг (должников: 1)" || !r8.AnsweredAt.Equal(reporttest.Clock) {
		t.Errorf("answered row 8: answer %q at %v; want one debtor at %v", r8.Answer(), r8.AnsweredAt, reporttest.Clock)
	}
	if r9 := byGUID[reporttest.GUID(9)]; r9.Answer() != "нет долга" {
		t.Errorf("answered row 9: answer %q; want no debt", r9.Answer())
	}
	if r7 := byGUID[reporttest.GUID(7)]; r7.GISError() != "SRV006001: Подзапрос уже обработан" || r7.Answer() != "" {
		t.Errorf("failed row 7: error %q, answer %q; want GIS's code and text and no answer", r7.GISError(), r7.Answer())
	}
	if r2 := byGUID[reporttest.GUID(2)]; r2.Note != ru.Reason(reporttest.ReviewReason) || r2.Requester != "УСЗН района Хамовники" ||
		r2.Address != "г. Москва, ул. Ленина, д. 1, кв. 2" || !r2.SentDate.Equal(d(3, 10)) || !r2.Deadline.Equal(d(3, 17)) {
		t.Errorf("review row 2 = %+v; want its reason, requester, address, dates", r2)
	}
	if r5 := byGUID[reporttest.GUID(5)]; r5.Note != "этап: новый" || r5.DaysLeftText() != "-1 (просрочен)" {
		t.Errorf("overdue row 5: note %q, days %q; want the stage and the overdue mark", r5.Note, r5.DaysLeftText())
	}
	if r14 := byGUID[reporttest.GUID(14)]; r14.Note != "решение не предложено" {
		t.Errorf("review row 14 without a proposal: note %q", r14.Note)
	}
	if r13 := byGUID[reporttest.GUID(13)]; r13.DaysLeftText() != "—" {
		t.Errorf("row 13 without deadline: days %q; want a dash", r13.DaysLeftText())
	}
}

func TestWriteTable(t *testing.T) {
	t.Parallel()
	st := sqliteStore(t)
	var b bytes.Buffer
	if err := report.WriteDeadlineTable(context.Background(), &b, st, report.Options{Today: reporttest.Today}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Сроки ответов на подзапросы ГИС ЖКХ о задолженности на 16.03.2026",
		"Всего подзапросов: 10", "Просрочено: 3", "Срок истекает в течение 1 рабочего дня: 2",
		"Статус «на проверке»: 2", reporttest.GUID(6), "ошибка ГИС SRV006001: Подзапрос уже обработан",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Row order: the earliest deadline first, the one without a deadline last.
	if i6, i13 := strings.Index(out, reporttest.GUID(6)), strings.Index(out, reporttest.GUID(13)); i6 < 0 || i13 < i6 {
		t.Errorf("row 6 (06.03) should come before row 13 (no deadline):\n%s", out)
	}
	for _, secret := range []string{reporttest.Debtor.SNILS, reporttest.Debtor.DocNumber, reporttest.Debtor.LastName} {
		if strings.Contains(out, secret) {
			t.Errorf("table shows a debtor's %q", secret)
		}
	}

	var empty bytes.Buffer
	if err := (report.Report{Today: reporttest.Today}).WriteTable(&empty); err != nil || !strings.Contains(empty.String(), "Подзапросов нет.") {
		t.Errorf("empty report: %v, %q", err, empty.String())
	}
}

func TestWriteCSV(t *testing.T) {
	t.Parallel()
	rep := build(t, sqliteStore(t), report.Options{IncludeClosed: true, ClosedFrom: d(3, 1)})
	var b bytes.Buffer
	if err := rep.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("CSV does not start with a UTF-8 BOM: % x", raw[:min(len(raw), 8)])
	}
	r := csv.NewReader(bytes.NewReader(raw[3:]))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse back: %v", err)
	}
	if len(recs) != 1+13 {
		t.Fatalf("CSV has %d records; want a header and 13 rows", len(recs))
	}
	header := recs[0]
	if header[0] != "Срок ответа" || header[2] != "Статус" || header[len(header)-1] != "Организация" {
		t.Errorf("CSV header = %q", header)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	found := false
	for _, rec := range recs[1:] {
		if rec[col["Подзапрос (GUID)"]] != reporttest.GUID(8) {
			continue
		}
		found = true
		want := map[string]string{"Срок ответа": "12.03.2026", "Статус": "ответ отправлен", "Ответ": "есть долг (должников: 1)",
			"Дата ответа": "12.03.2026 14:30", "Дата направления": "05.03.2026", "Осталось раб. дней": "-2"}
		for h, v := range want {
			if rec[col[h]] != v {
				t.Errorf("row 8, column %s = %q; want %q", h, rec[col[h]], v)
			}
		}
	}
	if !found {
		t.Error("CSV lacks row 8")
	}
}

func TestWriteXLSX(t *testing.T) {
	t.Parallel()
	rep := build(t, sqliteStore(t), report.Options{})
	var b bytes.Buffer
	if err := rep.WriteXLSX(&b); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("XLSX does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetRows)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+10 || rows[0][0] != "Срок ответа" {
		t.Fatalf("sheet %s has %d rows, header %q; want a header and 10 rows", report.SheetRows, len(rows), rows[0])
	}
	if rows[1][0] != "06.03.2026" || rows[1][1] != "-5" || rows[1][2] != "просрочен" {
		t.Errorf("first row = %q; want 06.03.2026, -5, просрочен", rows[1][:3])
	}
	// The deadline is a real date cell, not text.
	if typ, err := f.GetCellType(report.SheetRows, "A2"); err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("A2 cell type = %v (%v); want a date number", typ, err)
	}
	panes, err := f.GetPanes(report.SheetRows)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v (%v); want the header row frozen", panes, err)
	}
	if w, err := f.GetColWidth(report.SheetRows, "D"); err != nil || w < 40 {
		t.Errorf("address column width = %v (%v); want a wide column", w, err)
	}
	sheet := zipFile(t, b.Bytes(), "xl/worksheets/sheet1.xml")
	if !strings.Contains(strings.ReplaceAll(sheet, "$", ""), `<autoFilter ref="A1:M11"`) {
		t.Errorf("sheet has no autofilter over A1:M11:\n%.2000s", sheet)
	}
	totals, err := f.GetRows(report.SheetTotals)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range totals {
		if len(r) == 2 {
			got[r[0]] = r[1]
		}
	}
	if got["Всего подзапросов"] != "10" || got["Просрочено"] != "3" || got["Срок истекает в течение 2 рабочих дней"] != "3" {
		t.Errorf("totals sheet = %v", got)
	}
}

func zipFile(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("%s not in the workbook", name)
	return ""
}

func TestWriteHTML(t *testing.T) {
	t.Parallel()
	rep := build(t, sqliteStore(t), report.Options{Org: reporttest.OrgA})
	// A value that must be escaped.
	rep.Rows[0].Note = `<script>alert(1)</script>`
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("HTML does not parse: %v", err)
	}
	var bodyRows, overdue, scripts int
	var cells []string
	var walk func(n *html.Node, inTbody bool)
	walk = func(n *html.Node, inTbody bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script":
				scripts++
			case "table":
				inTbody = false
				for _, a := range n.Attr {
					if a.Key == "class" && a.Val == "rows" {
						inTbody = true
					}
				}
			case "thead":
				inTbody = false
			case "tr":
				if inTbody {
					bodyRows++
					for _, a := range n.Attr {
						if a.Key == "class" && a.Val == "overdue" {
							overdue++
						}
					}
				}
			case "td":
				if inTbody && n.FirstChild != nil {
					cells = append(cells, n.FirstChild.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inTbody)
		}
	}
	walk(doc, false)
	if bodyRows != 9 || overdue != 3 || scripts != 0 { // 5, 6 and the failed 7
		t.Errorf("HTML has %d rows (%d overdue), %d scripts; want 9, 3, 0", bodyRows, overdue, scripts)
	}
	joined := strings.Join(cells, "|")
	for _, want := range []string{reporttest.GUID(1), "SRV006001: Подзапрос уже обработан", "на проверке", `<script>alert(1)</script>`} {
		if !strings.Contains(joined, want) {
			t.Errorf("HTML cells lack %q", want)
		}
	}
	out := b.String()
	if !strings.Contains(out, "@media print") || !strings.Contains(out, "Всего подзапросов") || strings.Contains(out, "<script>") {
		t.Errorf("HTML lacks the print CSS or the totals, or has a raw script tag")
	}
}

// TestOnTimeAndCauses: automatic answers count as late, and a ready answer waiting for a
// court-act file shows why.
func TestOnTimeAndCauses(t *testing.T) {
	t.Parallel()
	st := sqliteStore(t)
	ctx := t.Context()
	ds, err := st.ClaimReady(ctx, reporttest.OrgA, "me", 10, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("ClaimReady = %d, %v; want sub-request 3", len(ds), err)
	}
	const reason = "Ответ ждёт файла судебного акта «акт.pdf»"
	if err := st.DeferReady(ctx, "me", []string{reporttest.GUID(3)}, reporttest.Clock.Add(time.Minute), reason); err != nil {
		t.Fatal(err)
	}
	rep := build(t, st, report.Options{IncludeClosed: true})
	// 8 and 9 answered on 12.03 by their deadlines; 11 answered after its deadline; 10 by GIS.
	if rep.Totals.OnTime != 2 || rep.Totals.Late != 2 {
		t.Errorf("on time %d, late %d; want 2 and 2", rep.Totals.OnTime, rep.Totals.Late)
	}
	notes := map[string]string{}
	for _, r := range rep.Rows {
		notes[r.GUID] = r.Note
	}
	if n := notes[reporttest.GUID(3)]; !strings.Contains(n, reason) {
		t.Errorf("note of the waiting answer %q; want the cause", n)
	}
	if n := notes[reporttest.GUID(10)]; !strings.Contains(n, "автоматически") {
		t.Errorf("note of the automatic answer %q; want it said", n)
	}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Отвечено в срок: 2", "Отвечено с опозданием или автоматически ГИС ЖКХ: 2"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	if open := build(t, st, report.Options{}); open.Totals.OnTime+open.Totals.Late != 0 {
		t.Errorf("a report of open sub-requests counts answers: %+v", open.Totals)
	}
}

// TestOrganizationNamed: the report names the organization from the configuration, in its
// scope and, across organizations, in a column; review reasons are shown without their codes.
func TestOrganizationNamed(t *testing.T) {
	t.Parallel()
	st := sqliteStore(t)
	names := map[string]string{reporttest.OrgA: "ООО «УК Альфа»", reporttest.OrgB: "ТСЖ «Бета»"}
	one := build(t, st, report.Options{Org: reporttest.OrgA, OrgNames: names})
	if !strings.Contains(one.Scope(), "организация ООО «УК Альфа»") {
		t.Errorf("scope = %q; want the organization's name", one.Scope())
	}
	all := build(t, st, report.Options{OrgNames: names})
	var csvOut bytes.Buffer
	if err := all.WriteCSV(&csvOut); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	for _, want := range []string{"ООО «УК Альфа»", "ТСЖ «Бета»"} {
		if !strings.Contains(csvOut.String(), want) {
			t.Errorf("the report across organizations does not name %q", want)
		}
	}
	for _, r := range all.Rows {
		if ru.HasLatinWord(r.Note) {
			t.Errorf("row %s note %q shows a code", r.GUID, r.Note)
		}
	}
}
