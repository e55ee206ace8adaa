package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/gisgw/gisgw/responder/mask"
)

// webhook POSTs a batch as JSON; any 2xx status means sent.
type webhook struct {
	a       *Alerter
	url     string
	host    string // for errors and logs: the URL may carry a token
	client  *http.Client
	timeout time.Duration
}

// Payload is the webhook's JSON body.
type Payload struct {
	Kind  string        `json:"kind"` // deadline-N, failed, auto_answered, blocked-<digest of the cause>, inventory-YYYY-MM
	Text  string        `json:"text"` // the e-mail subject, in Russian, for chat receivers
	Items []PayloadItem `json:"items"`
	// Body and URL are the monthly inventory's text and dashboard page (kind
	// inventory-YYYY-MM, no items); the workbook goes by e-mail only.
	Body string `json:"body,omitempty"`
	URL  string `json:"url,omitempty"`
	// Certificate is set on a certificate expiry alert (kind cert-expiry-N).
	Certificate *PayloadCertificate `json:"certificate,omitempty"`
}

// PayloadCertificate is the certificate of an expiry alert.
type PayloadCertificate struct {
	Role     string `json:"role"` // signing or tls
	Subject  string `json:"subject"`
	Serial   string `json:"serial"`
	NotAfter string `json:"not_after"` // RFC 3339
	DaysLeft int    `json:"days_left"` // negative: expired
}

// PayloadItem is one sub-request of a webhook alert.
type PayloadItem struct {
	SubRequestGUID string `json:"subrequest_guid"`
	RequestNumber  string `json:"request_number"`
	Address        string `json:"address"`
	Deadline       string `json:"deadline"` // YYYY-MM-DD; "" when unknown
	State          string `json:"state"`
	ErrorCode      string `json:"error_code"`
	ErrorText      string `json:"error_text"`
	BlockedReason  string `json:"blocked_reason,omitempty"` // why a ready answer waits, in Russian
	URL            string `json:"url,omitempty"`            // the dashboard page, with a dashboard URL
}

func (w *webhook) name() string { return ChannelWebhook }

func (w *webhook) send(ctx context.Context, b batch) error {
	p := Payload{Kind: b.kind, Text: subject(b), Items: make([]PayloadItem, 0, len(b.items))}
	if b.notice != nil {
		p.Text, p.Body, p.URL = b.notice.subject, b.notice.text, b.notice.link
	}
	if n := b.cert; n != nil {
		p.Certificate = &PayloadCertificate{Role: n.role, Subject: n.subject, Serial: n.serial,
			NotAfter: n.notAfter.UTC().Format(time.RFC3339), DaysLeft: n.days}
	}
	for _, s := range b.items {
		it := PayloadItem{SubRequestGUID: s.GUID, RequestNumber: s.RequestNumber, Address: s.Address,
			State: string(s.State), ErrorCode: mask.Text(s.ErrorCode), ErrorText: mask.Text(s.ErrorText),
			BlockedReason: mask.Text(s.BlockedReason), URL: w.a.itemURL(s.GUID)}
		if d := w.a.deadline(s); !d.IsZero() {
			it.Deadline = d.Format(time.DateOnly)
		}
		p.Items = append(p.Items, it)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.host, w.redact(err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "gisgw-alert")
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.host, w.redact(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook %s: status %s: %q", w.host, resp.Status, clean(string(snippet)))
	}
	return nil
}

// redact replaces the URL in a *url.Error by its host: a webhook URL may hold a token.
func (w *webhook) redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: w.host, Err: ue.Err}
	}
	return err
}
