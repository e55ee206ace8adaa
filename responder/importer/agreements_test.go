package importer

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// storeWithExampleActs is a SQLite store holding the example premises and court acts.
func storeWithExampleActs(t *testing.T) store.Store {
	t.Helper()
	st := newSQLite(t)
	mustImportExamplePremises(t, st)
	if _, err := ImportCourtActs(t.Context(), st, examples("court-acts.csv"), Options{}); err != nil {
		t.Fatal(err)
	}
	return st
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// exampleAgreements is what testdata/import/agreements.csv holds.
func exampleAgreements() map[string][]domain.Agreement {
	return map[string][]domain.Agreement{
		"A-001": {{ActID: "A-001", Number: "15", Date: day(2024, 12, 1), Kind: domain.AgreementRepayment,
			ScheduleEnd: day(2025, 11, 30), Amount: 4000000, Paid: 1200000, Status: domain.AgreementActive}},
		"A-002": {{ActID: "A-002", Number: "2-987/2023-Р", Date: day(2023, 11, 10), Kind: domain.AgreementInstalment,
			ScheduleEnd: day(2024, 11, 10), Amount: 3000000, Paid: 0, Status: domain.AgreementBroken}},
	}
}

func storedAgreements(t *testing.T, st store.Store) map[string][]domain.Agreement {
	t.Helper()
	acts, err := st.CourtActsByPremises(t.Context(), []string{"P-001", "P-002", "P-003", "P-004"})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]domain.Agreement)
	for _, a := range acts {
		if a.Agreements != nil {
			out[a.ID] = a.Agreements
		}
	}
	return out
}

// writeAgreementsXLSX writes the example agreements as a spreadsheet user would: English
// headers, dates as date cells, amounts as numbers.
func writeAgreementsXLSX(t *testing.T) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows := [][]any{
		{"act_id", "agreement_number", "agreement_date", "kind", "schedule_end", "amount", "paid", "status"},
		{"A-001", 15, day(2024, 12, 1), "agreement", day(2025, 11, 30), 40000.0, 12000, "active"},
		{"A-002", "2-987/2023-Р", day(2023, 11, 10), "Рассрочка", day(2024, 11, 10), 30000, 0, "НАРУШЕНО"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "agreements.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportAgreements(t *testing.T) {
	t.Parallel()
	st := storeWithExampleActs(t)
	res, err := ImportAgreements(t.Context(), st, examples("agreements.csv"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 2 || res.Records != 2 || res.Stats != (store.ImportStats{Inserted: 2}) {
		t.Fatalf("import = %+v; want 2 rows, 2 inserted", res)
	}
	want := exampleAgreements()
	if got := storedAgreements(t, st); !reflect.DeepEqual(got, want) {
		t.Fatalf("stored agreements =\n%+v\nwant\n%+v", got, want)
	}

	utf8, err := readExample("agreements.csv")
	if err != nil {
		t.Fatal(err)
	}
	cp1251, err := charmap.Windows1251.NewEncoder().Bytes(utf8)
	if err != nil {
		t.Fatal(err)
	}
	// The same data again, as Windows-1251 CSV and as XLSX, changes nothing.
	for name, path := range map[string]string{
		"csv again":    examples("agreements.csv"),
		"windows-1251": writeFile(t, "agreements-cp1251.csv", string(cp1251)),
		"xlsx":         writeAgreementsXLSX(t),
	} {
		res, err := ImportAgreements(t.Context(), st, path, Options{})
		if err != nil || res.Stats != (store.ImportStats{Unchanged: 2}) {
			t.Errorf("%s: re-import = %+v, %v; want 2 unchanged", name, res.Stats, err)
		}
	}
	if got := storedAgreements(t, st); !reflect.DeepEqual(got, want) {
		t.Fatalf("after re-imports stored agreements =\n%+v\nwant\n%+v", got, want)
	}

	// A later file: more is paid under agreement 15.
	later := strings.Replace(string(utf8), "12 000,00", "16 000,00", 1)
	res, err = ImportAgreements(t.Context(), st, writeFile(t, "later.csv", later), Options{})
	if err != nil || res.Stats != (store.ImportStats{Updated: 1, Unchanged: 1}) {
		t.Fatalf("update = %+v, %v; want 1 updated, 1 unchanged", res.Stats, err)
	}
	if got := storedAgreements(t, st)["A-001"]; len(got) != 1 || got[0].Paid != 1600000 {
		t.Fatalf("agreement 15 after the update = %+v; want 16 000,00 paid", got)
	}
}

func readExample(name string) ([]byte, error) {
	var b bytes.Buffer
	t, err := ReadFile(examples(name))
	if err != nil {
		return nil, err
	}
	b.WriteString(strings.Join(t.Header, ";") + "\n")
	for _, r := range t.Rows {
		b.WriteString(strings.Join(r.Cells, ";") + "\n")
	}
	return b.Bytes(), nil
}

const agreementsHeader = "act_id;agreement_number;agreement_date;kind;schedule_end;amount;paid;status"

// goodAgreement is a valid agreements row; fields can be overridden by column name.
func goodAgreement(over map[string]string) string {
	vals := map[string]string{
		"act_id": "A-001", "agreement_number": "20", "agreement_date": "2026-03-01", "kind": "agreement",
		"schedule_end": "2027-03-01", "amount": "1000", "paid": "100", "status": "active",
	}
	for k, v := range over {
		vals[k] = v
	}
	var cells []string
	for _, c := range strings.Split(agreementsHeader, ";") {
		cells = append(cells, vals[c])
	}
	return strings.Join(cells, ";")
}

func TestAgreementsBadRows(t *testing.T) {
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
		{"unknown act", []string{goodAgreement(map[string]string{"act_id": "A-404"})}, []want{{2, "act_id", `court act "A-404" is not in the store`}}},
		{"missing act_id", []string{goodAgreement(map[string]string{"act_id": ""})}, []want{{2, "act_id", "required"}}},
		{"missing number", []string{goodAgreement(map[string]string{"agreement_number": ""})}, []want{{2, "agreement_number", "required"}}},
		{"missing date", []string{goodAgreement(map[string]string{"agreement_date": ""})}, []want{{2, "agreement_date", "required"}}},
		{"bad date", []string{goodAgreement(map[string]string{"agreement_date": "2026-13-01"})}, []want{{2, "agreement_date", "not a date"}}},
		{"bad schedule end", []string{goodAgreement(map[string]string{"schedule_end": "вчера"})}, []want{{2, "schedule_end", "not a date"}}},
		{"schedule ends before the agreement", []string{goodAgreement(map[string]string{"schedule_end": "2025-01-01"})}, []want{{2, "schedule_end", "before the agreement"}}},
		{"unknown kind", []string{goodAgreement(map[string]string{"kind": "мировое"})}, []want{{2, "kind", `"мировое" is unknown`}}},
		{"unknown status", []string{goodAgreement(map[string]string{"status": "приостановлено"})}, []want{{2, "status", `"приостановлено" is unknown`}}},
		{"bad amount", []string{goodAgreement(map[string]string{"amount": "12,34.5"})}, []want{{2, "amount", "not an amount"}}},
		{"negative paid", []string{goodAgreement(map[string]string{"paid": "-1"})}, []want{{2, "paid", "negative"}}},
		{"missing paid", []string{goodAgreement(map[string]string{"paid": ""})}, []want{{2, "paid", "required"}}},
		{"paid more than the amount", []string{goodAgreement(map[string]string{"paid": "1000,01"})}, []want{{2, "paid", "more is paid"}}},
		{"duplicate", []string{goodAgreement(nil), goodAgreement(nil)}, []want{{3, "agreement_number", "already listed on line 2"}}},
		{"every bad row", []string{goodAgreement(nil), goodAgreement(map[string]string{"agreement_number": "21", "kind": "x"}),
			goodAgreement(map[string]string{"agreement_number": "22", "act_id": "A-404"}), goodAgreement(map[string]string{"agreement_number": "23", "status": "y"})},
			[]want{{3, "kind", "unknown"}, {4, "act_id", "A-404"}, {5, "status", "unknown"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := storeWithExampleActs(t)
			if _, err := ImportAgreements(t.Context(), st, examples("agreements.csv"), Options{}); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, st)
			path := writeFile(t, "agreements.csv", agreementsHeader+"\n"+strings.Join(tc.rows, "\n")+"\n")
			_, err := ImportAgreements(t.Context(), st, path, Options{})
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

func TestAgreementsHeaderRussian(t *testing.T) {
	t.Parallel()
	content := "Код акта;Номер соглашения;Дата соглашения;Вид;Сумма;Оплачено;Статус;Окончание графика\n" +
		"A-001;1;01.03.2026;Соглашение;100;0;Исполнено;\n"
	tab, err := ParseCSV([]byte(content))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseAgreements(tab)
	want := []domain.Agreement{{ActID: "A-001", Number: "1", Date: day(2026, 3, 1), Kind: domain.AgreementRepayment,
		Amount: 10000, Status: domain.AgreementFulfilled}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseAgreements = %+v, %v; want %+v", got, err, want)
	}
	tab, err = ParseCSV([]byte("act_id;agreement_number;agreement_date;kind;amount;paid\n"))
	if err != nil {
		t.Fatal(err)
	}
	var re *RowErrors
	if _, err := ParseAgreements(tab); !errors.As(err, &re) || len(re.Errors) != 1 || re.Errors[0].Column != "status" {
		t.Fatalf("a file without the status column: err = %v; want one error about status", err)
	}
}
