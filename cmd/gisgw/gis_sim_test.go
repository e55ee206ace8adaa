package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
)

// TestGISExportAgainstSimulator runs `gis export --format json` in-process against the
// simulator with 10% injected faults and checks that the JSON array holds every sub-request
// of the organization exactly once.
func TestGISExportAgainstSimulator(t *testing.T) {
	t.Parallel()
	sim := gissim.New(gissim.Options{
		// No delay: every call sequence is the same, so the seeded faults are too.
		Faults:   gissim.Faults{HTTP500: 0.025, HTTP503: 0.025, EXP001000: 0.025, Drop: 0.025},
		Seed:     20261122,
		PageSize: 10,
	})
	sentFrom := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	sim.Generate(150, gisTestOrg, sentFrom)
	sim.Generate(20, "0bad0bad-4b5a-4c6d-8e7f-0a1b2c3d4e5f", sentFrom)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)

	code, stdout, stderr := gisCLI(t, "gis", "export", "--format", "json", "--endpoint", srv.URL, "--org", gisTestOrg,
		"--from", "2026-09-01", "--to", "2026-12-31", "--poll", "2ms,4ms", "--retry-wait", "1ms", "--retries", "8")
	if code != 0 {
		t.Fatalf("code %d, stderr:\n%s", code, stderr)
	}
	var rows []gisSubRequestJSON
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("stdout is not one JSON array: %v", err)
	}
	seen := map[string]int{}
	for _, r := range rows {
		seen[strings.ToLower(r.SubrequestGUID)]++
		if r.SentDate == "" || r.ResponseDate == "" || r.Address == "" || (r.HMObjectGUID == "" && r.HouseGUID == "") {
			t.Errorf("incomplete row %+v", r)
		}
	}
	want := 0
	for _, sr := range sim.SubRequests() {
		if sr.OrgPPAGUID != gisTestOrg {
			continue
		}
		want++
		if n := seen[strings.ToLower(sr.GUID)]; n != 1 {
			t.Errorf("sub-request %s printed %d times, want once", sr.GUID, n)
		}
	}
	if len(rows) != want || want != 150 {
		t.Errorf("%d rows, the simulator holds %d for the organization", len(rows), want)
	}
	if !strings.Contains(stderr, "page 15: 10 sub-requests, 150 so far") {
		t.Errorf("progress missing:\n%s", stderr)
	}
	st := sim.Stats()
	t.Logf("%d export and %d getState calls, faults injected %+v", st.Calls.Export, st.Calls.GetState, st.Faults)
	if st.Faults.HTTP500+st.Faults.HTTP503+st.Faults.EXP001000+st.Faults.Drop == 0 {
		t.Error("no fault was injected: the test did not exercise the retries")
	}
}

// TestGISExportFromConfig: with --config, gis export takes the endpoint and the one
// organization from the daemon's configuration; a flag still overrides the file.
func TestGISExportFromConfig(t *testing.T) {
	t.Parallel()
	sim := gissim.New(gissim.Options{Seed: 1, PageSize: 100})
	sim.Generate(7, gisTestOrg, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	cfg := filepath.Join(t.TempDir(), "gisgw.yaml")
	body := "gis: {endpoint: " + srv.URL + "}\norganizations:\n  - org_ppa_guid: " + gisTestOrg + "\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := gisCLI(t, "gis", "export", "--config", cfg, "--format", "json", "--from", "2026-09-01", "--to", "2026-12-31", "--poll", "2ms")
	var rows []gisSubRequestJSON
	if code != 0 || json.Unmarshal([]byte(stdout), &rows) != nil || len(rows) != 7 {
		t.Fatalf("gis export --config: code %d, %d rows, stderr:\n%s", code, len(rows), stderr)
	}
	code, _, stderr = gisCLI(t, "gis", "export", "--config", cfg, "--endpoint", "http://127.0.0.1:1", "--from", "2026-09-01", "--poll", "2ms", "--retries", "0")
	if code != 1 || !strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("--endpoint did not override the config's: code %d, stderr %q", code, stderr)
	}
}
