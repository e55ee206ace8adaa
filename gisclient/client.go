// Package gisclient is the typed client of the GIS ZhKKh debt-request service
// (DebtRequestsAsync) for the side that answers sub-requests: it pulls sub-requests
// (exportDSRsRequest), pushes answers (importDSRResponsesRequest) and polls their results
// (getState).
//
// Every business request is asynchronous: the signed body is acknowledged with a GIS-assigned
// MessageGUID (Submit), whose result is then polled on the official schedule (Await). Both
// halves are exposed so that a daemon can persist the MessageGUID between them and resume
// polling after a crash; the combined calls (ExportPage, ExportDSRs, ImportDSRResponses) do
// both.
//
// Transient failures (EXP001000, HTTP 5xx, connection resets, timeouts) are retried within
// the call with exponential backoff, each attempt with a fresh MessageGUID and Date and a new
// signature: GIS is reported to loop on an identical resent packet. Everything else fails
// at once as a *Error carrying the GIS code and text.
//
// An importDSRResponsesRequest is never sent again by the client once it may have reached
// GIS: a failure after the request was written in full (the connection lost, reset or timed
// out while waiting for the answer, a cut or unreadable 2xx answer, a gateway timeout, the
// caller's cancellation) fails with ErrOutcomeUnknown, and the caller looks the
// sub-requests up in GIS before it sends anything again. Every wait is bounded: an
// asynchronous call polls for at most Options.PollLimit.
package gisclient

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// DefaultPath is the service path on the GIS host, appended to an Endpoint without a path.
const DefaultPath = "/ext-bus-debtreq-service/services/DebtRequestsAsync"

// SignedID is the Id of the signed body element; the signature references it.
const SignedID = "signed-data-container"

// Versions of the request formats.
const (
	ExportVersion = "14.0.0.0" // default for exportDSRsRequest
	ImportVersion = "14.0.0.0" // the only version importDSRResponsesRequest accepts
)

// DefaultPollLimit bounds the getState polling of one asynchronous call.
const DefaultPollLimit = 2 * time.Hour

// DefaultPoll is the getState schedule from the official integration guide: the first
// getState not earlier than 10 s after the Ack, then 60 s, 300 s, 900 s and every 1800 s.
func DefaultPoll() []time.Duration {
	return []time.Duration{10 * time.Second, 60 * time.Second, 300 * time.Second, 900 * time.Second, 1800 * time.Second}
}

// Signer signs the element with Id id inside doc (a whole SOAP envelope) and returns the
// envelope with the signature inserted. soap/xades provides the GOST XAdES-BES one.
type Signer interface {
	Sign(doc []byte, id string) ([]byte, error)
}

// Retry bounds the in-call retries of transient failures. Zero fields take the defaults.
// Long-term retries (hours) belong to the caller's persistent state, not here.
type Retry struct {
	InitialInterval time.Duration // first wait; default 2 s
	MaxInterval     time.Duration // cap of one wait; default 1 min
	MaxElapsedTime  time.Duration // give up after this much time in one call; default 5 min
	MaxRetries      int           // retries after the first attempt; default 5; negative = none
}

func (r Retry) withDefaults() Retry {
	r.InitialInterval = cmp.Or(r.InitialInterval, 2*time.Second)
	r.MaxInterval = cmp.Or(r.MaxInterval, time.Minute)
	r.MaxElapsedTime = cmp.Or(r.MaxElapsedTime, 5*time.Minute)
	r.MaxRetries = cmp.Or(r.MaxRetries, 5)
	return r
}

// PageEvent reports one exported page to Options.OnPage.
type PageEvent struct {
	Page  int  // 1-based page number
	Items int  // sub-requests on this page
	Total int  // distinct sub-requests so far
	Last  bool // no page follows
}

// Options configure a Client. Only Endpoint and OrgPPAGUID are required.
type Options struct {
	// Endpoint is the base URL, e.g. https://api.dom.gosuslugi.ru or http://127.0.0.1:8080
	// for a local GOST TLS tunnel; DefaultPath is appended unless the URL has a path.
	Endpoint   string
	OrgPPAGUID string
	// IsOperatorSignature marks messages signed by the IS operator rather than the organization.
	IsOperatorSignature bool
	// HTTPClient sends the requests; nil = NewHTTPClient(TransportOptions{}). Whatever its
	// CheckRedirect, the Client never follows a redirect (see RedirectError).
	HTTPClient *http.Client
	// Signer signs exportDSRsRequest and importDSRResponsesRequest; nil = send unsigned
	// (a simulator or a test stand). getState is never signed.
	Signer Signer
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done (then it returns ctx.Err()); nil = a real timer.
	// Tests inject a fake clock here so that schedules are checked without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// NewGUID makes MessageGUIDs and TransportGUIDs; nil = random UUIDs.
	NewGUID func() string
	// Logger; nil = discard.
	Logger *slog.Logger
	// Poll is the getState schedule: Poll[i] is the wait before getState number i+1, the
	// last one repeats. Empty = DefaultPoll().
	Poll []time.Duration
	// PollLimit is the longest one asynchronous call polls getState before it fails with
	// ErrPollLimit, measured on Now; 0 = DefaultPollLimit.
	PollLimit time.Duration
	// Retry bounds the in-call retries of transient failures.
	Retry Retry
	// MaxResponseSize caps a response body; ≤ 0 = soap.DefaultMaxSize (16 MiB).
	MaxResponseSize int64
	// DumpDir, when set, receives every outbound envelope and every inbound response as one
	// file each. The files hold personal data: keep the directory private.
	DumpDir string
	// OnPage, when set, is called after each page ExportDSRs receives (progress display).
	OnPage func(PageEvent)
}

// Client talks to the DRS service. It is safe for concurrent use.
type Client struct {
	url       string // full service URL
	logURL    string // the same with any password redacted
	org       string
	operator  bool
	http      *http.Client
	signer    Signer
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) error
	newGUID   func() string
	log       *slog.Logger
	poll      []time.Duration
	pollLimit time.Duration
	retry     Retry
	maxSize   int64
	dumpDir   string
	onPage    func(PageEvent)
	msk       *time.Location
}

// New checks opts and builds a Client.
func New(opts Options) (*Client, error) {
	u, err := serviceURL(opts.Endpoint)
	if err != nil {
		return nil, err
	}
	if opts.OrgPPAGUID == "" {
		return nil, errors.New("gisclient: OrgPPAGUID is required (the organization's orgPPAGUID from its GIS ZhKKh profile)")
	}
	if !wsdl.IsGUID(opts.OrgPPAGUID) {
		return nil, fmt.Errorf("gisclient: OrgPPAGUID %q is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", opts.OrgPPAGUID)
	}
	if opts.PollLimit < 0 {
		return nil, fmt.Errorf("gisclient: PollLimit is negative (%s)", opts.PollLimit)
	}
	for i, d := range opts.Poll {
		if d < 0 {
			return nil, fmt.Errorf("gisclient: Poll[%d] is negative (%s)", i, d)
		}
	}
	c := &Client{
		url:       u.String(),
		logURL:    u.Redacted(),
		org:       opts.OrgPPAGUID,
		operator:  opts.IsOperatorSignature,
		http:      opts.HTTPClient,
		signer:    opts.Signer,
		now:       opts.Now,
		sleep:     opts.Sleep,
		newGUID:   opts.NewGUID,
		log:       opts.Logger,
		poll:      append([]time.Duration(nil), opts.Poll...),
		pollLimit: cmp.Or(opts.PollLimit, DefaultPollLimit),
		retry:     opts.Retry.withDefaults(),
		maxSize:   opts.MaxResponseSize,
		dumpDir:   opts.DumpDir,
		onPage:    opts.OnPage,
		msk:       calendar.Moscow(),
	}
	if c.http == nil {
		if c.http, err = NewHTTPClient(TransportOptions{}); err != nil {
			return nil, err
		}
	} else {
		c.http = noRedirects(c.http)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepTimer
	}
	if c.newGUID == nil {
		c.newGUID = func() string { return uuid.NewString() }
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "gisclient")
	if len(c.poll) == 0 {
		c.poll = DefaultPoll()
	}
	if c.maxSize <= 0 {
		c.maxSize = soap.DefaultMaxSize
	}
	return c, nil
}

// URL returns the service URL the client posts to, with any password redacted.
func (c *Client) URL() string { return c.logURL }

// serviceURL appends DefaultPath to an endpoint without a path.
func serviceURL(endpoint string) (*url.URL, error) {
	if endpoint == "" {
		return nil, errors.New("gisclient: Endpoint is required, e.g. https://api.dom.gosuslugi.ru or http://127.0.0.1:8080 for a local stunnel")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("gisclient: Endpoint %q is not a URL: %w", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("gisclient: Endpoint %q must start with http:// or https://", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("gisclient: Endpoint %q has no host", u.Redacted())
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = DefaultPath
	}
	return u, nil
}

func sleepTimer(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
