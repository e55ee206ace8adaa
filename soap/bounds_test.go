package soap_test

import (
	"encoding/xml"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// TestParseRefusesDeepNesting: the 2,000,000-level nesting that cost 424 MB is refused
// at MaxDepth, quickly and with little memory beyond the input itself.
func TestParseRefusesDeepNesting(t *testing.T) {
	const levels = 2_000_000
	var b strings.Builder
	b.WriteString(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>`)
	b.WriteString(strings.Repeat("<a>", levels))
	b.WriteString(strings.Repeat("</a>", levels))
	b.WriteString(`</s:Body></s:Envelope>`)
	in := b.String()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err := soap.Parse(strings.NewReader(in), 32<<20)
	took := time.Since(start)
	runtime.ReadMemStats(&after)

	if !errors.Is(err, soap.ErrTooDeep) || !strings.Contains(err.Error(), "64 levels") {
		t.Fatalf("err = %v, want ErrTooDeep naming the limit", err)
	}
	// Parse reads the input once (len(in) bytes, plus the slice growth of ReadAll);
	// anything near the 424 MB of the unbounded decoder means the limit does not bite.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(4*len(in)) {
		t.Errorf("parsing allocated %d MB for a %d MB input", alloc>>20, len(in)>>20)
	}
	if took > 5*time.Second {
		t.Errorf("took %s to refuse", took)
	}
}

func TestParseDepthLimitBoundary(t *testing.T) {
	t.Parallel()
	// Envelope and Body are two levels; the body element and its children make the rest.
	env := func(levels int) string {
		return `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
			strings.Repeat("<a>", levels) + strings.Repeat("</a>", levels) + `</s:Body></s:Envelope>`
	}
	if _, err := soap.ParseBytes([]byte(env(soap.MaxDepth - 2))); err != nil {
		t.Errorf("%d levels in all: %v", soap.MaxDepth, err)
	}
	if _, err := soap.ParseBytes([]byte(env(soap.MaxDepth - 1))); !errors.Is(err, soap.ErrTooDeep) {
		t.Errorf("%d levels in all: err = %v, want ErrTooDeep", soap.MaxDepth+1, err)
	}
}

// TestHeaderElementAfterWCFAction: GIS and WCF clients send an Action header before
// base:RequestHeader; the header is found by name, not position.
func TestHeaderElementAfterWCFAction(t *testing.T) {
	t.Parallel()
	in := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Header>
    <Action s:mustUnderstand="1" xmlns="http://schemas.microsoft.com/ws/2005/05/addressing/none">urn:getState</Action>
    <h:RequestHeader xmlns:h="http://dom.gosuslugi.ru/schema/integration/base/">
      <h:Date>2026-11-22T18:30:00+03:00</h:Date>
      <h:MessageGUID>0f0e0d0c-0b0a-4900-8800-000000000001</h:MessageGUID>
      <h:orgPPAGUID>6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f</h:orgPPAGUID>
    </h:RequestHeader>
  </s:Header>
  <s:Body><getStateRequest xmlns="http://dom.gosuslugi.ru/schema/integration/base/"><MessageGUID>0f0e0d0c-0b0a-4900-8800-000000000002</MessageGUID></getStateRequest></s:Body>
</s:Envelope>`
	m, err := soap.ParseBytes([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if n := m.HeaderNames(); len(n) != 2 || n[0].Local != "Action" || n[1].Local != "RequestHeader" {
		t.Fatalf("header names = %v", n)
	}
	var h wsdl.RequestHeader
	ok, err := m.DecodeHeaderElement(xml.Name{Space: soap.NSBase, Local: "RequestHeader"}, &h)
	if !ok || err != nil || h.HeaderType == nil || h.MessageGUID == nil || *h.MessageGUID != "0f0e0d0c-0b0a-4900-8800-000000000001" {
		t.Fatalf("RequestHeader: ok=%v err=%v %+v", ok, err, h)
	}
	if ok, _ := m.DecodeHeaderElement(xml.Name{Space: soap.NSBase, Local: "ResultHeader"}, &h); ok {
		t.Error("found a ResultHeader that is not there")
	}
}

// TestFaultCodeInFaultString: a Fault without detail/base:Fault whose faultstring starts
// with a GIS code is classified by that code.
func TestFaultCodeInFaultString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ faultstring, code, message string }{
		{"EXP001000: Произошла ошибка при передаче данных.", "EXP001000", "Произошла ошибка при передаче данных."},
		{"INT002029 сервис недоступен", "INT002029", "сервис недоступен"},
		{"EXP001000", "EXP001000", ""},
		{"Unmarshalling Error", "", ""},
		{"EXP0010001: not a code", "", ""},
		{"exp001000: lower case", "", ""},
	} {
		in := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>` +
			tc.faultstring + `</faultstring></s:Fault></s:Body></s:Envelope>`
		m, err := soap.ParseBytes([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		f := m.Fault()
		if f.ErrorCode != tc.code || f.ErrorMessage != tc.message {
			t.Errorf("faultstring %q: code %q message %q, want %q %q", tc.faultstring, f.ErrorCode, f.ErrorMessage, tc.code, tc.message)
		}
	}
}
