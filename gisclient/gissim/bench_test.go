package gissim_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// serve runs one request through the handler and returns the parsed response.
func serve(b *testing.B, h http.Handler, env []byte) *soap.Message {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, gissim.ServicePath, bytes.NewReader(env)))
	m, err := soap.ParseBytes(rec.Body.Bytes())
	if err != nil || m.Fault() != nil {
		b.Fatalf("HTTP %d %v\n%.500s", rec.Code, err, rec.Body.Bytes())
	}
	return m
}

// roundTrip submits env and fetches its result, as a client does with Delay 0.
func roundTrip(b *testing.B, h http.Handler, env []byte) int {
	var ack wsdl.AckRequest
	if err := serve(b, h, env).DecodeBody(&ack); err != nil {
		b.Fatal(err)
	}
	st, _ := envelope(b, orgA, &wsdl.GetStateRequest{MessageGUID: ack.Ack.MessageGUID})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, gissim.ServicePath, bytes.NewReader(st)))
	return rec.Body.Len()
}

// BenchmarkExportPage: one 100-sub-request page out of 2000, Ack and getState.
func BenchmarkExportPage(b *testing.B) {
	sim := gissim.New(gissim.Options{Seed: 3})
	sim.SetToday(day("2026-09-01"))
	sim.Generate(2000, orgA, day("2026-09-01"))
	h := sim.Handler()
	env, _ := envelope(b, orgA, exportByPeriod("2026-09-01", "2026-11-30"))
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		size = roundTrip(b, h, env)
	}
	b.ReportMetric(float64(size), "result-bytes")
}

// BenchmarkImport100: one message of 100 Send actions with a debtor and a document each.
func BenchmarkImport100(b *testing.B) {
	sim := gissim.New(gissim.Options{Seed: 3})
	sim.SetToday(day("2026-09-01"))
	sim.Generate(100, orgA, day("2026-09-01"))
	var acts []*wsdl.ImportDSRResponseActionType
	for _, sr := range sim.SubRequests() {
		acts = append(acts, send(sr.GUID, debt(fileOK, hashOK)))
	}
	h := sim.Handler()
	env, _ := envelope(b, orgA, importOf(acts...))
	b.ReportAllocs()
	b.SetBytes(int64(len(env)))
	for b.Loop() {
		roundTrip(b, h, env)
	}
}
