package gisclient

import (
	"os"
	"strings"
	"testing"
)

// TestPageOfRefusesMalformedSubRequests: a page whose sub-request carries a malformed GUID or
// date is refused with an error naming the field, instead of handing on a sub-request with
// a zero deadline or a GUID that matches nothing. The xs:date decoder itself turns a
// malformed date into a zero date silently, so the check is what catches it.
func TestPageOfRefusesMalformedSubRequests(t *testing.T) {
	b, err := os.ReadFile("testdata/getstate-export-last.xml")
	if err != nil {
		t.Fatal(err)
	}
	valid := string(b)
	const (
		sub   = "<drs:subrequestGUID>c0ffee04-1111-4222-8333-444455556666</drs:subrequestGUID>"
		hm    = "<drs:HMobjectGUID>55555555-5555-4555-8555-555555555504</drs:HMobjectGUID>"
		org   = "<drs:orgRootGUID>e1e2e3e4-1111-4222-8333-444455556666</drs:orgRootGUID>"
		sent  = "<drs:sentDate>2026-11-21</drs:sentDate>"
		resp  = "<drs:responseDate>2026-11-28</drs:responseDate>"
		start = "<base:startDate>2023-11-01</base:startDate>"
	)
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"subrequestGUID not a GUID", sub, "<drs:subrequestGUID>c0ffee04-1111-4222-8333-44445555666Z</drs:subrequestGUID>", `subrequestGUID "c0ffee04-1111-4222-8333-44445555666Z" is not a GUID`},
		{"subrequestGUID missing", sub, "", "no subrequestGUID"},
		{"HMobjectGUID too short", hm, "<drs:HMobjectGUID>55555555-5555</drs:HMobjectGUID>", `housingFundObject/HMobjectGUID "55555555-5555" is not a GUID`},
		{"orgRootGUID with braces", org, "<drs:orgRootGUID>{e1e2e3e4-1111-4222-8333-444455556666}</drs:orgRootGUID>", "orgRootGUID"},
		{"sentDate month 13", sent, "<drs:sentDate>2026-13-01</drs:sentDate>", "requestInfo/sentDate is missing or not a date"},
		{"sentDate Russian format", sent, "<drs:sentDate>21.11.2026</drs:sentDate>", "requestInfo/sentDate is missing or not a date"},
		{"responseDate 30 February", resp, "<drs:responseDate>2026-02-30</drs:responseDate>", "requestInfo/responseDate is missing or not a date"},
		{"responseDate missing", resp, "", "requestInfo/responseDate is missing"},
		{"period startDate text", start, "<base:startDate>yesterday</base:startDate>", "requestInfo/period/startDate is missing or not a date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := strings.Replace(valid, tc.old, tc.new, 1)
			if body == valid {
				t.Fatalf("the fixture has no %q to replace", tc.old)
			}
			msg, err := decodeResponse("getStateRequest", 200, []byte(body), 1<<20)
			if err != nil {
				t.Fatalf("decodeResponse: %v", err)
			}
			res, err := decodeGetState(msg, "")
			if err != nil {
				t.Fatalf("decodeGetState: %v", err)
			}
			p, err := PageOf(res)
			if err == nil {
				t.Fatalf("PageOf accepted the page (%d sub-requests); want an error containing %q", len(p.SubRequests), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "subrequestData[0]") {
				t.Errorf("error %q; want it to name subrequestData[0] and contain %q", err, tc.want)
			}
			if IsTransient(err) {
				t.Errorf("error %q is transient; a malformed page does not get better by resending", err)
			}
		})
	}
	// The unmodified fixture passes the same checks.
	msg, err := decodeResponse("getStateRequest", 200, []byte(valid), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	res, err := decodeGetState(msg, "")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := PageOf(res); err != nil || len(p.SubRequests) != 2 {
		t.Fatalf("valid page: %d sub-requests, %v; want 2, nil", len(p.SubRequests), err)
	}
}
