package gisclient

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// bigPage builds a getStateResult with n sub-requests (a full GIS page is 100) from the
// page fixture.
func bigPage(tb testing.TB, n int) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/getstate-export-page.xml")
	if err != nil {
		tb.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "        <drs:subrequestData>")
	end := strings.Index(s, "</drs:subrequestData>") + len("</drs:subrequestData>\n")
	one := s[start:end]
	var items strings.Builder
	for i := range n {
		items.WriteString(strings.Replace(one, "c0ffee01-1111-4222-8333-444455556666", fmt.Sprintf("c0ffee01-1111-4222-8333-%012d", i), 1))
	}
	pagedStart := strings.Index(s, "        <drs:pagedOutput>")
	return []byte(s[:start] + items.String() + s[pagedStart:])
}

// BenchmarkDecodeExportPage measures decoding a full page of 100 sub-requests.
func BenchmarkDecodeExportPage(b *testing.B) {
	data := bigPage(b, 100)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		msg, err := decodeResponse("getStateRequest", 200, data, 0)
		if err != nil {
			b.Fatal(err)
		}
		res, err := decodeGetState(msg, "")
		if err != nil {
			b.Fatal(err)
		}
		p, err := PageOf(res)
		if err != nil || len(p.SubRequests) != 100 {
			b.Fatalf("%d, %v", len(p.SubRequests), err)
		}
	}
}

// BenchmarkExportPageRoundTrip measures one page over real HTTP: signed-body envelope,
// Ack, one getState and the decoded 100 sub-requests (no polling wait).
func BenchmarkExportPageRoundTrip(b *testing.B) {
	page := bigPage(b, 100)
	ack, err := os.ReadFile("testdata/ack.xml")
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		msg, err := soap.ParseBytes(buf.Bytes())
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var hdr wsdl.RequestHeader
		msg.DecodeHeader(&hdr)
		if msg.BodyName().Local == "getStateRequest" {
			w.Write(page)
			return
		}
		w.Write(bytes.ReplaceAll(ack, []byte("00000000-0000-4000-8000-00000000a001"), []byte(*hdr.MessageGUID)))
	}))
	defer srv.Close()
	c, err := New(Options{Endpoint: srv.URL, OrgPPAGUID: "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f", Poll: []time.Duration{0}})
	if err != nil {
		b.Fatal(err)
	}
	f := ExportFilter{Period: &Period{From: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}}
	b.ReportAllocs()
	for b.Loop() {
		p, err := c.ExportPage(context.Background(), f, "")
		if err != nil || len(p.SubRequests) != 100 {
			b.Fatalf("%d, %v", len(p.SubRequests), err)
		}
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "subrequests/s")
}
