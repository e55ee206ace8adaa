package main

import (
	"crypto/x509"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap/xades"
)

const signTestdata = "../../soap/xades/testdata/"

// TestGISExportSigned: against a simulator that trusts only the test certificate, `gis
// export` with --sign-key/--sign-cert is accepted; unsigned or signed with another key it
// fails with the GIS code.
func TestGISExportSigned(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(signTestdata + "test-gost256.crt")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := xades.ParseCertificate(b)
	if err != nil {
		t.Fatal(err)
	}
	sim := gissim.New(gissim.Options{Seed: 1, Verify: gissim.VerifySignatures([]*x509.Certificate{cert})})
	sim.Generate(3, gisTestOrg, mustDate(t, "2026-09-01"))
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	base := []string{"gis", "export", "--format", "json", "--endpoint", srv.URL, "--org", gisTestOrg,
		"--from", "2026-09-01", "--to", "2026-12-31", "--poll", "1ms", "--retries", "0"}
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"signed with the trusted key", []string{"--sign-key", signTestdata + "test-gost256.key", "--sign-cert", signTestdata + "test-gost256.crt"}, true},
		{"unsigned", nil, false},
		{"signed with an untrusted key", []string{"--sign-key", signTestdata + "other-gost256.key", "--sign-cert", signTestdata + "other-gost256.crt"}, false},
	} {
		code, stdout, stderr := gisCLI(t, append(base, tc.args...)...)
		if tc.ok && (code != 0 || !strings.Contains(stdout, "subrequest")) {
			t.Errorf("%s: code %d, stderr:\n%s", tc.name, code, stderr)
		}
		if !tc.ok && (code == 0 || !strings.Contains(stderr, gissim.CodeSignature)) {
			t.Errorf("%s: code %d; want a failure with %s, stderr:\n%s", tc.name, code, gissim.CodeSignature, stderr)
		}
	}
}

// TestGISSignerFlags: the signing flags' combinations and the password variable.
func TestGISSignerFlags(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KEYPW": "test-password"}
	for _, tc := range []struct {
		name, key, cert, passEnv, err string
		signer                        bool
	}{
		{name: "none"},
		{name: "plain key", key: "test-gost256.key", cert: "test-gost256.crt", signer: true},
		{name: "encrypted key", key: "test-gost256-encrypted.key", cert: "test-gost256.crt", passEnv: "KEYPW", signer: true},
		{name: "encrypted key without password", key: "test-gost256-encrypted.key", cert: "test-gost256.crt", err: "password"},
		{name: "password variable unset", key: "test-gost256-encrypted.key", cert: "test-gost256.crt", passEnv: "NOPE", err: "NOPE"},
		{name: "key without certificate", key: "test-gost256.key", err: "go together"},
		{name: "certificate of another key", key: "test-gost256.key", cert: "other-gost256.crt", err: "does not match"},
		{name: "password without key", passEnv: "KEYPW", err: "--sign-key"},
	} {
		g := &gisConn{getenv: func(k string) string { return env[k] }, stderr: io.Discard, signPassEnv: tc.passEnv}
		if tc.key != "" {
			g.signKey = signTestdata + tc.key
		}
		if tc.cert != "" {
			g.signCert = signTestdata + tc.cert
		}
		s, err := g.signer()
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: err = %v; want one mentioning %q", tc.name, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err == "" && (s != nil) != tc.signer:
			t.Errorf("%s: signer %v; want %v", tc.name, s != nil, tc.signer)
		}
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
