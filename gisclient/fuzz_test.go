package gisclient

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gisgw/gisgw/wsdl"
)

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err == nil {
			f.Add(b, 200)
		}
	}
	real, _ := filepath.Glob("gissim/testdata/real-*.xml")
	for _, name := range real {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b, 200)
		}
	}
	f.Add([]byte(""), 502)
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`), 200)
	f.Add([]byte(`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><getStateResult xmlns="http://dom.gosuslugi.ru/schema/integration/drs/"><RequestState xmlns="http://dom.gosuslugi.ru/schema/integration/base/">3</RequestState><exportDSRsResult><subrequestData/><pagedOutput><nextSubrequestGUID>x</nextSubrequestGUID></pagedOutput></exportDSRsResult><importResult/></getStateResult></s:Body></s:Envelope>`), 200)
}

// FuzzDecodeGetState: whatever bytes GIS (or something in between) sends, decoding a
// getState response and mapping it to an export page or import results returns a result
// or an error and never panics.
func FuzzDecodeGetState(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, status int) {
		msg, err := decodeResponse("getStateRequest", status, data, 1<<20)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Error() == "" {
				t.Fatalf("decode error is not a *Error: %v", err)
			}
			return
		}
		if msg == nil {
			t.Fatal("nil message without an error")
		}
		res, err := decodeGetState(msg, "")
		if err != nil {
			return
		}
		if res == nil || res.RequestState == nil {
			t.Fatal("result without RequestState and without an error")
		}
		if err := checkResultLengths(res); err != nil {
			t.Fatalf("decodeGetState passed an overlong text: %v", err)
		}
		if p, err := PageOf(res); err == nil {
			for _, sr := range p.SubRequests {
				if err := checkDSRLengths(sr); err != nil {
					t.Fatalf("PageOf passed an overlong text: %v", err)
				}
			}
		}
		_, _ = ImportResults(res, []Action{{TransportGUID: "00000000-0000-4000-8000-00000000c001"}})
	})
}

// FuzzDecodeAck covers the synchronous answer to a business request.
func FuzzDecodeAck(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, status int) {
		msg, err := decodeResponse("exportDSRsRequest", status, data, 1<<20)
		if err != nil {
			return
		}
		if g, err := decodeAck(msg, "00000000-0000-4000-8000-00000000a001"); err == nil && !wsdl.IsGUID(g) {
			t.Fatalf("decodeAck returned %q, not a GUID", g)
		}
	})
}
