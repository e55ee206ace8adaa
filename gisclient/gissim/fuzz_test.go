package gissim_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// FuzzHandleRequest feeds arbitrary bodies to the SOAP endpoint: the simulator never panics
// and always answers with a SOAP envelope, a Fault exactly when the status is 500.
func FuzzHandleRequest(f *testing.F) {
	sim := gissim.New(gissim.Options{Seed: 1})
	var b strings.Builder
	b.WriteString(csvHeader)
	for i := 1; i <= 5; i++ {
		b.WriteString(row(orgA, subGUID(i), "N", house1, i%2 == 0, "2026-11-16", ""))
	}
	if err := sim.LoadScenario(strings.NewReader(b.String())); err != nil {
		f.Fatal(err)
	}
	sim.SetToday(day("2026-11-20"))
	handler := sim.Handler()

	seed := func(body any) {
		env, _ := envelope(f, orgA, body)
		f.Add(env)
	}
	seed(exportByPeriod("2026-11-01", "2026-11-30"))
	seed(&wsdl.ExportDSRsRequest{Version: "13.1.10.1", SubrequestGUID: []*wsdl.GUIDType{g(subGUID(1)), g(subGUID(9))}, IncludeResponses: true})
	seed(importOf(send(subGUID(1), debt(fileOK, hashOK)), send(subGUID(2), noDebt()), revoke(subGUID(3))))
	seed(&wsdl.GetStateRequest{MessageGUID: g(subGUID(1))})
	if env, _ := envelope(f, orgA, exportByPeriod("2026-11-01", "2026-11-30")); true {
		f.Add(bytes.Replace(env, []byte("<soapenv:Header>"), []byte(`<soapenv:Header><Action xmlns="http://schemas.microsoft.com/ws/2005/05/addressing/none">urn:exportDebtSubrequests</Action>`), 1))
	}
	f.Add([]byte(""))
	f.Add([]byte("<"))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`))
	f.Add([]byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><a/><b/></soapenv:Body></soapenv:Envelope>`))

	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, gissim.ServicePath, bytes.NewReader(body))
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusInternalServerError {
			t.Fatalf("HTTP %d", rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
			t.Fatalf("Content-Type %q", ct)
		}
		m, err := soap.ParseBytes(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("the response is not SOAP: %v\n%s", err, rec.Body.Bytes())
		}
		if (m.Fault() != nil) != (rec.Code == http.StatusInternalServerError) {
			t.Fatalf("HTTP %d with fault %v", rec.Code, m.Fault())
		}
		if m.Fault() != nil && m.Fault().ErrorCode == "" {
			t.Fatalf("a fault without base:Fault/ErrorCode: %v", m.Fault())
		}
		if m.Fault() == nil && m.BodyName().Local != "AckRequest" && m.BodyName().Local != "getStateResult" {
			t.Fatalf("unexpected body %v", m.BodyName())
		}
	})
}

// FuzzLoadScenario: a scenario either loads whole, with sub-requests that export, or fails
// without loading anything.
func FuzzLoadScenario(f *testing.F) {
	f.Add(csvHeader + goodRow)
	f.Add(csvHeader + field(6, "", 8, "e1d2c3b4-a5f6-4789-9abc-def012345678", 9, "Room"))
	f.Add(csvHeader + field(15, "2026-11-30") + "x,y\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		s := gissim.New(gissim.Options{Seed: 1})
		err := s.LoadScenario(strings.NewReader(data))
		subs := s.SubRequests()
		if err != nil {
			if len(subs) != 0 {
				t.Fatalf("failed (%v) but loaded %d", err, len(subs))
			}
			if !strings.HasPrefix(err.Error(), "scenario: ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		for _, sr := range subs {
			if sr.ResponseDate.Before(sr.SentDate) || (sr.HouseGUID == "") == (sr.HMObjectGUID == "") {
				t.Fatalf("loaded an invalid sub-request %+v", sr)
			}
		}
	})
}

func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"", "500=0.05,503=0.02,exp=0.03,drop=0.02,latency=50ms", "500=1", "latency=1h", "drop=0.7,exp=0.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		fl, err := gissim.ParseFaults(spec)
		if err != nil {
			if !strings.Contains(err.Error(), "faults: ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		for _, r := range []float64{fl.HTTP500, fl.HTTP503, fl.EXP001000, fl.Drop} {
			if r < 0 || r > 1 || r != r {
				t.Fatalf("accepted rate %v", r)
			}
		}
		if fl.HTTP500+fl.HTTP503+fl.EXP001000+fl.Drop > 1+1e-9 || fl.Latency < 0 {
			t.Fatalf("accepted %+v", fl)
		}
	})
}
