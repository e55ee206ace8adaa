package dashboard

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// The fixture's world: today is Wednesday 11 March 2026 (10:00 MSK); Monday 9 March was a
// holiday (8 March moved), so the calendar matters.
const (
	testToken = "s3cret-token-for-tests-at-least-24"
	testUser  = "auditor"
	testPass  = "auditor-password"
	org       = "11111111-1111-4111-8111-111111111111"
)

// Sub-requests of the fixture, one per situation.
const (
	srOverdue  = "aaaaaaaa-0000-4000-8000-000000000001" // new, deadline yesterday
	srDue1     = "aaaaaaaa-0000-4000-8000-000000000002" // review (no debt proposed), deadline today
	srDue2     = "aaaaaaaa-0000-4000-8000-000000000003" // review (debt proposed), deadline tomorrow (1 working day left)
	srFailed   = "aaaaaaaa-0000-4000-8000-000000000004" // failed with a GIS error, due in 2 working days
	srHostile  = "aaaaaaaa-0000-4000-8000-000000000005" // review, hostile address
	srLater    = "aaaaaaaa-0000-4000-8000-000000000006" // ready, a week left
	srAnswered = "aaaaaaaa-0000-4000-8000-000000000007" // answered on time
	srAuto     = "aaaaaaaa-0000-4000-8000-000000000008" // auto-answered by GIS
)

// openOrder is the open list as the overview must show it: by deadline.
var openOrder = []string{srOverdue, srDue1, srDue2, srFailed, srHostile, srLater}

const hostileAddress = `<script>alert("x")</script> г. Москва, ул. Ленина, д. 1 <img src=x onerror=alert(1)>`

var wantCounters = map[string]int{
	"total": 8, "new": 1, "review": 3, "ready": 1, "sending": 0, "answered": 1, "failed": 1,
	"overdue": 1, "auto": 1, "due1": 2, "due2": 3,
}

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

// clock is a settable clock shared by the store and the dashboard.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// fixture is a seeded SQLite store and the dashboard served over httptest.
type fixture struct {
	st    store.Store
	clock *clock
	srv   *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	clk := &clock{t: time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)}
	st, err := storeopen.Open(ctx, filepath.Join(t.TempDir(), "gisgw.db"), storeopen.WithClock(clk.Now), storeopen.WithAutoMigrate())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	seed(t, ctx, st, clk)
	clk.Set(time.Date(2026, 3, 11, 7, 0, 0, 0, time.UTC)) // 10:00 MSK
	d, err := New(Options{Store: st, Now: clk.Now, Token: testToken, Users: map[string]string{testUser: testPass}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	return &fixture{st: st, clock: clk, srv: srv}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func sub(guid string, sent, due time.Time, state domain.State) domain.SubRequest {
	return domain.SubRequest{
		GUID: guid, OrgGUID: org, RequestGUID: "bbbbbbbb-0000-4000-8000-" + guid[len(guid)-12:],
		RequestNumber: "ЗП-" + guid[len(guid)-2:], RequesterName: "УСЗН района Хамовники",
		HouseGUID: "cccccccc-0000-4000-8000-000000000001", AddressType: "Apartment",
		Address: "г. Москва, ул. Ленина, д. 1, кв. " + guid[len(guid)-1:], AddressDetails: "кв. " + guid[len(guid)-1:],
		PeriodFrom: day(1, 1).AddDate(-1, 0, 0), PeriodTo: day(1, 31), SentDate: sent, ResponseDate: due,
		ResponseStatus: "NotSent", State: state,
	}
}

// seed stores premises, court acts and the sub-requests through the store API, moving each
// along the pipeline the way the daemon would. The clock stands at 5 March until the end.
func seed(t *testing.T, ctx context.Context, st store.Store, clk *clock) {
	t.Helper()
	_, err := st.ImportPremises(ctx, org, []domain.Premises{
		{ID: "P1", HouseGUID: "cccccccc-0000-4000-8000-000000000001", Flat: "2", Address: "г. Москва, ул. Ленина, д. 1, кв. 2"},
		{ID: "P2", HouseGUID: "cccccccc-0000-4000-8000-000000000001", Flat: "3", Address: "г. Москва, ул. Ленина, д. 1, кв. 3"},
	})
	must(t, "import premises", err)
	ivanov := domain.Debtor{LastName: "Иванов", FirstName: "Иван", MiddleName: "Иванович", SNILS: "11223344595", DocType: "21", DocSeries: "4510", DocNumber: "123456"}
	petrov := domain.Debtor{LastName: "Петров", FirstName: "Пётр", SNILS: "22334455601"}
	_, err = st.ImportCourtActs(ctx, org, []domain.CourtAct{
		{ID: "A1", PremisesID: "P1", CaseNumber: "2-101/2025", Kind: domain.ActCourtOrder, PronouncedOn: day(1, 10).AddDate(-1, 0, 0),
			EffectiveOn: day(2, 10).AddDate(-1, 0, 0), DebtFrom: day(1, 1).AddDate(-2, 0, 0), DebtTo: day(6, 30).AddDate(-1, 0, 0),
			Amount: 1234567, Outstanding: 734500, BalanceOn: day(3, 1), Debtors: []domain.Debtor{ivanov},
			Document: &domain.Document{Name: "prikaz-2-101.pdf", Path: "/srv/acts/prikaz-2-101.pdf", Size: 1024}},
		{ID: "A2", PremisesID: "P2", CaseNumber: "2-202/2024", Kind: domain.ActJudgment, PronouncedOn: day(5, 10).AddDate(-2, 0, 0),
			EffectiveOn: day(6, 15).AddDate(-2, 0, 0), DebtFrom: day(1, 1).AddDate(-3, 0, 0), DebtTo: day(12, 31).AddDate(-3, 0, 0),
			Amount: 500000, Outstanding: 500000, BalanceOn: day(3, 1), Debtors: []domain.Debtor{petrov},
			Document: &domain.Document{Name: "reshenie-2-202.pdf", Path: "/srv/acts/reshenie-2-202.pdf", Size: 2048}},
	})
	must(t, "import court acts", err)
	_, err = st.ImportAgreements(ctx, org, []domain.Agreement{{ActID: "A1", Number: "15", Date: day(2, 1), Kind: domain.AgreementRepayment,
		ScheduleEnd: day(12, 31), Amount: 734500, Paid: 200000, Status: domain.AgreementBroken}})
	must(t, "import agreements", err)

	hostile := sub(srHostile, day(3, 10), day(3, 17), domain.StateNew)
	hostile.Address = hostileAddress
	_, err = st.UpsertSubRequests(ctx, []domain.SubRequest{
		sub(srOverdue, day(3, 2), day(3, 10), domain.StateNew),
		sub(srDue1, day(3, 3), day(3, 11), domain.StateNew),
		sub(srDue2, day(3, 4), day(3, 12), domain.StateNew),
		sub(srFailed, day(3, 5), day(3, 13), domain.StateNew),
		hostile,
		sub(srLater, day(3, 11), day(3, 18), domain.StateNew),
		sub(srAnswered, day(2, 26), day(3, 6), domain.StateNew),
		sub(srAuto, day(2, 18), day(2, 26), domain.StateAutoAnswered),
	})
	must(t, "upsert sub-requests", err)

	debtA1 := []domain.DebtInfo{{
		Person:    domain.Person{LastName: ivanov.LastName, FirstName: ivanov.FirstName, MiddleName: ivanov.MiddleName, SNILS: ivanov.SNILS, DocType: "21", DocSeries: "4510", DocNumber: "123456"},
		Documents: []domain.Document{{Name: "prikaz-2-101.pdf", Path: "/srv/acts/prikaz-2-101.pdf", Size: 1024}},
	}}
	noDebt := func(guid string, review bool) domain.Decision {
		d := domain.Decision{SubRequestGUID: guid, RuleVersion: "test-1", PremisesIDs: []string{"P2"}, MatchMethod: "house_flat",
			Evidence: []domain.Evidence{{ActID: "A2", Counted: false, Reason: "долг за 2023-01..2023-12 вне запрошенного периода"}}}
		if review {
			d.Review = true
			d.ReviewReasons = []string{"partial_overlap: период долга частично вне запрошенного"}
		}
		return d
	}
	withDebt := domain.Decision{SubRequestGUID: srDue2, RuleVersion: "test-1", PremisesIDs: []string{"P1"}, MatchMethod: "hm_object_guid",
		HasDebt: true, DebtInfo: debtA1, Review: true, ReviewReasons: []string{"allocation: неясно, кто из собственников должник"},
		Notes:    []string{"срок ГИС совпадает с календарём"},
		Evidence: []domain.Evidence{{ActID: "A1", Counted: true, Reason: "вступил в силу, не отменён, остаток 7 345,00 руб."}}}
	must(t, "decide due1", st.SaveDecision(ctx, noDebt(srDue1, true), domain.StateReview))
	must(t, "decide due2", st.SaveDecision(ctx, withDebt, domain.StateReview))
	must(t, "decide hostile", st.SaveDecision(ctx, noDebt(srHostile, true), domain.StateReview))
	must(t, "decide later", st.SaveDecision(ctx, noDebt(srLater, false), domain.StateReady))
	must(t, "decide failed", st.SaveDecision(ctx, noDebt(srFailed, false), domain.StateReady))
	must(t, "decide answered", st.SaveDecision(ctx, noDebt(srAnswered, false), domain.StateReady))

	// Send two answers in one message: GIS accepts one and refuses the other.
	ds, err := st.ClaimReady(ctx, org, "seed", 10, time.Minute)
	must(t, "claim ready", err)
	m := domain.Message{ID: "msg-1", OrgGUID: org, CreatedAt: clk.Now(), Status: domain.MessagePending}
	for _, d := range ds {
		if d.SubRequestGUID == srFailed || d.SubRequestGUID == srAnswered {
			m.Actions = append(m.Actions, domain.Action{TransportGUID: "t-" + d.SubRequestGUID, SubRequestGUID: d.SubRequestGUID, Kind: domain.ActionSend, Decision: d})
		}
	}
	if len(m.Actions) != 2 {
		t.Fatalf("seed: claimed %d answers to send; want 2 of %d", len(m.Actions), len(ds))
	}
	// srLater was claimed too; a message with only two of them leaves it ready.
	must(t, "create message", st.CreateMessage(ctx, "seed", m, time.Minute))
	must(t, "ack", st.MarkMessageAcked(ctx, "msg-1", "gis-msg-1"))
	must(t, "finish", st.FinishMessage(ctx, "msg-1", []domain.Outcome{
		{TransportGUID: "t-" + srAnswered, SubRequestGUID: srAnswered, State: domain.StateAnswered},
		{TransportGUID: "t-" + srFailed, SubRequestGUID: srFailed, State: domain.StateFailed,
			ErrorCode: "INT004055", ErrorText: `Неверный формат <b>документа</b> & "вложения"`},
	}))
}

// client is an HTTP client of the fixture that does not follow redirects.
func (f *fixture) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	must(t, "cookie jar", err)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type auth func(*http.Request)

func bearer(tok string) auth {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func basic(user, pw string) auth { return func(r *http.Request) { r.SetBasicAuth(user, pw) } }

func noAuth(*http.Request) {}

// do sends a request and returns the status and body.
func (f *fixture) do(t *testing.T, c *http.Client, method, path string, form url.Values, a auth, hdr map[string]string) (int, string, *http.Response) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, body)
	must(t, "request", err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	a(req)
	resp, err := c.Do(req)
	must(t, method+" "+path, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, "read body", err)
	return resp.StatusCode, string(b), resp
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the form token from a page.
func (f *fixture) csrf(t *testing.T, c *http.Client, path string, a auth) string {
	t.Helper()
	code, body, _ := f.do(t, c, http.MethodGet, path, nil, a, nil)
	m := csrfRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("GET %s = %d, no CSRF token in the page:\n%s", path, code, body)
	}
	return m[1]
}

// login logs in through the form as name and returns the client holding the cookie.
func (f *fixture) login(t *testing.T, name string) *http.Client {
	t.Helper()
	c := f.client(t)
	tok := f.csrf(t, c, "/login", noAuth)
	code, body, resp := f.do(t, c, http.MethodPost, "/login", url.Values{"csrf": {tok}, "token": {testToken}, "name": {name}}, noAuth,
		map[string]string{"Origin": f.srv.URL})
	if code != http.StatusSeeOther {
		t.Fatalf("login = %d:\n%s", code, body)
	}
	var found bool
	for _, ck := range resp.Cookies() {
		if ck.Name == cookieName {
			found = true
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie HttpOnly=%t SameSite=%v; want HttpOnly, Strict", ck.HttpOnly, ck.SameSite)
			}
		}
	}
	if !found {
		t.Fatalf("login set no %s cookie", cookieName)
	}
	return c
}
