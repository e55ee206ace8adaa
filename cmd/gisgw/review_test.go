package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/dashboard"
	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/report/reporttest"
	"github.com/gisgw/gisgw/responder/ru"
)

func TestReviewList(t *testing.T) {
	t.Parallel()
	db := seededDB(t)
	code, stdout, stderr := runCLI(t, "review", "list", "--db", db, "--today", "2026-03-16")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"На проверке: 3", reporttest.ReviewReason, "решение не предложено", "-5 (просрочен)", "есть долг (должников: 1)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, stdout)
		}
	}
	// By deadline: 6 (06.03), 2 (17.03), 14 (19.03).
	i6, i2, i14 := strings.Index(stdout, reporttest.GUID(6)), strings.Index(stdout, reporttest.GUID(2)), strings.Index(stdout, reporttest.GUID(14))
	if i6 < 0 || i2 < i6 || i14 < i2 {
		t.Errorf("list is not by deadline (6, 2, 14):\n%s", stdout)
	}
	if code, stdout, _ := runCLI(t, "review", "list", "--db", db, "--org", reporttest.OrgB); code != 0 || !strings.Contains(stdout, "Очередь проверки пуста") {
		t.Errorf("OrgB's queue: code %d, stdout %q; want empty", code, stdout)
	}
}

func TestReviewShow(t *testing.T) {
	t.Parallel()
	db := seededDB(t)
	code, stdout, stderr := runCLI(t, "review", "show", reporttest.GUID(2), "--db", db, "--today", "2026-03-16")
	if code != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"Подзапрос " + reporttest.GUID(2), "Состояние:", "на проверке", "УСЗН района Хамовники",
		"Срок ответа:", "17.03.2026 (осталось рабочих дней: 1)",
		"Сопоставление: по дому и квартире; помещения: P-002",
		"Предложенное решение: есть долг (должников: 1)",
		"должник 1: Иванов Иван Иванович; СНИЛС указан; документ личности указан; файлы актов: prikaz-2-123.pdf",
		"акт A-1 — учтён: вступил в силу", "акт A-2 — не учтён: отменён 01.02.2026",
		"причины проверки:", ru.Reason(reporttest.ReviewReason), "История:", "получен из ГИС ЖКХ", "решение по правилам",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, stdout)
		}
	}
	for _, secret := range []string{reporttest.Debtor.SNILS, reporttest.Debtor.DocNumber} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("show prints a SNILS or document number %q", secret)
		}
	}
	code, stdout, _ = runCLI(t, "review", "show", "--db", db, reporttest.GUID(6))
	if code != 0 || !strings.Contains(stdout, "заметки:") || !strings.Contains(stdout, "нет долга") {
		t.Errorf("show 6: code %d; want its notes and the no-debt proposal:\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "review", "show", "--db", db, reporttest.GUID(7))
	if code != 0 || !strings.Contains(stdout, "SRV006001: Подзапрос уже обработан") || !strings.Contains(stdout, "отправляется → ответ отклонён ГИС ЖКХ") {
		t.Errorf("show 7: code %d; want GIS's error in the fields and the trail:\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "review", "show", "--db", db, reporttest.GUID(14))
	if code != 0 || !strings.Contains(stdout, "Решение не предложено") {
		t.Errorf("show 14: code %d; want no proposal:\n%s", code, stdout)
	}
	if code, _, stderr := runCLI(t, "review", "show", "--db", db, "nope"); code != 1 || !strings.Contains(stderr, "not in the store") {
		t.Errorf("unknown GUID: code %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "review", "show", "--db", db); code != 1 || !strings.Contains(stderr, "exactly one sub-request GUID") {
		t.Errorf("no GUID: code %d, stderr %q", code, stderr)
	}
}

func TestReviewDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		n        int
		args     []string
		hasDebt  bool
		debtors  int
		desc     string
		wantOut  string
		wantNote string
	}{
		{"debt keeps the debtors", 2, []string{"--as", "debt", "--by", "ivanova", "--comment", "checked the order"},
			true, 1, "задолженность подтверждена судебным приказом", "есть долг (должников: 1), recorded by ivanova", "checked the order"},
		{"proposed as it is", 2, []string{"--as", "proposed", "--by", "ivanova"},
			true, 1, "задолженность подтверждена судебным приказом", "есть долг (должников: 1)", ""},
		{"no debt clears the debtors and the proposal's text", 2, []string{"--as", "no-debt", "--by", "petrov", "--comment", "paid in full"},
			false, 0, "", "нет долга, recorded by petrov", "paid in full"},
		{"no debt with a description", 6, []string{"--by", "petrov", "--as", "no-debt", "--description", "судебных актов нет"},
			false, 0, "судебных актов нет", "нет долга", ""},
		{"no debt without a proposal", 14, []string{"--as", "no-debt", "--by", "petrov"},
			false, 0, "", "нет долга", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := seededDB(t)
			guid := reporttest.GUID(tc.n)
			code, stdout, stderr := runCLI(t, append([]string{"review", "decide", guid, "--db", db}, tc.args...)...)
			if code != 0 || !strings.Contains(stdout, tc.wantOut) || !strings.Contains(stdout, "ready («готов к отправке»)") {
				t.Fatalf("code %d, stdout %q, stderr %q; want %q", code, stdout, stderr, tc.wantOut)
			}
			st, err := storeopen.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ctx := context.Background()
			sr, err := st.GetSubRequest(ctx, guid)
			if err != nil || sr.State != domain.StateReady {
				t.Fatalf("state = %q (%v); want ready", sr.State, err)
			}
			d, err := st.GetDecision(ctx, guid)
			if err != nil {
				t.Fatal(err)
			}
			if d.HasDebt != tc.hasDebt || len(d.DebtInfo) != tc.debtors || d.Description != tc.desc || d.Review || d.DecidedBy == "" {
				t.Errorf("decision = hasDebt %t, %d debtors, description %q, review %t, by %q; want %t, %d, %q, false, the login",
					d.HasDebt, len(d.DebtInfo), d.Description, d.Review, d.DecidedBy, tc.hasDebt, tc.debtors, tc.desc)
			}
			audit, err := st.Audit(ctx, guid)
			if err != nil {
				t.Fatal(err)
			}
			last := audit[len(audit)-1]
			if last.Action != "reviewed" || last.Actor != d.DecidedBy || !strings.Contains(last.Detail, tc.wantNote) {
				t.Errorf("last audit entry = %+v; want reviewed by %s with %q", last, d.DecidedBy, tc.wantNote)
			}
			// Decided once: a second decision is refused, the sub-request is no longer in review.
			code, _, stderr = runCLI(t, append([]string{"review", "decide", guid, "--db", db}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, "not in review") {
				t.Errorf("second decide: code %d, stderr %q; want refused", code, stderr)
			}
		})
	}

	db := seededDB(t)
	errorCases := []struct {
		name string
		args []string
		want string
	}{
		{"debt without debtors", []string{reporttest.GUID(6), "--as", "debt", "--by", "x"}, "names no debtors"},
		{"debt without a proposal", []string{reporttest.GUID(14), "--as", "debt", "--by", "x"}, "has no proposed decision"},
		{"not in review (ready)", []string{reporttest.GUID(3), "--as", "debt", "--by", "x"}, "is ready («готов к отправке»), not in review"},
		{"not in review (answered)", []string{reporttest.GUID(8), "--as", "no-debt", "--by", "x"}, "not in review"},
		{"unknown", []string{"nope", "--as", "no-debt", "--by", "x"}, "not in the store"},
		{"no --as", []string{reporttest.GUID(2), "--by", "x"}, "--as is required"},
		{"bad --as", []string{reporttest.GUID(2), "--as", "maybe", "--by", "x"}, `--as "maybe"`},
		{"no --by", []string{reporttest.GUID(2), "--as", "debt"}, "--by LOGIN is required"},
		{"no GUID", []string{"--as", "debt", "--by", "x"}, "exactly one sub-request GUID"},
		{"change without comment", []string{reporttest.GUID(2), "--as", "no-debt", "--by", "x"}, "differs from the proposal: say why in a comment: give it with --comment TEXT"},
		{"description too long", []string{reporttest.GUID(2), "--as", "proposed", "--by", "x", "--description", strings.Repeat("я", 1001)}, "at most 1000"},
		{"bidi control in --by", []string{reporttest.GUID(2), "--as", "proposed", "--by", "iva\u202Enova"},
			`--by: review of sub-request ` + reporttest.GUID(2) + `: unacceptable reviewer login: "iva\u202enova" contains the control character U+202E, which can disguise who decided; give the login without it`},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"review", "decide", "--db", db}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("code %d, stderr %q; want a failure with %q", code, stderr, tc.want)
			}
		})
	}
	// None of the refusals changed anything.
	st, err := storeopen.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for n, want := range map[int]domain.State{2: domain.StateReview, 6: domain.StateReview, 14: domain.StateReview, 3: domain.StateReady} {
		if sr, err := st.GetSubRequest(context.Background(), reporttest.GUID(n)); err != nil || sr.State != want {
			t.Errorf("sub-request %d is %q (%v) after the refusals; want %q", n, sr.State, err, want)
		}
	}
}

// TestReviewDecideSameAsDashboard: the same choice made with 'gisgw review decide' and in the
// dashboard's review form, by the same person at the same time, stores the same decision.
func TestReviewDecideSameAsDashboard(t *testing.T) {
	t.Parallel()
	const who = "ivanova"
	at := time.Date(2026, 3, 16, 9, 15, 0, 0, time.UTC)
	now := func() time.Time { return at }
	tests := []struct {
		name    string
		n       int
		cli     []string
		form    url.Values
		actDocs bool // the answer's document names court act A-1
	}{
		{"confirm", 2, []string{"--as", "proposed"}, url.Values{"choice": {"confirm"}}, true},
		{"debt with the proposal's debtors", 2, []string{"--as", "debt", "--comment", "проверено"},
			url.Values{"choice": {"debt"}, "comment": {"проверено"}}, true},
		{"change to no debt", 2, []string{"--as", "no-debt", "--comment", "долг погашен"},
			url.Values{"choice": {"nodebt"}, "comment": {"долг погашен"}}, false},
		{"no debt as proposed", 6, []string{"--as", "no-debt"}, url.Values{"choice": {"nodebt"}}, false},
		{"no debt without a proposal", 14, []string{"--as", "no-debt", "--comment", "помещение не наше"},
			url.Values{"choice": {"nodebt"}, "comment": {"помещение не наше"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			guid := reporttest.GUID(tt.n)
			cliDB, webDB := reviewDB(t), reviewDB(t)

			var out, errb bytes.Buffer
			args := append([]string{"review", "decide", guid, "--db", cliDB, "--by", who}, tt.cli...)
			if code := run(args, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, now: now}); code != 0 {
				t.Fatalf("CLI: code %d, stderr %q", code, errb.String())
			}
			decideInDashboard(t, webDB, now, who, guid, tt.form)

			cliDec, cliLast := storedReview(t, cliDB, guid)
			webDec, webLast := storedReview(t, webDB, guid)
			if !reflect.DeepEqual(cliDec, webDec) {
				t.Errorf("decisions differ:\n CLI       %+v\n dashboard %+v", cliDec, webDec)
			}
			if cliLast.Actor != webLast.Actor || cliLast.Action != webLast.Action || cliLast.Detail != webLast.Detail {
				t.Errorf("audit entries differ:\n CLI       %+v\n dashboard %+v", cliLast, webLast)
			}
			if cliDec.DecidedBy != who || !cliDec.DecidedAt.Equal(at) || cliDec.Review {
				t.Errorf("decision by %q at %v review %t; want %s at %v, reviewed", cliDec.DecidedBy, cliDec.DecidedAt, cliDec.Review, who, at)
			}
			for _, di := range cliDec.DebtInfo {
				for _, doc := range di.Documents {
					if tt.actDocs && (doc.ActOrg != reporttest.OrgA || doc.ActID != "A-1") {
						t.Errorf("document %s names act %q of %q; want A-1 of %s", doc.Name, doc.ActID, doc.ActOrg, reporttest.OrgA)
					}
				}
			}
			if tt.actDocs != (len(cliDec.DebtInfo) > 0) {
				t.Errorf("debtors %d; want some: %t", len(cliDec.DebtInfo), tt.actDocs)
			}
		})
	}
}

// reviewDB is the report seed with the court act behind proposal 2: act A-1 at premises
// P-002, whose file is the proposal's document.
func reviewDB(t *testing.T) string {
	t.Helper()
	db := seededDB(t)
	ctx := context.Background()
	st, err := storeopen.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ImportPremises(ctx, reporttest.OrgA, []domain.Premises{{ID: "P-002", HouseGUID: "b1b1b1b1-0000-4000-8000-000000000001", Flat: "2"}}); err != nil {
		t.Fatalf("import premises: %v", err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	debtor := domain.Debtor(reporttest.Debtor)
	if _, err := st.ImportCourtActs(ctx, reporttest.OrgA, []domain.CourtAct{{
		ID: "A-1", PremisesID: "P-002", CaseNumber: "2-123/2025", Kind: domain.ActCourtOrder,
		PronouncedOn: day(2025, 2, 1), EffectiveOn: day(2025, 3, 1), DebtFrom: day(2024, 1, 1), DebtTo: day(2024, 12, 31),
		Amount: 100000, Outstanding: 100000, BalanceOn: day(2026, 3, 1), Debtors: []domain.Debtor{debtor},
		Document: &domain.Document{Name: "prikaz-2-123.pdf", Path: "/data/prikaz.pdf", Size: 10},
	}}); err != nil {
		t.Fatalf("import court acts: %v", err)
	}
	return db
}

// decideInDashboard sends the review form of sub-request guid with form's choice, as a
// basic-auth user who, the way a browser does (CSRF token and proposal from the page).
func decideInDashboard(t *testing.T, db string, now func() time.Time, who, guid string, form url.Values) {
	t.Helper()
	ctx := context.Background()
	st, err := storeopen.Open(ctx, db, storeopen.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const pw = "review-password"
	d, err := dashboard.New(dashboard.Options{Store: st, Now: now, Users: map[string]string{who: pw}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path string, body url.Values) (int, string) {
		t.Helper()
		var r io.Reader
		if body != nil {
			r = strings.NewReader(body.Encode())
		}
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, r)
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", srv.URL)
		}
		req.SetBasicAuth(who, pw)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	code, page := send(http.MethodGet, "/review", nil)
	i := strings.Index(page, `id="sr-`+guid+`"`)
	if code != http.StatusOK || i < 0 {
		t.Fatalf("GET /review = %d without sub-request %s:\n%s", code, guid, page)
	}
	item := page[i:]
	item = item[:strings.Index(item, "</section>")]
	field := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(item)
		if m == nil {
			t.Fatalf("review form of %s has no %s field:\n%s", guid, name, item)
		}
		return html.UnescapeString(m[1])
	}
	body := url.Values{"csrf": {field("csrf")}, "proposal": {field("proposal")}}
	for k, v := range form {
		body[k] = v
	}
	if code, page := send(http.MethodPost, "/review/"+guid, body); code != http.StatusSeeOther {
		t.Fatalf("POST /review/%s = %d; want %d:\n%s", guid, code, http.StatusSeeOther, page)
	}
}

// storedReview returns the decision of guid and the last line of its audit trail.
func storedReview(t *testing.T, db, guid string) (domain.Decision, domain.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	st, err := storeopen.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if sr, err := st.GetSubRequest(ctx, guid); err != nil || sr.State != domain.StateReady {
		t.Fatalf("sub-request %s is %q (%v); want ready", guid, sr.State, err)
	}
	d, err := st.GetDecision(ctx, guid)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := st.Audit(ctx, guid)
	if err != nil || len(audit) == 0 {
		t.Fatalf("audit of %s: %v (%d entries)", guid, err, len(audit))
	}
	return d, audit[len(audit)-1]
}

func TestReviewShowAgreements(t *testing.T) {
	t.Parallel()
	db := reviewDB(t)
	ctx := context.Background()
	st, err := storeopen.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.ImportAgreements(ctx, reporttest.OrgA, []domain.Agreement{{ActID: "A-1", Number: "15",
		Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Kind: domain.AgreementInstalment, Amount: 100000, Paid: 25000,
		Status: domain.AgreementBroken}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "review", "show", reporttest.GUID(2), "--db", db, "--today", "2026-03-16")
	want := "акт A-1: рассрочка, предоставленная судом № 15 от 01.03.2026 (нарушена), оплачено 250,00\u00a0₽ из 1\u00a0000,00\u00a0₽"
	if code != 0 || !strings.Contains(stdout, "соглашения о погашении и рассрочки") || !strings.Contains(stdout, want) {
		t.Errorf("code %d, stderr %q; want the agreement line %q in:\n%s", code, stderr, want, stdout)
	}
}
