package gisclient

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"
)

// TransportOptions configure the HTTP client NewHTTPClient builds.
//
// Go's crypto/tls has no GOST cipher suites, so the production host (GOST TLS with a
// client certificate) is reached through a local tunnel such as stunnel over plain HTTP;
// the certificate options serve RSA/ECDSA test stands and TLS-terminating proxies.
type TransportOptions struct {
	ClientCertFile     string        // PEM client certificate (TLS client authentication)
	ClientKeyFile      string        // PEM private key of ClientCertFile
	CAFile             string        // PEM CA bundle that verifies the server; empty = system roots
	InsecureSkipVerify bool          // do not verify the server certificate (test stands only)
	BasicUser          string        // HTTP basic auth user (SIT test stands); empty = none
	BasicPassword      string        // never logged
	Timeout            time.Duration // whole request including the body; default 2 min
	DialTimeout        time.Duration // TCP connect; default 30 s
}

// LogValue keeps the password out of logs.
func (o TransportOptions) LogValue() slog.Value {
	pw := ""
	if o.BasicPassword != "" {
		pw = "[redacted]"
	}
	return slog.GroupValue(
		slog.String("cert", o.ClientCertFile), slog.String("key", o.ClientKeyFile), slog.String("ca", o.CAFile),
		slog.Bool("insecure", o.InsecureSkipVerify), slog.String("basic_user", o.BasicUser),
		slog.String("basic_password", pw), slog.Duration("timeout", o.Timeout), slog.Duration("dial_timeout", o.DialTimeout),
	)
}

// String keeps the password out of fmt output as well.
func (o TransportOptions) String() string { return o.LogValue().String() }

// NewHTTPClient builds an *http.Client for the DRS service: TLS client certificate and CA
// when given, HTTP basic auth when BasicUser is set, plain HTTP otherwise. The client
// never follows a redirect: it fails with a *RedirectError naming the target.
func NewHTTPClient(o TransportOptions) (*http.Client, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipVerify} //nolint:gosec // opt-in for test stands
	if (o.ClientCertFile == "") != (o.ClientKeyFile == "") {
		return nil, errors.New("gisclient: give both the client certificate and its key (or neither)")
	}
	if o.ClientCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.ClientCertFile, o.ClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("gisclient: load client certificate %s with key %s: %w", o.ClientCertFile, o.ClientKeyFile, err)
		}
		tlsConf.Certificates = []tls.Certificate{cert}
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("gisclient: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("gisclient: CA file %s holds no PEM certificate", o.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: cmp.Or(o.DialTimeout, 30*time.Second), KeepAlive: 30 * time.Second}
	var rt http.RoundTripper = &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   cmp.Or(o.DialTimeout, 30*time.Second),
		ResponseHeaderTimeout: cmp.Or(o.Timeout, 2*time.Minute),
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     false, // GIS and stunnel speak HTTP/1.1
	}
	if o.BasicUser != "" {
		rt = &basicAuth{user: o.BasicUser, password: o.BasicPassword, next: rt}
	}
	return &http.Client{Transport: rt, Timeout: cmp.Or(o.Timeout, 2*time.Minute), CheckRedirect: refuseRedirect}, nil
}

// RedirectError is a redirect the client refused. SOAP and file-store endpoints never
// redirect; following one would hand the basic-auth credentials and the signed envelope to
// whatever host the Location header names.
type RedirectError struct {
	Status int    // the 3xx status
	Target string // the Location, resolved and with any password redacted
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the server answered HTTP %d %s to %s; GIS endpoints never redirect, so the request was not repeated there (check gis.endpoint and any proxy in between)",
		e.Status, http.StatusText(e.Status), e.Target)
}

// refuseRedirect is the CheckRedirect of every client gisclient uses.
func refuseRedirect(req *http.Request, _ []*http.Request) error {
	status := 0
	if req.Response != nil {
		status = req.Response.StatusCode
	}
	return &RedirectError{Status: status, Target: req.URL.Redacted()}
}

// noRedirects returns hc, or a copy of it that refuses redirects when hc would follow them:
// a client injected by the caller gets the same protection as one NewHTTPClient builds.
func noRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = refuseRedirect
	return &cp
}

// basicAuth adds HTTP basic credentials to every request it forwards.
type basicAuth struct {
	user, password string
	next           http.RoundTripper
}

func (b *basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	// r.Response is set only on a request made to follow a redirect: even a client whose
	// CheckRedirect was replaced must not carry the credentials to the redirect's target.
	if r.Response != nil {
		return nil, &RedirectError{Status: r.Response.StatusCode, Target: r.URL.Redacted()}
	}
	r = r.Clone(r.Context()) // a RoundTripper must not modify the caller's request
	r.SetBasicAuth(b.user, b.password)
	return b.next.RoundTrip(r)
}
