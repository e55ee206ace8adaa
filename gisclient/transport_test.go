package gisclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient"
)

func TestEndpointPath(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want, err string }{
		{"https://api.dom.gosuslugi.ru", "https://api.dom.gosuslugi.ru" + gisclient.DefaultPath, ""},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080" + gisclient.DefaultPath, ""},
		{"http://127.0.0.1:8080/custom/path", "http://127.0.0.1:8080/custom/path", ""},
		{"https://sit:secret@sit01.dom.test.gosuslugi.ru:10081", "https://sit:xxxxx@sit01.dom.test.gosuslugi.ru:10081" + gisclient.DefaultPath, ""},
		{"", "", "Endpoint is required"},
		{"ftp://x", "", "http:// or https://"},
		{"http://", "", "no host"},
	}
	for _, tc := range cases {
		c, err := gisclient.New(gisclient.Options{Endpoint: tc.in, OrgPPAGUID: testOrg})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if c.URL() != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, c.URL(), tc.want)
		}
	}
	if _, err := gisclient.New(gisclient.Options{Endpoint: "http://x", OrgPPAGUID: "org"}); err == nil || !strings.Contains(err.Error(), "not a GUID") {
		t.Errorf("bad org: %v", err)
	}
}

// TestBasicAuthNeverLogged: the RoundTripper adds basic auth; the password shows up in no
// log line, error or formatted options.
func TestBasicAuthNeverLogged(t *testing.T) {
	t.Parallel()
	const password = "s3cr3t-Pa55"
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.N == 1 {
			return fixtureReply(t, "bad-gateway.html", 502) // so that a retry gets logged
		}
		return srv.ack(ex)
	})
	opts := gisclient.TransportOptions{BasicUser: "sit", BasicPassword: password, Timeout: 5 * time.Second}
	hc, err := gisclient.NewHTTPClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) { o.HTTPClient = hc; o.Logger = testLogger(t, &logs) })
	c.Submit(context.Background(), mustExport(t, gisclient.ExportFilter{Period: period()}))
	testLogger(t, &logs).Info("transport", "opts", opts)
	for _, r := range srv.Requests("") {
		user, pw, ok := (&http.Request{Header: r.Header}).BasicAuth()
		if !ok || user != "sit" || pw != password {
			t.Errorf("request without the basic credentials: %q %v", user, ok)
		}
	}
	out := logs.String() + fmt.Sprint(opts) + fmt.Sprintf("%+v", opts)
	if strings.Contains(out, password) {
		t.Errorf("the password leaked:\n%s", out)
	}
	if !strings.Contains(logs.String(), "[redacted]") {
		t.Errorf("the options were not logged at all:\n%s", logs.String())
	}
}

// TestTLSClientCertificate: a server that requires a client certificate signed by its CA
// accepts the client NewHTTPClient builds from PEM files, and refuses one without them.
func TestTLSClientCertificate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caCert, caKey := newCA(t)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caCert.Raw)
	srvCert := leaf(t, caCert, caKey, "127.0.0.1", false)
	cliDER, cliKey := leafDER(t, caCert, caKey, "gisgw-test-client", true)
	writePEM(t, filepath.Join(dir, "client.pem"), "CERTIFICATE", cliDER)
	keyDER, err := x509.MarshalECPrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "client.key"), "EC PRIVATE KEY", keyDER)

	clock := newFakeClock()
	g := &gisServer{t: t, clock: clock}
	g.script = func(ex exchange) reply {
		return g.ack(ex)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(g.handle))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	ts.Config.ErrorLog = nil
	ts.StartTLS()
	t.Cleanup(ts.Close)

	hc, err := gisclient.NewHTTPClient(gisclient.TransportOptions{
		ClientCertFile: filepath.Join(dir, "client.pem"), ClientKeyFile: filepath.Join(dir, "client.key"), CAFile: filepath.Join(dir, "ca.pem"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, ts.URL, clock, func(o *gisclient.Options) { o.HTTPClient = hc })
	if _, err := c.Submit(context.Background(), mustExport(t, gisclient.ExportFilter{Period: period()})); err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}

	noCert, err := gisclient.NewHTTPClient(gisclient.TransportOptions{CAFile: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	c = newClient(t, ts.URL, clock, func(o *gisclient.Options) { o.HTTPClient = noCert; o.Retry.MaxRetries = -1 })
	if _, err := c.Submit(context.Background(), mustExport(t, gisclient.ExportFilter{Period: period()})); err == nil {
		t.Fatal("a server requiring a client certificate accepted a client without one")
	}

	for _, bad := range []gisclient.TransportOptions{
		{ClientCertFile: filepath.Join(dir, "client.pem")},
		{ClientCertFile: filepath.Join(dir, "client.pem"), ClientKeyFile: filepath.Join(dir, "missing.key")},
		{CAFile: filepath.Join(dir, "client.key")},
	} {
		if _, err := gisclient.NewHTTPClient(bad); err == nil {
			t.Errorf("NewHTTPClient(%v) accepted bad files", bad)
		}
	}
}

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gisgw test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func leafDER(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string, client bool) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if client {
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tpl.IPAddresses = []net.IP{net.ParseIP(name)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

func leaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, name string, client bool) tls.Certificate {
	der, key := leafDER(t, ca, caKey, name, client)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDumpDir: every envelope out and every response in lands in one file, named by UTC
// time, operation, direction and MessageGUID; a dump failure does not fail the call.
func TestDumpDir(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	var srv *gisServer
	srv = newGISServer(t, clock, func(ex exchange) reply {
		if ex.Op == "exportDSRsRequest" {
			return srv.ack(ex)
		}
		return srv.state(ex, "getstate-export-last.xml")
	})
	dir := filepath.Join(t.TempDir(), "dump")
	c := newClient(t, srv.URL(), clock, func(o *gisclient.Options) { o.DumpDir = dir })
	if _, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, ""); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"20261122T153000.123Z_exportDSRsRequest_in_a1b2c3d4-0000-4000-8000-000000000001.xml",
		"20261122T153000.123Z_exportDSRsRequest_out_a1b2c3d4-0000-4000-8000-000000000001.xml",
		"20261122T153010.123Z_getStateRequest_in_a1b2c3d4-0000-4000-8000-000000000002.xml",
		"20261122T153010.123Z_getStateRequest_out_a1b2c3d4-0000-4000-8000-000000000002.xml",
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("dump files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out, _ := os.ReadFile(filepath.Join(dir, want[1]))
	if string(out) != string(srv.Requests("exportDSRsRequest")[0].Body) {
		t.Error("the dumped envelope is not what was sent")
	}
	in, _ := os.ReadFile(filepath.Join(dir, want[2]))
	if !regexp.MustCompile(`<drs:lastPage>true</drs:lastPage>`).Match(in) {
		t.Error("the dumped response is not what was received")
	}
	if st, _ := os.Stat(filepath.Join(dir, want[0])); st.Mode().Perm() != 0o600 {
		t.Errorf("dump file mode %v, want 0600 (personal data)", st.Mode().Perm())
	}

	// A dump directory that cannot be created is logged, not fatal.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	c = newClient(t, srv.URL(), clock, func(o *gisclient.Options) { o.DumpDir = filepath.Join(blocker, "sub"); o.Logger = testLogger(t, &logs) })
	if _, err := c.ExportPage(context.Background(), gisclient.ExportFilter{Period: period()}, ""); err != nil {
		t.Fatalf("a dump failure failed the call: %v", err)
	}
	if !strings.Contains(logs.String(), "cannot create the dump directory") {
		t.Error("the dump failure was not logged")
	}
}
