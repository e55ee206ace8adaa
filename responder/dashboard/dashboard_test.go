package dashboard

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

func TestNewRequiresAuthentication(t *testing.T) {
	t.Parallel()
	st := newFixture(t).st
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"neither token nor users", Options{Store: st}, "requires authentication"},
		{"empty users map", Options{Store: st, Users: map[string]string{}}, "requires authentication"},
		{"user without password", Options{Store: st, Users: map[string]string{"a": ""}}, "password"},
		{"no store", Options{Token: testToken}, "store"},
		{"token", Options{Store: st, Token: testToken}, ""},
		{"one-character token", Options{Store: st, Token: "x"}, "at least 24"},
		{"23-character token", Options{Store: st, Token: strings.Repeat("я", 23)}, "has 23 characters"},
		{"24-character token", Options{Store: st, Token: strings.Repeat("я", 24)}, ""},
		{"user with a bidi control", Options{Store: st, Users: map[string]string{"adm\u202Enimda": "pw"}}, "U+202E"},
		{"users", Options{Store: st, Users: map[string]string{"a": "b"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v; want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cookieClient := f.login(t, "Петрова А. А.")
	tampered := f.client(t)
	u, _ := url.Parse(f.srv.URL)
	for _, ck := range cookieClient.Jar.Cookies(u) {
		ck.Value = ck.Value[:len(ck.Value)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(ck.Value, "A")]
		tampered.Jar.SetCookies(u, []*http.Cookie{ck})
	}
	tests := []struct {
		name   string
		client *http.Client
		auth   auth
		path   string
		want   int
		user   string
	}{
		{"none", f.client(t), noAuth, "/", http.StatusUnauthorized, ""},
		{"none on a sub-request", f.client(t), noAuth, "/subrequests/" + srDue1, http.StatusUnauthorized, ""},
		{"none on review", f.client(t), noAuth, "/review", http.StatusUnauthorized, ""},
		{"wrong bearer", f.client(t), bearer("nope"), "/", http.StatusUnauthorized, ""},
		{"bearer", f.client(t), bearer(testToken), "/", http.StatusOK, tokenActor},
		{"basic", f.client(t), basic(testUser, testPass), "/failed", http.StatusOK, testUser},
		{"basic wrong password", f.client(t), basic(testUser, "x"), "/", http.StatusUnauthorized, ""},
		{"basic unknown user", f.client(t), basic("mallory", testPass), "/", http.StatusUnauthorized, ""},
		{"token as basic password", f.client(t), basic(testUser, testToken), "/", http.StatusUnauthorized, ""},
		{"cookie", cookieClient, noAuth, "/review", http.StatusOK, "Петрова А. А."},
		{"tampered cookie", tampered, noAuth, "/", http.StatusUnauthorized, ""},
		{"static is public", f.client(t), noAuth, "/static/style.css", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, body, resp := f.do(t, tt.client, http.MethodGet, tt.path, nil, tt.auth, nil)
			if code != tt.want {
				t.Fatalf("GET %s = %d; want %d\n%s", tt.path, code, tt.want, body)
			}
			if code == http.StatusUnauthorized {
				if !strings.Contains(body, `name="token"`) {
					t.Errorf("401 page has no token login form")
				}
				if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
					t.Errorf("401 without a basic-auth challenge")
				}
				if strings.Contains(body, "Иванов") || strings.Contains(body, srDue1) {
					t.Errorf("401 page shows data")
				}
			}
			if tt.user != "" && !strings.Contains(body, `<b id="user">`+tt.user+`</b>`) {
				t.Errorf("page does not name the user %q", tt.user)
			}
		})
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.login(t, "Сидоров")
	if code, _, _ := f.do(t, c, http.MethodGet, "/", nil, noAuth, nil); code != http.StatusOK {
		t.Fatalf("fresh session = %d", code)
	}
	f.clock.Set(f.clock.Now().Add(sessionTTL + time.Minute))
	if code, _, _ := f.do(t, c, http.MethodGet, "/", nil, noAuth, nil); code != http.StatusUnauthorized {
		t.Fatalf("expired session = %d; want 401", code)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name        string
		token, user string
		noCSRF      bool
		origin      string
		want        int
	}{
		{name: "ok", token: testToken, user: "Иванова", want: http.StatusSeeOther},
		{name: "wrong token", token: "x", user: "Иванова", want: http.StatusUnauthorized},
		{name: "no name", token: testToken, user: "  ", want: http.StatusBadRequest},
		{name: "reserved name", token: testToken, user: "system", want: http.StatusBadRequest},
		{name: "no csrf", token: testToken, user: "Иванова", noCSRF: true, want: http.StatusForbidden},
		{name: "foreign origin", token: testToken, user: "Иванова", origin: "https://evil.example", want: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := f.client(t)
			form := url.Values{"token": {tt.token}, "name": {tt.user}}
			if tok := f.csrf(t, c, "/login", noAuth); !tt.noCSRF {
				form.Set("csrf", tok)
			}
			origin := tt.origin
			if origin == "" {
				origin = f.srv.URL
			}
			code, body, _ := f.do(t, c, http.MethodPost, "/login", form, noAuth, map[string]string{"Origin": origin})
			if code != tt.want {
				t.Fatalf("POST /login = %d; want %d\n%s", code, tt.want, body)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		csrf func(f *fixture, t *testing.T) string
		hdr  map[string]string
		want int
	}{
		{"valid", sessionCSRF, nil, http.StatusSeeOther},
		{"valid without Origin (non-browser client)", sessionCSRF, map[string]string{"Origin": ""}, http.StatusSeeOther},
		{"missing token", func(*fixture, *testing.T) string { return "" }, nil, http.StatusForbidden},
		{"wrong token", func(*fixture, *testing.T) string { return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, nil, http.StatusForbidden},
		{"token of another session", func(f *fixture, t *testing.T) string {
			return f.csrf(t, f.client(t), "/failed", basic(testUser, testPass))
		}, nil, http.StatusForbidden},
		{"foreign Origin", sessionCSRF, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", sessionCSRF, map[string]string{"Origin": "", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"foreign Referer", sessionCSRF, map[string]string{"Origin": "", "Referer": "https://evil.example/page"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			hdr := map[string]string{"Origin": f.srv.URL}
			for k, v := range tt.hdr {
				hdr[k] = v
			}
			if hdr["Origin"] == "" {
				delete(hdr, "Origin")
			}
			code, body, _ := f.do(t, f.client(t), http.MethodPost, "/failed/"+srFailed+"/retry",
				url.Values{"csrf": {tt.csrf(f, t)}}, bearer(testToken), hdr)
			if code != tt.want {
				t.Fatalf("POST retry = %d; want %d\n%s", code, tt.want, body)
			}
			want := domain.StateFailed
			if tt.want == http.StatusSeeOther {
				want = domain.StateReady
			}
			if got := state(t, f.st, srFailed); got != want {
				t.Errorf("state after POST = %s; want %s", got, want)
			}
		})
	}
}

// sessionCSRF is the bearer session's form token, read from a page.
func sessionCSRF(f *fixture, t *testing.T) string {
	return f.csrf(t, f.client(t), "/failed", bearer(testToken))
}

func state(t *testing.T, st store.Store, guid string) domain.State {
	t.Helper()
	sr, err := st.GetSubRequest(t.Context(), guid)
	must(t, "get sub-request", err)
	return sr.State
}

var (
	rowRE     = regexp.MustCompile(`<tr class="(\w*)" data-guid="([^"]+)"`)
	counterRE = regexp.MustCompile(`data-counter="(\w+)"><span class="n">(\d+)</span>`)
)

func TestOverview(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code, body, _ := f.do(t, f.client(t), http.MethodGet, "/", nil, bearer(testToken), nil)
	if code != http.StatusOK {
		t.Fatalf("GET / = %d\n%s", code, body)
	}
	open := body[strings.Index(body, `id="open"`):]
	var order []string
	classes := map[string]string{}
	for _, m := range rowRE.FindAllStringSubmatch(open, -1) {
		order = append(order, m[2])
		classes[m[2]] = m[1]
	}
	t.Run("ordered by deadline", func(t *testing.T) {
		t.Parallel()
		if !slices.Equal(order, openOrder) {
			t.Errorf("open list = %v; want %v", order, openOrder)
		}
	})
	t.Run("counters", func(t *testing.T) {
		t.Parallel()
		got := map[string]int{}
		for _, m := range counterRE.FindAllStringSubmatch(body, -1) {
			got[m[1]], _ = strconv.Atoi(m[2])
		}
		for k, v := range wantCounters {
			if got[k] != v {
				t.Errorf("counter %s = %d; want %d", k, got[k], v)
			}
		}
	})
	colours := []struct{ guid, class string }{
		{srOverdue, classOverdue}, {srDue1, classDue1}, {srDue2, classDue1},
		{srFailed, classDue2}, {srHostile, ""}, {srLater, ""},
	}
	for _, c := range colours {
		t.Run("colour of "+c.guid, func(t *testing.T) {
			t.Parallel()
			if classes[c.guid] != c.class {
				t.Errorf("row class = %q; want %q", classes[c.guid], c.class)
			}
		})
	}
	t.Run("chart and on-time share", func(t *testing.T) {
		t.Parallel()
		if n := strings.Count(body, `<rect class="bar"`); n != chartDays {
			t.Errorf("chart has %d bars; want %d", n, chartDays)
		}
		// srAnswered was accepted on 5 March, before its deadline of 6 March; srAuto was
		// answered by GIS: one of two on time.
		for _, want := range []string{`<span id="ontime">1</span>`, `<span id="closed">2</span>`, `50 %`, `<title>11.03.2026: 1</title>`} {
			if !strings.Contains(body, want) {
				t.Errorf("overview lacks %q", want)
			}
		}
	})
}

func TestPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		path string
		want []string
	}{
		{"/subrequests/" + srDue2, []string{"Код помещения в ГИС ЖКХ", "по коду помещения в ГИС ЖКХ", "<code>P1</code>", "2-101/2025",
			"вступил в силу, не отменён", "есть задолженность", "Иванов Иван Иванович", "•••-•••-••• 95", "№ …56",
			"prikaz-2-101.pdf", "неясно, кто из собственников должник", "Замечания", "Журнал", "решение по правилам", "12\u00a0345,67\u00a0₽",
			`id="agreements"`, "соглашение о погашении задолженности", "№ 15 от 01.02.2026", "нарушено", "31.12.2026", "2\u00a0000,00\u00a0₽ / 7\u00a0345,00\u00a0₽"}},
		{"/subrequests/" + srFailed, []string{`id="gis-error"`, "INT004055", "Неверный формат &lt;b&gt;документа&lt;/b&gt; &amp; &#34;вложения&#34;",
			"результат отправки в ГИС ЖКХ", "отправляется → ответ отклонён ГИС ЖКХ"}},
		{"/review", []string{"На проверке: 3", `value="confirm"`, `value="debt"`, `value="nodebt"`, `name="comment"`, `name="act" value="A2"`}},
		{"/failed", []string{"INT004055", "повторить отправку", `action="/failed/` + srFailed + `/retry"`}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			code, body, resp := f.do(t, f.client(t), http.MethodGet, tt.path, nil, bearer(testToken), nil)
			if code != http.StatusOK {
				t.Fatalf("GET %s = %d\n%s", tt.path, code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, secret := range []string{"11223344595", "123456", "4510"} {
				if strings.Contains(body, secret) {
					t.Errorf("page shows the unmasked identifier %q", secret)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP = %q", csp)
			}
		})
	}
	t.Run("unknown sub-request", func(t *testing.T) {
		t.Parallel()
		if code, _, _ := f.do(t, f.client(t), http.MethodGet, "/subrequests/nope", nil, bearer(testToken), nil); code != http.StatusNotFound {
			t.Errorf("GET unknown = %d; want 404", code)
		}
	})
}

func TestHostileDataIsEscaped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, path := range []string{"/", "/review", "/subrequests/" + srHostile} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			code, body, _ := f.do(t, f.client(t), http.MethodGet, path, nil, bearer(testToken), nil)
			if code != http.StatusOK {
				t.Fatalf("GET %s = %d", path, code)
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "<img") {
				t.Errorf("page carries the hostile markup unescaped")
			}
			if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
				t.Errorf("page does not show the hostile address escaped")
			}
		})
	}
}

func TestReviewDecide(t *testing.T) {
	t.Parallel()
	const who = "Петрова А. А."
	tests := []struct {
		name        string
		guid        string
		form        url.Values
		proposal    string // "" : the current one
		want        int
		wantState   domain.State
		wantDebt    bool
		wantDebtors int
		wantComment string
	}{
		{"confirm", srDue2, url.Values{"choice": {"confirm"}}, "", http.StatusSeeOther, domain.StateReady, true, 1, ""},
		{"confirm with comment", srDue2, url.Values{"choice": {"confirm"}, "comment": {"проверено по выписке"}}, "", http.StatusSeeOther, domain.StateReady, true, 1, "проверено по выписке"},
		{"change to no debt", srDue2, url.Values{"choice": {"nodebt"}, "comment": {"долг погашен 01.03"}}, "", http.StatusSeeOther, domain.StateReady, false, 0, "долг погашен 01.03"},
		{"change without comment", srDue2, url.Values{"choice": {"nodebt"}}, "", http.StatusUnprocessableEntity, domain.StateReview, true, 1, ""},
		{"change to debt from acts", srDue1, url.Values{"choice": {"debt"}, "act": {"A2"}, "comment": {"долг в периоде"}}, "", http.StatusSeeOther, domain.StateReady, true, 1, "долг в периоде"},
		{"debt without acts", srDue1, url.Values{"choice": {"debt"}, "comment": {"?"}}, "", http.StatusUnprocessableEntity, domain.StateReview, false, 0, ""},
		{"debt with the proposed acts is no change", srDue2, url.Values{"choice": {"debt"}, "act": {"A1"}}, "", http.StatusSeeOther, domain.StateReady, true, 1, ""},
		{"no choice", srDue2, url.Values{"comment": {"x"}}, "", http.StatusUnprocessableEntity, domain.StateReview, true, 1, ""},
		{"stale form", srDue2, url.Values{"choice": {"confirm"}}, "2020-01-01T00:00:00Z", http.StatusConflict, domain.StateReview, true, 1, ""},
		{"not in review", srLater, url.Values{"choice": {"confirm"}}, "", http.StatusConflict, domain.StateReady, false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			c := f.login(t, who)
			before, err := f.st.GetDecision(t.Context(), tt.guid)
			must(t, "get decision", err)
			form := url.Values{}
			for k, v := range tt.form {
				form[k] = v
			}
			form.Set("csrf", f.csrf(t, c, "/review", noAuth))
			form.Set("proposal", tt.proposal)
			if tt.proposal == "" {
				form.Set("proposal", proposalVersion(&before))
			}
			code, body, resp := f.do(t, c, http.MethodPost, "/review/"+tt.guid, form, noAuth, map[string]string{"Origin": f.srv.URL})
			if code != tt.want {
				t.Fatalf("POST /review = %d; want %d\n%s", code, tt.want, body)
			}
			if got := state(t, f.st, tt.guid); got != tt.wantState {
				t.Errorf("state = %s; want %s", got, tt.wantState)
			}
			if code != http.StatusSeeOther {
				return
			}
			if loc := resp.Header.Get("Location"); loc != "/review?done="+tt.guid {
				t.Errorf("redirect to %q", loc)
			}
			d, err := f.st.GetDecision(t.Context(), tt.guid)
			must(t, "get decision", err)
			if d.DecidedBy != who || d.Comment != tt.wantComment || d.Review || d.HasDebt != tt.wantDebt || len(d.DebtInfo) != tt.wantDebtors {
				t.Errorf("decision = by %q comment %q review %t debt %t debtors %d; want by %q comment %q debt %t debtors %d",
					d.DecidedBy, d.Comment, d.Review, d.HasDebt, len(d.DebtInfo), who, tt.wantComment, tt.wantDebt, tt.wantDebtors)
			}
			if !d.DecidedAt.Equal(f.clock.Now()) {
				t.Errorf("decided at %v; want %v", d.DecidedAt, f.clock.Now())
			}
			if len(d.Evidence) != len(before.Evidence) || d.RuleVersion != before.RuleVersion {
				t.Errorf("evidence or rule version lost: %+v", d)
			}
			audit, err := f.st.Audit(t.Context(), tt.guid)
			must(t, "audit", err)
			last := audit[len(audit)-1]
			if last.Actor != who || last.Action != "reviewed" {
				t.Errorf("last audit entry = %+v; want reviewed by %q", last, who)
			}
			_, page, _ := f.do(t, c, http.MethodGet, "/review?done="+tt.guid, nil, noAuth, nil)
			if strings.Contains(page, `id="sr-`+tt.guid+`"`) || !strings.Contains(page, `id="done"`) {
				t.Errorf("the decided item is still in the queue, or no notice")
			}
		})
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		guid      string
		want      int
		wantState domain.State
	}{
		{"failed becomes ready", srFailed, http.StatusSeeOther, domain.StateReady},
		{"not failed", srLater, http.StatusConflict, domain.StateReady},
		{"unknown", "nope", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			c := f.client(t)
			a := basic(testUser, testPass)
			form := url.Values{"csrf": {f.csrf(t, c, "/failed", a)}}
			code, body, _ := f.do(t, c, http.MethodPost, "/failed/"+tt.guid+"/retry", form, a, map[string]string{"Origin": f.srv.URL})
			if code != tt.want {
				t.Fatalf("POST retry = %d; want %d\n%s", code, tt.want, body)
			}
			if tt.wantState == "" {
				return
			}
			if got := state(t, f.st, tt.guid); got != tt.wantState {
				t.Errorf("state = %s; want %s", got, tt.wantState)
			}
			if code != http.StatusSeeOther {
				return
			}
			audit, err := f.st.Audit(t.Context(), tt.guid)
			must(t, "audit", err)
			last := audit[len(audit)-1]
			if last.Actor != testUser || !strings.Contains(last.Detail, "failed→ready") || !strings.Contains(last.Detail, "retry") {
				t.Errorf("last audit entry = %+v", last)
			}
			_, page, _ := f.do(t, c, http.MethodGet, "/failed", nil, a, nil)
			if !strings.Contains(page, "Ошибки отправки: 0") {
				t.Errorf("failed page still lists it")
			}
		})
	}
}

func TestDeadlineOf(t *testing.T) {
	t.Parallel()
	cal, err := calendar.New()
	must(t, "calendar", err)
	wed := day(3, 11)
	tests := []struct {
		name      string
		today     time.Time
		due       time.Time
		wantLeft  int
		wantClass string
	}{
		{"due today", wed, wed, 0, classDue1},
		{"due tomorrow", wed, day(3, 12), 1, classDue1},
		{"due in two working days", wed, day(3, 13), 2, classDue2},
		{"due in three working days", wed, day(3, 16), 3, ""},
		{"overdue", wed, day(3, 10), -1, classOverdue},
		{"over a weekend", day(3, 13), day(3, 16), 1, classDue1},
		{"over the 8 March holiday", day(3, 6), day(3, 10), 1, classDue1},
		{"today off, due in two working days", day(3, 7), day(3, 11), 2, classDue2},
		{"no deadline", wed, time.Time{}, maxCount, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := deadlineOf(cal, tt.today, tt.due)
			if got.Left != tt.wantLeft || got.Class != tt.wantClass {
				t.Errorf("deadlineOf(%s, %s) = %+v; want left %d class %q", tt.today.Format(time.DateOnly), tt.due.Format(time.DateOnly), got, tt.wantLeft, tt.wantClass)
			}
		})
	}
}

func TestRegisterBesideDaemonRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d, err := New(Options{Store: f.st, Token: testToken})
	must(t, "New", err)
	mux := http.NewServeMux()
	for _, p := range []string{"GET /healthz", "GET /readyz", "GET /metrics"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("daemon")) })
	}
	d.Register(mux) // panics on a conflicting pattern
	for _, tt := range []struct {
		path string
		want int
	}{{"/healthz", http.StatusOK}, {"/", http.StatusUnauthorized}, {"/nope", http.StatusNotFound}} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("GET %s = %d; want %d", tt.path, rec.Code, tt.want)
		}
	}
}

// TestBlockedCauseShown: a ready answer put aside for its court-act file shows why, in the
// open list and on its page.
func TestBlockedCauseShown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	ds, err := f.st.ClaimReady(ctx, org, "me", 10, time.Minute)
	if err != nil || len(ds) != 1 || ds[0].SubRequestGUID != srLater {
		t.Fatalf("ClaimReady = %+v, %v; want %s", ds, err, srLater)
	}
	const reason = "Ответ ждёт файла судебного акта «акт-7.pdf»: файл не удалось прочитать"
	if err := f.st.DeferReady(ctx, "me", []string{srLater}, f.clock.Now().Add(time.Minute), reason); err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	for _, path := range []string{"/", "/subrequests/" + srLater} {
		code, body, _ := f.do(t, c, http.MethodGet, path, nil, bearer(testToken), nil)
		if code != http.StatusOK || !strings.Contains(body, "«акт-7.pdf»: файл не удалось прочитать") {
			t.Errorf("GET %s = %d; want the cause shown\n%s", path, code, body)
		}
	}
	_, body, _ := f.do(t, c, http.MethodGet, "/subrequests/"+srLater, nil, bearer(testToken), nil)
	if !strings.Contains(body, "Следующая попытка:") {
		t.Errorf("sub-request page lacks the retry time")
	}
}
