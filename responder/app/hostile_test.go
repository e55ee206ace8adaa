package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/store"
)

// hostileRefusals are GIS error texts that quote debtors (name, initials, two-part name,
// SNILS, passport in every spelling) and start with a formula or a bidi override.
var hostileRefusals = []string{
	`=HYPERLINK("http://evil.example/","Открыть") Должник Иванов Иван Иванович, СНИЛС 123-456-789 01`,
	"\u202eСобственник Петров П.П., паспорт серия 4506 номер 123456, СНИЛС 98765432109",
	"+Получатель Анна Смирнова: паспорт 45 07 654321, документ 4508765432",
}

// hostileSecrets must reach no output channel.
var hostileSecrets = []string{"Иванов", "Иванович", "123-456-789 01", "Петров П.П.", "4506", "123456", "98765432109",
	"Смирнова", "45 07 654321", "654321", "4508765432"}

// A full daemon pass against the simulator over HTTP with hostile GIS texts: refusals that
// quote debtors, requester names and request numbers that are formulas or carry U+202E.
// The log, the webhook and e-mail bodies, the reports and the dashboard's pages are grepped.
func TestHostileGISTexts(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	w := apptest.NewWorld(t, 12, 3, apptest.Today)
	recs, err := csv.NewReader(bytes.NewReader(w.Scenario)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	refuse := map[string]string{}
	for i, rec := range recs[1:] {
		switch i % 3 {
		case 0:
			rec[col["requester_name"]] = "=cmd|' /C calc'!A0"
		case 1:
			rec[col["requester_name"]] = "\u202eУСЗН района"
		}
		if i < len(hostileRefusals) {
			rec[col["request_number"]] = "@SUM(1+1)"
			refuse[rec[col["subrequest_guid"]]] = hostileRefusals[i]
		}
	}
	var scenario bytes.Buffer
	if err := csv.NewWriter(&scenario).WriteAll(recs); err != nil {
		t.Fatal(err)
	}

	base := time.Now()
	now := func() time.Time { return apptest.Today.Add(time.Since(base)) }
	sim := gissim.New(gissim.Options{Now: now, Delay: 10 * time.Millisecond, Seed: 5, Verify: gissim.VerifySignatures(nil),
		CheckAttachments: true, RefuseSends: refuse})
	sim.SetToday(apptest.Today)
	if err := sim.LoadScenario(&scenario); err != nil {
		t.Fatalf("load scenario: %v", err)
	}
	gis := httptest.NewServer(sim.Handler())
	t.Cleanup(gis.Close)
	hook := &bodies{}
	hookSrv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hook.add(string(b))
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hookSrv.Close)
	mails := &bodies{}
	smtpAddr := smtpSink(t, mails)

	const token = "hostile-test-token-0123456789abcdef"
	key, cert := apptest.TestKey(t)
	cfg := config.Config{
		DB:     filepath.Join(t.TempDir(), "gisgw.db"),
		Listen: "127.0.0.1:0",
		GIS: config.GIS{
			Endpoint: gis.URL,
			Poll:     []config.Duration{config.Duration(10 * time.Millisecond), config.Duration(30 * time.Millisecond)},
			Retry:    config.Retry{Initial: config.Duration(5 * time.Millisecond), Max: config.Duration(20 * time.Millisecond), MaxRetries: 5},
		},
		Signing:       config.Signing{Key: key, Cert: cert},
		Organizations: []config.Organization{{OrgPPAGUID: apptest.Org, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"}},
		Pipeline:      config.Pipeline{Lease: config.Duration(3 * time.Second), Settle: config.Duration(time.Second)},
		Dashboard:     config.Dashboard{Token: token, URL: "https://gisgw.example.ru"},
		Alerts: config.Alerts{DaysBefore: 2, Webhook: hookSrv.URL + "/hook",
			SMTP: config.SMTP{Addr: smtpAddr, From: "gisgw@example.ru"}, To: []string{"officer@example.ru"}},
	}
	var logs lockedBuffer
	log, err := app.NewLogger(&logs, "debug", "json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, cfg, app.Deps{Logger: log, Now: now, Registry: prometheus.NewRegistry(), Owner: "hostile"})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	st := a.Store()
	if _, err := st.ImportPremises(ctx, "", w.Premises); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportCourtActs(ctx, "", w.Acts); err != nil {
		t.Fatal(err)
	}
	var failed []domain.SubRequest
	for ctx.Err() == nil {
		_ = a.RunOnce(ctx)
		if failed, err = st.ListSubRequests(ctx, store.SubRequestFilter{States: []domain.State{domain.StateFailed}}); err != nil {
			t.Fatal(err)
		}
		if len(failed) == len(refuse) && len(hook.all()) > 0 && len(mails.all()) > 0 {
			break
		}
	}
	if len(failed) != len(refuse) {
		t.Fatalf("%d sub-requests failed; want the %d GIS refused", len(failed), len(refuse))
	}
	for _, sr := range failed {
		if sr.ErrorText != refuse[sr.GUID] {
			t.Fatalf("store holds %q for %s; want GIS's whole text %q (the database keeps it)", sr.ErrorText, sr.GUID, refuse[sr.GUID])
		}
	}

	outputs := map[string]string{"log": logs.tail(1 << 24), "webhook": strings.Join(hook.all(), "\n"), "e-mail": strings.Join(mails.all(), "\n")}
	dash := httptest.NewServer(a.Handler())
	t.Cleanup(dash.Close)
	pages := []string{"/", "/failed", "/review"}
	for _, sr := range failed {
		pages = append(pages, "/subrequests/"+sr.GUID)
	}
	for _, p := range pages {
		body := get(t, dash.URL+p, token)
		outputs["dashboard "+p] = body
		assertBidiIsolated(t, p, body)
	}
	rep, err := report.Build(ctx, st, report.Options{Today: apptest.Today, IncludeClosed: true})
	if err != nil {
		t.Fatal(err)
	}
	var csvOut, xlsxOut, htmlOut bytes.Buffer
	if err := rep.WriteCSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteXLSX(&xlsxOut); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteHTML(&htmlOut); err != nil {
		t.Fatal(err)
	}
	outputs["CSV report"], outputs["HTML report"] = csvOut.String(), htmlOut.String()
	outputs["XLSX report"] = strings.Join(xlsxCells(t, xlsxOut.Bytes()), "\n")

	for where, out := range outputs {
		for _, s := range hostileSecrets {
			if at := secretAt(out, s); at >= 0 {
				t.Errorf("%s carries the personal data %q: …%s…", where, s, out[max(0, at-200):min(len(out), at+len(s)+200)])
			}
		}
	}
	for _, where := range []string{"log", "webhook", "e-mail", "dashboard /failed", "CSV report", "XLSX report", "HTML report"} {
		if !strings.Contains(outputs[where], "***") {
			t.Errorf("%s shows no masked GIS error; the refusals did not reach it", where)
		}
	}
	if !strings.Contains(outputs["e-mail"], "https://gisgw.example.ru/subrequests/"+failed[0].GUID+"\r\n") ||
		strings.Contains(outputs["webhook"], "/subrequests/{guid}") || strings.Count(outputs["webhook"], "/subrequests/") < len(failed) {
		t.Errorf("alert links are not dashboard.url + /subrequests/{guid}:\n%s\n%s", outputs["e-mail"], outputs["webhook"])
	}

	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvOut.Bytes(), []byte("\uFEFF"))))
	r.Comma = ';'
	csvRecs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV report does not parse: %v", err)
	}
	assertNoFormula(t, "CSV report", csvRecs)
	assertNoFormula(t, "XLSX report", [][]string{xlsxCells(t, xlsxOut.Bytes())})
	if !strings.Contains(csvOut.String(), "'=cmd|") || !strings.Contains(csvOut.String(), "'@SUM(1+1)") {
		t.Errorf("CSV report lacks the neutralized requester or request number")
	}
}

// bodies collects what a receiver got.
type bodies struct {
	mu  sync.Mutex
	got []string
}

func (b *bodies) add(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, s)
}

func (b *bodies) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

// smtpSink accepts mail on a local port and records each message's body, decoded from
// quoted-printable (the alerter's encoding); it offers no STARTTLS and no AUTH.
func smtpSink(t *testing.T, got *bodies) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				rd, wr := bufio.NewReader(c), bufio.NewWriter(c)
				say := func(s string) { wr.WriteString(s + "\r\n"); wr.Flush() }
				say("220 sink")
				for {
					line, err := rd.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						say("250 sink")
					case cmd == "DATA":
						say("354 go on")
						var msg strings.Builder
						for {
							l, err := rd.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
							msg.WriteString(l)
						}
						_, body, _ := strings.Cut(msg.String(), "\r\n\r\n")
						dec, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
						got.add(string(dec))
						say("250 queued")
					case cmd == "QUIT":
						say("221 bye")
						return
					default:
						say("250 ok")
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func get(t *testing.T, url, token string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d\n%s", url, resp.StatusCode, b)
	}
	return string(b)
}

// assertBidiIsolated checks that every U+202E on a page is inside a <bdi> element.
func assertBidiIsolated(t *testing.T, page, body string) {
	t.Helper()
	for i := strings.Index(body, "\u202e"); i >= 0; {
		before := body[:i]
		if strings.LastIndex(before, "<bdi>") <= strings.LastIndex(before, "</bdi>") {
			t.Errorf("%s shows U+202E outside <bdi>: …%s…", page, body[max(0, i-80):i])
		}
		next := strings.Index(body[i+1:], "\u202e")
		if next < 0 {
			break
		}
		i += 1 + next
	}
}

func xlsxCells(t *testing.T, data []byte) []string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetRows)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, row := range rows[1:] {
		out = append(out, row...)
	}
	return out
}

// assertNoFormula fails on a cell a spreadsheet would evaluate; plain numbers ("-1") and
// the report's own days-left text ("-1 (просрочен)") are not formulas from GIS.
func assertNoFormula(t *testing.T, what string, rows [][]string) {
	t.Helper()
	for _, row := range rows {
		for _, cell := range row {
			if cell == "" || !strings.ContainsRune("=+@\t\r", rune(cell[0])) {
				continue
			}
			t.Errorf("%s cell %q would be evaluated by a spreadsheet", what, cell)
		}
	}
}

var guidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// secretAt is where out shows secret, or -1. A number counts only standing alone, as GIS's
// texts quote it: "4506" inside a longer number, a timestamp or a random GUID's group is no
// leak (the test failed now and then on such a GUID in the log).
func secretAt(out, secret string) int {
	// A GUID's four-digit group ("-4506-") is a random identifier, not a passport series.
	out = guidPattern.ReplaceAllStringFunc(out, func(g string) string { return strings.Repeat("x", len(g)) })
	if strings.Trim(secret, "0123456789 -") != "" {
		return strings.Index(out, secret)
	}
	alnum := func(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
	for i := 0; ; {
		j := strings.Index(out[i:], secret)
		if j < 0 {
			return -1
		}
		start, end := i+j, i+j+len(secret)
		before, _ := utf8.DecodeLastRuneInString(out[:start])
		after, _ := utf8.DecodeRuneInString(out[end:])
		if (start == 0 || !alnum(before)) && (end == len(out) || !alnum(after)) {
			return start
		}
		i = start + 1
	}
}

func TestSecretAt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		out, secret string
		want        int
	}{
		{`"guid":"0f3c2a1b-4506-4d2e-9a7b-123456789abc"`, "4506", -1},
		{`"guid":"0f3c2a1b-4506-4d2e-9a7b-123456789abc"`, "123456", -1},
		{`"id":145067`, "4506", -1},
		{`серия 4506 номер`, "4506", len("серия ")},
		{`"err":"4506-123456"`, "123456", len(`"err":"4506-`)},
		{`Иванов И.И.`, "Иванов", 0},
	} {
		if got := secretAt(tc.out, tc.secret); got != tc.want {
			t.Errorf("secretAt(%q, %q) = %d; want %d", tc.out, tc.secret, got, tc.want)
		}
	}
}
