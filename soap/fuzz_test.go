package soap_test

import (
	"os"
	"path/filepath"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := soap.ParseBytes(data)
		if err != nil {
			return
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
