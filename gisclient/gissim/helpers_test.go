package gissim_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	gsoap "github.com/hooklift/gowsdl/soap"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

const (
	orgA = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"
	orgB = "11111111-2222-4333-8444-555555555555"
)

var mskZone = time.FixedZone("MSK", 3*3600)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, mskZone)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testLogger writes the simulator's log to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// harness is a simulator behind a real HTTP server.
type harness struct {
	t   testing.TB
	sim *gissim.Sim
	srv *httptest.Server
	url string
}

func newHarness(t testing.TB, opts gissim.Options) *harness {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	if opts.Now == nil {
		// The fixtures are dated November 2026; on the real clock they would all be overdue.
		opts.Now = newClock().Now
	}
	sim := gissim.New(opts)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, sim: sim, srv: srv, url: srv.URL + gissim.ServicePath}
}

func (h *harness) loadCSV(csv string) {
	h.t.Helper()
	if err := h.sim.LoadScenario(strings.NewReader(csv)); err != nil {
		h.t.Fatalf("LoadScenario: %v", err)
	}
}

// envelope builds a request envelope for org with the wire layer, as the client does.
func envelope(t testing.TB, org string, body any) ([]byte, string) {
	t.Helper()
	guid := uuid.NewString()
	h := soap.Header{Date: time.Now().In(mskZone), MessageGUID: guid, OrgPPAGUID: org}
	env, err := soap.Envelope(h.RequestHeader(), body)
	if err != nil {
		t.Fatalf("soap.Envelope: %v", err)
	}
	return env, guid
}

// post sends raw bytes to the SOAP endpoint.
func (h *harness) post(env []byte, action string) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url, bytes.NewReader(env))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	if action != "" {
		req.Header.Set("SOAPAction", `"`+action+`"`)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read response: %v", err)
	}
	return resp.StatusCode, b
}

// call sends body for org and parses the answer.
func (h *harness) call(org string, body any) (*soap.Message, []byte, string) {
	h.t.Helper()
	env, guid := envelope(h.t, org, body)
	status, b := h.post(env, "")
	m, err := soap.ParseBytes(b)
	if err != nil {
		h.t.Fatalf("HTTP %d, response is not SOAP: %v\n%s", status, err, b)
	}
	if (m.Fault() == nil) != (status == http.StatusOK) {
		h.t.Fatalf("HTTP %d with fault=%v", status, m.Fault())
	}
	return m, b, guid
}

// submit sends a business request and returns the assigned MessageGUID.
func (h *harness) submit(org string, body any) string {
	h.t.Helper()
	m, raw, guid := h.call(org, body)
	var ack wsdl.AckRequest
	if err := m.DecodeBody(&ack); err != nil {
		h.t.Fatalf("want an AckRequest: %v\n%s", err, raw)
	}
	if got := string(*ack.Ack.RequesterMessageGUID); got != guid {
		h.t.Fatalf("RequesterMessageGUID %s, want %s", got, guid)
	}
	return string(*ack.Ack.MessageGUID)
}

// fault sends body and returns the Fault it must provoke.
func (h *harness) fault(org string, body any) *soap.Fault {
	h.t.Helper()
	m, raw, _ := h.call(org, body)
	if m.Fault() == nil {
		h.t.Fatalf("want a SOAP Fault, got\n%s", raw)
	}
	return m.Fault()
}

func (h *harness) state(org, messageGUID string) (*wsdl.GetStateResult, []byte) {
	h.t.Helper()
	g := wsdl.GUIDType(messageGUID)
	m, raw, _ := h.call(org, &wsdl.GetStateRequest{MessageGUID: &g})
	var res wsdl.GetStateResult
	if err := m.DecodeBody(&res); err != nil {
		h.t.Fatalf("want a getStateResult: %v\n%s", err, raw)
	}
	return &res, raw
}

// result submits body and returns its processed result (Delay must have passed).
func (h *harness) result(org string, body any) *wsdl.GetStateResult {
	h.t.Helper()
	res, raw := h.state(org, h.submit(org, body))
	if *res.RequestState != wsdl.AsyncRequestStateType3 {
		h.t.Fatalf("RequestState %s, want 3\n%s", *res.RequestState, raw)
	}
	return res
}

func g(s string) *wsdl.GUIDType { v := wsdl.GUIDType(s); return &v }

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func period(from, to string) *wsdl.Period {
	return &wsdl.Period{StartDate: gsoap.CreateXsdDate(day(from), false), EndDate: gsoap.CreateXsdDate(day(to), false)}
}

func exportByPeriod(from, to string) *wsdl.ExportDSRsRequest {
	return &wsdl.ExportDSRsRequest{
		BaseType:               &wsdl.BaseType{Id: "signed-data-container"},
		Version:                "14.0.0.0",
		PeriodOfSendingRequest: period(from, to),
	}
}

func importOf(actions ...*wsdl.ImportDSRResponseActionType) *wsdl.ImportDSRResponsesRequest {
	return &wsdl.ImportDSRResponsesRequest{
		BaseType: &wsdl.BaseType{Id: "signed-data-container"},
		Version:  "14.0.0.0",
		Action:   actions,
	}
}

const executor = "77777777-7777-4777-8777-777777777777"

func send(sub string, rd *wsdl.ImportDSRResponseType) *wsdl.ImportDSRResponseActionType {
	t := wsdl.TransportGUID(uuid.NewString())
	at := wsdl.DSRResponseActionTypeSend
	return &wsdl.ImportDSRResponseActionType{TransportGUID: &t, SubrequestGUID: g(sub), ActionType: &at, ResponseData: rd}
}

func revoke(sub string) *wsdl.ImportDSRResponseActionType {
	t := wsdl.TransportGUID(uuid.NewString())
	at := wsdl.DSRResponseActionTypeRevoke
	return &wsdl.ImportDSRResponseActionType{TransportGUID: &t, SubrequestGUID: g(sub), ActionType: &at}
}

func noDebt() *wsdl.ImportDSRResponseType {
	return &wsdl.ImportDSRResponseType{HasDebt: false, ExecutorGUID: g(executor)}
}

func attachment(guid, hash string) *wsdl.AttachmentType {
	return &wsdl.AttachmentType{
		Name:           "court-order.pdf",
		Description:    "Судебный приказ",
		Attachment:     &wsdl.AttachmentRefType{AttachmentGUID: g(guid)},
		AttachmentHASH: hash,
	}
}

func debt(attachmentGUID, hash string) *wsdl.ImportDSRResponseType {
	first, last, middle := wsdl.PersonNameType("Иван"), wsdl.PersonNameType("Иванов"), wsdl.PersonNameType("Иванович")
	snils := wsdl.SNILSType("11223344595")
	code := wsdl.NsiCodeType("1")
	return &wsdl.ImportDSRResponseType{
		HasDebt:      true,
		ExecutorGUID: g(executor),
		DebtInfo: []*wsdl.DebtInfoType{{
			Person: &wsdl.PersonType{FirstName: &first, LastName: &last, MiddleName: &middle, Snils: &snils},
			Document: []*wsdl.DebtDocumentType{{
				Type_:      &wsdl.NsiRef{Code: &code, GUID: g("237b587e-0b10-4702-b78c-8d641c3d4d45")},
				Attachment: attachment(attachmentGUID, hash),
			}},
		}},
	}
}

// csvHeader is the scenario header.
const csvHeader = "org_ppa_guid,subrequest_guid,request_guid,request_number,requester_guid,requester_name,house_guid,address_details,hm_object_guid,adress_type,fias_house_guid,address,period_from,period_to,sent_date,response_date\n"

// row is a scenario row for org addressed by house GUID (hm == false) or HMobjectGUID.
func row(org, sub, number, house string, hm bool, sent, response string) string {
	if hm {
		return fmt.Sprintf("%s,%s,%s,%s,3d9a7c52-1e4b-4f6a-9c8d-5e2f1a0b7c01,УСЗН,,,%s,Apartment,,\"г. Москва, ул. Ленина, д. 12, кв. 7\",2024-01-01,2026-10-31,%s,%s\n",
			org, sub, uuid.NewString(), number, house, sent, response)
	}
	return fmt.Sprintf("%s,%s,%s,%s,3d9a7c52-1e4b-4f6a-9c8d-5e2f1a0b7c01,УСЗН,%s,кв. 1,,,,\"г. Москва, ул. Ленина, д. 10, кв. 1\",2024-01-01,2026-10-31,%s,%s\n",
		org, sub, uuid.NewString(), number, house, sent, response)
}

func subGUID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }
