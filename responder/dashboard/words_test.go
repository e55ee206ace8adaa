package dashboard

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/ru"
)

// visibleText is what a person reads on a page: the text nodes outside <script> and
// <style>, the <title> included.
func visibleText(t *testing.T, page string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	must(t, "parse the page", err)
	var b strings.Builder
	for n := range doc.Descendants() {
		if n.Type == html.TextNode && n.Parent != nil && n.Parent.Data != "script" && n.Parent.Data != "style" {
			b.WriteString(n.Data)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// TestNoLatinWords: no page an officer reads shows an internal code or an English word
// (ru.LatinWords) — review reasons, evidence, audit trail, GIS values, errors. The fixture's
// data that came from outside (the hostile address, the basic-auth login) are taken out first.
func TestNoLatinWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A sub-request in review without a proposal, for the error page of a "debt" answer
	// without court acts.
	must(t, "to review", f.st.SetState(t.Context(), srOverdue, domain.StateNew, domain.StateReview, "", "no premises matched"))
	c := f.login(t, "Петрова")
	tok := f.csrf(t, c, "/review", noAuth)
	post := func(path string, form url.Values) string {
		form.Set("csrf", tok)
		_, body, _ := f.do(t, c, http.MethodPost, path, form, noAuth, map[string]string{"Origin": f.srv.URL})
		return body
	}
	pages := map[string]string{}
	for _, path := range []string{"/", "/review", "/failed", "/subrequests?state=answered", "/subrequests?state=auto_answered",
		"/subrequests?state=bogus", "/subrequests/nope", "/inventory", "/inventory?month=2025-01", "/inventory?month=bogus",
		"/subrequests/" + srOverdue, "/subrequests/" + srDue1, "/subrequests/" + srDue2, "/subrequests/" + srFailed,
		"/subrequests/" + srHostile, "/subrequests/" + srLater, "/subrequests/" + srAnswered, "/subrequests/" + srAuto} {
		code, body, _ := f.do(t, c, http.MethodGet, path, nil, noAuth, nil)
		if code >= 500 {
			t.Fatalf("GET %s = %d", path, code)
		}
		pages["GET "+path] = body
	}
	_, pages["GET /login"], _ = f.do(t, f.client(t), http.MethodGet, "/login", nil, noAuth, nil)
	pages["POST debt without acts"] = post("/review/"+srOverdue, url.Values{"choice": {"debt"}, "proposal": {"none"}, "comment": {"долг"}})
	pages["POST bulk with nothing"] = post("/review/bulk", url.Values{})
	pages["POST bulk with a debt proposal"] = post("/review/bulk", url.Values{"guid": {srDue2}, "proposal-" + srDue2: {"x"}})
	// The basic-auth pages name the login "auditor": a person's own name, not a code.
	_, pages["GET / (basic)"], _ = f.do(t, f.client(t), http.MethodGet, "/subrequests/"+srFailed, nil, basic(testUser, testPass), nil)

	for name, page := range pages {
		text := visibleText(t, page)
		text = strings.ReplaceAll(text, hostileAddress, "")
		text = strings.ReplaceAll(text, testUser, "")
		if w := ru.LatinWords(text); len(w) > 0 {
			t.Errorf("%s shows Latin words %q:\n%s", name, w, text)
		}
		// Every action the store writes has its Russian name, not the generic fallback.
		if strings.Contains(text, ru.AuditAction("")) {
			t.Errorf("%s shows an audit action without a Russian name", name)
		}
	}
	for _, w := range []string{"судебных актов по помещению подзапроса нет", "Такого состояния подзапросов нет"} {
		found := false
		for _, page := range pages {
			found = found || strings.Contains(page, w)
		}
		if !found {
			t.Errorf("no page says %q", w)
		}
	}
}

// TestNoDoubledWords: the evidence of an act is shown once, not prefixed again with
// «учтён»/«не учтён».
func TestNoDoubledWords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, body, _ := f.do(t, f.client(t), http.MethodGet, "/review", nil, bearer(testToken), nil)
	text := visibleText(t, body)
	for _, w := range []string{"учтён: учтён", "учтён: не учтён", "не учтён: не учтён"} {
		if strings.Contains(text, w) {
			t.Errorf("the review queue says %q", w)
		}
	}
}

func TestStateList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, overview, _ := f.do(t, f.client(t), http.MethodGet, "/", nil, bearer(testToken), nil)
	for _, tt := range []struct {
		state domain.State
		want  string
		title string
	}{
		{domain.StateAnswered, srAnswered, "Ответ отправлен: 1"},
		{domain.StateAutoAnswered, srAuto, "Ответ сформирован ГИС автоматически: 1"},
	} {
		path := "/subrequests?state=" + string(tt.state)
		if !strings.Contains(overview, `href="`+html.EscapeString(path)+`"`) {
			t.Errorf("the overview has no tile opening %s", path)
		}
		code, body, _ := f.do(t, f.client(t), http.MethodGet, path, nil, bearer(testToken), nil)
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, code)
		}
		var got []string
		for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
			got = append(got, m[2])
		}
		if len(got) != 1 || got[0] != tt.want || !strings.Contains(body, tt.title) {
			t.Errorf("GET %s lists %v; want [%s] under %q\n%s", path, got, tt.want, tt.title, body)
		}
	}
	if code, _, _ := f.do(t, f.client(t), http.MethodGet, "/subrequests?state=bogus", nil, bearer(testToken), nil); code != http.StatusNotFound {
		t.Errorf("GET an unknown state = %d; want 404", code)
	}
}

func TestSubRequestPageNamesAddressAndOrganization(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d, err := New(Options{Store: f.st, Now: f.clock.Now, Token: testToken, Organizations: map[string]string{org: "ООО «УК Ленинская»"}})
	must(t, "New", err)
	f.srv.Config.Handler = d.Handler()
	for _, path := range []string{"/subrequests/" + srDue2, "/review"} {
		_, body, _ := f.do(t, f.client(t), http.MethodGet, path, nil, bearer(testToken), nil)
		if !strings.Contains(body, "ООО «УК Ленинская»") {
			t.Errorf("%s does not name the organization", path)
		}
	}
	_, body, _ := f.do(t, f.client(t), http.MethodGet, "/subrequests/"+srDue2, nil, bearer(testToken), nil)
	if !strings.Contains(body, "<title>г. Москва, ул. Ленина, д. 1, кв. 3 — gisgw</title>") {
		t.Errorf("the sub-request page's title is not its address:\n%s", body)
	}
}

var proposalRE = regexp.MustCompile(`name="proposal-([^"]+)" value="([^"]+)"`)

func TestBulkConfirm(t *testing.T) {
	t.Parallel()
	const who, comment = "Петрова А. А.", "проверено списком"
	tests := []struct {
		name      string
		guids     []string
		stale     string // a sub-request whose form carries an outdated proposal
		want      int
		confirmed []string // now ready, reviewed by who with the comment
		left      []string // still in review
	}{
		{"two no-debt proposals", []string{srDue1, srHostile}, "", http.StatusSeeOther, []string{srDue1, srHostile}, []string{srDue2}},
		{"a debt proposal is refused, the rest confirmed", []string{srDue1, srDue2}, "", http.StatusConflict, []string{srDue1}, []string{srDue2, srHostile}},
		{"a stale proposal is refused", []string{srDue1, srHostile}, srHostile, http.StatusConflict, []string{srDue1}, []string{srHostile}},
		{"nothing ticked", nil, "", http.StatusUnprocessableEntity, nil, []string{srDue1, srDue2, srHostile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			c := f.login(t, who)
			_, page, _ := f.do(t, c, http.MethodGet, "/review", nil, noAuth, nil)
			offered := map[string]string{}
			for _, m := range proposalRE.FindAllStringSubmatch(page, -1) {
				offered[m[1]] = m[2]
			}
			if len(offered) != 2 || offered[srDue1] == "" || offered[srHostile] == "" {
				t.Fatalf("the bulk form offers %v; want the two no-debt proposals %s, %s", offered, srDue1, srHostile)
			}
			form := url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}, "comment": {comment}}
			for _, g := range tt.guids {
				form.Add("guid", g)
				form.Set("proposal-"+g, offered[g])
			}
			if tt.stale != "" {
				form.Set("proposal-"+tt.stale, "2020-01-01T00:00:00Z")
			}
			code, body, resp := f.do(t, c, http.MethodPost, "/review/bulk", form, noAuth, map[string]string{"Origin": f.srv.URL})
			if code != tt.want {
				t.Fatalf("POST /review/bulk = %d; want %d\n%s", code, tt.want, body)
			}
			if code == http.StatusSeeOther && resp.Header.Get("Location") != "/review?confirmed=2" {
				t.Errorf("redirect to %q", resp.Header.Get("Location"))
			}
			for _, g := range tt.confirmed {
				if got := state(t, f.st, g); got != domain.StateReady {
					t.Errorf("%s is %s; want ready", g, got)
				}
				d, err := f.st.GetDecision(t.Context(), g)
				must(t, "decision", err)
				if d.HasDebt || d.DecidedBy != who || d.Comment != comment {
					t.Errorf("%s decision = debt %t by %q comment %q; want no debt by %q with %q", g, d.HasDebt, d.DecidedBy, d.Comment, who, comment)
				}
				audit, err := f.st.Audit(t.Context(), g)
				must(t, "audit", err)
				if last := audit[len(audit)-1]; last.Actor != who || last.Action != "reviewed" || !strings.Contains(last.Detail, comment) {
					t.Errorf("%s last audit entry = %+v; want reviewed by %q with the comment", g, last, who)
				}
			}
			for _, g := range tt.left {
				if got := state(t, f.st, g); got != domain.StateReview {
					t.Errorf("%s is %s; want still in review", g, got)
				}
			}
			if code == http.StatusConflict && !strings.Contains(body, `id="error-items"`) {
				t.Errorf("the refusal does not list the refused items:\n%s", body)
			}
		})
	}
	t.Run("without the form token", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		c := f.login(t, who)
		code, _, _ := f.do(t, c, http.MethodPost, "/review/bulk", url.Values{"guid": {srDue1}}, noAuth, map[string]string{"Origin": f.srv.URL})
		if code != http.StatusForbidden || state(t, f.st, srDue1) != domain.StateReview {
			t.Errorf("POST without CSRF = %d, state %s; want 403 and still in review", code, state(t, f.st, srDue1))
		}
	})
}
