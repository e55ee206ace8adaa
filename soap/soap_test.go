package soap_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gsoap "github.com/hooklift/gowsdl/soap"

	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/soap/soaptest"
	"github.com/gisgw/gisgw/wsdl"
)

var update = flag.Bool("update", false, "rewrite golden files")

var msk = time.FixedZone("MSK", 3*3600)

func ptr[T any](v T) *T { return &v }

func fixedHeader() soap.Header {
	return soap.Header{
		Date:        time.Date(2026, 11, 20, 10, 15, 30, 123e6, msk),
		MessageGUID: "a1b2c3d4-e5f6-4711-8899-aabbccddeeff",
		OrgPPAGUID:  "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
	}
}

func date(y, m, d int) gsoap.XSDDate {
	return gsoap.CreateXsdDate(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), false)
}

// outbound builds one message of every kind the client sends.
func outbound() map[string]struct{ header, body any } {
	g := func(s string) *wsdl.GUIDType { v := wsdl.GUIDType(s); return &v }
	notSent := wsdl.ResponseStatusTypeNotSent
	sent := wsdl.RequestStatusTypeSent
	send, revoke := wsdl.DSRResponseActionTypeSend, wsdl.DSRResponseActionTypeRevoke
	tg := func(s string) *wsdl.TransportGUID { v := wsdl.TransportGUID(s); return &v }
	code := wsdl.NsiCodeType("1")
	passport := wsdl.NsiCodeType("1")
	h := fixedHeader()
	hOp := h
	hOp.IsOperatorSignature = true
	signed := func() *wsdl.BaseType { return &wsdl.BaseType{Id: "signed-data-container"} }
	return map[string]struct{ header, body any }{
		"export-period": {h.RequestHeader(), &wsdl.ExportDSRsRequest{
			BaseType:               signed(),
			Version:                "14.0.0.0",
			PeriodOfSendingRequest: &wsdl.Period{StartDate: date(2026, 6, 1), EndDate: date(2026, 11, 20)},
			ExportHMObjectGUID: []*wsdl.ExportHMObjectInfoType{{
				HMobjectGUID: g("55555555-5555-4555-8555-555555555555"), AdressType: ptr(wsdl.AdressType("Apartment")),
			}},
			RequestStatus:        &sent,
			ResponseStatus:       []*wsdl.ResponseStatusType{&notSent},
			ExportSubrequestGUID: g("22222222-2222-4222-8222-222222222222"),
		}},
		"export-guids": {hOp.RequestHeader(), &wsdl.ExportDSRsRequest{
			BaseType: signed(), Version: "14.0.0.0",
			SubrequestGUID: []*wsdl.GUIDType{g("22222222-2222-4222-8222-222222222222"), g("33333333-3333-4333-8333-333333333333")},
		}},
		"export-numbers": {h.RequestHeader(), &wsdl.ExportDSRsRequest{
			BaseType: signed(), Version: "14.0.0.0",
			RequestNumber: []*wsdl.RequestNumberType{ptr(wsdl.RequestNumberType("2026-1120-000017"))},
		}},
		"import": {h.RequestHeader(), &wsdl.ImportDSRResponsesRequest{
			BaseType: signed(), Version: "14.0.0.0",
			Action: []*wsdl.ImportDSRResponseActionType{
				{
					TransportGUID: tg("bbbbbbbb-1111-4222-8333-444455556666"), SubrequestGUID: g("c0ffee00-1111-4222-8333-444455556666"),
					ActionType: &send,
					ResponseData: &wsdl.ImportDSRResponseType{
						HasDebt:      true,
						Description:  ptr(wsdl.DescriptionType("Судебный приказ № 2-1234/2025")),
						ExecutorGUID: g("a9a8a7a6-1111-4222-8333-444455556666"),
						DebtInfo: []*wsdl.DebtInfoType{{
							Person: &wsdl.PersonType{
								FirstName: ptr(wsdl.PersonNameType("Иван")), LastName: ptr(wsdl.PersonNameType("Петров")),
								MiddleName: ptr(wsdl.PersonNameType("Сергеевич")), Snils: ptr(wsdl.SNILSType("11223344595")),
								Document: &wsdl.DocumentType{
									Type_:  &wsdl.NsiRef{Code: &passport, GUID: g("d1d2d3d4-1111-4222-8333-444455556666")},
									Series: ptr(wsdl.String255Type("4510")), Number: ptr(wsdl.String255Type("123456")),
								},
							},
							Document: []*wsdl.DebtDocumentType{{
								Type_: &wsdl.NsiRef{Code: &code, GUID: g("237b587e-0b10-4702-b78c-8d641c3d4d45"), Name: "Судебный приказ"},
								Attachment: &wsdl.AttachmentType{
									Name: "prikaz-2-1234-2025.pdf", Description: "Судебный приказ",
									Attachment:     &wsdl.AttachmentRefType{AttachmentGUID: g("e9e8e7e6-1111-4222-8333-444455556666")},
									AttachmentHASH: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
								},
							}},
						}},
					},
				},
				{
					TransportGUID: tg("cccccccc-1111-4222-8333-444455556666"), SubrequestGUID: g("d0ffee00-1111-4222-8333-444455556666"),
					ActionType:   &send,
					ResponseData: &wsdl.ImportDSRResponseType{HasDebt: false, ExecutorGUID: g("a9a8a7a6-1111-4222-8333-444455556666")},
				},
				{
					TransportGUID: tg("dddddddd-1111-4222-8333-444455556666"), SubrequestGUID: g("e0ffee00-1111-4222-8333-444455556666"),
					ActionType: &revoke,
				},
			},
		}},
		"getstate": {h.RequestHeader(), &wsdl.GetStateRequest{MessageGUID: g("0f0e0d0c-0b0a-4909-8807-060504030201")}},
	}
}

func TestEnvelopeValidatesAgainstOfficialSchema(t *testing.T) {
	t.Parallel()
	for name, m := range outbound() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := soap.Envelope(m.header, m.body)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".golden.xml", b)
			soaptest.ValidateEnvelope(t, b)
			// What we write we can read back.
			msg, err := soap.ParseBytes(b)
			if err != nil {
				t.Fatalf("own envelope does not parse: %v", err)
			}
			var hdr wsdl.RequestHeader
			if ok, err := msg.DecodeHeader(&hdr); !ok || err != nil {
				t.Fatalf("header: present=%v err=%v", ok, err)
			}
			if got := string(*hdr.MessageGUID); got != fixedHeader().MessageGUID {
				t.Errorf("MessageGUID = %q", got)
			}
			if got := hdr.Date.ToGoTime(); !got.Equal(fixedHeader().Date) {
				t.Errorf("Date = %v, want %v", got, fixedHeader().Date)
			}
		})
	}
}

func TestEnvelopeDateHasOffset(t *testing.T) {
	t.Parallel()
	b, err := soap.Envelope(fixedHeader().RequestHeader(), &wsdl.GetStateRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("2026-11-20T10:15:30.123+03:00")) {
		t.Fatalf("header Date without Moscow offset:\n%s", b)
	}
	if !bytes.Contains(outboundBytes(t, "import"), []byte(`base:version="14.0.0.0"`)) {
		t.Fatalf("base:version must be namespace-qualified")
	}
}

func outboundBytes(t *testing.T, name string) []byte {
	m := outbound()[name]
	b, err := soap.Envelope(m.header, m.body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestImportHasDebtFalseIsSent(t *testing.T) {
	t.Parallel()
	if !bytes.Contains(outboundBytes(t, "import"), []byte("<hasDebt>false</hasDebt>")) {
		t.Fatal("hasDebt=false must be present: the element is required")
	}
}

func TestResponseFixturesValidate(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.xml")
	n := 0
	for _, f := range files {
		if strings.Contains(f, ".golden.") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			soaptest.ValidateEnvelope(t, b)
		})
		n++
	}
	if n < 5 {
		t.Fatalf("only %d response fixtures", n)
	}
}

func load(t *testing.T, name string) *soap.Message {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := soap.Parse(f, 0)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return m
}

func TestDecodeResponses(t *testing.T) {
	t.Parallel()
	t.Run("ack", func(t *testing.T) {
		m := load(t, "ack.xml")
		var hdr wsdl.ResultHeader
		if ok, err := m.DecodeHeader(&hdr); !ok || err != nil {
			t.Fatalf("header: %v %v", ok, err)
		}
		var ack wsdl.AckRequest
		if err := m.DecodeBody(&ack); err != nil {
			t.Fatal(err)
		}
		if got := string(*ack.Ack.RequesterMessageGUID); got != "a1b2c3d4-e5f6-4711-8899-aabbccddeeff" {
			t.Errorf("RequesterMessageGUID = %q", got)
		}
		if got := string(*ack.Ack.MessageGUID); got != "0f0e0d0c-0b0a-4909-8807-060504030201" {
			t.Errorf("MessageGUID = %q", got)
		}
		// A body of another element is refused, naming both.
		var gs wsdl.GetStateResult
		err := m.DecodeBody(&gs)
		if !errors.Is(err, soap.ErrNotSOAP) || !strings.Contains(err.Error(), "AckRequest") {
			t.Fatalf("want ErrNotSOAP naming AckRequest, got %v", err)
		}
	})
	t.Run("export", func(t *testing.T) {
		var gs wsdl.GetStateResult
		if err := load(t, "getstate-export.xml").DecodeBody(&gs); err != nil {
			t.Fatal(err)
		}
		if *gs.RequestState != wsdl.AsyncRequestStateType3 {
			t.Errorf("RequestState = %v", *gs.RequestState)
		}
		res := gs.ExportDSRsResult
		if res == nil || len(res.SubrequestData) != 1 {
			t.Fatalf("exportDSRsResult = %+v", res)
		}
		sr := res.SubrequestData[0]
		hfo := sr.RequestInfo.HousingFundObject
		if hfo.HouseGUID == nil || string(*hfo.AddressDetails) != "кв. 12" || string(*hfo.FiasHouseGUID) == "" {
			t.Errorf("housingFundObject = %+v", hfo)
		}
		if got := sr.RequestInfo.Period.StartDate.ToGoTime().Format("2006-01-02"); got != "2023-11-01" {
			t.Errorf("period start = %s", got)
		}
		if got := sr.RequestInfo.ResponseDate.ToGoTime().Format("2006-01-02"); got != "2026-11-27" {
			t.Errorf("responseDate = %s", got)
		}
		if res.PagedOutput == nil || res.PagedOutput.NextSubrequestGUID == nil || res.PagedOutput.LastPage {
			t.Errorf("pagedOutput = %+v", res.PagedOutput)
		}
		if gs.Version != "14.0.0.0" {
			t.Errorf("version = %q", gs.Version)
		}
	})
	t.Run("import", func(t *testing.T) {
		var gs wsdl.GetStateResult
		if err := load(t, "getstate-import.xml").DecodeBody(&gs); err != nil {
			t.Fatal(err)
		}
		if len(gs.ImportResult) != 2 {
			t.Fatalf("importResult = %d", len(gs.ImportResult))
		}
		ok, bad := gs.ImportResult[0], gs.ImportResult[1]
		if ok.UpdateDate == nil || len(ok.Error) != 0 || string(*ok.GUID) == "" {
			t.Errorf("success result = %+v", ok)
		}
		if len(bad.Error) != 1 || bad.Error[0].ErrorCode != "INT002000" || bad.Error[0].Description != "Отсутствует в реестре" {
			t.Errorf("error result = %+v", bad)
		}
	})
	t.Run("empty", func(t *testing.T) {
		var gs wsdl.GetStateResult
		if err := load(t, "getstate-empty.xml").DecodeBody(&gs); err != nil {
			t.Fatal(err)
		}
		if gs.ErrorMessage == nil || gs.ErrorMessage.ErrorCode != "INT002012" {
			t.Fatalf("ErrorMessage = %+v", gs.ErrorMessage)
		}
	})
	t.Run("fault", func(t *testing.T) {
		m := load(t, "fault-exp001000.xml")
		f := m.Fault()
		if f == nil || f.ErrorCode != "EXP001000" || f.Code != "soap:Server" {
			t.Fatalf("fault = %+v", f)
		}
		var gs wsdl.GetStateResult
		err := m.DecodeBody(&gs)
		var got *soap.Fault
		if !errors.As(err, &got) || got.ErrorCode != "EXP001000" {
			t.Fatalf("DecodeBody on a fault = %v", err)
		}
		if !strings.Contains(err.Error(), "EXP001000") {
			t.Errorf("fault message %q lacks the GIS code", err)
		}
	})
}

func TestFaultEnvelopeRoundTrip(t *testing.T) {
	t.Parallel()
	in := &soap.Fault{String: "Доступ запрещен", ErrorCode: "AUT011003", ErrorMessage: "Доступ запрещен <для ИС>"}
	b, err := soap.FaultEnvelope(in)
	if err != nil {
		t.Fatal(err)
	}
	soaptest.ValidateEnvelope(t, b)
	m, err := soap.ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	f := m.Fault()
	if f == nil || f.ErrorCode != in.ErrorCode || f.ErrorMessage != in.ErrorMessage || f.Code != "soapenv:Server" {
		t.Fatalf("round trip = %+v", f)
	}
}

func TestParseRejectsBadInput(t *testing.T) {
	t.Parallel()
	env := func(body string) string {
		return `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` + body + `</s:Body></s:Envelope>`
	}
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>` +
		`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x>&lol2;</x></s:Body></s:Envelope>`
	xxe := `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
		`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x>&xxe;</x></s:Body></s:Envelope>`
	ack, _ := os.ReadFile("testdata/ack.xml")
	cases := []struct {
		name  string
		in    string
		limit int64
		want  error
		text  string
	}{
		{"empty", "", 0, soap.ErrNotSOAP, "empty"},
		{"html error page", "<html><body><h1>502 Bad Gateway</h1></body></html>", 0, soap.ErrNotSOAP, "root element is <html>"},
		{"plain text", "Service Unavailable", 0, soap.ErrNotSOAP, `starts with "Service Unavailable"`},
		{"billion laughs", laughs, 0, soap.ErrDTD, ""},
		{"external entity", xxe, 0, soap.ErrDTD, ""},
		{"undeclared entity", env("<x>&foo;</x>"), 0, soap.ErrMalformed, "entity"},
		{"oversized", string(ack), 100, soap.ErrTooLarge, "100 bytes"},
		{"invalid UTF-8", env("<x>\xff\xfe</x>"), 0, soap.ErrMalformed, "UTF-8"},
		{"windows-1251 declared", `<?xml version="1.0" encoding="windows-1251"?>` + env("<x/>")[len(`<?xml version="1.0"?>`):], 0, soap.ErrMalformed, "windows-1251"},
		{"truncated", string(ack[:len(ack)/2]), 0, soap.ErrMalformed, ""},
		{"no body", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>`, 0, soap.ErrNotSOAP, "no Body"},
		{"two body elements", env("<a/><b/>"), 0, soap.ErrNotSOAP, "2 elements"},
		{"empty body", env(""), 0, soap.ErrNotSOAP, "0 elements"},
		{"SOAP 1.2 envelope", `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><x/></e:Body></e:Envelope>`, 0, soap.ErrNotSOAP, "root element"},
		{"mismatched tags", env("<a></b>"), 0, soap.ErrMalformed, ""},
		{"foreign element in envelope", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Trailer/><s:Body><x/></s:Body></s:Envelope>`, 0, soap.ErrNotSOAP, "Trailer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := soap.Parse(strings.NewReader(c.in), c.limit)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.text != "" && !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not mention %q", err, c.text)
			}
		})
	}
}

func TestParseAcceptsLargeValidMessageUnderLimit(t *testing.T) {
	t.Parallel()
	big := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x>` +
		strings.Repeat("a", 1<<20) + `</x></s:Body></s:Envelope>`
	if _, err := soap.Parse(strings.NewReader(big), 2<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := soap.Parse(strings.NewReader(big), 1<<20); !errors.Is(err, soap.ErrTooLarge) {
		t.Fatalf("want ErrTooLarge, got %v", err)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./soap -update if the change is intended\ngot:\n%s", name, got)
	}
}
