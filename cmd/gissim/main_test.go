package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--scenario", "../../testdata/scenarios/demo.csv",
			"--generate", "5", "--today", "2026-11-20", "--delay", "0s", "--faults", "latency=1ms"}, &logs, func(a string) { addr <- a })
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("not serving after 10 s")
	}
	resp, err := http.Get(base + "/sim/answers")
	if err != nil {
		t.Fatal(err)
	}
	var answers []map[string]any
	err = json.NewDecoder(resp.Body).Decode(&answers)
	resp.Body.Close()
	if err != nil || len(answers) != 25 {
		t.Fatalf("%d answers (%v), want 20 from the demo scenario and 5 generated", len(answers), err)
	}
	resp, err = http.Get(base + "/sim/clock")
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Today string }
	_ = json.NewDecoder(resp.Body).Decode(&c)
	resp.Body.Close()
	if c.Today != "2026-11-20" {
		t.Errorf("--today not applied: %q", c.Today)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown after 10 s")
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("no shutdown in the log:\n%s", logs.String())
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--faults", "500=2"}, "--faults"},
		{[]string{"--today", "20.11.2026"}, "--today"},
		{[]string{"--scenario", "no-such-file.csv"}, "--scenario"},
		{[]string{"--scenario", "main.go"}, "line 1"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--listen", "256.0.0.1:1"}, "--listen"},
		{[]string{"--nope"}, "not defined"},
		{[]string{"--org", "{6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f}"}, "--org"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run(context.Background(), tc.args, &out, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestFaultFlags(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]string{
		"--stuck-orgs=not-a-guid":     `--stuck-orgs: "not-a-guid" is not a GUID`,
		"--faults=stuck=2":            "--faults",
		"--faults=lost=0.5,unknown=1": `unknown key "unknown"`,
	} {
		err := run(context.Background(), []string{args, "--listen=127.0.0.1:0"}, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", args, err, want)
		}
	}
}
