package app

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gisgw/gisgw/responder/alert"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/ru"
	"github.com/gisgw/gisgw/soap/xades"
)

// certWarnDays is when the dashboard starts warning about a certificate's expiry.
const certWarnDays = 30

// tlsCertificate is the TLS client certificate to watch for expiry, if one is configured
// (the signing one is added when the signer is loaded).
func tlsCertificate(cfg config.Config, log *slog.Logger) []alert.Certificate {
	var out []alert.Certificate
	if cfg.GIS.ClientCert != "" {
		b, err := os.ReadFile(cfg.GIS.ClientCert)
		var c *x509.Certificate
		if err == nil {
			c, err = xades.ParseCertificate(b)
		}
		if err != nil {
			log.Warn("TLS client certificate not watched for expiry", "file", cfg.GIS.ClientCert, "err", err)
		} else {
			out = append(out, alert.Certificate{Role: "tls", Cert: c})
		}
	}
	return out
}

// certExpiryCollector exports gisgw_certificate_expiry_seconds{cert="signing|tls"}: seconds
// until the certificate expires, negative once it has.
type certExpiryCollector struct {
	desc  *prometheus.Desc
	certs []alert.Certificate
	now   func() time.Time
}

func newCertExpiryCollector(certs []alert.Certificate, now func() time.Time) *certExpiryCollector {
	return &certExpiryCollector{
		desc: prometheus.NewDesc("gisgw_certificate_expiry_seconds",
			"Seconds until the certificate expires (negative: expired), by role: signing or tls.", []string{"cert"}, nil),
		certs: certs, now: now,
	}
}

func (c *certExpiryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *certExpiryCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	for _, w := range c.certs {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, w.Cert.NotAfter.Sub(now).Seconds(), w.Role)
	}
}

// certWarnings are the dashboard header's lines about certificates that expire within
// certWarnDays days or have expired.
func certWarnings(certs []alert.Certificate, now time.Time, refuseExpired bool) []string {
	var out []string
	for _, w := range certs {
		what := "Сертификат электронной подписи"
		if w.Role == "tls" {
			what = "Сертификат защищённого соединения с ГИС ЖКХ"
		}
		days := alert.CertDaysLeft(w.Cert, now)
		until := ru.Date(w.Cert.NotAfter)
		switch {
		case days < 0 && w.Role == "signing" && refuseExpired:
			out = append(out, what+" истёк "+until+": ответы в ГИС ЖКХ не отправляются. Замените ключ и сертификат.")
		case days < 0:
			out = append(out, what+" истёк "+until+": ГИС ЖКХ не примет ответы. Замените сертификат.")
		case days == 0:
			out = append(out, what+" истекает сегодня, "+until+". Замените ключ и сертификат.")
		case days <= certWarnDays:
			out = append(out, fmt.Sprintf("%s истекает через %d %s, %s. Закажите новый в удостоверяющем центре.",
				what, days, ru.Plural(days, "день", "дня", "дней"), until))
		}
	}
	return out
}

// expiryGuard signs only while the certificate is valid: once it has expired, GIS would
// refuse every answer, so none is sent. The refusal is an ErrCertificateExpired that the
// pipeline treats as transient: the messages wait, unrefused, for a new key.
type expiryGuard struct {
	signer *xades.Signer
	cert   *x509.Certificate
	now    func() time.Time
	log    *slog.Logger
	logged atomic.Bool
}

func (g *expiryGuard) Sign(doc []byte, id string) ([]byte, error) {
	if now := g.now(); now.After(g.cert.NotAfter) {
		err := fmt.Errorf("%w: the signing certificate (serial %X) expired on %s; answers are not sent until the key and certificate are replaced",
			xades.ErrCertificateExpired, g.cert.SerialNumber, g.cert.NotAfter.UTC().Format(time.RFC3339))
		if g.logged.CompareAndSwap(false, true) {
			g.log.Error("signing certificate has expired: not sending answers", "serial", fmt.Sprintf("%X", g.cert.SerialNumber),
				"not_after", g.cert.NotAfter, "err", err)
		}
		return nil, err
	}
	return g.signer.Sign(doc, id)
}

// isTransient adds an expired signing certificate to GIS's transient failures: a message
// that could not be signed for it is retried after the key is replaced, not failed.
func isTransient(gisTransient func(error) bool) func(error) bool {
	return func(err error) bool {
		return gisTransient(err) || errors.Is(err, xades.ErrCertificateExpired)
	}
}
