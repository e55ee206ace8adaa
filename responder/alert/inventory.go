package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/ru"
)

// KindInventory prefixes the kind of the monthly inventory's delivery, followed by the
// month it covers (InventoryKind): once per month and channel.
const KindInventory = "inventory"

// inventoryGUID stands in the alerts table for the sub-request: the monthly inventory is
// about none.
const inventoryGUID = "inventory"

// InventoryKind is the kind of the delivery of month's inventory: "inventory-2026-11".
func InventoryKind(month time.Time) string { return KindInventory + "-" + month.Format("2006-01") }

// xlsxType is the MIME type of the attached workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// attachment is a file attached to an e-mail.
type attachment struct {
	name, contentType string
	data              []byte
}

// notice is a message about no sub-request in particular (the monthly inventory): its own
// subject and text, and files for the e-mail.
type notice struct {
	subject, text string
	link          string // the dashboard page, "" without a dashboard URL
	attachments   []attachment
}

// checkInventory sends the inventory of the month before today's on the first working day
// of today's month, or on the first Check after it (a daemon that was down that day), once
// per month and channel.
func (a *Alerter) checkInventory(ctx context.Context, today time.Time) (int, error) {
	if a.inventory == nil {
		return 0, nil
	}
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	day := first
	for !a.cal.IsWorkingDay(day) {
		day = day.AddDate(0, 0, 1)
	}
	if today.Before(day) {
		return 0, nil
	}
	month := first.AddDate(0, -1, 0)
	kind := InventoryKind(month)
	var (
		n    notice
		errs []error
		sent int
	)
	for _, ch := range a.channels {
		key := kind + ":" + ch.name()
		if a.isDone(inventoryGUID, key) {
			continue
		}
		ok, err := a.st.ClaimAlert(ctx, inventoryGUID, key)
		if err != nil {
			errs = append(errs, fmt.Errorf("alerts: %w", err))
			continue
		}
		if !ok {
			a.markDone(inventoryGUID, key)
			continue
		}
		if n.subject == "" {
			n, err = a.inventoryNotice(ctx, month)
		}
		if err == nil {
			err = ch.send(ctx, batch{kind: kind, today: today, notice: &n})
		}
		if err != nil {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if rerr := a.st.ReleaseAlert(rctx, inventoryGUID, key); rerr != nil {
				errs = append(errs, fmt.Errorf("alerts: %w (the inventory will not be retried)", rerr))
			}
			cancel()
			a.log.Warn("inventory not sent; retrying on the next check", "month", month.Format("2006-01"), "channel", ch.name(), "err", err)
			errs = append(errs, fmt.Errorf("alerts: send the inventory of %s by %s: %w", month.Format("2006-01"), ch.name(), err))
			continue
		}
		a.markDone(inventoryGUID, key)
		a.log.Info("inventory sent", "month", month.Format("2006-01"), "channel", ch.name())
		sent++
	}
	return sent, errors.Join(errs...)
}

// inventoryNotice builds the short text and the XLSX of month's inventory. The text holds
// only totals; the workbook is the report's, the top premises with their debtors' names
// included, as the dashboard shows them.
func (a *Alerter) inventoryNotice(ctx context.Context, month time.Time) (notice, error) {
	inv, err := report.BuildInventory(ctx, a.inventory, report.InventoryOptions{Month: month, OrgNames: a.orgNames})
	if err != nil {
		return notice{}, err
	}
	var xlsx bytes.Buffer
	if err := inv.WriteXLSX(&xlsx); err != nil {
		return notice{}, err
	}
	name := report.MonthName(inv.Month)
	acts := func(f report.Figure) string {
		s := fmt.Sprintf("%d %s", f.Count, ru.Plural(f.Count, "акт", "акта", "актов"))
		if f.Sum != 0 {
			s += " на " + ru.Money(f.Sum)
		}
		return s
	}
	u := inv.InForceUnpaid
	var sb strings.Builder
	fmt.Fprintf(&sb, "Инвентаризация задолженности, подтверждённой судебными актами, за %s (на %s).\n\n", name, ru.Date(inv.AsOf))
	fmt.Fprintf(&sb, "В силе и не погашено: %s; должников: %d, помещений: %d.\n", acts(u.Figure), u.Debtors, u.Premises)
	fmt.Fprintf(&sb, "Из них долг старше трёх лет (для субсидий не учитывается): %s.\n", acts(u.ByAge.Over3Y))
	fmt.Fprintf(&sb, "За месяц вступили в силу: %s; погашены: %s; отменены: %s.\n", acts(inv.EnteredIntoForce), acts(inv.Repaid), acts(inv.Cancelled))
	fmt.Fprintf(&sb, "Выйдут из трёх последних лет в следующем месяце: %s.\n", acts(inv.LeavingWindow))
	fmt.Fprintf(&sb, "Не погашены, есть действующее соглашение или рассрочка: %s.\n", acts(inv.UnderAgreement))
	r := inv.Requests
	fmt.Fprintf(&sb, "Подзапросов за месяц: %d; отвечено «есть задолженность»: %d, «нет задолженности»: %d, автоматически ГИС ЖКХ: %d, не отвечено: %d.\n",
		r.Total, r.Debt, r.NoDebt, r.Auto, r.Open)
	n := notice{subject: "gisgw: инвентаризация задолженности за " + name,
		attachments: []attachment{{name: "Инвентаризация " + inv.Month.Format("2006-01") + ".xlsx", contentType: xlsxType, data: xlsx.Bytes()}}}
	if a.dashboard != "" && !containsGUIDPlaceholder(a.dashboard) {
		n.link = strings.TrimRight(a.dashboard, "/") + "/inventory?month=" + url.QueryEscape(inv.Month.Format("2006-01"))
		fmt.Fprintf(&sb, "\nОткрыть в панели gisgw: %s\n", n.link)
	}
	sb.WriteString("\nТаблица по разделам и динамика за 12 месяцев — во вложении к письму.\n")
	sb.WriteString("-- \nПисьмо отправлено gisgw автоматически в первый рабочий день месяца.\n")
	n.text = sb.String()
	return n, nil
}
