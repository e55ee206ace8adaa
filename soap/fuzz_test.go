package soap_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// FuzzParse feeds arbitrary bytes to the response decoder: it must return an error or a
// message, never panic, and a message must decode into every body type without panicking.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`))
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>x</faultcode></s:Fault></s:Body></s:Envelope>`))
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` + strings.Repeat("<a>", 80) + `</s:Body></s:Envelope>`))
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><Action>x</Action><b:RequestHeader xmlns:b="http://dom.gosuslugi.ru/schema/integration/base/"/></s:Header><s:Body><x/></s:Body></s:Envelope>`))
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>EXP001000: x</faultstring></s:Fault></s:Body></s:Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := soap.ParseBytes(data)
		if err != nil {
			return
		}
		if d := maxDepth(data); d > soap.MaxDepth {
			t.Fatalf("accepted a document nested %d levels deep", d)
		}
		for _, n := range m.HeaderNames() {
			var v struct{}
			if ok, _ := m.DecodeHeaderElement(n, &v); !ok {
				t.Fatalf("header %v listed but not found", n)
			}
		}
		if m.Fault() != nil {
			_ = m.Fault().Error()
		}
		var hdr wsdl.ResultHeader
		_, _ = m.DecodeHeader(&hdr)
		var gs wsdl.GetStateResult
		_ = m.DecodeBody(&gs)
		var ack wsdl.AckRequest
		_ = m.DecodeBody(&ack)
	})
}

// maxDepth is the deepest element nesting of a well-formed document.
func maxDepth(data []byte) int {
	d := xml.NewDecoder(bytes.NewReader(data))
	depth, deepest := 0, 0
	for {
		tok, err := d.RawToken()
		if err != nil {
			return deepest
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			deepest = max(deepest, depth)
		case xml.EndElement:
			depth--
		}
	}
}
