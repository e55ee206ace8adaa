package dashboard

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/mask"
	"github.com/gisgw/gisgw/responder/report"
	"github.com/gisgw/gisgw/responder/ru"
)

// pageNames are the templates under templates/, each rendered inside layout.html.
var pageNames = []string{"login", "error", "overview", "subrequest", "review", "failed", "list", "inventory"}

// page is what layout.html gets: the common parts and the page's own data.
type page struct {
	Title  string
	User   string
	Cookie bool // show the logout button
	CSRF   string
	Nav    string
	Data   any
	// Warnings are shown under the header of every page after login (an expiring
	// certificate), in Russian.
	Warnings []string
}

var pageTitles = map[string]string{
	"login":      "Вход",
	"error":      "Ошибка",
	"overview":   "Обзор",
	"subrequest": "Подзапрос",
	"review":     "На проверке",
	"failed":     "Ошибки отправки",
	"list":       "Подзапросы",
	"inventory":  "Инвентаризация задолженности",
}

// titled is page data that names its own page (a sub-request by its address).
type titled interface{ PageTitle() string }

func parsePages(orgs map[string]string) (map[string]*template.Template, error) {
	funcs := templateFuncs()
	// org names an organization by its configured name, the GUID only when it has none.
	funcs["org"] = func(guid string) string { return cmp.Or(orgs[guid], guid) }
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render executes a page into a buffer first, so that a template error is a clean 500.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, id identity, data any) {
	p := page{Title: pageTitles[name], User: id.User, Cookie: id.Cookie, Nav: name, Data: data}
	if t, ok := data.(titled); ok {
		// <title> cannot isolate bidirectional text, so controls are dropped there.
		p.Title = strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Bidi_Control, r) || unicode.IsControl(r) {
				return -1
			}
			return r
		}, t.PageTitle())
	}
	if id.Session != "" {
		p.CSRF = d.auth.csrfToken(id.Session)
	}
	if id.User != "" && d.warnings != nil {
		p.Warnings = d.warnings()
	}
	var buf bytes.Buffer
	if err := d.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		d.log.Error("dashboard: render page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorView is the error page: a message for the person and where to go back.
type errorView struct {
	Status  int
	Message string
	Detail  string
	Items   []string // one line per item a bulk action could not take
	Back    string
}

// fail shows an error page with msg (Russian, for the person).
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, id identity, status int, msg string) {
	d.failDetail(w, r, id, status, msg, "")
}

func (d *Dashboard) failDetail(w http.ResponseWriter, r *http.Request, id identity, status int, msg, detail string) {
	back := "/"
	switch {
	case strings.HasPrefix(r.URL.Path, "/review"):
		back = "/review"
	case strings.HasPrefix(r.URL.Path, "/failed"):
		back = "/failed"
	case strings.HasPrefix(r.URL.Path, "/login"):
		back = "/login"
	}
	d.render(w, r, status, "error", id, errorView{Status: status, Message: msg, Detail: detail, Back: back})
}

// storeError answers a failed store call: 404 for an unknown sub-request, 500 otherwise
// (logged without the request's data).
func (d *Dashboard) storeError(w http.ResponseWriter, r *http.Request, id identity, what string, err error) {
	if isNotFound(err) {
		d.fail(w, r, id, http.StatusNotFound, "Подзапрос не найден.")
		return
	}
	d.log.Error("dashboard: store", "op", what, "path", r.URL.Path, "err", err)
	d.fail(w, r, id, http.StatusInternalServerError, "Не удалось прочитать данные. Подробности в журнале сервиса.")
}

// templateFuncs are the functions of every page; parsePages adds those that need the
// dashboard's configuration.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		// masked hides personal data GIS quoted in an error text (and the audit entries that
		// repeat it); the store keeps the whole text.
		"masked": mask.Text,
		"date":   func(t time.Time) string { return cmp.Or(ru.Date(t), "—") },
		"stamp": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return ru.Stamp(t) + " МСК"
		},
		"state":      ru.StateName,
		"correction": ru.CorrectionStep,
		"match": func(m string) string {
			if m == "" {
				return "не сопоставлено"
			}
			return ru.MatchMethod(m)
		},
		// Stored review reasons and audit entries carry codes and English for machines; the
		// officer reads their Russian rendering.
		"reason":      ru.Reason,
		"auditAction": ru.AuditAction,
		"auditDetail": ru.AuditDetail,
		"auditActor":  ru.AuditActor,
		"rules":       ru.RuleVersion,
		"addressType": ru.AddressType,
		"gisStatus":   ru.ResponseStatus,
		"kind": func(k domain.ActKind) string {
			switch k {
			case domain.ActCourtOrder:
				return "судебный приказ"
			case domain.ActJudgment:
				return "решение суда"
			}
			return "вид не указан"
		},
		"money":     ru.Money,
		"monthName": report.MonthName,
		// Agreements on court acts (LEGAL-RULES §10.6), named as in the answer's description.
		"agreementKind":   decide.AgreementKindName,
		"agreementStatus": decide.AgreementStatusName,
		"yesno": func(b bool) string {
			if b {
				return "да"
			}
			return "нет"
		},
		"debt": func(b bool) string {
			if b {
				return "есть задолженность"
			}
			return "нет задолженности"
		},
		"person": personName,
		"snils":  maskSNILS,
		"doc":    maskDoc,
	}
}

func personName(p domain.Person) string {
	return strings.TrimSpace(strings.Join([]string{p.LastName, p.FirstName, p.MiddleName}, " "))
}

// maskSNILS shows only the check digits: the page is for checking an answer, not a register.
func maskSNILS(s string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if len(digits) < 2 {
		return "—"
	}
	return "•••-•••-••• " + digits[len(digits)-2:]
}

// maskDoc shows an identity document's type and the last two characters of its number.
func maskDoc(p domain.Person) string {
	if p.DocType == "" && p.DocNumber == "" {
		return "—"
	}
	n := []rune(p.DocNumber)
	tail := ""
	if len(n) >= 2 {
		tail = " № …" + string(n[len(n)-2:])
	}
	return "код НСИ 95: " + cmp.Or(p.DocType, "?") + tail
}

func isNotFound(err error) bool { return errors.Is(err, domain.ErrNotFound) }
