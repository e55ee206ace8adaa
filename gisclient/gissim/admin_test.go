package gissim_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
)

func (h *harness) getJSON(method, path string, v any) int {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if v != nil && resp.StatusCode != http.StatusMethodNotAllowed {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			h.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
		}
		if err := json.Unmarshal(b, v); err != nil {
			h.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func TestAnswersJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gissim.Options{})
	importScenario(t, h, 3)
	mustAccept(t, h, importOf(send(subGUID(1), debt(fileOK, hashOK)), send(subGUID(2), noDebt())))

	var got []map[string]any
	if st := h.getJSON(http.MethodGet, "/sim/answers", &got); st != http.StatusOK {
		t.Fatalf("HTTP %d", st)
	}
	if len(got) != 4 {
		t.Fatalf("%d answers, want one per sub-request (4)", len(got))
	}
	wantKeys := []string{"answered_at", "debtors", "description", "documents", "executor_guid", "has_debt", "response_status", "subrequest_guid"}
	by := map[string]map[string]any{}
	for _, a := range got {
		if !slices.Equal(keys(a), wantKeys) {
			t.Fatalf("keys %v, want %v", keys(a), wantKeys)
		}
		if _, ok := a["debtors"].([]any); !ok {
			t.Errorf("debtors is %T, want an array", a["debtors"])
		}
		if _, ok := a["documents"].([]any); !ok {
			t.Errorf("documents is %T, want an array", a["documents"])
		}
		by[a["subrequest_guid"].(string)] = a
	}
	open := by[subGUID(3)]
	if open["response_status"] != "NotSent" || open["has_debt"] != nil || open["answered_at"] != nil {
		t.Errorf("unanswered: %v", open)
	}
	noDebtAnswer := by[subGUID(2)]
	if noDebtAnswer["response_status"] != "Sent" || noDebtAnswer["has_debt"] != false || noDebtAnswer["executor_guid"] != executor {
		t.Errorf("no debt: %v", noDebtAnswer)
	}
	if _, err := time.Parse(time.RFC3339, noDebtAnswer["answered_at"].(string)); err != nil {
		t.Errorf("answered_at: %v", err)
	}
	yes := by[subGUID(1)]
	debtors, docs := yes["debtors"].([]any), yes["documents"].([]any)
	if yes["has_debt"] != true || len(debtors) != 1 || len(docs) != 1 {
		t.Fatalf("debt: %v", yes)
	}
	d := debtors[0].(map[string]any)
	if !slices.Equal(keys(d), []string{"first_name", "last_name", "middle_name", "snils"}) || d["last_name"] != "Иванов" {
		t.Errorf("debtor %v", d)
	}
	doc := docs[0].(map[string]any)
	if !slices.Equal(keys(doc), []string{"attachment_guid", "hash", "name"}) || doc["attachment_guid"] != fileOK || doc["hash"] != hashOK {
		t.Errorf("document %v", doc)
	}
}

func TestStatsJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gissim.Options{})
	importScenario(t, h, 2)
	mustAccept(t, h, importOf(send(subGUID(1), noDebt())))
	h.result(orgA, importOf(revoke(subGUID(1)), send(subGUID(7), noDebt())))
	h.fault(orgA, importOf())

	var got map[string]any
	if st := h.getJSON(http.MethodGet, "/sim/stats", &got); st != http.StatusOK {
		t.Fatalf("HTTP %d", st)
	}
	if want := []string{"calls", "faults", "file_store", "messages", "rejected_actions", "revoke_actions", "send_actions", "soap_faults"}; !slices.Equal(keys(got), want) {
		t.Fatalf("keys %v, want %v", keys(got), want)
	}
	calls, faults := got["calls"].(map[string]any), got["faults"].(map[string]any)
	if !slices.Equal(keys(calls), []string{"exportDSRsRequest", "getStateRequest", "importDSRResponsesRequest", "other"}) ||
		!slices.Equal(keys(faults), []string{"drop", "exp001000", "http500", "http503"}) {
		t.Fatalf("calls %v, faults %v", calls, faults)
	}
	for k, want := range map[string]float64{"messages": 2, "send_actions": 1, "revoke_actions": 1, "rejected_actions": 1, "soap_faults": 1} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if calls["importDSRResponsesRequest"] != 3.0 || calls["getStateRequest"] != 2.0 {
		t.Errorf("calls %v, want 3 imports and 2 getState", calls)
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHarness(t, gissim.Options{Now: clk.Now})
	h.loadCSV(csvHeader + row(orgA, subGUID(1), "N", house1, false, "2026-11-20", ""))
	var c struct {
		Today string `json:"today"`
		Error string `json:"error"`
	}
	if h.getJSON(http.MethodGet, "/sim/clock", &c); c.Today != "2026-11-20" {
		t.Errorf("default today %q, want the clock's Moscow date 2026-11-20", c.Today)
	}
	clk.Advance(14 * time.Hour) // 2026-11-21 00:00 in Moscow
	if h.getJSON(http.MethodGet, "/sim/clock", &c); c.Today != "2026-11-21" {
		t.Errorf("today %q after midnight in Moscow, want 2026-11-21", c.Today)
	}
	if st := h.getJSON(http.MethodPost, "/sim/clock?date=2026-11-30", &c); st != http.StatusOK || c.Today != "2026-11-30" {
		t.Errorf("POST: HTTP %d today %q", st, c.Today)
	}
	if got := h.sim.Today().Format(time.DateOnly); got != "2026-11-30" {
		t.Errorf("Today() = %s after POST", got)
	}
	if a := answerOf(t, h, subGUID(1)); a.ResponseStatus != "AutoGenerated" {
		t.Errorf("setting the date past the deadline: %s, want AutoGenerated", a.ResponseStatus)
	}
	c.Error = ""
	if st := h.getJSON(http.MethodPost, "/sim/clock?date=30.11.2026", &c); st != http.StatusBadRequest || !strings.Contains(c.Error, "YYYY-MM-DD") || c.Today != "2026-11-30" {
		t.Errorf("bad date: HTTP %d %+v", st, c)
	}
	if st := h.getJSON(http.MethodPut, "/sim/clock", nil); st != http.StatusMethodNotAllowed {
		t.Errorf("PUT: HTTP %d, want 405", st)
	}
}
