package alert

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/ru"
)

// CertExpiryDays are the thresholds of the certificate expiry alert: days before the
// certificate's last day, and 0 for that day and after.
var CertExpiryDays = []int{30, 14, 7, 3, 1, 0}

// CertExpiryKind is the kind of the alert about a certificate that expires in at most days
// days ("cert-expiry-30"; "cert-expiry-0" on the day and after).
func CertExpiryKind(days int) string { return fmt.Sprintf("cert-expiry-%d", days) }

// Certificate is a certificate whose expiry is watched.
type Certificate struct {
	Role string // "signing" or "tls"
	Cert *x509.Certificate
}

// certNotice is the content of a certificate expiry alert.
type certNotice struct {
	role     string
	subject  string
	serial   string
	notAfter time.Time
	days     int // calendar days left (negative: expired)
}

// CertDaysLeft counts whole Moscow calendar days from now's date to the certificate's last
// day: 0 on the last day, negative after it.
func CertDaysLeft(c *x509.Certificate, now time.Time) int {
	msk := calendar.Moscow()
	y1, m1, d1 := now.In(msk).Date()
	y2, m2, d2 := c.NotAfter.In(msk).Date()
	a := time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)
	b := time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC)
	if now.After(c.NotAfter) && a.Equal(b) {
		return -1 // expired earlier on its last day
	}
	return int(b.Sub(a) / (24 * time.Hour))
}

// certThreshold is the smallest threshold at or above days, and false above the largest.
func certThreshold(days int) (int, bool) {
	best, ok := 0, false
	for _, t := range CertExpiryDays {
		if days <= t && (!ok || t < best) {
			best, ok = t, true
		}
	}
	return best, ok
}

// CheckCertificates sends, through every channel, the expiry alert each certificate is due:
// one per threshold (30, 14, 7, 3, 1 days and the day itself), channel and certificate,
// across restarts and replicas (claimed in the store under a pseudo sub-request GUID that
// names the role and serial). A renewed certificate (a new serial) is alerted afresh.
func (a *Alerter) CheckCertificates(ctx context.Context, certs []Certificate) (sent int, err error) {
	now := a.now()
	var errs []error
	for _, c := range certs {
		if c.Cert == nil {
			continue
		}
		days := CertDaysLeft(c.Cert, now)
		t, due := certThreshold(days)
		if !due {
			continue
		}
		n := certNotice{role: c.Role, subject: c.Cert.Subject.CommonName, serial: fmt.Sprintf("%X", c.Cert.SerialNumber),
			notAfter: c.Cert.NotAfter, days: days}
		guid := "certificate-" + c.Role + "-" + n.serial
		kind := CertExpiryKind(t)
		for _, ch := range a.channels {
			key := kind + ":" + ch.name()
			if a.isDone(guid, key) {
				continue
			}
			ok, err := a.st.ClaimAlert(ctx, guid, key)
			if err != nil {
				errs = append(errs, fmt.Errorf("alerts: %w", err))
				continue
			}
			if !ok {
				a.markDone(guid, key)
				continue
			}
			if err := ch.send(ctx, batch{kind: kind, today: now, cert: &n}); err != nil {
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				if rerr := a.st.ReleaseAlert(rctx, guid, key); rerr != nil {
					errs = append(errs, fmt.Errorf("alerts: %w (the alert will not be retried)", rerr))
				}
				cancel()
				errs = append(errs, fmt.Errorf("alerts: send %s alert by %s: %w", kind, ch.name(), err))
				continue
			}
			a.markDone(guid, key)
			a.log.Info("alert sent", "kind", kind, "channel", ch.name(), "certificate", c.Role, "serial", n.serial)
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// certRole names a certificate's role in Russian.
func certRole(role string) string {
	if role == "tls" {
		return "сертификат защищённого соединения с ГИС ЖКХ"
	}
	return "сертификат электронной подписи"
}

func certSubject(n *certNotice) string {
	role := certRole(n.role)
	switch {
	case n.days < 0:
		return "gisgw: " + role + " истёк — ответы в ГИС ЖКХ не отправляются"
	case n.days == 0:
		return "gisgw: " + role + " истекает сегодня"
	}
	return fmt.Sprintf("gisgw: %s истекает через %d %s", role, n.days, ru.Plural(n.days, "день", "дня", "дней"))
}

func certBody(n *certNotice) string {
	var sb strings.Builder
	role := certRole(n.role)
	if n.days < 0 {
		fmt.Fprintf(&sb, "Срок действия: %s истёк %s. ГИС ЖКХ не принимает подписанные им ответы, поэтому gisgw их не отправляет. "+
			"Получите новый ключ и сертификат в удостоверяющем центре и замените их в настройках gisgw.\n\n", role, ruDate(n.notAfter))
	} else {
		fmt.Fprintf(&sb, "Срок действия: %s истекает %s. После этого ответы в ГИС ЖКХ отправляться не будут. "+
			"Закажите новый ключ и сертификат в удостоверяющем центре заранее.\n\n", role, ruDate(n.notAfter))
	}
	fmt.Fprintf(&sb, "Владелец: %s\nСерийный номер: %s\nДействует до: %s\n\n", clean(n.subject), n.serial, ruDate(n.notAfter))
	sb.WriteString("-- \nПисьмо отправлено gisgw автоматически.\n")
	return sb.String()
}
