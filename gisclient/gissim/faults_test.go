package gissim_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap"
)

func TestParseFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		want    gissim.Faults
		wantErr string // in the error
	}{
		{"", gissim.Faults{}, ""},
		{"500=0.05,503=0.02,exp=0.03,drop=0.02,latency=50ms",
			gissim.Faults{HTTP500: 0.05, HTTP503: 0.02, EXP001000: 0.03, Drop: 0.02, Latency: 50 * time.Millisecond}, ""},
		{" EXP001000 = 1 ", gissim.Faults{EXP001000: 1}, ""},
		{"drop=0.5,", gissim.Faults{Drop: 0.5}, ""},
		{"500=1.5", gissim.Faults{}, `"500=1.5"`},
		{"500=-0.1", gissim.Faults{}, "0 to 1"},
		{"500=abc", gissim.Faults{}, `"500=abc"`},
		{"500=NaN", gissim.Faults{}, "0 to 1"},
		{"404=0.1", gissim.Faults{}, `unknown key "404"`},
		{"500", gissim.Faults{}, `"500" is not key=value`},
		{"latency=fast", gissim.Faults{}, `"latency=fast"`},
		{"latency=-1s", gissim.Faults{}, "non-negative"},
		{"500=0.1,500=0.2", gissim.Faults{}, "second time"},
		{"500=0.6,503=0.6", gissim.Faults{}, "add up to 1.2"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			t.Parallel()
			got, err := gissim.ParseFaults(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestFaultInjection checks over N calls with a fixed seed that each kind of failure comes
// at roughly its rate, looks as on the real service, and is counted in the stats.
func TestFaultInjection(t *testing.T) {
	t.Parallel()
	const n = 400
	rates := gissim.Faults{HTTP500: 0.1, HTTP503: 0.05, EXP001000: 0.1, Drop: 0.05}
	h := newHarness(t, gissim.Options{Seed: 20261122, Faults: rates})
	importScenario(t, h, 1)
	env, _ := envelope(t, orgA, exportByPeriod("2026-11-01", "2026-11-30"))

	var got gissim.FaultStats
	ok := 0
	client := &http.Client{Timeout: 10 * time.Second}
	for range n {
		resp, err := client.Post(h.url, "text/xml; charset=utf-8", bytes.NewReader(env))
		if err != nil {
			got.Drop++ // the connection was closed without a response
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		switch resp.StatusCode {
		case http.StatusServiceUnavailable:
			if _, err := soap.ParseBytes(body); err == nil {
				t.Fatalf("HTTP 503 with a SOAP body")
			}
			got.HTTP503++
		case http.StatusInternalServerError:
			m, err := soap.ParseBytes(body)
			switch {
			case err != nil && bytes.Contains(body, []byte("<title>500")):
				got.HTTP500++
			case err == nil && m.Fault() != nil && m.Fault().ErrorCode == gissim.CodeTransfer && m.Fault().Code == "soapenv:Server":
				got.EXP001000++
			default:
				t.Fatalf("unexpected HTTP 500 body:\n%s", body)
			}
		case http.StatusOK:
			ok++
		default:
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
	}
	st := h.sim.Stats()
	if st.Faults != got {
		t.Errorf("stats count %+v, the client saw %+v", st.Faults, got)
	}
	if st.Calls.Export != n || st.Messages != ok {
		t.Errorf("stats: %d export calls and %d messages, want %d and %d", st.Calls.Export, st.Messages, n, ok)
	}
	for _, c := range []struct {
		kind string
		got  int
		rate float64
	}{{"HTTP 500", got.HTTP500, rates.HTTP500}, {"HTTP 503", got.HTTP503, rates.HTTP503},
		{"EXP001000", got.EXP001000, rates.EXP001000}, {"drop", got.Drop, rates.Drop}} {
		want := c.rate * n
		if float64(c.got) < want*0.5 || float64(c.got) > want*1.5 {
			t.Errorf("%s: %d of %d calls, want about %.0f", c.kind, c.got, n, want)
		}
	}
	t.Logf("over %d calls: %+v, %d served", n, got, ok)
}

func TestFaultSequenceIsSeeded(t *testing.T) {
	t.Parallel()
	outcomes := func(seed int64) string {
		h := newHarness(t, gissim.Options{Seed: seed, Faults: gissim.Faults{HTTP500: 0.3, HTTP503: 0.3}})
		env, _ := envelope(t, orgA, exportByPeriod("2026-11-01", "2026-11-30"))
		var b strings.Builder
		for range 40 {
			status, _ := h.post(env, "")
			b.WriteString(http.StatusText(status)[:1])
		}
		return b.String()
	}
	a, b, c := outcomes(1), outcomes(1), outcomes(2)
	if a != b {
		t.Errorf("the same seed gave %s and %s", a, b)
	}
	if a == c {
		t.Errorf("seeds 1 and 2 gave the same sequence %s", a)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	const latency = 30 * time.Millisecond
	h := newHarness(t, gissim.Options{Faults: gissim.Faults{Latency: latency}})
	env, _ := envelope(t, orgA, exportByPeriod("2026-11-01", "2026-11-30"))
	start := time.Now()
	status, _ := h.post(env, "")
	if d := time.Since(start); d < latency || status != http.StatusOK {
		t.Errorf("HTTP %d after %v, want 200 after at least %v", status, d, latency)
	}
}
