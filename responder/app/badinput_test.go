package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// The hostile GIS answers are built around one sub-request.
const (
	hostileSub   = "c0ffee04-1111-4222-8333-444455556666"
	hostileGISID = "00000000-0000-4000-8000-0000000bad01" // the MessageGUID the fake GIS assigns
	hostileEnvNS = `xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" xmlns:drs="http://dom.gosuslugi.ru/schema/integration/drs/"`
)

// hostileSubRequest is a valid subrequestData; the cases spoil one part of it.
const hostileSubRequest = `<drs:subrequestData>
<drs:subrequestGUID>` + hostileSub + `</drs:subrequestGUID>
<drs:requestInfo>
<drs:requestGUID>d00dfeed-1111-4222-8333-444455556666</drs:requestGUID>
<drs:requestNumber>2026-1121-000009</drs:requestNumber>
<drs:organization><drs:orgRootGUID>e1e2e3e4-1111-4222-8333-444455556666</drs:orgRootGUID><drs:name>УСЗН</drs:name></drs:organization>
<drs:housingFundObject>
<drs:houseGUID>55555555-5555-4555-8555-555555555504</drs:houseGUID>
<drs:addressDetails>кв. 4</drs:addressDetails>
<drs:address>ADDRESS</drs:address>
</drs:housingFundObject>
<drs:period><base:startDate>2023-11-01</base:startDate><base:endDate>2026-10-31</base:endDate></drs:period>
<drs:status>Sent</drs:status>
<drs:sentDate>2026-11-19</drs:sentDate>
<drs:responseDate>2026-11-26</drs:responseDate>
<drs:executorInfo><drs:GUID>a9a8a7a6-1111-4222-8333-444455556666</drs:GUID><drs:fio>Сотрудник УСЗН</drs:fio></drs:executorInfo>
</drs:requestInfo>
<drs:responseStatus>NotSent</drs:responseStatus>
</drs:subrequestData>`

// page is a processed export result holding sub (a subrequestData, possibly spoilt).
func page(sub string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope ` + hostileEnvNS + `><soap:Body>
<drs:getStateResult Id="signed-data-container" base:version="14.0.0.0">
<base:RequestState>3</base:RequestState>
<base:MessageGUID>` + hostileGISID + `</base:MessageGUID>
<drs:exportDSRsResult>` + sub + `<drs:pagedOutput><drs:lastPage>true</drs:lastPage></drs:pagedOutput></drs:exportDSRsResult>
</drs:getStateResult></soap:Body></soap:Envelope>`
}

func validPage() string {
	return page(strings.Replace(hostileSubRequest, "ADDRESS", "г. Тверь, ул. Садовая, д. 9, кв. 4", 1))
}

// spoil replaces old in the valid page; the test fails when old is not there.
func spoil(t *testing.T, old, new string) string {
	t.Helper()
	v := validPage()
	s := strings.Replace(v, old, new, 1)
	if s == v {
		t.Fatalf("the page has no %q to replace", old)
	}
	return s
}

func ack(requester string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope ` + hostileEnvNS + `><soap:Body><base:AckRequest><base:Ack>` +
		`<base:MessageGUID>` + hostileGISID + `</base:MessageGUID><base:RequesterMessageGUID>` + requester +
		`</base:RequesterMessageGUID></base:Ack></base:AckRequest></soap:Body></soap:Envelope>`
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<soap:Envelope ` + hostileEnvNS + `><soap:Body><base:AckRequest><base:Ack><base:MessageGUID>&lol9;</base:MessageGUID></base:Ack></base:AckRequest></soap:Body></soap:Envelope>`

// hostileCase is one bad answer from "GIS": to the export itself (ack) or to getState
// (state). A nil ack answers with a valid AckRequest.
type hostileCase struct {
	name  string
	ack   func(w http.ResponseWriter, requester string)
	state func(w http.ResponseWriter)
	want  string // the error RunOnce returns must contain this
}

func xmlBody(body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = io.WriteString(w, body)
	}
}

// TestHostileGISResponses runs the daemon's full pass (app.RunOnce, SQLite store) against a
// "GIS" that answers the export with hostile or broken bodies. Each gives an error that
// says what was wrong, nothing panics, no file is read on the peer's behalf, and the store
// is left as it was: no sub-request, no audit entry, no watermark.
func TestHostileGISResponses(t *testing.T) {
	t.Parallel()
	marker := "GISGW-XXE-MARKER-7f3a9c"
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte(marker+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	xxe := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file://` + secret + `">]>` +
		strings.TrimPrefix(page(strings.Replace(hostileSubRequest, "ADDRESS", "&xxe;", 1)), `<?xml version="1.0" encoding="UTF-8"?>`)
	var streamed atomic.Int64 // bytes of the 100 MB answer the client took
	const huge = 100 << 20
	cases := []hostileCase{
		{name: "billion laughs in the Ack", want: "document type declarations are not accepted",
			ack: func(w http.ResponseWriter, _ string) { xmlBody(billionLaughs)(w) }},
		{name: "external entity to a local file", want: "document type declarations are not accepted", state: xmlBody(xxe)},
		{name: "100 MB response", want: "larger than the 16777216-byte limit", state: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			head := strings.Replace(validPage(), "ADDRESS", "", 1)
			i := strings.Index(head, "</drs:address>")
			if _, err := io.WriteString(w, head[:i]); err != nil {
				return
			}
			chunk := bytes.Repeat([]byte("д"), 32<<10) // 64 KiB of valid UTF-8
			for sent := 0; sent < huge; sent += len(chunk) {
				n, err := w.Write(chunk)
				streamed.Add(int64(n))
				if err != nil {
					return // the client stopped reading, as it should
				}
			}
			_, _ = io.WriteString(w, head[i:])
		}},
		{name: "invalid UTF-8", want: "invalid UTF-8"},
		{name: "declared windows-1251", want: `encoding "windows-1251" is not accepted (only UTF-8)`,
			state: xmlBody(strings.Replace(validPage(), `encoding="UTF-8"`, `encoding="windows-1251"`, 1))},
		{name: "malformed subrequestGUID", want: `subrequestGUID "c0ffee04-1111-4222-8333-4444555566" is not a GUID`},
		{name: "malformed houseGUID", want: `housingFundObject/houseGUID "5555-5555" is not a GUID`},
		{name: "malformed sentDate", want: "requestInfo/sentDate is missing or not a date"},
		{name: "malformed responseDate", want: "requestInfo/responseDate is missing or not a date"},
		{name: "malformed period", want: "requestInfo/period/endDate is missing or not a date"},
		{name: "truncated getState result", want: "the response is truncated after"},
		{name: "truncated Ack", want: "the response is truncated after", ack: func(w http.ResponseWriter, requester string) {
			a := ack(requester)
			xmlBody(a[:len(a)/2])(w)
		}},
		{name: "HTML instead of SOAP", want: "root element is <html>", state: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html><head><title>Портал ГИС ЖКХ</title></head><body><p>Ведутся технические работы</p></body></html>")
		}},
		{name: "empty body", want: "empty response", state: func(http.ResponseWriter) {}},
		{name: "Ack for another message", want: "not ours", ack: func(w http.ResponseWriter, _ string) {
			xmlBody(ack("00000000-0000-4000-8000-0000000000ff"))(w)
		}},
		{name: "RequestState 9", want: `RequestState "9"`,
			state: xmlBody(strings.Replace(validPage(), "<base:RequestState>3<", "<base:RequestState>9<", 1))},
	}
	// Bodies built from the valid page need t for spoil; fill them in here.
	for i := range cases {
		c := &cases[i]
		switch c.name {
		case "invalid UTF-8":
			c.state = xmlBody(strings.Replace(validPage(), "Садовая", "Сад\xff\xfeовая", 1))
		case "malformed subrequestGUID":
			c.state = xmlBody(spoil(t, "<drs:subrequestGUID>"+hostileSub, "<drs:subrequestGUID>"+hostileSub[:34]))
		case "malformed houseGUID":
			c.state = xmlBody(spoil(t, "<drs:houseGUID>55555555-5555-4555-8555-555555555504", "<drs:houseGUID>5555-5555"))
		case "malformed sentDate":
			c.state = xmlBody(spoil(t, "<drs:sentDate>2026-11-19", "<drs:sentDate>2026-19-11"))
		case "malformed responseDate":
			c.state = xmlBody(spoil(t, "<drs:responseDate>2026-11-26", "<drs:responseDate>26.11.2026"))
		case "malformed period":
			c.state = xmlBody(spoil(t, "<base:endDate>2026-10-31", "<base:endDate>2026-10-32"))
		case "truncated getState result":
			v := validPage()
			c.state = xmlBody(v[:strings.Index(v, "<drs:sentDate>")+9])
		}
		if c.ack == nil && c.state == nil {
			t.Fatalf("%s: no hostile body", c.name)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var exports, states, others atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				msg, err := soap.Parse(r.Body, 1<<20)
				if err != nil {
					http.Error(w, "fake GIS: "+err.Error(), http.StatusBadRequest)
					return
				}
				switch msg.BodyName().Local {
				case "exportDSRsRequest":
					exports.Add(1)
					var hdr wsdl.RequestHeader
					requester := ""
					if ok, err := msg.DecodeHeader(&hdr); ok && err == nil && hdr.HeaderType != nil && hdr.MessageGUID != nil {
						requester = string(*hdr.MessageGUID)
					}
					if c.ack != nil {
						c.ack(w, requester)
						return
					}
					xmlBody(ack(requester))(w)
				case "getStateRequest":
					states.Add(1)
					c.state(w)
				default:
					others.Add(1)
					http.Error(w, "fake GIS: unexpected "+msg.BodyName().Local, http.StatusBadRequest)
				}
			}))
			defer srv.Close()

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			key, cert := apptest.TestKey(t)
			cfg := config.Config{
				DB:     filepath.Join(t.TempDir(), "gisgw.db"),
				Listen: "127.0.0.1:0",
				Log:    config.Log{Level: "warn", Format: "text"},
				GIS: config.GIS{
					Endpoint: srv.URL,
					Poll:     []config.Duration{config.Duration(5 * time.Millisecond)},
					Retry:    config.Retry{Initial: config.Duration(time.Millisecond), Max: config.Duration(5 * time.Millisecond), MaxRetries: 1},
				},
				Signing:       config.Signing{Key: key, Cert: cert},
				Organizations: []config.Organization{{OrgPPAGUID: apptest.Org, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"}},
				// One export at a time (no pull day by day), so that the bytes streamed are
				// one answer's.
				Pipeline: config.Pipeline{Concurrency: 1},
			}
			logs := &lockedBuffer{}
			log := slog.New(app.MaskHandler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			now := func() time.Time { return apptest.Today }
			a, err := app.New(ctx, cfg, app.Deps{Logger: log, Now: now, Registry: prometheus.NewRegistry(), Owner: "badinput"})
			if err != nil {
				t.Fatalf("app.New: %v", err)
			}
			defer a.Close()
			st := a.Store()
			auditBefore, err := st.Audit(ctx, "")
			if err != nil {
				t.Fatal(err)
			}

			runErr := a.RunOnce(ctx)
			if runErr == nil {
				t.Fatalf("RunOnce accepted the hostile answer; want an error containing %q", c.want)
			}
			if !strings.Contains(runErr.Error(), c.want) {
				t.Errorf("RunOnce error %q; want it to contain %q", runErr, c.want)
			}
			if exports.Load() == 0 || (c.ack == nil && states.Load() == 0) || others.Load() != 0 {
				t.Errorf("fake GIS saw %d exports, %d getState, %d other calls; the hostile body was not reached as intended",
					exports.Load(), states.Load(), others.Load())
			}

			srs, err := st.ListSubRequests(ctx, store.SubRequestFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(srs) != 0 {
				t.Errorf("store holds %d sub-requests after a hostile answer (first: %+v); want none", len(srs), srs[0])
			}
			if sub, err := st.Audit(ctx, hostileSub); err != nil || len(sub) != 0 {
				t.Errorf("audit trail of %s: %d entries, %v; want none", hostileSub, len(sub), err)
			}
			auditAfter, err := st.Audit(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(auditAfter) != len(auditBefore) {
				t.Errorf("store-wide audit trail grew from %d to %d entries: %+v", len(auditBefore), len(auditAfter), auditAfter[len(auditBefore):])
			}
			if wm, err := st.Watermark(ctx, apptest.Org); err != nil || !wm.IsZero() {
				t.Errorf("watermark %v, %v; want none: nothing was pulled", wm, err)
			}
			for where, text := range map[string]string{"the error": runErr.Error(), "the log": logs.tail(1 << 20)} {
				if strings.Contains(text, marker) {
					t.Errorf("the content of %s, which only an external entity could read, appears in %s", secret, where)
				}
			}
			if c.name == "100 MB response" {
				if got := streamed.Load(); got >= huge/2 {
					t.Errorf("the client read %d bytes of the 100 MB answer; it should stop at the 16 MiB limit", got)
				}
			}
		})
	}
}

// TestHostileGISControl is the control of TestHostileGISResponses: the same fake GIS with
// the unspoilt page gets the sub-request stored, so the cases above fail for their bad
// part only.
func TestHostileGISControl(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, err := soap.Parse(r.Body, 1<<20)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch msg.BodyName().Local {
		case "exportDSRsRequest":
			var hdr wsdl.RequestHeader
			if _, err := msg.DecodeHeader(&hdr); err != nil || hdr.HeaderType == nil || hdr.MessageGUID == nil {
				http.Error(w, fmt.Sprintf("no header: %v", err), http.StatusBadRequest)
				return
			}
			xmlBody(ack(string(*hdr.MessageGUID)))(w)
		case "getStateRequest":
			xmlBody(validPage())(w)
		default:
			http.Error(w, "unexpected", http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key, cert := apptest.TestKey(t)
	cfg := config.Config{
		DB: filepath.Join(t.TempDir(), "gisgw.db"), Listen: "127.0.0.1:0", Log: config.Log{Level: "warn", Format: "text"},
		GIS: config.GIS{Endpoint: srv.URL, Poll: []config.Duration{config.Duration(5 * time.Millisecond)},
			Retry: config.Retry{Initial: config.Duration(time.Millisecond), Max: config.Duration(5 * time.Millisecond), MaxRetries: 1}},
		Signing:       config.Signing{Key: key, Cert: cert},
		Organizations: []config.Organization{{OrgPPAGUID: apptest.Org, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"}},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg, app.Deps{Logger: log, Now: func() time.Time { return apptest.Today }, Registry: prometheus.NewRegistry(), Owner: "control"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// The pass may end with an error later on (nothing here answers imports); the pull
	// itself must have stored the sub-request.
	_ = a.RunOnce(ctx)
	sr, err := a.Store().GetSubRequest(ctx, hostileSub)
	if err != nil {
		t.Fatalf("the valid page was not stored: %v", err)
	}
	if sr.SentDate.Format(time.DateOnly) != "2026-11-19" || sr.ResponseDate.Format(time.DateOnly) != "2026-11-26" || sr.HouseGUID == "" {
		t.Errorf("stored %+v; want sentDate 2026-11-19, responseDate 2026-11-26 and the house GUID", sr)
	}
}
