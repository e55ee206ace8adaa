package report

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/ru"
)

// MonthName is a month in Russian as a heading says it: «ноябрь 2026».
func MonthName(t time.Time) string {
	names := [...]string{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
		"сентябрь", "октябрь", "ноябрь", "декабрь"}
	return fmt.Sprintf("%s %d", names[t.Month()-1], t.Year())
}

// Title is the inventory's heading.
func (inv Inventory) Title() string {
	return "Инвентаризация задолженности, подтверждённой судебными актами, за " + MonthName(inv.Month) +
		" (на " + ru.Date(inv.AsOf) + ")"
}

// Scope names what the inventory covers.
func (inv Inventory) Scope() string {
	if inv.Org == "" {
		return "все организации"
	}
	return "организация " + cmp.Or(inv.OrgName, inv.Org)
}

// Sheet names of the inventory's XLSX rendering, one per section, and the trend.
const (
	SheetInForce     = "В силе, не погашено"
	SheetEntered     = "Вступили в силу"
	SheetRepaid      = "Погашены"
	SheetCancelled   = "Отменены"
	SheetLeaving     = "Выходят из трёх лет"
	SheetAgreements  = "Соглашения"
	SheetRequests    = "Подзапросы"
	SheetTopPremises = "Помещения"
	SheetTrend       = "Динамика за 12 месяцев"
)

// invSection is one section as every format but JSON renders it: a header row and rows of
// int, domain.Money or string values.
type invSection struct {
	Name   string
	Header []string
	Rows   [][]any
}

func figureRows(label string, f Figure) [][]any {
	return [][]any{{label, f.Count, f.Sum}}
}

// Sections are the inventory's sections in the order every rendering prints them.
func (inv Inventory) sections() []invSection {
	head := []string{"Показатель", "Актов", "Сумма"}
	u := inv.InForceUnpaid
	share := "нет закрытых"
	if s, ok := inv.Requests.OnTimeShare(); ok {
		share = fmt.Sprintf("%.0f %%", s*100)
	}
	r := inv.Requests
	top := invSection{Name: SheetTopPremises, Header: []string{"Адрес", "Должники", "Сумма", "Актов"}}
	for _, p := range inv.TopPremises {
		top.Rows = append(top.Rows, []any{p.Address, strings.Join(p.Debtors, ", "), p.Sum, p.Acts})
	}
	trend := invSection{Name: SheetTrend, Header: []string{"Месяц", "Актов в силе, не погашено", "Сумма", "Ответов «есть задолженность»"}}
	for _, p := range inv.Trend {
		trend.Rows = append(trend.Rows, []any{MonthName(p.Month), p.InForceUnpaid.Count, p.InForceUnpaid.Sum, p.AnsweredDebt})
	}
	return []invSection{
		{Name: SheetInForce, Header: head, Rows: [][]any{
			{"Всего в силе, не отменены, не погашены", u.Count, u.Sum},
			{"Долг младше 1 года", u.ByAge.Under1Y.Count, u.ByAge.Under1Y.Sum},
			{"Долг от 1 до 2 лет", u.ByAge.From1To2Y.Count, u.ByAge.From1To2Y.Sum},
			{"Долг от 2 до 3 лет", u.ByAge.From2To3Y.Count, u.ByAge.From2To3Y.Sum},
			{"Долг старше 3 лет (для субсидий не учитывается)", u.ByAge.Over3Y.Count, u.ByAge.Over3Y.Sum},
			{"Должников (человек)", u.Debtors, ""},
			{"Помещений", u.Premises, ""},
		}},
		{Name: SheetEntered, Header: head, Rows: figureRows("Вступили в законную силу в месяце (сумма по актам)", inv.EnteredIntoForce)},
		{Name: SheetRepaid, Header: head, Rows: figureRows("Погашены в месяце (последний остаток до погашения)", inv.Repaid)},
		{Name: SheetCancelled, Header: head, Rows: figureRows("Отменены в месяце (остаток на конец месяца)", inv.Cancelled)},
		{Name: SheetLeaving, Header: head, Rows: figureRows("Выйдут из трёх последних лет в следующем месяце", inv.LeavingWindow)},
		{Name: SheetAgreements, Header: head, Rows: figureRows("Не погашены, есть действующее соглашение или рассрочка", inv.UnderAgreement)},
		{Name: SheetRequests, Header: []string{"Показатель", "Подзапросов"}, Rows: [][]any{
			{"Получено в месяце", r.Total},
			{"Отвечено «есть задолженность»", r.Debt},
			{"Отвечено «нет задолженности»", r.NoDebt},
			{"Ответила ГИС ЖКХ автоматически", r.Auto},
			{"Ещё не отвечены", r.Open},
			{"Доля отвеченных в срок", share},
		}},
		top,
		trend,
	}
}

func textValue(v any) string {
	switch x := v.(type) {
	case domain.Money:
		return ru.Money(x)
	case int:
		return fmt.Sprint(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// WriteTable writes the inventory as plain text for a terminal.
func (inv Inventory) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n", inv.Title(), inv.Scope())
	for _, s := range inv.sections() {
		fmt.Fprintf(&b, "\n%s\n", s.Name)
		if len(s.Rows) == 0 {
			b.WriteString("  нет\n")
			continue
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  "+strings.Join(s.Header, "\t"))
		for _, row := range s.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = clip(textValue(v), 60)
			}
			fmt.Fprintln(tw, "  "+strings.Join(cells, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write inventory table: %w", err)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write inventory table: %w", err)
	}
	return nil
}

// WriteCSV writes the sections one after another (title line, header, rows, a blank line)
// as CSV for Russian Excel, like the deadline report's CSV.
func (inv Inventory) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("write inventory CSV: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	_ = cw.Write([]string{inv.Title()})
	_ = cw.Write([]string{inv.Scope()})
	for _, s := range inv.sections() {
		_ = cw.Write([]string{})
		_ = cw.Write([]string{s.Name})
		_ = cw.Write(s.Header)
		for _, row := range s.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				// Addresses and names come from the organization's files: never a formula.
				rec[i] = neutralize(textValue(v))
			}
			_ = cw.Write(rec)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write inventory CSV: %w", err)
	}
	return nil
}

var inventoryPage = template.Must(template.New("inventory").Parse(`<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
  body { font-family: "PT Sans", Arial, sans-serif; font-size: 10pt; margin: 1.5em; color: #000; }
  h1 { font-size: 14pt; margin: 0 0 .2em; }
  h2 { font-size: 11pt; margin: 1.2em 0 .3em; }
  table { border-collapse: collapse; }
  th, td { border: 1px solid #888; padding: 2px 6px; text-align: left; vertical-align: top; }
  th { background: #dde4ee; }
  @page { size: A4 portrait; margin: 12mm; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Scope}}</p>
{{- range .Sections}}
<h2>{{.Name}}</h2>
{{- if .Rows}}
<table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody>
</table>
{{- else}}
<p>Нет.</p>
{{- end}}
{{- end}}
</body>
</html>
`))

// WriteHTML writes the inventory as one printable HTML page (no scripts).
func (inv Inventory) WriteHTML(w io.Writer) error {
	type section struct {
		Name   string
		Header []string
		Rows   [][]string
	}
	p := struct {
		Title, Scope string
		Sections     []section
	}{Title: inv.Title(), Scope: inv.Scope()}
	for _, s := range inv.sections() {
		out := section{Name: s.Name, Header: s.Header}
		for _, row := range s.Rows {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = textValue(v)
			}
			out.Rows = append(out.Rows, cells)
		}
		p.Sections = append(p.Sections, out)
	}
	if err := inventoryPage.Execute(w, p); err != nil {
		return fmt.Errorf("write inventory HTML: %w", err)
	}
	return nil
}

// WriteXLSX writes the inventory as a workbook: one sheet per section and one with the
// 12-month trend; amounts are numbers in roubles, counts integers.
func (inv Inventory) WriteXLSX(w io.Writer) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write inventory XLSX: %w", cerr)
		}
	}()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("write inventory XLSX: %w", err)
	}
	moneyFmt := "# ##0.00"
	money, err := f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt})
	if err != nil {
		return fmt.Errorf("write inventory XLSX: %w", err)
	}
	for i, s := range inv.sections() {
		if i == 0 {
			err = f.SetSheetName("Sheet1", s.Name)
		} else {
			_, err = f.NewSheet(s.Name)
		}
		if err != nil {
			return fmt.Errorf("write inventory XLSX: sheet %s: %w", s.Name, err)
		}
		if err := fillSection(f, s, inv.Title(), bold, money); err != nil {
			return fmt.Errorf("write inventory XLSX: sheet %s: %w", s.Name, err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write inventory XLSX: %w", err)
	}
	return nil
}

// fillSection writes the title in A1, the header in row 3 and the rows from row 4.
func fillSection(f *excelize.File, s invSection, title string, bold, money int) error {
	if err := f.SetCellValue(s.Name, "A1", title); err != nil {
		return err
	}
	head := make([]any, len(s.Header))
	for i, h := range s.Header {
		head[i] = h
	}
	if err := f.SetSheetRow(s.Name, "A3", &head); err != nil {
		return err
	}
	end, _ := excelize.CoordinatesToCellName(len(s.Header), 3)
	if err := f.SetCellStyle(s.Name, "A3", end, bold); err != nil {
		return err
	}
	for r, row := range s.Rows {
		vals := make([]any, len(row))
		for c, v := range row {
			switch x := v.(type) {
			case domain.Money:
				vals[c] = float64(x) / 100
				ref, _ := excelize.CoordinatesToCellName(c+1, r+4)
				if err := f.SetCellStyle(s.Name, ref, ref, money); err != nil {
					return err
				}
			case string:
				vals[c] = neutralize(x)
			default:
				vals[c] = v
			}
		}
		ref, _ := excelize.CoordinatesToCellName(1, r+4)
		if err := f.SetSheetRow(s.Name, ref, &vals); err != nil {
			return err
		}
	}
	return f.SetColWidth(s.Name, "A", "A", 50)
}

// jsonSum is a sum as the JSON carries it: roubles with two decimals, as a string.
func jsonSum(m domain.Money) string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, int64(m/100), int64(m%100))
}

type jsonFigure struct {
	Count int    `json:"count"`
	Sum   string `json:"sum"`
}

func toJSON(f Figure) jsonFigure { return jsonFigure{f.Count, jsonSum(f.Sum)} }

// InventoryJSON is the JSON form of the inventory, with the keys other systems rely on.
type InventoryJSON struct {
	Month         string `json:"month"`
	AsOf          string `json:"as_of"`
	Org           string `json:"org"`
	InForceUnpaid struct {
		jsonFigure
		Debtors  int `json:"debtors"`
		Premises int `json:"premises"`
		ByAge    struct {
			Under1Y jsonFigure `json:"under_1y"`
			Y1To2   jsonFigure `json:"1_2y"`
			Y2To3   jsonFigure `json:"2_3y"`
			Over3Y  jsonFigure `json:"over_3y"`
		} `json:"by_age"`
	} `json:"in_force_unpaid"`
	EnteredIntoForce jsonFigure `json:"entered_into_force"`
	Repaid           jsonFigure `json:"repaid"`
	Cancelled        jsonFigure `json:"cancelled"`
	LeavingWindow    jsonFigure `json:"leaving_window_next_month"`
	UnderAgreement   jsonFigure `json:"under_agreement"`
	Requests         struct {
		Total       int      `json:"total"`
		Debt        int      `json:"debt"`
		NoDebt      int      `json:"no_debt"`
		Auto        int      `json:"auto"`
		Open        int      `json:"open"`
		OnTimeShare *float64 `json:"on_time_share"` // null when none is closed
	} `json:"requests"`
	TopPremises []struct {
		Address string   `json:"address"`
		Debtors []string `json:"debtors"`
		Sum     string   `json:"sum"`
		Acts    int      `json:"acts"`
	} `json:"top_premises"`
}

// JSON returns the inventory in its JSON form.
func (inv Inventory) JSON() InventoryJSON {
	var j InventoryJSON
	j.Month, j.AsOf, j.Org = inv.Month.Format("2006-01"), inv.AsOf.Format(time.DateOnly), inv.Org
	u := inv.InForceUnpaid
	j.InForceUnpaid.jsonFigure = toJSON(u.Figure)
	j.InForceUnpaid.Debtors, j.InForceUnpaid.Premises = u.Debtors, u.Premises
	j.InForceUnpaid.ByAge.Under1Y, j.InForceUnpaid.ByAge.Y1To2 = toJSON(u.ByAge.Under1Y), toJSON(u.ByAge.From1To2Y)
	j.InForceUnpaid.ByAge.Y2To3, j.InForceUnpaid.ByAge.Over3Y = toJSON(u.ByAge.From2To3Y), toJSON(u.ByAge.Over3Y)
	j.EnteredIntoForce, j.Repaid, j.Cancelled = toJSON(inv.EnteredIntoForce), toJSON(inv.Repaid), toJSON(inv.Cancelled)
	j.LeavingWindow, j.UnderAgreement = toJSON(inv.LeavingWindow), toJSON(inv.UnderAgreement)
	r := inv.Requests
	j.Requests.Total, j.Requests.Debt, j.Requests.NoDebt, j.Requests.Auto, j.Requests.Open = r.Total, r.Debt, r.NoDebt, r.Auto, r.Open
	if s, ok := r.OnTimeShare(); ok {
		j.Requests.OnTimeShare = &s
	}
	j.TopPremises = make([]struct {
		Address string   `json:"address"`
		Debtors []string `json:"debtors"`
		Sum     string   `json:"sum"`
		Acts    int      `json:"acts"`
	}, len(inv.TopPremises))
	for i, p := range inv.TopPremises {
		j.TopPremises[i].Address, j.TopPremises[i].Debtors = p.Address, p.Debtors
		j.TopPremises[i].Sum, j.TopPremises[i].Acts = jsonSum(p.Sum), p.Acts
	}
	return j
}

// WriteJSON writes the JSON form, indented.
func (inv Inventory) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(inv.JSON()); err != nil {
		return fmt.Errorf("write inventory JSON: %w", err)
	}
	return nil
}

// Write writes inv in format: table, csv, xlsx, html or json.
func (inv Inventory) Write(w io.Writer, format string) error {
	switch format {
	case "", "table":
		return inv.WriteTable(w)
	case "csv":
		return inv.WriteCSV(w)
	case "xlsx":
		return inv.WriteXLSX(w)
	case "html":
		return inv.WriteHTML(w)
	case "json":
		return inv.WriteJSON(w)
	}
	return fmt.Errorf("unknown format %q: use table, csv, xlsx, html or json", format)
}
