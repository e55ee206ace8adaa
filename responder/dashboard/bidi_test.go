package dashboard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
)

const (
	srBidi = "aaaaaaaa-0000-4000-8000-000000000009"
	rlo    = "\u202E"
)

// Hostile values: an unterminated right-to-left override would reverse everything after it
// on the line unless the value is isolated.
var (
	bidiAddress   = "г. Москва, ул. Ленина, д. 1, кв. " + rlo + "21"
	bidiRequester = "УСЗН " + rlo + "йынжоЛ"
	bidiReason    = "причина " + rlo + "ястеянемз"
)

// TestBidiIsolated: every text node that carries a bidi control sits inside a <bdi> (or an
// element the stylesheet isolates), on every page that shows the hostile sub-request.
func TestBidiIsolated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	sr := sub(srBidi, day(3, 10), day(3, 17), domain.StateNew)
	sr.Address, sr.RequesterName = bidiAddress, bidiRequester
	_, err := f.st.UpsertSubRequests(ctx, []domain.SubRequest{sr})
	must(t, "upsert", err)
	must(t, "decide", f.st.SaveDecision(ctx, domain.Decision{SubRequestGUID: srBidi, RuleVersion: "test-1", Review: true,
		ReviewReasons: []string{bidiReason}}, domain.StateReview))

	for _, path := range []string{"/", "/review", "/subrequests/" + srBidi} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			code, body, _ := f.do(t, f.client(t), http.MethodGet, path, nil, bearer(testToken), nil)
			if code != http.StatusOK {
				t.Fatalf("GET %s = %d", path, code)
			}
			doc, err := html.Parse(strings.NewReader(body))
			must(t, "parse the page", err)
			seen := map[string]bool{}
			for n := range doc.Descendants() {
				if n.Type != html.TextNode || !strings.Contains(n.Data, rlo) {
					continue
				}
				seen[n.Data] = true
				if !isolated(n) {
					t.Errorf("%q is shown inside <%s>, which does not isolate it", n.Data, n.Parent.Data)
				}
			}
			want := []string{bidiAddress, bidiRequester}
			if path != "/" {
				want = append(want, bidiReason)
			}
			for _, w := range want {
				if !seen[w] {
					t.Errorf("page does not show %q as one text node (seen: %v)", w, seen)
				}
			}
		})
	}
}

// isolated reports whether a text node's closest element isolates it: <bdi>, or <code> and
// #user, which the stylesheet gives unicode-bidi: isolate.
func isolated(n *html.Node) bool {
	p := n.Parent
	if p == nil || p.Type != html.ElementNode {
		return false
	}
	if p.Data == "bdi" || p.Data == "code" {
		return true
	}
	for _, a := range p.Attr {
		if a.Key == "id" && a.Val == "user" {
			return true
		}
	}
	return false
}

func TestStylesheetIsolates(t *testing.T) {
	t.Parallel()
	css, err := assets.ReadFile("static/style.css")
	must(t, "read the stylesheet", err)
	if !strings.Contains(string(css), "bdi, code, #user { unicode-bidi: isolate; }") {
		t.Errorf("the stylesheet does not isolate bdi, code and #user")
	}
}

// TestBidiReviewerRefused: a name with a bidi control cannot log in, so no decision is ever
// recorded under it.
func TestBidiReviewerRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, name := range []string{"Петрова" + rlo + "авортеП", "\u2067Иванова", "Сидоров\u200F", "adm\u061Cin"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := f.client(t)
			form := url.Values{"csrf": {f.csrf(t, c, "/login", noAuth)}, "token": {testToken}, "name": {name}}
			code, body, resp := f.do(t, c, http.MethodPost, "/login", form, noAuth, map[string]string{"Origin": f.srv.URL})
			if code != http.StatusBadRequest || !strings.Contains(body, "управляющие символы") {
				t.Fatalf("login as %q = %d; want 400 explaining the characters\n%s", name, code, body)
			}
			if len(resp.Cookies()) != 0 {
				t.Errorf("a refused login set cookies: %v", resp.Cookies())
			}
		})
	}
}

// TestReviewRefusalBadReviewer: should a name with a bidi control reach a decision anyway,
// the person reads why in Russian.
func TestReviewRefusalBadReviewer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sr, err := f.st.GetSubRequest(t.Context(), srDue2)
	must(t, "get", err)
	d, err := f.st.GetDecision(t.Context(), srDue2)
	must(t, "decision", err)
	_, err = decide.Review(sr, &d, nil, decide.Choice{Answer: decide.Confirm}, "Петрова"+rlo, "", f.clock.Now())
	msg, ok := reviewRefusals(err, true)
	if !ok || !strings.Contains(msg, "управляющие символы") {
		t.Errorf("reviewRefusals(%v) = %q, %t; want the Russian explanation", err, msg, ok)
	}
}
