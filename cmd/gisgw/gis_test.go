package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// gisFixtureServer answers like GIS from the gisclient fixtures: an Ack to every business
// request, and to getState the fixtures in pages, in order.
func gisFixtureServer(t *testing.T, pages ...string) (*httptest.Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	polls := 0
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "gisclient", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		msg, err := soap.ParseBytes(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var hdr wsdl.RequestHeader
		if _, err := msg.DecodeHeader(&hdr); err != nil || hdr.HeaderType == nil || hdr.MessageGUID == nil {
			http.Error(w, "no header", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		if msg.BodyName().Local != "getStateRequest" {
			b := bytes.ReplaceAll(fixture("ack.xml"), []byte("00000000-0000-4000-8000-00000000a001"), []byte(*hdr.MessageGUID))
			w.Write(b)
			return
		}
		var req wsdl.GetStateRequest
		if err := msg.DecodeBody(&req); err != nil || req.MessageGUID == nil {
			http.Error(w, "bad getState", http.StatusBadRequest)
			return
		}
		mu.Lock()
		name := pages[min(polls, len(pages)-1)]
		polls++
		mu.Unlock()
		w.Write(bytes.ReplaceAll(fixture(name), []byte("00000000-0000-4000-8000-00000000b001"), []byte(*req.MessageGUID)))
	}))
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return polls }
}

func gisCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

const gisTestOrg = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"

func TestGISExportTable(t *testing.T) {
	t.Parallel()
	srv, _ := gisFixtureServer(t, "getstate-export-page.xml", "getstate-export-last.xml")
	dump := t.TempDir()
	code, stdout, stderr := gisCLI(t, "gis", "export", "--endpoint", srv.URL, "--org", gisTestOrg,
		"--from", "2026-06-01", "--to", "22.11.2026", "--response-status", "NotSent", "--poll", "1ms", "--dump-dir", dump)
	if code != 0 {
		t.Fatalf("code %d, stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "SUBREQUEST GUID") || !strings.Contains(lines[0], "DEADLINE") {
		t.Fatalf("want a header and 5 rows:\n%s", stdout)
	}
	for _, want := range []string{
		"c0ffee01-1111-4222-8333-444455556666  2026-1120-000017  2026-11-20  2026-11-27  HM 55555555-5555-4555-8555-555555555501 (Apartment)",
		"house b1b2b3b4-1111-4222-8333-444455556666 кв. 7",
		"г. Тверь, ул. Садовая, д. 9, блок 2",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{"page 1: 3 sub-requests, 3 so far", "page 2: 2 sub-requests, 5 so far", "5 sub-requests in"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("progress lacks %q:\n%s", want, stderr)
		}
	}
	if files, _ := os.ReadDir(dump); len(files) != 8 {
		t.Errorf("%d dump files, want 8 (2 pages × export and getState × out and in)", len(files))
	}
}

func TestGISExportJSON(t *testing.T) {
	t.Parallel()
	srv, _ := gisFixtureServer(t, "getstate-export-page.xml", "getstate-export-last.xml")
	code, stdout, stderr := gisCLI(t, "gis", "export", "--format", "json", "--endpoint", srv.URL, "--org", gisTestOrg,
		"--from", "2026-06-01", "--to", "2026-11-22", "--poll", "1ms")
	if code != 0 {
		t.Fatalf("code %d, stderr:\n%s", code, stderr)
	}
	var rows []gisSubRequestJSON
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("stdout is not one JSON array: %v\n%s", err, stdout)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows", len(rows))
	}
	r := rows[2]
	if r.SubrequestGUID != "c0ffee03-1111-4222-8333-444455556666" || r.ResponseDate != "2026-11-28" || r.AddressType != "House" ||
		r.ResponseStatus != "Sent" || r.HasDebt == nil || *r.HasDebt || r.Organization == "" {
		t.Errorf("row 2 = %+v", r)
	}
	if strings.Contains(stdout, "Сотрудник") {
		t.Error("the JSON carries employees' names")
	}
}

func TestGISExportEmptyJSON(t *testing.T) {
	t.Parallel()
	srv, _ := gisFixtureServer(t, "getstate-int002012.xml")
	code, stdout, stderr := gisCLI(t, "gis", "export", "--format", "json", "--endpoint", srv.URL, "--org", gisTestOrg,
		"--subrequest", "c0ffee01-1111-4222-8333-444455556666", "--poll", "1ms")
	if code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Fatalf("code %d, stdout %q, stderr %s", code, stdout, stderr)
	}
}

func TestGISState(t *testing.T) {
	t.Parallel()
	srv, polls := gisFixtureServer(t, "getstate-state2.xml", "getstate-import.xml")
	guid := "9a5e0000-0000-4000-8000-000000000001"
	code, stdout, stderr := gisCLI(t, "gis", "state", guid, "--endpoint", srv.URL, "--org", gisTestOrg)
	if code != 0 || !strings.Contains(stdout, "message "+guid+": state 2 (processing)") {
		t.Fatalf("code %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	code, stdout, stderr = gisCLI(t, "gis", "state", "--endpoint", srv.URL, "--org", gisTestOrg, "--wait", "--poll", "1ms", guid)
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, stderr)
	}
	for _, want := range []string{"state 3 (processed)", "00000000-0000-4000-8000-00000000c002  ERROR   INT002000 Отсутствует в реестре", "import result: 2 of 3 actions accepted"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if polls() != 2 {
		t.Errorf("%d getState calls, want 2", polls())
	}
}

func TestGISCommandErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"gis", "export", "--org", gisTestOrg, "--from", "2026-01-01", "--to", "2026-02-01"}, "--endpoint is required"},
		{[]string{"gis", "export", "--endpoint", "http://127.0.0.1:1", "--from", "2026-01-01", "--to", "2026-02-01"}, "--org is required"},
		{[]string{"gis", "export", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg}, "give --from DATE"},
		{[]string{"gis", "export", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg, "--from", "2026-01-01", "--to", "2026-09-01"}, "longer than 6 months"},
		{[]string{"gis", "export", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg, "--from", "1/1/26"}, "YYYY-MM-DD"},
		{[]string{"gis", "export", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg, "--from", "2026-01-01", "--to", "2026-02-01", "--format", "xml"}, "table or json"},
		{[]string{"gis", "export", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg, "--from", "2026-01-01", "--to", "2026-02-01", "--poll", "soon"}, "--poll"},
		{[]string{"gis", "export", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg, "--from", "2026-01-01", "--to", "2026-02-01", "--basic-user", "sit"}, "GISGW_BASIC_PASSWORD"},
		{[]string{"gis", "export", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg, "--from", "2026-01-01", "--to", "2026-02-01", "--retries", "0"}, "connection refused"},
		{[]string{"gis", "state", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg}, "exactly one MESSAGEGUID"},
		{[]string{"gis", "state", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg, "nope"}, "not a MessageGUID"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args[2:], " "), func(t *testing.T) {
			t.Parallel()
			if strings.Contains(strings.Join(tc.args, " "), "basic-user") && os.Getenv(gisPasswordEnv) != "" {
				t.Skip(gisPasswordEnv + " is set in this environment")
			}
			code, _, stderr := gisCLI(t, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("code %d, stderr %q; want %q", code, stderr, tc.want)
			}
		})
	}
}
