package dashboard_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/dashboard/internal/cdp"
	"github.com/gisgw/gisgw/responder/demo"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/ru"
	"github.com/gisgw/gisgw/responder/store"
)

// target is the server under test for the browser test.
type target struct {
	BaseURL string
	Token   string
	// WantCounters and WantOrder are the exact overview when the data are known (the demo);
	// nil against another running dashboard, where only consistency is checked.
	WantCounters map[string]int
	WantOrder    []string
	// Agreement is a sub-request whose evidence names a repayment agreement (the demo's);
	// "" when not known.
	Agreement string
	// Demo is the demo under test, nil against another running dashboard. Correction is its
	// sub-request answered "debt" on act DA-564, which Repaid (a court-acts file) pays off.
	Demo       *demo.Demo
	Correction string
	Repaid     string
	// Store is the demo's store, to compare the inventory page with the report; nil against
	// another running dashboard.
	Store store.Store
}

// startTarget starts the server under test: the demo (`gisgw demo --serve`) in this process,
// its daemon running, so that a decided review item is really sent to the simulated GIS.
// With GISGW_DASHBOARD_URL (and GISGW_DASHBOARD_TOKEN) set it is that running dashboard.
func startTarget(t *testing.T) target {
	if u := os.Getenv("GISGW_DASHBOARD_URL"); u != "" {
		return target{BaseURL: strings.TrimRight(u, "/"), Token: os.Getenv("GISGW_DASHBOARD_TOKEN")}
	}
	ctx, cancel := context.WithCancel(context.Background())
	data := filepath.Join("..", "..", "testdata")
	d, err := demo.Start(ctx, demo.Options{DataDir: data, WorkDir: t.TempDir()})
	must(t, "start the demo", err)
	// One full pass first, so that the overview is settled when the browser reads it.
	must(t, "demo run", d.App.RunOnce(ctx))
	addr, err := d.App.Serve()
	must(t, "serve the dashboard", err)
	done := make(chan error, 1)
	go func() { done <- d.App.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		d.Close()
	})
	srs, err := d.App.Store().ListSubRequests(ctx, store.SubRequestFilter{States: []domain.State{domain.StateReview}})
	must(t, "list the review queue", err)
	var order []string
	for _, sr := range srs {
		order = append(order, sr.GUID)
	}
	// The demo's agreement (testdata/demo/agreements.csv) is on act DA-209 at D-K09.
	all, err := d.App.Store().ListSubRequests(ctx, store.SubRequestFilter{})
	must(t, "list sub-requests", err)
	// Act DA-564 at D-T64 is the one testdata/demo/court-acts-repaid.csv pays off.
	agreement, correction := "", ""
	for _, sr := range all {
		dec, err := d.App.Store().GetDecision(ctx, sr.GUID)
		if err != nil {
			continue
		}
		if slices.Contains(dec.PremisesIDs, "D-K09") {
			agreement = sr.GUID
		}
		if slices.Contains(dec.PremisesIDs, "D-T64") && dec.HasDebt && sr.State == domain.StateAnswered {
			correction = sr.GUID
		}
	}
	if agreement == "" {
		t.Fatalf("no demo sub-request is decided on premises D-K09, which has the agreement")
	}
	if correction == "" {
		t.Fatalf("no demo sub-request is answered «есть задолженность» on premises D-T64, whose act DA-564 the correction pays off")
	}
	// The demo data: 20 sub-requests pulled, 13 answered, 2 answered by GIS automatically
	// before the first pull, 5 waiting for a person, none overdue on the demo's date.
	return target{
		BaseURL:      "http://" + addr,
		Token:        d.Token,
		WantCounters: map[string]int{"total": 20, "answered": 13, "auto": 2, "review": 5, "ready": 0, "failed": 0, "overdue": 0},
		WantOrder:    order,
		Agreement:    agreement,
		Demo:         d,
		Correction:   correction,
		Repaid:       filepath.Join(data, "demo", "court-acts-repaid.csv"),
		Store:        d.App.Store(),
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Russian state labels the sub-request page shows.
var stateTexts = map[domain.State]string{
	domain.StateReady:    "готов к отправке",
	domain.StateSending:  "отправляется",
	domain.StateAnswered: "ответ отправлен",
}

// artifactDir is where screenshots go: $GISGW_TEST_ARTIFACTS when set, else the test's
// temporary directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("GISGW_TEST_ARTIFACTS"); d != "" {
		dir := filepath.Join(d, "dashboard")
		must(t, "artifact directory", os.MkdirAll(dir, 0o755))
		return dir
	}
	return t.TempDir()
}

// js quotes a Go string as a JavaScript literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

type openRow struct {
	GUID     string `json:"guid"`
	Deadline string `json:"deadline"`
	Class    string `json:"cls"`
}

func TestBrowser(t *testing.T) {
	exe, err := cdp.Find()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the browser test needs Chromium under CI: %v", err)
		}
		t.Skipf("skipping the browser test: %v", err)
	}
	tg := startTarget(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	b, err := cdp.Launch(ctx, exe)
	if err != nil {
		t.Fatalf("launch %s: %v", exe, err)
	}
	defer b.Close()
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatalf("new page: %v (browser: %s)", err, b.Stderr())
	}
	must(t, "viewport", p.SetViewport(ctx, 1280, 900))
	dir := artifactDir(t)
	shot := func(name string) {
		t.Helper()
		png, err := p.Screenshot(ctx)
		must(t, "screenshot", err)
		path := filepath.Join(dir, name)
		must(t, "save screenshot", os.WriteFile(path, png, 0o644))
		t.Logf("screenshot: %s", path)
	}
	eval := func(expr string, out any) {
		t.Helper()
		if err := p.Evaluate(ctx, expr, out); err != nil {
			t.Fatalf("evaluate: %v", err)
		}
	}
	// checkWords fails when the page shows the officer a Latin-letter word that is not on
	// ru's allow-list: an internal code or English leaking through.
	checkWords := func() {
		t.Helper()
		var page struct {
			URL  string `json:"url"`
			Text string `json:"text"`
		}
		eval(`({url: location.pathname + location.search, text: document.title + "\n" + document.body.innerText})`, &page)
		if w := ru.LatinWords(page.Text); len(w) > 0 {
			t.Errorf("%s shows Latin words %q to the officer", page.URL, w)
		}
	}
	navigate := func(path string) {
		t.Helper()
		if err := p.Navigate(ctx, tg.BaseURL+path); err != nil {
			t.Fatalf("navigate: %v", err)
		}
		checkWords()
	}
	const reviewer = "Браузерный Тест"

	// Log in with the token.
	navigate("/login")
	if err := p.EvaluateAndWait(ctx, `(() => { const f = document.getElementById("login");
		f.token.value = `+js(tg.Token)+`; f.elements["name"].value = `+js(reviewer)+`;
		f.querySelector("button[type=submit]").click(); return true })()`); err != nil {
		t.Fatalf("log in: %v", err)
	}
	var user string
	eval(`document.getElementById("user") ? document.getElementById("user").textContent : ""`, &user)
	if user != reviewer {
		var body string
		eval(`document.body.innerText`, &body)
		t.Fatalf("after login the page names user %q; want %q; page:\n%s", user, reviewer, body)
	}

	// The overview: counters and the open list by deadline, with colours.
	counters := func() map[string]int {
		t.Helper()
		var c map[string]int
		eval(`Object.fromEntries([...document.querySelectorAll("[data-counter]")].map(e => [e.dataset.counter, Number(e.querySelector(".n").textContent)]))`, &c)
		return c
	}
	before := counters()
	if tg.WantCounters != nil {
		for k, v := range tg.WantCounters {
			if before[k] != v {
				t.Errorf("counter %s = %d; want %d", k, before[k], v)
			}
		}
	}
	sum := before["new"] + before["review"] + before["ready"] + before["sending"] + before["answered"] + before["failed"] + before["auto"]
	if before["total"] != sum || before["due2"] < before["due1"] {
		t.Errorf("counters are inconsistent: %v", before)
	}
	var rows []openRow
	eval(`[...document.querySelectorAll("#open tbody tr")].map(r => ({guid: r.dataset.guid, deadline: r.dataset.deadline, cls: r.className}))`, &rows)
	var order []string
	for i, r := range rows {
		order = append(order, r.GUID)
		if i > 0 && r.Deadline < rows[i-1].Deadline {
			t.Errorf("open list not by deadline: %s (%s) after %s (%s)", r.GUID, r.Deadline, rows[i-1].GUID, rows[i-1].Deadline)
		}
	}
	if tg.WantOrder != nil && !slices.Equal(order, tg.WantOrder) {
		t.Errorf("open list = %v; want %v", order, tg.WantOrder)
	}
	// Rows near their deadline are coloured, as the stylesheet says.
	want := map[string]string{"overdue": "rgb(253, 226, 225)", "due1": "rgb(255, 232, 213)", "due2": "rgb(255, 246, 204)"}
	coloured := 0
	for _, r := range rows {
		for _, cls := range strings.Fields(r.Class) {
			w, ok := want[cls]
			if !ok {
				continue
			}
			coloured++
			var got string
			eval(`getComputedStyle(document.querySelector("#open tr[data-guid='`+r.GUID+`'] td")).backgroundColor`, &got)
			if got != w {
				t.Errorf("row %s (%s) has colour %q; want %q (stylesheet not applied?)", r.GUID, cls, got, w)
			}
		}
	}
	if tg.WantOrder != nil && coloured == 0 {
		t.Errorf("no open row is coloured; the demo has one due within two working days")
	}
	shot("overview.png")

	// The inventory page, reached from the menu: the month's figures are the report's.
	if err := p.EvaluateAndWait(ctx, `(() => { document.querySelector("header nav a[href='/inventory']").click(); return true })()`); err != nil {
		t.Fatalf("open the inventory from the menu: %v", err)
	}
	checkWords()
	var inv struct {
		Month   string `json:"month"`
		Title   string `json:"title"`
		Count   string `json:"count"`
		Sum     string `json:"sum"`
		Debtors string `json:"debtors"`
		Bars    int    `json:"bars"`
	}
	eval(`({month: document.getElementById("inventory").dataset.month, title: document.querySelector("h1").textContent,
		count: document.getElementById("in-force-count").textContent, sum: document.getElementById("in-force-sum").textContent,
		debtors: document.getElementById("debtors").textContent, bars: document.querySelectorAll("svg.chart rect.bar").length})`, &inv)
	if !strings.HasPrefix(inv.Title, "Инвентаризация задолженности за ") || inv.Bars != 3*report.TrendMonths {
		t.Errorf("inventory page: %+v; want its heading and three 12-month charts", inv)
	}
	if tg.Store != nil {
		month, err := time.Parse("2006-01", inv.Month)
		must(t, "the page's month", err)
		want, err := report.BuildInventory(ctx, tg.Store, report.InventoryOptions{Month: month})
		must(t, "the report's inventory", err)
		if inv.Count != strconv.Itoa(want.InForceUnpaid.Count) || inv.Sum != ru.Money(want.InForceUnpaid.Sum) ||
			inv.Debtors != strconv.Itoa(want.InForceUnpaid.Debtors) {
			t.Errorf("inventory page shows %+v; the report has %d acts, %s, %d debtors", inv,
				want.InForceUnpaid.Count, ru.Money(want.InForceUnpaid.Sum), want.InForceUnpaid.Debtors)
		}
		if want.InForceUnpaid.Count == 0 {
			t.Errorf("the demo's inventory has no act in force and unpaid; the page is not really checked")
		}
	}
	shot("inventory.png")

	// Decide the first review item (the earliest deadline) through the form.
	navigate("/review")
	var queue []string
	eval(`[...document.querySelectorAll("section.item")].map(s => s.dataset.guid)`, &queue)
	if len(queue) == 0 {
		t.Fatalf("the review queue is empty")
	}
	if before["review"] != len(queue) {
		t.Errorf("review counter %d, queue shows %d", before["review"], len(queue))
	}
	guid := queue[0]
	decideWith := func(choice string) string {
		t.Helper()
		navigate("/review")
		if err := p.EvaluateAndWait(ctx, `(() => { const f = document.getElementById("sr-" + `+js(guid)+`).querySelector("form.decide");
			f.querySelector("input[name=choice][value=`+choice+`]").checked = true;
			f.comment.value = "Проверено в браузерном тесте";
			f.querySelector("button[type=submit]").click(); return true })()`); err != nil {
			t.Fatalf("submit the review form: %v", err)
		}
		checkWords()
		var msg string
		eval(`document.getElementById("error") ? document.getElementById("error").textContent : ""`, &msg)
		return msg
	}
	shot("review.png")
	if msg := decideWith("confirm"); msg != "" {
		t.Logf("confirming the proposal of %s was refused (%s); deciding «нет задолженности» instead", guid, msg)
		if msg := decideWith("nodebt"); msg != "" {
			t.Fatalf("the review of %s was refused: %s", guid, msg)
		}
	}
	var after struct {
		URL    string   `json:"url"`
		Notice bool     `json:"notice"`
		Queue  []string `json:"queue"`
	}
	eval(`({url: location.href, notice: !!document.getElementById("done"), queue: [...document.querySelectorAll("section.item")].map(s => s.dataset.guid)})`, &after)
	if !strings.Contains(after.URL, "done="+guid) || !after.Notice || slices.Contains(after.Queue, guid) {
		t.Fatalf("after the decision: %+v; want the notice and %s out of the queue", after, guid)
	}

	// It is ready to send (or, with a real daemon, already on its way).
	stateOf := func() string {
		t.Helper()
		navigate("/subrequests/" + guid)
		var s string
		eval(`document.getElementById("state").textContent`, &s)
		return s
	}
	s := stateOf()
	// The daemon may already have taken it.
	ok := s == stateTexts[domain.StateReady] || s == stateTexts[domain.StateSending] || s == stateTexts[domain.StateAnswered]
	if !ok {
		t.Fatalf("after the review the sub-request is %q; want %q", s, stateTexts[domain.StateReady])
	}
	// The daemon sends it; the page shows it answered, with the review in the audit trail.
	deadline := time.Now().Add(90 * time.Second)
	for s = stateOf(); s != stateTexts[domain.StateAnswered]; s = stateOf() {
		if time.Now().After(deadline) {
			t.Fatalf("the sub-request is still %q; want %q", s, stateTexts[domain.StateAnswered])
		}
		select {
		case <-ctx.Done():
			t.Fatal(errors.Join(ctx.Err(), errors.New("waiting for the answer")))
		case <-time.After(time.Second):
		}
	}
	var reviewed bool
	eval(`[...document.querySelectorAll("#audit tbody tr")].some(r => r.cells[1].textContent === `+js(reviewer)+` && r.cells[2].textContent === "решение сотрудника")`, &reviewed)
	if !reviewed {
		t.Errorf("the audit trail does not show the review by %q", reviewer)
	}
	shot("subrequest-answered.png")
	navigate("/")
	if c := counters(); c["answered"] != before["answered"]+1 && tg.WantCounters != nil {
		t.Errorf("answered counter = %d; want %d", c["answered"], before["answered"]+1)
	}
	shot("overview-after.png")

	// The tiles «ответ отправлен» and «сформирован ГИС автоматически» open their lists.
	for _, tile := range []string{"answered", "auto"} {
		navigate("/")
		c := counters()
		if err := p.EvaluateAndWait(ctx, `(() => { document.querySelector("a[data-counter=`+tile+`]").click(); return true })()`); err != nil {
			t.Fatalf("open the %s tile: %v", tile, err)
		}
		checkWords()
		var n int
		eval(`document.querySelectorAll("#list tbody tr").length`, &n)
		if n != c[tile] {
			t.Errorf("the %s tile counts %d, its list shows %d", tile, c[tile], n)
		}
		shot("list-" + tile + ".png")
	}

	// The agreement is in the evidence of its sub-request.
	if tg.Agreement != "" {
		navigate("/subrequests/" + tg.Agreement)
		var text string
		eval(`document.body.innerText`, &text)
		if !strings.Contains(text, "соглашение о погашении задолженности № 15/2026") || !strings.Contains(text, "Соглашения о погашении задолженности и рассрочки") {
			t.Errorf("the sub-request with the demo's agreement does not show it in the evidence:\n%s", text)
		}
		shot("subrequest-agreement.png")
	}

	// A correction of a sent answer (LEGAL-RULES §10.7), through the real screens.
	if tg.Demo != nil {
		correctSentAnswer(ctx, t, tg, p, reviewer, navigate, eval, checkWords, shot)
	}

	// Several «нет задолженности» proposals confirmed at once, with one comment; the daemon
	// sends each.
	navigate("/review")
	var offered []string
	eval(`[...document.querySelectorAll("#bulk input[name=guid]")].map(e => e.value)`, &offered)
	if len(offered) < 2 {
		if tg.WantCounters != nil {
			t.Fatalf("the bulk form offers %d proposals; the demo has at least two «нет задолженности» proposals in review", len(offered))
		}
		return
	}
	shot("review-bulk.png")
	if err := p.EvaluateAndWait(ctx, `(() => { const f = document.getElementById("bulk");
		f.querySelectorAll("input[name=guid]").forEach(e => { e.checked = true });
		f.comment.value = "Проверено списком в браузерном тесте";
		f.querySelector("button[type=submit]").click(); return true })()`); err != nil {
		t.Fatalf("submit the bulk form: %v", err)
	}
	checkWords()
	var bulk struct {
		Notice string   `json:"notice"`
		Error  string   `json:"error"`
		Queue  []string `json:"queue"`
	}
	eval(`({notice: document.getElementById("confirmed") ? document.getElementById("confirmed").textContent : "",
		error: document.getElementById("error") ? document.getElementById("error").textContent : "",
		queue: [...document.querySelectorAll("section.item")].map(s => s.dataset.guid)})`, &bulk)
	if bulk.Error != "" || !strings.Contains(bulk.Notice, strconv.Itoa(len(offered))) {
		t.Fatalf("after the bulk confirmation: %+v; want the notice of %d", bulk, len(offered))
	}
	for _, g := range offered {
		if slices.Contains(bulk.Queue, g) {
			t.Errorf("%s is still in the queue after the bulk confirmation", g)
		}
	}
	for _, g := range offered {
		guid = g
		for s = stateOf(); s != stateTexts[domain.StateAnswered]; s = stateOf() {
			if time.Now().After(deadline.Add(60 * time.Second)) {
				t.Fatalf("%s is still %q after the bulk confirmation; want %q", g, s, stateTexts[domain.StateAnswered])
			}
			select {
			case <-ctx.Done():
				t.Fatal(errors.Join(ctx.Err(), errors.New("waiting for the bulk answers")))
			case <-time.After(time.Second):
			}
		}
		var reviewed bool
		eval(`[...document.querySelectorAll("#audit tbody tr")].some(r => r.cells[1].textContent === `+js(reviewer)+` && r.cells[2].textContent === "решение сотрудника" && r.cells[3].textContent.includes("Проверено списком"))`, &reviewed)
		if !reviewed {
			t.Errorf("the audit trail of %s does not show the bulk confirmation by %q", g, reviewer)
		}
	}
	shot("bulk-answered.png")
}

// correctSentAnswer drives a correction end to end: the demo's "debt" answer on act DA-564
// is sent; the act is imported as paid off, which re-checks the sent answers; the review
// page shows both answers side by side and keeps the correction out of the bulk
// confirmation; the officer chooses «нет задолженности» with a comment; the daemon revokes
// the sent answer and sends the new one, and the audit trail shows each step in Russian.
func correctSentAnswer(ctx context.Context, t *testing.T, tg target, p *cdp.Page, reviewer string,
	navigate func(string), eval func(string, any), checkWords func(), shot func(string)) {
	t.Helper()
	g, sim := tg.Correction, tg.Demo.Sim
	if r, s := sim.Revokes(g), sim.Sends(g); r != 0 || s != 1 {
		t.Fatalf("before the correction GIS recorded %d revokes and %d sends for %s; want 0 and 1", r, s, g)
	}
	n, err := tg.Demo.ImportCourtActs(ctx, tg.Repaid)
	if err != nil || n < 1 {
		t.Fatalf("import %s = %d corrections, %v; want the answer on DA-564 back in review", tg.Repaid, n, err)
	}
	correction := func() string {
		t.Helper()
		var c string
		eval(`document.getElementById("correction") ? document.getElementById("correction").textContent : ""`, &c)
		return c
	}
	navigate("/subrequests/" + g)
	if c := correction(); c != "Исправление отправленного ответа: ждёт решения сотрудника." {
		t.Errorf("the sub-request page says %q about the correction; want that it waits for a person", c)
	}

	navigate("/review")
	var item struct {
		Found   bool     `json:"found"`
		Heads   []string `json:"heads"`
		Cells   []string `json:"cells"`
		Reasons string   `json:"reasons"`
		Keep    string   `json:"keep"`
		Bulk    []string `json:"bulk"`
	}
	eval(`(() => { const s = document.getElementById("sr-" + `+js(g)+`);
		const bulk = [...document.querySelectorAll("#bulk input[name=guid]")].map(e => e.value);
		if (!s) return {found: false, bulk};
		const keep = s.querySelector("input[name=choice][value=keep]");
		return {found: true,
			heads: [...s.querySelectorAll("table.correction th")].map(e => e.textContent.trim()),
			cells: [...s.querySelectorAll("table.correction td")].map(e => e.innerText.trim()),
			reasons: s.querySelector("ul.reasons") ? s.querySelector("ul.reasons").innerText : "",
			keep: keep ? keep.parentElement.textContent.trim() : "",
			bulk} })()`, &item)
	if !item.Found {
		t.Fatalf("the review queue does not show the correction of %s", g)
	}
	if !slices.Equal(item.Heads, []string{"отправленный ответ", "ответ по текущим данным"}) {
		t.Errorf("the correction's columns are %q; want «отправленный ответ» and «ответ по текущим данным»", item.Heads)
	}
	const debtor = "Егорова Татьяна Михайловна"
	if len(item.Cells) != 2 ||
		!strings.Contains(item.Cells[0], "есть задолженность") || !strings.Contains(item.Cells[0], debtor) ||
		!strings.Contains(item.Cells[1], "нет задолженности") || strings.Contains(item.Cells[1], debtor) {
		t.Errorf("the correction shows %q; want the sent «есть задолженность» (%s) beside «нет задолженности» by the current data", item.Cells, debtor)
	}
	if !strings.Contains(item.Reasons, "ответ больше не соответствует данным организации") {
		t.Errorf("the correction's reasons are %q; want «ответ больше не соответствует данным организации»", item.Reasons)
	}
	if item.Keep != "отправленный ответ верен, ничего не отправлять" {
		t.Errorf("the option to keep the sent answer reads %q", item.Keep)
	}
	if slices.Contains(item.Bulk, g) {
		t.Errorf("the bulk confirmation offers the correction of %s; a correction is decided alone", g)
	}
	eval(`(() => { document.getElementById("sr-" + `+js(g)+`).scrollIntoView(); return true })()`, new(bool))
	shot("review-correction.png")

	// A bulk confirmation forged for the correction is refused: it would not revoke anything.
	if err := p.EvaluateAndWait(ctx, `(() => { const s = document.getElementById("sr-" + `+js(g)+`);
		const f = document.createElement("form"); f.method = "post"; f.action = "/review/bulk";
		const add = (n, v) => { const i = document.createElement("input"); i.type = "hidden"; i.name = n; i.value = v; f.appendChild(i) };
		add("csrf", s.querySelector("input[name=csrf]").value); add("guid", `+js(g)+`);
		add("proposal-" + `+js(g)+`, s.querySelector("input[name=proposal]").value); add("comment", "подделка");
		document.body.appendChild(f); f.submit(); return true })()`); err != nil {
		t.Fatalf("submit a bulk confirmation of the correction: %v", err)
	}
	checkWords()
	var refused string
	eval(`document.body.innerText`, &refused)
	if !strings.Contains(refused, "Подтверждено: 0") || !strings.Contains(refused, "исправление отправленного ответа") {
		t.Errorf("a bulk confirmation of the correction was not refused; the page says:\n%s", refused)
	}

	// The officer answers «нет задолженности», with a comment.
	const comment = "Долг по делу 2-5564/2025 погашен: исправлено в браузерном тесте"
	navigate("/review")
	if err := p.EvaluateAndWait(ctx, `(() => { const f = document.getElementById("sr-" + `+js(g)+`).querySelector("form.decide");
		f.querySelector("input[name=choice][value=nodebt]").checked = true;
		f.comment.value = `+js(comment)+`;
		f.querySelector("button[type=submit]").click(); return true })()`); err != nil {
		t.Fatalf("submit the correction: %v", err)
	}
	checkWords()
	var after struct {
		Error  string   `json:"error"`
		Notice bool     `json:"notice"`
		Queue  []string `json:"queue"`
	}
	eval(`({error: document.getElementById("error") ? document.getElementById("error").textContent : "",
		notice: !!document.getElementById("done"),
		queue: [...document.querySelectorAll("section.item")].map(s => s.dataset.guid)})`, &after)
	if after.Error != "" || !after.Notice || slices.Contains(after.Queue, g) {
		t.Fatalf("after the correction: %+v; want the notice and %s out of the queue", after, g)
	}

	// The daemon revokes the sent answer, waits for GIS to confirm, then sends the new one.
	deadline := time.Now().Add(90 * time.Second)
	for sim.Revokes(g) < 1 || sim.Sends(g) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("GIS recorded %d revokes and %d sends for %s; want 1 and 2", sim.Revokes(g), sim.Sends(g), g)
		}
		select {
		case <-ctx.Done():
			t.Fatal(errors.Join(ctx.Err(), errors.New("waiting for the correction")))
		case <-time.After(500 * time.Millisecond):
		}
	}
	var final string
	for final != stateTexts[domain.StateAnswered] {
		if time.Now().After(deadline) {
			t.Fatalf("%s is %q after GIS took the corrected answer; want %q", g, final, stateTexts[domain.StateAnswered])
		}
		navigate("/subrequests/" + g)
		eval(`document.getElementById("state").textContent`, &final)
		if final != stateTexts[domain.StateAnswered] {
			time.Sleep(300 * time.Millisecond)
		}
	}
	if r, s := sim.Revokes(g), sim.Sends(g); r != 1 || s != 2 {
		t.Errorf("GIS recorded %d revokes and %d sends for %s; want exactly 1 and 2", r, s, g)
	}
	if c := correction(); c != "" {
		t.Errorf("the finished correction is still shown as under way: %q", c)
	}
	for _, a := range sim.Answers() {
		if a.SubrequestGUID == g && (a.ResponseStatus != "Sent" || a.HasDebt == nil || *a.HasDebt) {
			t.Errorf("GIS holds %+v for %s; want «нет задолженности» sent", a, g)
		}
	}

	// The audit trail tells the correction step by step, in Russian.
	var audit [][]string
	eval(`[...document.querySelectorAll("#audit tbody tr")].map(r => [...r.cells].map(c => c.textContent))`, &audit)
	var steps []string
	reviewed, revoked := false, false
	for _, r := range audit {
		if len(r) < 4 {
			continue
		}
		if r[2] == "результат отправки в ГИС ЖКХ" && strings.Contains(r[3], "ГИС ЖКХ приняла отзыв ответа; отзыв ответа") {
			revoked = true
		}
		if r[2] == "исправление отправленного ответа" {
			steps = append(steps, r[3])
		}
		if r[1] == reviewer && r[2] == "решение сотрудника" && strings.Contains(r[3], comment) {
			reviewed = true
		}
	}
	wantSteps := []string{"предложено исправление", "утвердил исправление", "подтвердила отзыв", "приняла исправленный ответ"}
	if len(steps) != len(wantSteps) {
		t.Errorf("the audit trail shows correction steps %q; want %d: %q", steps, len(wantSteps), wantSteps)
	} else {
		for i, w := range wantSteps {
			if !strings.Contains(steps[i], w) {
				t.Errorf("correction step %d is %q; want it to say %q", i+1, steps[i], w)
			}
		}
	}
	if !reviewed {
		t.Errorf("the audit trail does not show the correction decided by %q with the comment", reviewer)
	}
	if !revoked {
		t.Errorf("the audit trail does not show GIS accepting the revoke: %q", audit)
	}
	shot("subrequest-corrected.png")

	// `gisgw report` notes the finished correction on the row.
	rep, err := report.Build(ctx, tg.Demo.App.Store(), report.Options{Today: tg.Demo.Now(), IncludeClosed: true})
	must(t, "build the report", err)
	if i := slices.IndexFunc(rep.Rows, func(r report.Row) bool { return r.GUID == g }); i < 0 || !strings.Contains(rep.Rows[i].Note, report.NoteCorrected) {
		t.Errorf("the report does not note the finished correction of %s: %+v", g, rep.Rows)
	}
}
