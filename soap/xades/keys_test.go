package xades

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rsaKeyPair makes an RSA key and self-signed certificate in Go, for the test-stand path.
func rsaKeyPair(t testing.TB, notAfter time.Time) (keyPEM, certPEM []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4242),
		Subject:      pkix.Name{CommonName: "gisgw rsa test", Organization: []string{"gisgw tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestLoadKeyPair(t *testing.T) {
	t.Parallel()
	key := readFile(t, "testdata/test-gost256.key")
	encKey := readFile(t, "testdata/test-gost256-encrypted.key")
	cert := readFile(t, "testdata/test-gost256.crt")
	certBlock, _ := pem.Decode(cert)
	otherCert := readFile(t, "testdata/other-gost256.crt")
	rsaKey, rsaCert := rsaKeyPair(t, time.Now().Add(time.Hour))
	rsaBlock, _ := pem.Decode(rsaKey)
	rsaParsed, _ := x509.ParsePKCS8PrivateKey(rsaBlock.Bytes)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaParsed.(*rsa.PrivateKey))})

	tests := []struct {
		name      string
		key, cert []byte
		password  string
		want      error
		wantAlg   SignatureAlgorithm
		wantText  string
	}{
		{"GOST PKCS#8, PEM certificate", key, cert, "", nil, SignatureGOST256, ""},
		{"GOST PKCS#8, DER certificate", key, certBlock.Bytes, "", nil, SignatureGOST256, ""},
		{"password ignored for a plain key", key, cert, "unused", nil, SignatureGOST256, ""},
		{"encrypted key, right password", encKey, cert, "test-password", nil, SignatureGOST256, ""},
		{"encrypted key, wrong password", encKey, cert, "wrong", ErrWrongPassword, "", ""},
		{"encrypted key, no password", encKey, cert, "", ErrPasswordRequired, "", ""},
		{"key of another certificate", key, otherCert, "", ErrKeyMismatch, "", ""},
		{"RSA PKCS#8", rsaKey, rsaCert, "", nil, SignatureRSASHA256, ""},
		{"RSA PKCS#1", pkcs1, rsaCert, "", nil, SignatureRSASHA256, ""},
		{"RSA key with a GOST certificate", rsaKey, cert, "", ErrKeyMismatch, "", ""},
		{"key file not PEM", []byte("not a key"), cert, "", nil, "", "not PEM"},
		{"certificate file garbage", key, []byte("garbage"), "", nil, "", "parse certificate"},
		{"PEM without a certificate", key, key, "", nil, "", "no CERTIFICATE block"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kp, err := LoadKeyPair(tc.key, tc.cert, tc.password)
			if tc.wantText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantText) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantText)
				}
				return
			}
			wantErr(t, err, tc.want)
			if err == nil && kp.Algorithm() != tc.wantAlg {
				t.Fatalf("algorithm %s, want %s", kp.Algorithm(), tc.wantAlg)
			}
		})
	}
}

// TestLoadOpenSSLKeys reads what openssl writes: 256- and 512-bit keys, plain and encrypted with
// the default PBES2 (AES-256-CBC) and with -v2 gost89 (GOST 28147-89, HMAC-Streebog-512), and
// signs with each so openssl verifies the result.
func TestLoadOpenSSLKeys(t *testing.T) {
	t.Parallel()
	for _, bits := range []int{256, 512} {
		k := newGOSTKey(t, bits, "")
		for _, enc := range [][]string{nil, {"-v2", "aes-256-cbc"}, {"-v2", "gost89"}} {
			keyPEM := k.keyPEM
			if enc != nil {
				args := append([]string{"pkcs8", "-engine", "gost", "-topk8", "-in", k.key, "-passout", "pass:s3cret"}, enc...)
				keyPEM = openssl(t, nil, args...)
			}
			password := ""
			if enc != nil {
				password = "s3cret"
				// Deriving a GOST 28147-89 key takes a second (go-cryptobin's Streebog), so the
				// wrong password is tried on the AES form only.
				if enc[1] != "gost89" {
					if _, err := LoadKeyPair(keyPEM, k.certPEM, "wrong"); !errors.Is(err, ErrWrongPassword) {
						t.Errorf("%d %v: wrong password: %v, want ErrWrongPassword", bits, enc, err)
					}
				}
			}
			kp, err := LoadKeyPair(keyPEM, k.certPEM, password)
			if err != nil {
				t.Fatalf("%d %v: %v", bits, enc, err)
			}
			msg := []byte("message to sign")
			d, _ := digestOf(map[int]string{256: DigestGOST256, 512: DigestGOST512}[bits], msg)
			sig, err := kp.Signer.Sign(nil, d, kp.Algorithm())
			if err != nil {
				t.Fatal(err)
			}
			msgFile := writeFile(t, k.dir, "msg", msg)
			sigFile := writeFile(t, k.dir, "msg.sig", sig)
			if out := openssl(t, nil, "dgst", "-engine", "gost", k.md, "-verify", k.pub, "-signature", sigFile, msgFile); !bytes.Contains(out, []byte("Verified OK")) {
				t.Fatalf("%d %v: openssl: %s", bits, enc, out)
			}
		}
	}
}

func TestSignerCertificateValidity(t *testing.T) {
	t.Parallel()
	kp := fixedKeyPair(t)
	expired := kp.Certificate.NotAfter.Add(24 * time.Hour)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	if _, err := NewSigner(kp, Options{Clock: func() time.Time { return expired }, RefuseExpired: true}); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Fatalf("RefuseExpired with an expired certificate: %v", err)
	}

	s := newTestSigner(t, kp, Options{Clock: func() time.Time { return expired }, Logger: logger})
	out := mustSign(t, s, readFile(t, "testdata/envelope.xml"), "")
	mustSign(t, s, readFile(t, "testdata/envelope.xml"), "")
	log := logs.String()
	if strings.Count(log, "level=WARN") != 1 || !strings.Contains(log, "not valid") || !strings.Contains(log, kp.Certificate.SerialNumber.String()) {
		t.Fatalf("want one warning naming the serial, got %q", log)
	}
	if strings.Contains(log, "gisgw test signer") {
		t.Fatalf("the log shows the certificate subject: %q", log)
	}
	res, err := Verify(out, VerifyOptions{Now: func() time.Time { return expired }})
	if err != nil || !res.Certificate.Expired {
		t.Fatalf("Verify: %v, expired=%v", err, res != nil && res.Certificate.Expired)
	}

	// The clock passes NotAfter while the Signer is in use.
	var now atomic.Int64
	now.Store(fixedClock().Unix())
	s = newTestSigner(t, kp, Options{Clock: func() time.Time { return time.Unix(now.Load(), 0) }, RefuseExpired: true})
	mustSign(t, s, readFile(t, "testdata/envelope.xml"), "")
	now.Store(expired.Unix())
	if _, err := s.Sign(readFile(t, "testdata/envelope.xml"), ""); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Fatalf("Sign after expiry with RefuseExpired: %v", err)
	}
}

func TestSignVerifyRSA(t *testing.T) {
	t.Parallel()
	key, cert := rsaKeyPair(t, time.Now().Add(time.Hour))
	kp, err := LoadKeyPair(key, cert, "")
	if err != nil {
		t.Fatal(err)
	}
	out := mustSign(t, newTestSigner(t, kp, Options{}), readFile(t, "testdata/envelope.xml"), "")
	res, err := Verify(out, VerifyOptions{Trusted: []*x509.Certificate{kp.Certificate}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Algorithm != SignatureRSASHA256 || !bytes.Contains(out, []byte(`<ds:DigestMethod Algorithm="`+DigestSHA256+`"/>`)) {
		t.Fatalf("algorithm %s", res.Algorithm)
	}
	if _, err := Verify(bytes.Replace(out, []byte("Тестов"), []byte("Тестав"), 1), VerifyOptions{}); err == nil {
		t.Fatal("tampered RSA-signed document verified")
	}
}
