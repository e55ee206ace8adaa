package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/report/reporttest"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// novemberJSON is the inventory of November 2026 of reporttest.OpenInventory, computed by
// hand from the table in reporttest/inventory.go.
const novemberJSON = `{
  "month": "2026-11",
  "as_of": "2026-11-30",
  "org": "0a0a0a0a-0000-4000-8000-00000000000a",
  "in_force_unpaid": {
    "count": 4,
    "sum": "55000.00",
    "debtors": 4,
    "premises": 3,
    "by_age": {
      "under_1y": {"count": 1, "sum": "8000.00"},
      "1_2y": {"count": 1, "sum": "30000.00"},
      "2_3y": {"count": 1, "sum": "12000.00"},
      "over_3y": {"count": 1, "sum": "5000.00"}
    }
  },
  "entered_into_force": {"count": 1, "sum": "9000.00"},
  "repaid": {"count": 1, "sum": "25000.00"},
  "cancelled": {"count": 1, "sum": "15000.00"},
  "leaving_window_next_month": {"count": 1, "sum": "12000.00"},
  "under_agreement": {"count": 1, "sum": "30000.00"},
  "requests": {"total": 4, "debt": 1, "no_debt": 1, "auto": 1, "open": 1, "on_time_share": 0.67},
  "top_premises": [
    {"address": "г. Москва, ул. Ленина, д. 1, кв. 1", "debtors": ["Иванов Иван Иванович", "Иванова Мария Петровна"], "sum": "42000.00", "acts": 2},
    {"address": "г. Москва, ул. Ленина, д. 1, кв. 4", "debtors": ["Кузнецов Кузьма Кузьмич"], "sum": "8000.00", "acts": 1},
    {"address": "г. Москва, ул. Ленина, д. 1, кв. 2", "debtors": ["Петров Пётр Петрович"], "sum": "5000.00", "acts": 1}
  ]
}`

// octoberJSON is October 2026 as it was: the first file's balances, A5 not yet in force,
// A4 not yet cancelled, A3 still owing. As of 31.10.2026 A3's debt (to 30.06.2025) is 1–2
// years old and A4's (to 31.08.2024) 2–3 years; the debtors are Иванов (A1 and A2 by name),
// Иванова, Петров (A3 and A6) and Сидоров.
const octoberJSON = `{
  "month": "2026-10",
  "as_of": "2026-10-31",
  "org": "0a0a0a0a-0000-4000-8000-00000000000a",
  "in_force_unpaid": {
    "count": 5,
    "sum": "87000.00",
    "debtors": 4,
    "premises": 3,
    "by_age": {
      "under_1y": {"count": 0, "sum": "0.00"},
      "1_2y": {"count": 2, "sum": "55000.00"},
      "2_3y": {"count": 2, "sum": "27000.00"},
      "over_3y": {"count": 1, "sum": "5000.00"}
    }
  },
  "entered_into_force": {"count": 0, "sum": "0.00"},
  "repaid": {"count": 0, "sum": "0.00"},
  "cancelled": {"count": 0, "sum": "0.00"},
  "leaving_window_next_month": {"count": 0, "sum": "0.00"},
  "under_agreement": {"count": 1, "sum": "30000.00"},
  "requests": {"total": 1, "debt": 1, "no_debt": 0, "auto": 0, "open": 0, "on_time_share": 1},
  "top_premises": [
    {"address": "г. Москва, ул. Ленина, д. 1, кв. 1", "debtors": ["Иванов Иван Иванович", "Иванова Мария Петровна"], "sum": "42000.00", "acts": 2},
    {"address": "г. Москва, ул. Ленина, д. 1, кв. 2", "debtors": ["Петров Пётр Петрович"], "sum": "30000.00", "acts": 2},
    {"address": "г. Москва, ул. Ленина, д. 1, кв. 3", "debtors": ["Сидоров Сидор Сидорович"], "sum": "15000.00", "acts": 1}
  ]
}`

func inventoryStores(t *testing.T) map[string]store.Store {
	t.Helper()
	return map[string]store.Store{
		"sqlite":   reporttest.OpenInventory(t, filepath.Join(t.TempDir(), "gisgw.db")),
		"postgres": reporttest.OpenInventory(t, storetest.PostgresSchema(t)),
	}
}

func buildInventory(t *testing.T, st store.Store, month time.Time) report.Inventory {
	t.Helper()
	inv, err := report.BuildInventory(context.Background(), st, report.InventoryOptions{Org: reporttest.InventoryOrg, Month: month})
	if err != nil {
		t.Fatalf("BuildInventory: %v", err)
	}
	return inv
}

// TestInventoryJSON checks every figure of the JSON output of two months against the
// hand-computed fixture, on both stores.
func TestInventoryJSON(t *testing.T) {
	t.Parallel()
	for name, st := range inventoryStores(t) {
		for _, tc := range []struct {
			month time.Time
			want  string
		}{
			{reporttest.InventoryMonth, novemberJSON},
			{time.Date(2026, 10, 17, 0, 0, 0, 0, time.UTC), octoberJSON}, // any day of the month
		} {
			var buf bytes.Buffer
			if err := buildInventory(t, st, tc.month).Write(&buf, "json"); err != nil {
				t.Fatalf("%s: Write json: %v", name, err)
			}
			var got, want any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("%s: output is not JSON: %v\n%s", name, err, buf.String())
			}
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: JSON =\n%s\nwant\n%s", name, tc.month.Format("2006-01"), buf.String(), tc.want)
			}
		}
	}
}

// TestInventoryTrend: the 12 months up to November, October and November as above, the
// months before the first import empty.
func TestInventoryTrend(t *testing.T) {
	t.Parallel()
	st := reporttest.OpenInventory(t, filepath.Join(t.TempDir(), "gisgw.db"))
	inv := buildInventory(t, st, reporttest.InventoryMonth)
	if len(inv.Trend) != 12 || !inv.Trend[0].Month.Equal(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("trend = %+v; want 12 months from December 2025", inv.Trend)
	}
	for i, p := range inv.Trend[:10] {
		if p.InForceUnpaid != (report.Figure{}) || p.AnsweredDebt != 0 {
			t.Errorf("trend[%d] (%s) = %+v; want empty (nothing imported yet)", i, p.Month.Format("2006-01"), p)
		}
	}
	oct, nov := inv.Trend[10], inv.Trend[11]
	if oct.InForceUnpaid != (report.Figure{Count: 5, Sum: 8700000}) || oct.AnsweredDebt != 1 {
		t.Errorf("October = %+v; want 5 acts, 87 000,00, 1 answered debt", oct)
	}
	if nov.InForceUnpaid != inv.InForceUnpaid.Figure || nov.AnsweredDebt != inv.Requests.Debt {
		t.Errorf("November = %+v; want the month's own figures %+v and %d", nov, inv.InForceUnpaid.Figure, inv.Requests.Debt)
	}
}

// TestInventoryXLSX reads the workbook back: one sheet per section and the trend, the
// figures as numbers.
func TestInventoryXLSX(t *testing.T) {
	t.Parallel()
	st := reporttest.OpenInventory(t, filepath.Join(t.TempDir(), "gisgw.db"))
	var buf bytes.Buffer
	if err := buildInventory(t, st, reporttest.InventoryMonth).Write(&buf, "xlsx"); err != nil {
		t.Fatalf("Write xlsx: %v", err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	defer f.Close()
	want := []string{report.SheetInForce, report.SheetEntered, report.SheetRepaid, report.SheetCancelled, report.SheetLeaving,
		report.SheetAgreements, report.SheetRequests, report.SheetTopPremises, report.SheetTrend}
	if got := f.GetSheetList(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sheets = %v; want %v", got, want)
	}
	for _, c := range []struct{ sheet, cell, want string }{
		{report.SheetInForce, "A1", "Инвентаризация задолженности, подтверждённой судебными актами, за ноябрь 2026 (на 30.11.2026)"},
		{report.SheetInForce, "B4", "4"},
		{report.SheetInForce, "C4", "55000"},
		{report.SheetInForce, "B5", "1"},
		{report.SheetInForce, "C8", "5000"},
		{report.SheetInForce, "B9", "4"},  // debtors
		{report.SheetInForce, "B10", "3"}, // premises
		{report.SheetEntered, "C4", "9000"},
		{report.SheetRepaid, "C4", "25000"},
		{report.SheetCancelled, "B4", "1"},
		{report.SheetLeaving, "C4", "12000"},
		{report.SheetAgreements, "C4", "30000"},
		{report.SheetRequests, "B4", "4"},
		{report.SheetRequests, "B9", "67 %"},
		{report.SheetTopPremises, "A4", "г. Москва, ул. Ленина, д. 1, кв. 1"},
		{report.SheetTopPremises, "B4", "Иванов Иван Иванович, Иванова Мария Петровна"},
		{report.SheetTopPremises, "C4", "42000"},
		{report.SheetTopPremises, "D4", "2"},
		{report.SheetTrend, "A14", "октябрь 2026"},
		{report.SheetTrend, "B14", "5"},
		{report.SheetTrend, "C14", "87000"},
		{report.SheetTrend, "A15", "ноябрь 2026"},
		{report.SheetTrend, "D15", "1"},
	} {
		got, err := f.GetCellValue(c.sheet, c.cell, excelize.Options{RawCellValue: true})
		if err != nil || got != c.want {
			t.Errorf("%s!%s = %q, %v; want %q", c.sheet, c.cell, got, err, c.want)
		}
	}
}

// TestInventoryTextFormats: table, CSV and HTML carry the Russian labels and the figures;
// an unknown format is refused with the list of known ones.
func TestInventoryTextFormats(t *testing.T) {
	t.Parallel()
	st := reporttest.OpenInventory(t, filepath.Join(t.TempDir(), "gisgw.db"))
	inv := buildInventory(t, st, reporttest.InventoryMonth)
	for _, format := range []string{"table", "csv", "html"} {
		var buf bytes.Buffer
		if err := inv.Write(&buf, format); err != nil {
			t.Fatalf("Write %s: %v", format, err)
		}
		for _, want := range []string{"ноябрь 2026", "Всего в силе, не отменены, не погашены", "55\u00a0000,00\u00a0₽",
			"Выйдут из трёх последних лет в следующем месяце", "Иванова Мария Петровна", "Доля отвеченных в срок", "67 %"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("%s output lacks %q:\n%s", format, want, buf.String())
			}
		}
		if strings.Contains(buf.String(), "11223344595") {
			t.Errorf("%s output shows a SNILS", format)
		}
	}
	if err := inv.Write(&bytes.Buffer{}, "pdf"); err == nil || !strings.Contains(err.Error(), "table, csv, xlsx, html or json") {
		t.Errorf("Write pdf: err = %v; want one naming the formats", err)
	}
}

// TestLeavesWindow: the first day on which the last debt day lies more than three years
// before it (LEGAL-RULES §10.1).
func TestLeavesWindow(t *testing.T) {
	t.Parallel()
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct{ debtTo, want time.Time }{
		{d(2023, 11, 30), d(2026, 12, 1)},
		{d(2023, 12, 31), d(2027, 1, 1)},
		{d(2024, 2, 29), d(2027, 3, 1)}, // 01.03.2027 minus three years is 01.03.2024
		{d(2024, 2, 28), d(2027, 3, 1)},
		{time.Time{}, time.Time{}},
	} {
		if got := report.LeavesWindow(tc.debtTo); !got.Equal(tc.want) {
			t.Errorf("LeavesWindow(%s) = %s; want %s", tc.debtTo.Format(time.DateOnly), got.Format(time.DateOnly), tc.want.Format(time.DateOnly))
		}
	}
}
