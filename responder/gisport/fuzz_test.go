package gisport_test

import (
	"os"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/responder/gisport"
	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// FuzzSubRequestOf takes whatever bytes come back as an export's getState result through
// the checks the client applies (soap.ParseBytes, the getStateResult body, gisclient.PageOf)
// to the domain sub-requests the daemon stores: nothing panics, and every sub-request that
// gets through has a GUID, a sent date and a deadline, and GUID fields that are GUIDs or
// empty, so nothing malformed reaches the store.
func FuzzSubRequestOf(f *testing.F) {
	for _, name := range []string{"getstate-export-page.xml", "getstate-export-last.xml", "getstate-export-notfound.xml", "getstate-int002012.xml"} {
		b, err := os.ReadFile("../../gisclient/testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add([]byte(strings.Replace(string(b), "<drs:sentDate>2026-", "<drs:sentDate>2026-1", 1)))
		f.Add([]byte(strings.Replace(string(b), "-4222-8333-", "-4222-833-", 1)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := soap.ParseBytes(data)
		if err != nil {
			return
		}
		var res wsdl.GetStateResult
		if err := msg.DecodeBody(&res); err != nil {
			return
		}
		p, err := gisclient.PageOf(&res)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without text")
			}
			return
		}
		for i, sr := range p.SubRequests {
			d := gisport.SubRequestOf(sr, "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
			if !guid(d.GUID) {
				t.Fatalf("sub-request %d: GUID %q", i, d.GUID)
			}
			if d.SentDate.IsZero() || d.ResponseDate.IsZero() {
				t.Fatalf("sub-request %s: sentDate %v, responseDate %v: a zero date got through", d.GUID, d.SentDate, d.ResponseDate)
			}
			for name, g := range map[string]string{"requestGUID": d.RequestGUID, "orgRootGUID": d.RequesterGUID, "houseGUID": d.HouseGUID,
				"HMobjectGUID": d.HMObjectGUID, "fiasHouseGUID": d.FIASHouseGUID} {
				if g != "" && !guid(g) {
					t.Fatalf("sub-request %s: %s %q is not a GUID", d.GUID, name, g)
				}
			}
		}
	})
}

func guid(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
