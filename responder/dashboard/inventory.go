package dashboard

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/ru"
)

// inventoryMonths is how many months back the month chooser offers.
const inventoryMonths = 24

type monthOption struct {
	Value, Label string
	Selected     bool
}

type inventoryView struct {
	Inv     report.Inventory
	Month   string // YYYY-MM of the month shown
	Current bool   // the month is the current one: balances as known today
	Share   string // on-time share in percent, "" when none is closed
	Months  []monthOption
	Charts  []monthChart
}

// inventory is the page «Инвентаризация задолженности»: the monthly inventory of the report
// (report.BuildInventory, the same figures) for the current month or one chosen from the
// list, with its 12-month trend as charts.
func (d *Dashboard) inventory(w http.ResponseWriter, r *http.Request, id identity) {
	y, m, _ := d.today().Date()
	current := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	month := current
	if s := r.URL.Query().Get("month"); s != "" {
		t, err := time.Parse("2006-01", s)
		if err != nil || t.After(current) {
			d.fail(w, r, id, http.StatusBadRequest, "Месяц указан неверно: выберите его из списка на странице инвентаризации.")
			return
		}
		month = t
	}
	inv, err := report.BuildInventory(r.Context(), d.store, report.InventoryOptions{Month: month, OrgNames: d.orgs})
	if err != nil {
		d.storeError(w, r, id, "inventory", err)
		return
	}
	v := inventoryView{Inv: inv, Month: month.Format("2006-01"), Current: month.Equal(current)}
	if s, ok := inv.Requests.OnTimeShare(); ok {
		v.Share = fmt.Sprintf("%.0f %%", s*100)
	}
	for i := range inventoryMonths {
		t := current.AddDate(0, -i, 0)
		v.Months = append(v.Months, monthOption{Value: t.Format("2006-01"), Label: report.MonthName(t), Selected: t.Equal(month)})
	}
	var months []time.Time
	var counts, sums, debts []int64
	for _, p := range inv.Trend {
		months = append(months, p.Month)
		counts = append(counts, int64(p.InForceUnpaid.Count))
		sums = append(sums, int64(p.InForceUnpaid.Sum))
		debts = append(debts, int64(p.AnsweredDebt))
	}
	number := func(n int64) string { return fmt.Sprint(n) }
	money := func(n int64) string { return ru.Money(domain.Money(n)) }
	v.Charts = []monthChart{
		newMonthChart("chart-count", "Судебные акты в силе, не погашенные, на конец месяца", months, counts, report.MonthName, number),
		newMonthChart("chart-sum", "Непогашенная сумма по ним на конец месяца", months, sums, report.MonthName, money),
		newMonthChart("chart-debt", "Подзапросы месяца с ответом «есть задолженность»", months, debts, report.MonthName, number),
	}
	d.render(w, r, http.StatusOK, "inventory", id, v)
}
