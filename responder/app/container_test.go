package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/alert"
	"github.com/gisgw/gisgw/responder/apptest"
	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/soap/xades"
)

// sharedContainer is the real CryptoPro container of ../shared/cryptopro (empty PIN); its
// certificate is valid from 2024-03-06 to 2024-05-05.
var sharedContainer = filepath.Join("..", "..", "..", "shared", "cryptopro")

// containerHarness is the end-to-end harness with the simulated clock set to today, the
// daemon signing with signing.container, and the simulator trusting only the container's
// certificate.
func containerHarness(t *testing.T, today time.Time, n int) *harness {
	return containerHarnessVerify(t, today, n, nil)
}

// containerHarnessVerify is containerHarness with a hook run on each verified request.
func containerHarnessVerify(t *testing.T, today time.Time, n int, hook func(envelope []byte)) *harness {
	t.Helper()
	certPEM, err := os.ReadFile(filepath.Join(sharedContainer, "test-container-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := xades.ParseCertificates(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, w: apptest.NewWorld(t, n, 5, today), logs: &lockedBuffer{}}
	base := time.Now()
	h.now = func() time.Time { return today.Add(time.Since(base)) }
	verify := gissim.VerifySignatures(trusted)
	h.sim = gissim.New(gissim.Options{Now: func() time.Time { return h.now() }, Delay: 10 * time.Millisecond, Seed: 3,
		CheckAttachments: true, Verify: func(env []byte) error {
			err := verify(env)
			if hook != nil {
				hook(env)
			}
			return err
		}})
	h.sim.SetToday(today)
	if err := h.sim.LoadScenario(bytes.NewReader(h.w.Scenario)); err != nil {
		t.Fatalf("load scenario: %v", err)
	}
	h.srv = httptest.NewServer(h.sim.Handler())
	t.Cleanup(h.srv.Close)
	h.cfg = config.Config{
		DB:     filepath.Join(t.TempDir(), "gisgw.db"),
		Listen: "127.0.0.1:0",
		Log:    config.Log{Level: "warn", Format: "text"},
		GIS: config.GIS{
			Endpoint: h.srv.URL,
			Poll:     []config.Duration{config.Duration(20 * time.Millisecond), config.Duration(50 * time.Millisecond)},
			Retry:    config.Retry{Initial: config.Duration(5 * time.Millisecond), Max: config.Duration(50 * time.Millisecond), MaxRetries: 3},
		},
		Signing:       config.Signing{Container: filepath.Join(sharedContainer, "test-container")},
		Organizations: []config.Organization{{OrgPPAGUID: apptest.Org, ExecutorGUID: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"}},
		Pipeline:      config.Pipeline{Lease: config.Duration(3 * time.Second), Settle: config.Duration(time.Second)},
	}.WithDefaults()
	return h
}

// TestDaemonSignsWithCryptoProContainer: the daemon reads the container directly and GIS
// (the simulator, trusting only the container's certificate) accepts its answers.
func TestDaemonSignsWithCryptoProContainer(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	h := containerHarness(t, time.Date(2024, 4, 10, 10, 0, 0, 0, calendar.Moscow()), 12)
	a := h.newApp(ctx, "")
	h.load(ctx, a.Store())
	for i := 0; i < 20 && h.answered() < len(h.w.GUIDs); i++ {
		if err := a.RunOnce(ctx); err != nil {
			t.Logf("pass %d: %v", i, err)
		}
	}
	if got := h.answered(); got != len(h.w.GUIDs) {
		t.Fatalf("GIS holds %d answers of %d; logs:\n%s", got, len(h.w.GUIDs), h.logs.tail(1<<20))
	}
	if f := h.sim.Stats().Faults; f.HTTP500+f.HTTP503+f.EXP001000+f.Drop != 0 {
		t.Fatalf("faults injected: %+v", f)
	}
}

// TestExpiredSigningCertificateStopsSending: with the simulated clock past the container
// certificate's expiry, the daemon starts, sends nothing, keeps the answers (not failed),
// and says why in the log, the dashboard header, the metric and an alert.
func TestExpiredSigningCertificateStopsSending(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// The simulated clock stands a day before the certificate's expiry while the daemon
	// pulls, and jumps two days ahead once GIS has the signed export: the answers are then
	// decided and due to be sent with an expired certificate.
	var expired atomic.Bool
	h := containerHarnessVerify(t, time.Date(2024, 5, 4, 10, 0, 0, 0, calendar.Moscow()), 6, func(env []byte) {
		if bytes.Contains(env, []byte("exportDSRsRequest")) {
			expired.Store(true)
		}
	})
	valid := h.now
	h.now = func() time.Time {
		if expired.Load() {
			return valid().Add(48 * time.Hour)
		}
		return valid()
	}
	h.cfg.GIS.FirstPullDays = 7
	// One export for the whole period (no pull day by day): the clock jumps after it.
	h.cfg.Pipeline.Concurrency = 1
	var mu sync.Mutex
	var payloads []alert.Payload
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p alert.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err == nil {
			mu.Lock()
			payloads = append(payloads, p)
			mu.Unlock()
		}
	}))
	t.Cleanup(hook.Close)
	h.cfg.Alerts.Webhook = hook.URL
	h.cfg.Dashboard.Token = "a-dashboard-token-long-enough-0123456789"
	a := h.newApp(ctx, "")
	h.load(ctx, a.Store())
	if err := a.RunOnce(ctx); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("RunOnce = %v, want the expired certificate named", err)
	}
	if s := h.sim.Stats(); s.SendActions != 0 {
		t.Fatalf("the simulator got %d Send actions with an expired certificate", s.SendActions)
	}
	srs, err := a.Store().ListSubRequests(ctx, store.SubRequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	waiting := 0
	for _, sr := range srs {
		if sr.State == "sending" || sr.State == "ready" {
			waiting++
		}
		if sr.State == "failed" {
			t.Errorf("%s failed (%s); an expired certificate must hold answers back, not fail them", sr.GUID, sr.ErrorText)
		}
	}
	if waiting == 0 {
		t.Errorf("no answer was ready to send; the test proves nothing (states: %v)", states(srs))
	}
	if logs := h.logs.tail(1 << 20); !strings.Contains(logs, "signing certificate has expired: not sending answers") {
		t.Errorf("log does not say why:\n%s", logs)
	}
	mu.Lock()
	var kinds []string
	for _, p := range payloads {
		if p.Certificate != nil {
			kinds = append(kinds, p.Kind+":"+p.Certificate.Role)
		}
	}
	mu.Unlock()
	if strings.Join(kinds, ",") != "cert-expiry-0:signing" {
		t.Errorf("certificate alerts %q, want one cert-expiry-0 for the signing certificate", kinds)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	page := getPage(t, srv.URL+"/", h.cfg.Dashboard.Token.Reveal())
	if !strings.Contains(page, "Сертификат электронной подписи истёк 05.05.2024: ответы в ГИС ЖКХ не отправляются") {
		t.Errorf("dashboard header has no expiry warning:\n%.2000s", page)
	}
	metrics := getPage(t, srv.URL+"/metrics", "")
	if !strings.Contains(metrics, `gisgw_certificate_expiry_seconds{cert="signing"} -`) {
		t.Errorf("metric missing or not negative:\n%s", grepLines(metrics, "certificate"))
	}
}

func getPage(t *testing.T, url, token string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func states(srs []domain.SubRequest) map[domain.State]int {
	m := map[domain.State]int{}
	for _, sr := range srs {
		m[sr.State]++
	}
	return m
}
