package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/report/reporttest"
	"github.com/gisgw/gisgw/responder/ru"
)

// TestInventoryPage: the page shows the report's inventory of the chosen month (the same
// figures as report.BuildInventory), the current month by default, a chooser, three
// 12-month charts, no Latin-letter word, and refuses a month it does not offer.
func TestInventoryPage(t *testing.T) {
	t.Parallel()
	st := reporttest.OpenInventory(t, filepath.Join(t.TempDir(), "gisgw.db"))
	now := func() time.Time { return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) }
	d, err := New(Options{Store: st, Now: now, Token: testToken})
	must(t, "new dashboard", err)
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	f := &fixture{st: st, srv: srv}
	get := func(path string) (int, string) {
		code, body, _ := f.do(t, f.client(t), http.MethodGet, path, nil, bearer(testToken), nil)
		return code, body
	}

	code, body := get("/inventory?month=2026-11")
	if code != http.StatusOK {
		t.Fatalf("GET /inventory?month=2026-11 = %d\n%s", code, body)
	}
	inv, err := report.BuildInventory(context.Background(), st, report.InventoryOptions{Month: reporttest.InventoryMonth})
	must(t, "build the report's inventory", err)
	for id, want := range map[string]string{
		"in-force-count":  fmt.Sprint(inv.InForceUnpaid.Count),
		"in-force-sum":    ru.Money(inv.InForceUnpaid.Sum),
		"debtors":         fmt.Sprint(inv.InForceUnpaid.Debtors),
		"premises":        fmt.Sprint(inv.InForceUnpaid.Premises),
		"entered-count":   fmt.Sprint(inv.EnteredIntoForce.Count),
		"repaid-count":    fmt.Sprint(inv.Repaid.Count),
		"repaid-sum":      ru.Money(inv.Repaid.Sum),
		"cancelled-count": fmt.Sprint(inv.Cancelled.Count),
		"leaving-count":   fmt.Sprint(inv.LeavingWindow.Count),
		"agreement-count": fmt.Sprint(inv.UnderAgreement.Count),
		"requests-total":  fmt.Sprint(inv.Requests.Total),
		"requests-debt":   fmt.Sprint(inv.Requests.Debt),
		"requests-nodebt": fmt.Sprint(inv.Requests.NoDebt),
		"requests-share":  "67 %",
	} {
		m := regexp.MustCompile(`id="` + id + `">([^<]*)<`).FindStringSubmatch(body)
		if m == nil || m[1] != want {
			t.Errorf("#%s = %v; want %q (the report's figure)", id, m, want)
		}
	}
	// The fixture's own figures, so that a report and a page wrong alike are caught too.
	if inv.InForceUnpaid.Count != 4 || inv.InForceUnpaid.Sum != 5500000 {
		t.Errorf("report: in force and unpaid %+v; want 4 acts, 55 000,00", inv.InForceUnpaid.Figure)
	}
	for _, want := range []string{"Инвентаризация задолженности за ноябрь 2026", `<option value="2026-11" selected>ноябрь 2026</option>`,
		`<option value="2026-12">декабрь 2026</option>`, `id="chart-count"`, `id="chart-sum"`, `id="chart-debt"`,
		"<title>октябрь 2026: 5</title>", "<title>ноябрь 2026: 55\u00a0000,00\u00a0₽</title>", "<title>ноябрь 2026: 1</title>",
		"Иванова Мария Петровна", `href="/inventory" class="active"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<rect class="bar"`); n != 3*report.TrendMonths {
		t.Errorf("charts have %d bars; want %d", n, 3*report.TrendMonths)
	}
	// The header names the bearer-token user by the word the login gives it; the page is the rest.
	if w := ru.LatinWords(visibleText(t, body[strings.Index(body, "<main>"):])); len(w) > 0 {
		t.Errorf("the page shows Latin words %q", w)
	}

	code, body = get("/inventory")
	if code != http.StatusOK || !strings.Contains(body, "за декабрь 2026") || !strings.Contains(body, "месяц не закончился") {
		t.Errorf("GET /inventory = %d; want the current month, December 2026, marked as not over", code)
	}
	for _, bad := range []string{"2027-01", "ноябрь", "2026-13"} {
		if code, body := get("/inventory?month=" + bad); code != http.StatusBadRequest || !strings.Contains(body, "Месяц указан неверно") {
			t.Errorf("GET /inventory?month=%s = %d; want 400 with the reason", bad, code)
		}
	}
}
