package gissim_test

import (
	"bytes"
	"crypto/md5" //nolint:gosec // Content-MD5
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/soap/soaptest"
	"github.com/gisgw/gisgw/wsdl"
)

var guidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

var fioRE = regexp.MustCompile(`<ns13:fio>[^<]*</ns13:fio>`)

// numberGUIDs replaces every GUID by a placeholder numbered in order of appearance, and
// the executors' names (drawn per run by importScenario's simulator) by a placeholder,
// keeping the bytes around them exactly as sent.
func numberGUIDs(b []byte) string {
	seen := map[string]string{}
	s := fioRE.ReplaceAllString(string(b), "<ns13:fio>FIO</ns13:fio>")
	return guidRE.ReplaceAllStringFunc(s, func(g string) string {
		k := strings.ToLower(g)
		if _, ok := seen[k]; !ok {
			seen[k] = fmt.Sprintf("GUID-%d", len(seen)+1)
		}
		return seen[k]
	})
}

// wcfEnvelope puts a WCF Action header before base:RequestHeader, as GIS's own clients do.
func wcfEnvelope(t *testing.T, org string, body any, action string) ([]byte, string) {
	t.Helper()
	env, guid := envelope(t, org, body)
	wcf := `<soapenv:Header><Action soapenv:mustUnderstand="1" xmlns="http://schemas.microsoft.com/ws/2005/05/addressing/none">` + action + `</Action>`
	out := bytes.Replace(env, []byte("<soapenv:Header>"), []byte(wcf), 1)
	if bytes.Equal(out, env) {
		t.Fatal("no soapenv:Header to extend")
	}
	return out, guid
}

// TestRealShapesGolden pins the Ack and the getStateResults the simulator sends in
// RealShapes mode, checks them against the official schema, and decodes them as the
// client does. The requests carry a WCF Action header before RequestHeader.
func TestRealShapesGolden(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHarness(t, gissim.Options{Now: clk.Now, RealShapes: true})
	importScenario(t, h, 2)

	exchange := func(body any, action string) (*soap.Message, []byte, string) {
		env, guid := wcfEnvelope(t, orgA, body, action)
		status, raw := h.post(env, action)
		if status != http.StatusOK {
			t.Fatalf("HTTP %d:\n%s", status, raw)
		}
		m, err := soap.ParseBytes(raw)
		if err != nil {
			t.Fatal(err)
		}
		return m, raw, guid
	}
	submit := func(body any, action string) (string, []byte) {
		m, raw, guid := exchange(body, action)
		var ack wsdl.AckRequest
		if err := m.DecodeBody(&ack); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(*ack.Ack.RequesterMessageGUID)); got != guid {
			t.Errorf("RequesterMessageGUID %q, want %s", got, guid)
		}
		var hdr wsdl.ResultHeader
		if _, err := m.DecodeHeader(&hdr); err != nil || string(*hdr.MessageGUID) != guid {
			t.Errorf("the Ack's ResultHeader carries %v, want the request's MessageGUID %s (%v)", hdr.HeaderType, guid, err)
		}
		if !bytes.Contains(raw, []byte("\n        <ns4:RequesterMessageGUID>")) {
			t.Errorf("the Ack is not pretty-printed:\n%s", raw)
		}
		return strings.TrimSpace(string(*ack.Ack.MessageGUID)), raw
	}
	state := func(guid string) []byte {
		m, raw, _ := exchange(&wsdl.GetStateRequest{MessageGUID: g(guid)}, "urn:getState")
		var res wsdl.GetStateResult
		if err := m.DecodeBody(&res); err != nil || res.RequestState == nil || *res.RequestState != "3" || res.Id == "" {
			t.Fatalf("getStateResult %+v: %v\n%s", res, err, raw)
		}
		return raw
	}
	imp := importOf(send(subGUID(1), noDebt()))
	impGUID, ackRaw := submit(imp, "urn:importResponses")
	expGUID, _ := submit(exportByPeriod("2026-11-01", "2026-11-30"), "urn:exportDebtSubrequests")
	files := map[string][]byte{
		"real-ack.xml":                   ackRaw,
		"real-getStateResult-import.xml": state(impGUID),
		"real-getStateResult-export.xml": state(expGUID),
	}
	for name, raw := range files {
		t.Run(name, func(t *testing.T) {
			if !bytes.Contains(raw, []byte("<soap:Envelope")) || bytes.Contains(raw, []byte("soapenv:")) {
				t.Errorf("not GIS's envelope prefix:\n%s", raw)
			}
			if strings.Contains(name, "getStateResult") && !bytes.Contains(raw, []byte("<ns2:Signature Id=")) {
				t.Errorf("no ds:Signature in getStateResult")
			}
			soaptest.ValidateEnvelope(t, raw)
			got := numberGUIDs(raw)
			path := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestRealShapesGolden -update creates it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file (go test -run TestRealShapesGolden -update rewrites it):\n%s", name, got)
			}
		})
	}
}

// TestUploadFailures: a named file always fails, others only at the rate; nothing is
// stored for a failed upload.
func TestUploadFailures(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gissim.Options{UploadFailNames: []string{"broken.pdf"}})
	put := func(name string) *http.Response {
		body := []byte("%PDF-1.4 court act")
		req, err := http.NewRequest(http.MethodPut, h.srv.URL+gissim.FileStorePath+gissim.FileStoreContext, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Upload-OrgPPAGUID", orgA)
		req.Header.Set("X-Upload-Filename", name)
		req.Header.Set("Content-MD5", md5b64(body))
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := put("broken.pdf"); r.StatusCode != http.StatusInternalServerError || r.Header.Get("X-Upload-UploadID") != "" {
		t.Errorf("broken.pdf: HTTP %d, id %q; want 500 and nothing stored", r.StatusCode, r.Header.Get("X-Upload-UploadID"))
	}
	if r := put("good.pdf"); r.StatusCode != http.StatusOK || r.Header.Get("X-Upload-UploadID") == "" {
		t.Errorf("good.pdf: HTTP %d", r.StatusCode)
	}
	st := h.sim.Stats()
	if st.Faults.UploadFail != 1 || st.FileStore.Files != 1 {
		t.Errorf("stats %+v / %+v: want 1 failed upload and 1 stored file", st.Faults, st.FileStore)
	}

	rated := newHarness(t, gissim.Options{Seed: 7, Faults: gissim.Faults{UploadFail: 0.5}})
	h = rated
	failed := 0
	for range 100 {
		if put("x.pdf").StatusCode == http.StatusInternalServerError {
			failed++
		}
	}
	if failed < 30 || failed > 70 || rated.sim.Stats().Faults.UploadFail != failed {
		t.Errorf("%d of 100 uploads failed at rate 0.5 (counted %d)", failed, rated.sim.Stats().Faults.UploadFail)
	}
}

func md5b64(b []byte) string {
	sum := md5.Sum(b) //nolint:gosec // Content-MD5
	return base64.StdEncoding.EncodeToString(sum[:])
}

func TestParseFaultsNewKinds(t *testing.T) {
	t.Parallel()
	got, err := gissim.ParseFaults("lost=0.1,stuck=1,backwards=0.2,upload=0.3,drop=0.05")
	want := gissim.Faults{LostResponse: 0.1, Stuck: 1, Backwards: 0.2, UploadFail: 0.3, Drop: 0.05}
	if err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
	for spec, text := range map[string]string{"stuck=2": "0 to 1", "lost=x": `"lost=x"`, "sideways=0.1": "lost, stuck, backwards, upload"} {
		if _, err := gissim.ParseFaults(spec); err == nil || !strings.Contains(err.Error(), text) {
			t.Errorf("%s: err = %v, want %q", spec, err, text)
		}
	}
}
