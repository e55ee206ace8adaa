package app_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/demo"
)

// TestProgressLog runs the demo (the simulator with its 20 sub-requests) once with a JSON
// log and reads the lines an operator follows: the start-up line, the pass summary with the
// demo's known counts, and the warning about review items due within a working day.
func TestProgressLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := app.NewLogger(&buf, "info", "json")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := demo.Start(ctx, demo.Options{DataDir: filepath.Join("..", "..", "testdata"), WorkDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.App.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	lines := map[string][]map[string]any{}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON log line: %q", sc.Text())
		}
		msg, _ := m["msg"].(string)
		lines[msg] = append(lines[msg], m)
	}
	start := lines["gisgw starting"]
	if len(start) != 1 {
		t.Fatalf("%d start-up lines; want 1", len(start))
	}
	for k, want := range map[string]any{"level": "INFO", "store": "sqlite", "store_at": d.Config.DB, "endpoint": d.Config.GIS.Endpoint, "schedule": "once: one full pass, then exit"} {
		if start[0][k] != want {
			t.Errorf("start-up line %s = %v; want %v", k, start[0][k], want)
		}
	}
	if orgs, _ := start[0]["organizations"].([]any); len(orgs) != 1 {
		t.Errorf("start-up line organizations = %v; want the demo's one", start[0]["organizations"])
	}
	sums := lines["pass summary"]
	if len(sums) != 1 {
		t.Fatalf("%d pass summaries; want 1 (one organization)", len(sums))
	}
	// The demo's rules (responder/demo/demo_test.go): 5 debt, 8 no debt, 5 to review,
	// 2 answered by GIS before the daemon ran; every answer sent is confirmed.
	for k, want := range map[string]float64{
		"pulled": 20, "decided_debt": 5, "decided_no_debt": 8, "to_review": 5, "sent": 13, "confirmed": 13,
		"failed": 0, "auto_answered": 2, "waiting_for_person": 5,
	} {
		if got, _ := sums[0][k].(float64); got != want {
			t.Errorf("summary %s = %v; want %v", k, sums[0][k], want)
		}
	}
	if sums[0]["level"] != "INFO" || sums[0]["org"] != demo.Org {
		t.Errorf("summary level %v, org %v; want INFO, %s", sums[0]["level"], sums[0]["org"], demo.Org)
	}
	t.Logf("summary: %v", sums[0])
	for _, w := range lines["sub-requests due within a working day wait for a person: decide them (gisgw review list) or the deadline rule answers"] {
		t.Logf("warning: %v", w)
	}
}
