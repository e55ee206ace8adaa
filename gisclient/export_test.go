package gisclient_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/wsdl"
)

// TestExportDSRsAllPages: two pages, the second asked with the first page's cursor; every
// sub-request is decoded with its addressing, dates and existing answer.
func TestExportDSRsAllPages(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "exportDSRsRequest" {
			return srv.ack(ex)
		}
		if ex.N == 1 {
			return srv.state(ex, "getstate-export-page.xml")
		}
		return srv.state(ex, "getstate-export-last.xml")
	})
	var events []gisclient.PageEvent
	c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) {
		o.OnPage = func(e gisclient.PageEvent) { events = append(events, e) }
	})
	var got []*wsdl.DSRType
	for sr, err := range c.ExportDSRs(context.Background(), gisclient.ExportFilter{Period: period()}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, sr)
	}
	if len(got) != 5 {
		t.Fatalf("%d sub-requests, want 5", len(got))
	}
	for i, sr := range got {
		if want := fmt.Sprintf("c0ffee0%d-1111-4222-8333-444455556666", i+1); string(*sr.SubrequestGUID) != want {
			t.Errorf("sub-request %d = %s, want %s", i, *sr.SubrequestGUID, want)
		}
	}
	exports := srv.Requests("exportDSRsRequest")
	if len(exports) != 2 {
		t.Fatalf("%d export requests, want 2", len(exports))
	}
	if strings.Contains(string(exports[0].Body), "exportSubrequestGUID") {
		t.Error("the first page must not carry a cursor")
	}
	if !strings.Contains(string(exports[1].Body), "<exportSubrequestGUID>c0ffee04-1111-4222-8333-444455556666</exportSubrequestGUID>") {
		t.Errorf("the second page must ask with the first page's nextSubrequestGUID:\n%s", exports[1].Body)
	}
	want := []gisclient.PageEvent{{Page: 1, Items: 3, Total: 3}, {Page: 2, Items: 2, Total: 5, Last: true}}
	if fmt.Sprint(events) != fmt.Sprint(want) {
		t.Errorf("progress events = %v, want %v", events, want)
	}
	// Decoding: both addressing branches, deadline, existing answer.
	hm := got[0].RequestInfo.HousingFundObject
	if string(*hm.HMobjectGUID) != "55555555-5555-4555-8555-555555555501" || string(*hm.AdressType) != "Apartment" {
		t.Errorf("HM addressing = %+v", hm)
	}
	house := got[1].RequestInfo.HousingFundObject
	if string(*house.HouseGUID) != "b1b2b3b4-1111-4222-8333-444455556666" || string(*house.AddressDetails) != "кв. 7" {
		t.Errorf("house addressing = %+v", house)
	}
	if d := got[0].RequestInfo.ResponseDate.ToGoTime(); d.Format(time.DateOnly) != "2026-11-27" {
		t.Errorf("responseDate = %s", d)
	}
	if r := got[2].ResponseData; r == nil || r.HasDebt || *got[2].ResponseStatus != wsdl.ResponseStatusTypeSent {
		t.Errorf("existing answer = %+v", r)
	}
}

// TestExportEmpty: INT002012 is an empty result, not an error.
func TestExportEmpty(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "exportDSRsRequest" {
			return srv.ack(ex)
		}
		return srv.state(ex, "getstate-int002012.xml")
	})
	c := newClient(t, srv.URL(), clock, nil)
	n := 0
	for _, err := range c.ExportDSRs(context.Background(), gisclient.ExportFilter{Period: period()}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 0 {
		t.Errorf("%d sub-requests from an empty result", n)
	}
	if e := len(srv.Requests("exportDSRsRequest")); e != 1 {
		t.Errorf("%d export requests; INT002012 must not be retried", e)
	}
}

// TestExportNotFound: a GUID filter reports the GUIDs GIS did not find.
func TestExportNotFound(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "exportDSRsRequest" {
			return srv.ack(ex)
		}
		return srv.state(ex, "getstate-export-notfound.xml")
	})
	c := newClient(t, srv.URL(), clock, nil)
	p, err := c.ExportPage(context.Background(), gisclient.ExportFilter{SubrequestGUIDs: []string{
		"c0ffee01-1111-4222-8333-444455556666", "deadbeef-1111-4222-8333-444455556666"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.SubRequests) != 1 || !p.Last || len(p.NotFound) != 1 || p.NotFound[0] != "deadbeef-1111-4222-8333-444455556666" {
		t.Errorf("page = %+v", p)
	}
}

// TestExportDeduplicatesAndStopsLoops: a sub-request repeated on the next page is yielded
// once; a cursor GIS returns twice ends the export with an error instead of looping.
func TestExportDeduplicatesAndStopsLoops(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "exportDSRsRequest" {
			return srv.ack(ex)
		}
		return srv.state(ex, "getstate-export-page.xml") // always "next = c0ffee04"
	})
	c := newClient(t, srv.URL(), clock, nil)
	n := 0
	var last error
	for _, err := range c.ExportDSRs(context.Background(), gisclient.ExportFilter{Period: period()}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d sub-requests yielded, want the 3 distinct ones", n)
	}
	if last == nil || !strings.Contains(last.Error(), "second time") {
		t.Errorf("err = %v, want the loop to be detected", last)
	}
}

// TestExportStopsWhenConsumerBreaks: breaking out of the loop sends nothing more.
func TestExportStopsWhenConsumerBreaks(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "exportDSRsRequest" {
			return srv.ack(ex)
		}
		return srv.state(ex, "getstate-export-page.xml")
	})
	c := newClient(t, srv.URL(), clock, nil)
	for range c.ExportDSRs(context.Background(), gisclient.ExportFilter{Period: period()}) {
		break
	}
	if n := len(srv.Requests("exportDSRsRequest")); n != 1 {
		t.Errorf("%d export requests after break, want 1", n)
	}
}

func TestExportFilterValidation(t *testing.T) {
	t.Parallel()
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC) }
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("c0ffee00-1111-4222-8333-%012d", i)
		}
		return out
	}
	p := &gisclient.Period{From: d(2026, 1, 1), To: d(2026, 3, 1)}
	cases := []struct {
		name   string
		f      gisclient.ExportFilter
		cursor string
		want   string // "" = valid
	}{
		{"period", gisclient.ExportFilter{Period: p}, "", ""},
		{"exactly 6 months", gisclient.ExportFilter{Period: &gisclient.Period{From: d(2026, 1, 31), To: d(2026, 7, 31)}}, "", ""},
		{"over 6 months", gisclient.ExportFilter{Period: &gisclient.Period{From: d(2026, 1, 31), To: d(2026, 8, 1)}}, "", "longer than 6 months"},
		{"reversed", gisclient.ExportFilter{Period: &gisclient.Period{From: d(2026, 3, 1), To: d(2026, 1, 1)}}, "", "before it starts"},
		{"open period", gisclient.ExportFilter{Period: &gisclient.Period{From: d(2026, 3, 1)}}, "", "both From and To"},
		{"nothing", gisclient.ExportFilter{}, "", "exactly one"},
		{"two selections", gisclient.ExportFilter{Period: p, RequestNumbers: []string{"1"}}, "", "exactly one"},
		{"100 GUIDs", gisclient.ExportFilter{SubrequestGUIDs: many(100)}, "", ""},
		{"101 GUIDs", gisclient.ExportFilter{SubrequestGUIDs: many(101)}, "", "at most 100"},
		{"bad GUID", gisclient.ExportFilter{SubrequestGUIDs: []string{"c0ffee00"}}, "", "not a GUID"},
		{"dup GUID", gisclient.ExportFilter{SubrequestGUIDs: []string{many(1)[0], strings.ToUpper(many(1)[0])}}, "", "twice"},
		{"long number", gisclient.ExportFilter{RequestNumbers: []string{strings.Repeat("9", 31)}}, "", "1 to 30"},
		{"101 numbers", gisclient.ExportFilter{RequestNumbers: many(101)}, "", "at most 100"},
		{"narrowing GUIDs", gisclient.ExportFilter{SubrequestGUIDs: many(1), ResponseStatus: []wsdl.ResponseStatusType{"NotSent"}}, "", "narrow a Period"},
		{"3 response statuses", gisclient.ExportFilter{Period: p, ResponseStatus: []wsdl.ResponseStatusType{"NotSent", "Sent", "AutoGenerated"}}, "", "at most 2"},
		{"bad response status", gisclient.ExportFilter{Period: p, ResponseStatus: []wsdl.ResponseStatusType{"Draft"}}, "", "not NotSent"},
		{"dup response status", gisclient.ExportFilter{Period: p, ResponseStatus: []wsdl.ResponseStatusType{"Sent", "Sent"}}, "", "twice"},
		{"bad request status", gisclient.ExportFilter{Period: p, RequestStatus: "Revoked"}, "", "not Sent or Processed"},
		{"houses and HM", gisclient.ExportFilter{Period: p, HouseGUIDs: many(1), HMObjects: []gisclient.HMObject{{GUID: many(1)[0], AddressType: "Room"}}}, "", "not both"},
		{"bad address type", gisclient.ExportFilter{Period: p, HMObjects: []gisclient.HMObject{{GUID: many(1)[0], AddressType: "Flat"}}}, "", "AddressType"},
		{"bad version", gisclient.ExportFilter{Period: p, Version: "16.0.0.0"}, "", "Version"},
		{"cursor without period", gisclient.ExportFilter{SubrequestGUIDs: many(1)}, many(1)[0], "only valid with a Period"},
		{"bad cursor", gisclient.ExportFilter{Period: p}, "next", "not a GUID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := gisclient.ExportRequest(tc.f, tc.cursor)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestExportRejectsInvalidFilterWithoutSending: a bad filter costs no request.
func TestExportRejectsInvalidFilterWithoutSending(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newGISServer(t, clock, func(ex exchange) reply { return reply{Status: 500} })
	c := newClient(t, srv.URL(), clock, nil)
	for _, err := range c.ExportDSRs(context.Background(), gisclient.ExportFilter{}) {
		if err == nil {
			t.Fatal("want an error")
		}
	}
	if n := len(srv.Requests("")); n != 0 {
		t.Errorf("%d requests sent for an invalid filter", n)
	}
}
