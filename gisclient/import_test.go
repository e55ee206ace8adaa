package gisclient_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/wsdl"
)

// importResultReply answers getState with getstate-import.xml, its placeholder
// TransportGUIDs replaced by those of the polled import (in order), dropping the results
// after keep.
func importResultReply(t *testing.T, srv *gisServer, ex exchange, keep int) reply {
	t.Helper()
	imports := srv.Requests("importDSRResponsesRequest")
	last := imports[len(imports)-1]
	var req wsdl.ImportDSRResponsesRequest
	if err := last.Msg.DecodeBody(&req); err != nil {
		t.Fatal(err)
	}
	rep := srv.state(ex, "getstate-import.xml")
	for i, a := range req.Action {
		rep.Body = bytes.ReplaceAll(rep.Body, []byte(phTransport(i)), []byte(*a.TransportGUID))
	}
	if keep < 3 {
		s := string(rep.Body)
		for i := keep; i < 3; i++ {
			start := strings.LastIndex(s, "<drs:importResult>")
			end := strings.LastIndex(s, "</drs:importResult>") + len("</drs:importResult>")
			s = s[:start] + s[end:]
		}
		rep.Body = []byte(s)
	}
	return rep
}

func threeActions() []gisclient.Action {
	return []gisclient.Action{
		{SubrequestGUID: "c0ffee01-1111-4222-8333-444455556666", Type: wsdl.DSRResponseActionTypeSend, Response: courtOrderResponse()},
		{SubrequestGUID: "c0ffee02-1111-4222-8333-444455556666", Type: wsdl.DSRResponseActionTypeSend,
			Response: &wsdl.ImportDSRResponseType{ExecutorGUID: guid("a9a8a7a6-1111-4222-8333-444455556666")}},
		{TransportGUID: "7e7e7e7e-1111-4222-8333-444455556666", SubrequestGUID: "c0ffee03-1111-4222-8333-444455556666", Type: wsdl.DSRResponseActionTypeRevoke},
	}
}

func TestImportDSRResponses(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "importDSRResponsesRequest" {
			return srv.ack(ex)
		}
		return importResultReply(t, srv, ex, 3)
	})
	signer := &recordingSigner{docs: make(chan []byte, 4)}
	c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) {
		o.Signer = signer
		o.NewGUID = seqGUID("b0b0b0b0")
	})
	actions := threeActions()
	res, err := c.ImportDSRResponses(context.Background(), actions)
	if err != nil {
		t.Fatal(err)
	}
	if actions[0].TransportGUID != "" {
		t.Error("the caller's actions were modified")
	}
	if len(res) != 3 {
		t.Fatalf("%d results", len(res))
	}
	// Generated TransportGUIDs come from NewGUID; the given one is kept.
	if res[0].TransportGUID != "b0b0b0b0-0000-4000-8000-000000000001" || res[1].TransportGUID != "b0b0b0b0-0000-4000-8000-000000000002" ||
		res[2].TransportGUID != "7e7e7e7e-1111-4222-8333-444455556666" {
		t.Errorf("TransportGUIDs = %s, %s, %s", res[0].TransportGUID, res[1].TransportGUID, res[2].TransportGUID)
	}
	if !res[0].OK || res[0].GUID != "aaaaaaaa-1111-4222-8333-444455556666" || res[0].UniqueNumber != "DSR-0001" ||
		res[0].UpdateDate.UTC().Format("2006-01-02T15:04:05.0") != "2026-11-22T15:30:09.5" {
		t.Errorf("result 0 = %+v", res[0])
	}
	if res[1].OK || res[1].ErrorCode != "INT002000" || res[1].Description != "Отсутствует в реестре" || res[1].SubrequestGUID != actions[1].SubrequestGUID {
		t.Errorf("result 1 = %+v", res[1])
	}
	if !res[2].OK {
		t.Errorf("result 2 = %+v", res[2])
	}
	if n := signer.calls.Load(); n != 1 {
		t.Errorf("signer called %d times, want 1", n)
	}
}

// TestImportMissingResult: an action without a result is an error, the others still mapped.
func TestImportMissingResult(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "importDSRResponsesRequest" {
			return srv.ack(ex)
		}
		return importResultReply(t, srv, ex, 2)
	})
	c := newClient(t, srv.URL(), clock, nil)
	// The split API, as the daemon uses it: persist the GUID and actions, then await.
	guid, sent, err := c.SubmitImport(context.Background(), threeActions())
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Await(context.Background(), guid)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gisclient.ImportResults(st, sent)
	if err == nil || !strings.Contains(err.Error(), "no result for 1 of 3 actions") || !strings.Contains(err.Error(), sent[2].TransportGUID) {
		t.Fatalf("err = %v, want the missing action named", err)
	}
	if len(res) != 3 || !res[0].OK || res[1].OK || res[2].OK {
		t.Errorf("results = %+v", res)
	}
}

func TestImportResultsMessageError(t *testing.T) {
	t.Parallel()
	st := &wsdl.GetStateResult{
		BaseAsyncResponseType: &wsdl.BaseAsyncResponseType{RequestState: ptr(wsdl.AsyncRequestStateType3)},
		ErrorMessage:          &wsdl.ErrorMessage{ErrorCode: "EXP001000", Description: "Произошла ошибка"},
	}
	_, err := gisclient.ImportResults(st, threeActions())
	if !gisclient.IsTransient(err) {
		t.Errorf("err = %v, want transient", err)
	}
}

func TestImportValidation(t *testing.T) {
	t.Parallel()
	exec := guid("a9a8a7a6-1111-4222-8333-444455556666")
	send := func(r *wsdl.ImportDSRResponseType) gisclient.Action {
		return gisclient.Action{SubrequestGUID: "c0ffee01-1111-4222-8333-444455556666", Type: wsdl.DSRResponseActionTypeSend, Response: r}
	}
	many := make([]gisclient.Action, 101)
	for i := range many {
		many[i] = gisclient.Action{SubrequestGUID: fmt.Sprintf("c0ffee00-1111-4222-8333-%012d", i), Type: wsdl.DSRResponseActionTypeRevoke}
	}
	debtor := []*wsdl.DebtInfoType{{Person: &wsdl.PersonType{FirstName: ptr(wsdl.PersonNameType("И")), LastName: ptr(wsdl.PersonNameType("П"))}}}
	cases := []struct {
		name    string
		actions []gisclient.Action
		want    string
	}{
		{"none", nil, "1 to 100"},
		{"101", many, "1 to 100"},
		{"100", many[:100], ""},
		{"revoke with data", []gisclient.Action{{SubrequestGUID: many[0].SubrequestGUID, Type: wsdl.DSRResponseActionTypeRevoke, Response: &wsdl.ImportDSRResponseType{}}}, "no response data"},
		{"bad type", []gisclient.Action{{SubrequestGUID: many[0].SubrequestGUID, Type: "Draft"}}, "not Send or Revoke"},
		{"send without data", []gisclient.Action{send(nil)}, "needs response data"},
		{"no executor", []gisclient.Action{send(&wsdl.ImportDSRResponseType{})}, "executorGUID"},
		{"no debt with debtors", []gisclient.Action{send(&wsdl.ImportDSRResponseType{ExecutorGUID: exec, DebtInfo: debtor})}, "carries no debtInfo"},
		{"debt without debtors", []gisclient.Action{send(&wsdl.ImportDSRResponseType{HasDebt: true, ExecutorGUID: exec})}, "needs debtInfo"},
		{"debt with both", []gisclient.Action{send(&wsdl.ImportDSRResponseType{HasDebt: true, ExecutorGUID: exec, DebtInfo: debtor, DebtGUID: []*wsdl.GUIDType{exec}})}, "not both"},
		{"debt via registry", []gisclient.Action{send(&wsdl.ImportDSRResponseType{HasDebt: true, ExecutorGUID: exec, DebtGUID: []*wsdl.GUIDType{exec}})}, ""},
		{"bad SNILS", []gisclient.Action{send(&wsdl.ImportDSRResponseType{HasDebt: true, ExecutorGUID: exec, DebtInfo: []*wsdl.DebtInfoType{{
			Person: &wsdl.PersonType{FirstName: ptr(wsdl.PersonNameType("И")), LastName: ptr(wsdl.PersonNameType("П")), Snils: ptr(wsdl.SNILSType("123-456"))}}}})}, "11 digits"},
		{"long description", []gisclient.Action{send(&wsdl.ImportDSRResponseType{ExecutorGUID: exec, Description: ptr(wsdl.DescriptionType(strings.Repeat("я", 1001)))})}, "1000"},
		{"same sub-request twice", []gisclient.Action{many[0], many[0]}, "both about subrequest"},
		{"same TransportGUID twice", []gisclient.Action{
			{TransportGUID: many[0].SubrequestGUID, SubrequestGUID: many[1].SubrequestGUID, Type: wsdl.DSRResponseActionTypeRevoke},
			{TransportGUID: many[0].SubrequestGUID, SubrequestGUID: many[2].SubrequestGUID, Type: wsdl.DSRResponseActionTypeRevoke},
		}, "share TransportGUID"},
		{"bad subrequest", []gisclient.Action{{SubrequestGUID: "x", Type: wsdl.DSRResponseActionTypeRevoke}}, "not a GUID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, sent, err := gisclient.ImportRequest(tc.actions, seqGUID("b0b0b0b0"))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want == "":
				seen := map[string]bool{}
				for _, a := range sent {
					if seen[a.TransportGUID] {
						t.Errorf("TransportGUID %s used twice", a.TransportGUID)
					}
					seen[a.TransportGUID] = true
				}
			case err == nil || !strings.Contains(err.Error(), tc.want):
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
}
