package alert_test

import (
	"crypto/x509"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/alert"
)

// TestCertificateExpiryOncePerThreshold walks a simulated clock towards and past a
// certificate's last day: each threshold alerts once per channel, however often it is
// checked, across Alerters sharing the store.
func TestCertificateExpiryOncePerThreshold(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	// The certificate's last moment is 2025-04-20 23:59:59 Moscow time.
	cert := &x509.Certificate{SerialNumber: big.NewInt(0x1A2B), NotAfter: time.Date(2025, 4, 20, 20, 59, 59, 0, time.UTC)}
	cert.Subject.CommonName = "ООО «Управдом»"
	certs := []alert.Certificate{{Role: "signing", Cert: cert}}
	steps := []struct {
		now  time.Time
		sent int    // alerts per check, both channels
		kind string // the kind sent, "" for none
	}{
		{time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), 0, ""},                // 50 days left
		{time.Date(2025, 3, 21, 9, 0, 0, 0, time.UTC), 2, "cert-expiry-30"}, // 30 days
		{time.Date(2025, 3, 22, 9, 0, 0, 0, time.UTC), 0, ""},               // 29: already alerted
		{time.Date(2025, 4, 10, 9, 0, 0, 0, time.UTC), 2, "cert-expiry-14"}, // 10 days: the 14-day alert
		{time.Date(2025, 4, 14, 9, 0, 0, 0, time.UTC), 2, "cert-expiry-7"},  // 6
		{time.Date(2025, 4, 18, 9, 0, 0, 0, time.UTC), 2, "cert-expiry-3"},  // 2
		{time.Date(2025, 4, 19, 9, 0, 0, 0, time.UTC), 2, "cert-expiry-1"},  // 1
		{time.Date(2025, 4, 20, 9, 0, 0, 0, time.UTC), 2, "cert-expiry-0"},  // the day
		{time.Date(2025, 4, 21, 9, 0, 0, 0, time.UTC), 0, ""},               // expired: the day's alert was sent
		{time.Date(2025, 4, 21, 9, 5, 0, 0, time.UTC), 0, ""},               // and is not repeated
	}
	for _, st := range steps {
		for rep := range 2 { // a second check (a second Alerter) sends nothing more
			a := s.alerter(t, 0, st.now)
			n, err := a.CheckCertificates(t.Context(), certs)
			want := st.sent
			if rep == 1 {
				want = 0
			}
			if err != nil || n != want {
				t.Fatalf("%s check %d: sent %d, %v; want %d", st.now.Format(time.DateOnly), rep, n, err, want)
			}
		}
	}
	var kinds []string
	for _, p := range s.hook.Payloads() {
		if p.Certificate == nil || p.Certificate.Role != "signing" || p.Certificate.Serial != "1A2B" {
			t.Fatalf("webhook payload without the certificate: %+v", p)
		}
		kinds = append(kinds, p.Kind)
	}
	want := "cert-expiry-30 cert-expiry-14 cert-expiry-7 cert-expiry-3 cert-expiry-1 cert-expiry-0"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("webhook kinds %q, want %q", got, want)
	}
	subs := subjects(t, s.sink.Messages())
	if len(subs) != 6 {
		t.Fatalf("%d e-mails, want 6: %q", len(subs), subs)
	}
	for i, w := range []string{"истекает через 30 дней", "истекает через 10 дней", "через 6 дней", "через 2 дня", "через 1 день", "истекает сегодня"} {
		if !strings.Contains(subs[i], w) || !strings.Contains(subs[i], "сертификат электронной подписи") {
			t.Errorf("e-mail %d subject %q, want %q", i, subs[i], w)
		}
	}
}

// An expired certificate first seen after its last day alerts once, saying answers stop.
func TestCertificateExpiredAlert(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	cert := &x509.Certificate{SerialNumber: big.NewInt(7), NotAfter: time.Date(2024, 5, 5, 0, 0, 0, 0, time.UTC)}
	a := s.alerter(t, 0, time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC))
	if n, err := a.CheckCertificates(t.Context(), []alert.Certificate{{Role: "signing", Cert: cert}}); n != 2 || err != nil {
		t.Fatalf("sent %d, %v; want 2", n, err)
	}
	m := decode(t, s.sink.Messages()[0])
	if !strings.Contains(m.subject, "истёк — ответы в ГИС ЖКХ не отправляются") || !strings.Contains(m.body, "05.05.2024") {
		t.Errorf("e-mail %q\n%s", m.subject, m.body)
	}
	if p := s.hook.Payloads()[0]; p.Certificate.DaysLeft >= 0 || p.Kind != "cert-expiry-0" {
		t.Errorf("webhook %+v", p.Certificate)
	}
}
