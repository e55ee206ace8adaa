package xades

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzVerify feeds arbitrary documents to Verify and VerifyEnvelope: each must return an
// error or a complete result, never panic, and VerifyEnvelope accepts only what Verify accepts,
// reporting the same signed element.
func FuzzVerify(f *testing.F) {
	s := newTestSigner(f, fixedKeyPair(f), Options{Clock: fixedClock, Rand: seededRand(3)})
	signed := mustSign(f, s, readFile(f, "testdata/envelope.xml"), "")
	small := mustSign(f, s, []byte(`<r xmlns="urn:r"><a Id="x">text</a></r>`), "x")
	f.Add(signed)
	f.Add(small)
	f.Add([]byte(strings.Replace(string(signed), "Тестов", "Петров", 1)))
	f.Add([]byte(strings.Replace(string(small), "</ds:Signature>", "</ds:Signature><ds:Signature/>", 1)))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`))
	f.Add([]byte(`<r><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></r>`))
	for _, name := range []string{"body-in-header", "inside-forged-body", "duplicate-id-wsu-spelling", "reference-xpointer", "signed-properties-outside-object"} {
		f.Add(readFile(f, "testdata/wrapped/"+name+".xml"))
	}
	f.Add(signed[:len(signed)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		env, envErr := VerifyEnvelope(data, VerifyOptions{Now: fixedClock})
		res, err := Verify(data, VerifyOptions{Now: fixedClock})
		if envErr == nil && (err != nil || env.SignedID != res.SignedID || !bytes.Equal(env.SignedXML, res.SignedXML)) {
			t.Fatalf("VerifyEnvelope accepts what Verify refuses (%v) or verified another element", err)
		}
		if err != nil {
			return
		}
		if res == nil || res.SignedID == "" || len(res.SignedXML) == 0 || res.Certificate.Certificate == nil {
			t.Fatalf("accepted with an incomplete result: %+v", res)
		}
	})
}

// FuzzParseCertificates feeds arbitrary files to ParseCertificates, which reads the
// certificates `gisgw verify --trust FILE` is given: PEM bundles or one DER certificate. It
// returns at least one certificate or an error, never panics.
func FuzzParseCertificates(f *testing.F) {
	pemCert := readFile(f, "testdata/test-gost256.crt")
	f.Add(pemCert)
	f.Add(append(append([]byte{}, pemCert...), readFile(f, "testdata/other-gost256.crt")...))
	if certs, err := ParseCertificates(pemCert); err == nil {
		f.Add(certs[0].Raw) // DER
	}
	f.Add(readFile(f, "testdata/test-gost256.key"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add(pemCert[:len(pemCert)/2])
	f.Add([]byte{0x30, 0x82, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificates(data)
		if err != nil {
			if certs != nil {
				t.Fatalf("certificates %d together with the error %v", len(certs), err)
			}
			return
		}
		if len(certs) == 0 {
			t.Fatal("no certificate and no error")
		}
		for i, c := range certs {
			if c == nil || len(c.Raw) == 0 {
				t.Fatalf("certificate %d is empty", i)
			}
		}
	})
}
