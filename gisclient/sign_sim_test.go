package gisclient_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient"
	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap/xades"
)

// The soap/xades Signer is the client's Signer as it is.
var _ gisclient.Signer = (*xades.Signer)(nil)

func gostSigner(t testing.TB, key, cert string) (*xades.Signer, *x509.Certificate) {
	t.Helper()
	k, err := os.ReadFile("../soap/xades/testdata/" + key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := os.ReadFile("../soap/xades/testdata/" + cert)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := xades.LoadKeyPair(k, c, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := xades.NewSigner(kp, xades.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, kp.Certificate
}

func rsaSigner(t testing.TB) (*xades.Signer, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "gisgw test RSA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := xades.NewKeyPair(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	s, err := xades.NewSigner(kp, xades.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, cert
}

// signerFunc adapts a function to gisclient.Signer.
type signerFunc func(doc []byte, id string) ([]byte, error)

func (f signerFunc) Sign(doc []byte, id string) ([]byte, error) { return f(doc, id) }

// tampered signs, then changes one signed byte, as a proxy rewriting the body would.
func tampered(s gisclient.Signer) gisclient.Signer {
	return signerFunc(func(doc []byte, id string) ([]byte, error) {
		out, err := s.Sign(doc, id)
		if err != nil {
			return nil, err
		}
		return bytes.Replace(out, []byte("2026-11-01"), []byte("2026-11-02"), 1), nil
	})
}

// TestSignedAgainstSimulator: the client signs exportDSRsRequest with the soap/xades Signer
// (GOST R 34.10-2012 256 and RSA), the simulator verifies with soap/xades; unsigned,
// tampered and (with a trust list) untrusted messages are refused with a permanent error
// carrying the GIS code, and getState is never signed.
func TestSignedAgainstSimulator(t *testing.T) {
	t.Parallel()
	gost, gostCert := gostSigner(t, "test-gost256.key", "test-gost256.crt")
	other, _ := gostSigner(t, "other-gost256.key", "other-gost256.crt")
	rsaS, rsaCert := rsaSigner(t)
	tests := []struct {
		name    string
		signer  gisclient.Signer
		trusted []*x509.Certificate
		code    string // "" = accepted
	}{
		{"GOST 256, any certificate", gost, nil, ""},
		{"RSA, any certificate", rsaS, nil, ""},
		{"GOST 256, trusted", gost, []*x509.Certificate{gostCert, rsaCert}, ""},
		{"RSA, trusted", rsaS, []*x509.Certificate{rsaCert}, ""},
		{"unsigned", nil, nil, gissim.CodeSignature},
		{"tampered after signing", tampered(gost), nil, gissim.CodeSignature},
		{"untrusted certificate", other, []*x509.Certificate{gostCert}, gissim.CodeSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := gissim.New(gissim.Options{Seed: 1, Verify: gissim.VerifySignatures(tc.trusted)})
			var (
				mu     sync.Mutex
				bodies []string
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(b))
				sim.Handler().ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, newFakeClock(), func(o *gisclient.Options) { o.Signer = tc.signer })
			from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			var err error
			for _, e := range c.ExportDSRs(t.Context(), gisclient.ExportFilter{Period: &gisclient.Period{From: from, To: from.AddDate(0, 1, 0)}}) {
				if e != nil {
					err = e
					break
				}
			}
			if tc.code == "" {
				if err != nil {
					t.Fatalf("signed export refused: %v", err)
				}
			} else {
				var ge *gisclient.Error
				if !errors.As(err, &ge) || ge.Code != tc.code || ge.Transient || gisclient.IsTransient(err) {
					t.Fatalf("err = %v; want a permanent *gisclient.Error %s", err, tc.code)
				}
				if sim.Stats().Messages != 0 {
					t.Fatal("the refused message was acknowledged")
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for _, b := range bodies {
				signed := strings.Contains(b, "<ds:Signature")
				switch {
				case strings.Contains(b, "getStateRequest") && signed:
					t.Errorf("getState was signed:\n%s", b)
				case strings.Contains(b, "exportDSRsRequest") && signed != (tc.signer != nil):
					t.Errorf("export signed=%v with signer %v", signed, tc.signer != nil)
				}
			}
		})
	}
}

// TestVerifySignaturesRefusesOtherElement: a valid signature over another element than the
// body (here the header's) does not pass.
func TestVerifySignaturesRefusesOtherElement(t *testing.T) {
	t.Parallel()
	gost, _ := gostSigner(t, "test-gost256.key", "test-gost256.crt")
	env := []byte(`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" xmlns:drs="http://dom.gosuslugi.ru/schema/integration/drs/">` +
		`<soapenv:Header><base:RequestHeader Id="h"><base:Date>2026-11-22T10:00:00+03:00</base:Date></base:RequestHeader></soapenv:Header>` +
		`<soapenv:Body><drs:exportDSRsRequest base:version="14.0.0.0"/></soapenv:Body></soapenv:Envelope>`)
	signed, err := gost.Sign(env, "h")
	if err != nil {
		t.Fatal(err)
	}
	if err := gissim.VerifySignatures(nil)(signed); err == nil || !strings.Contains(err.Error(), "not the body element") {
		t.Fatalf("err = %v; want a refusal naming the body element", err)
	}
}
