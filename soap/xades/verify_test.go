package xades

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// signedFixture signs testdata/envelope.xml with the stored test key.
func signedFixture(t testing.TB) (string, *KeyPair) {
	t.Helper()
	kp := fixedKeyPair(t)
	s := newTestSigner(t, kp, Options{Clock: fixedClock, Rand: seededRand(7)})
	return string(mustSign(t, s, readFile(t, "testdata/envelope.xml"), "")), kp
}

// resignedWithReferenceTo rebuilds a valid signature whose first reference points at the
// element with Id=target instead of the element holding the signature, as a malicious or
// buggy signer could: the signature itself verifies, the structure must not.
func resignedWithReferenceTo(t *testing.T, signed string, kp *KeyPair, target string) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(signed); err != nil {
		t.Fatal(err)
	}
	var sig, other *etree.Element
	walk(doc.Root(), func(e *etree.Element) {
		if e.Tag == "Signature" {
			sig = e
		}
		if idOf(e) == target {
			other = e
		}
	})
	canon, err := canonicalize(other, C14NExclusive, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := digestOf(DigestGOST256, canon)
	si := sig.SelectElement("SignedInfo")
	ref := si.SelectElements("Reference")[0]
	ref.SelectAttr("URI").Value = "#" + target
	ref.SelectElement("DigestValue").SetText(base64.StdEncoding.EncodeToString(d))
	canonSI, err := canonicalize(si, C14NExclusive, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _ = digestOf(DigestGOST256, canonSI)
	raw, err := kp.Signer.Sign(nil, d, kp.alg)
	if err != nil {
		t.Fatal(err)
	}
	sig.SelectElement("SignatureValue").SetText(base64.StdEncoding.EncodeToString(raw))
	out, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTamperingAndWrappingRejected(t *testing.T) {
	t.Parallel()
	signed, kp := signedFixture(t)
	sigXML := between(t, signed, "<ds:Signature ", "</ds:Signature>")
	unsigned := strings.Replace(signed, sigXML, "", 1)
	bodyTag := between(t, signed, bodyStart, ">")
	bodyUnsigned := between(t, unsigned, bodyStart, "</drs:importDSRResponsesRequest>")
	firstAction := between(t, unsigned, "<drs:action>", "</drs:action>")
	digest := elementText(t, signed, "<ds:DigestValue>")
	sigValue := elementText(t, signed, "<ds:SignatureValue>")
	certB64 := elementText(t, signed, "<ds:X509Certificate>")
	otherCert, err := ParseCertificate(readFile(t, "testdata/other-gost256.crt"))
	if err != nil {
		t.Fatal(err)
	}

	replace := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("fixture lacks %q", old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	flip := func(s string) string { // change one base64 character, keeping it valid base64
		if s[3] == 'A' {
			return s[:3] + "B" + s[4:]
		}
		return s[:3] + "A" + s[4:]
	}
	tests := []struct {
		name   string
		mutate func(string) string
		want   error
	}{
		{"unchanged", func(s string) string { return s }, nil},
		{"comment added in signed content (comments are not signed)", replace("<drs:action>", "<!-- note --><drs:action>"), nil},
		{"attributes reordered and requoted", replace(`Id="signed-data-container" base:version="14.0.0.0">`, `base:version='14.0.0.0'  Id='signed-data-container'>`), nil},
		{"unused namespace declared", replace(bodyStart, bodyStart+`xmlns:extra="urn:extra" `), nil},
		{"envelope header changed (not signed)", replace("5a9f1c1e-0000-4000-8000-000000000001", "5a9f1c1e-0000-4000-8000-000000000002"), nil},

		{"text changed", replace("Тестов", "Петров"), ErrDigestMismatch},
		{"hasDebt flipped", replace("<drs:hasDebt>false", "<drs:hasDebt>true"), ErrDigestMismatch},
		{"action removed", replace(firstAction, ""), ErrDigestMismatch},
		{"whitespace added", replace("</drs:actionType>", "</drs:actionType> "), ErrDigestMismatch},
		{"attribute added", replace(` base:version="14.0.0.0">`, ` base:version="14.0.0.0" extra="1">`), ErrDigestMismatch},
		{"namespace of signed content changed", replace(declNSI, `xmlns:nsi-base="urn:other"`), ErrDigestMismatch},
		{"entity reference in place of a character", replace("Тестов", "&#1058;естов"), nil},

		{"DigestValue changed in SignedInfo", replace(digest, flip(digest)), ErrBadSignature},
		{"Reference URI changed in SignedInfo", replace(`URI="#signed-data-container"`, `URI="#x"`), ErrBadSignature},
		{"CanonicalizationMethod switched", replace(`<ds:CanonicalizationMethod Algorithm="`+C14NExclusive, `<ds:CanonicalizationMethod Algorithm="`+C14NInclusive), ErrBadSignature},
		{"Reference Type changed in SignedInfo", replace(`Type="`+TypeSignedProperties, `Type="urn:x`), ErrBadSignature},
		{"SignatureValue changed", replace(sigValue, flip(sigValue)), ErrBadSignature},
		{"SignatureValue truncated", replace(sigValue, sigValue[:40]), ErrBadSignature},
		{"certificate swapped", replace(certB64, base64.StdEncoding.EncodeToString(otherCert.Raw)), ErrBadSignature},

		{"SigningTime changed", replace("2030-03-01T10:00:00+03:00", "2030-03-01T11:00:00+03:00"), ErrDigestMismatch},
		{"X509SerialNumber changed", replace("<ds:X509SerialNumber>2", "<ds:X509SerialNumber>3"), ErrDigestMismatch},
		{"QualifyingProperties Target changed", replace(`Target="#xmldsig-`, `Target="#other-`), ErrStructure},

		{"second element with the same Id", replace("</soapenv:Header>", bodyUnsigned+"</soapenv:Header>"), ErrStructure},
		{"original moved into ds:Object, forgery in place", func(string) string {
			forged := strings.Replace(bodyUnsigned[len(bodyTag):], "Тестов", "Петров", 1)
			wrapped := strings.Replace(sigXML, "</ds:Object>", "</ds:Object><ds:Object>"+bodyUnsigned+"</ds:Object>", 1)
			return strings.Replace(unsigned, bodyUnsigned, bodyTag+wrapped+forged, 1)
		}, ErrStructure},
		{"Id of the signed element changed", replace(`Id="signed-data-container"`, `Id="other"`), ErrStructure},
		{"signature moved to another element with an Id", func(s string) string {
			s = strings.Replace(s, sigXML, "", 1)
			return strings.Replace(s, "<base:RequestHeader>", `<base:RequestHeader Id="hdr">`+sigXML, 1)
		}, ErrStructure},
		{"signature moved into the header, no Id there", func(s string) string {
			s = strings.Replace(s, sigXML, "", 1)
			return strings.Replace(s, "<base:RequestHeader>", "<base:RequestHeader>"+sigXML, 1)
		}, ErrStructure},
		{"signature moved after the first action", func(s string) string {
			s = strings.Replace(s, sigXML, "", 1)
			return strings.Replace(s, firstAction, firstAction+sigXML, 1)
		}, ErrStructure},
		{"validly signed reference to a different element", func(s string) string {
			s = strings.Replace(s, "<base:RequestHeader>", `<base:RequestHeader Id="hdr">`, 1)
			return resignedWithReferenceTo(t, s, kp, "hdr")
		}, ErrStructure},
		{"two signatures", replace("<base:RequestHeader>", `<base:RequestHeader Id="hdr">`+sigXML), ErrStructure},
		{"signature removed", replace(sigXML, ""), ErrNotSigned},
		{"DOCTYPE with an entity", replace("<soapenv:Envelope", `<!DOCTYPE x [<!ENTITY e "boom">]><soapenv:Envelope`), ErrDTD},
		{"not UTF-8", replace(`encoding="UTF-8"`, `encoding="windows-1251"`), ErrMalformed},
		{"truncated", func(s string) string { return s[:len(s)/2] }, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Verify([]byte(tc.mutate(signed)), VerifyOptions{Now: fixedClock})
			wantErr(t, err, tc.want)
			if err == nil && (res == nil || res.SignedID != DefaultID || len(res.SignedXML) == 0) {
				t.Fatalf("result %+v", res)
			}
		})
	}
}

func TestVerifyTrustAndValidity(t *testing.T) {
	t.Parallel()
	signed, kp := signedFixture(t)
	other, err := ParseCertificate(readFile(t, "testdata/other-gost256.crt"))
	if err != nil {
		t.Fatal(err)
	}
	afterExpiry := func() time.Time { return kp.Certificate.NotAfter.Add(time.Hour) }
	tests := []struct {
		name        string
		opts        VerifyOptions
		want        error
		wantExpired bool
	}{
		{"any certificate", VerifyOptions{}, nil, false},
		{"pinned certificate", VerifyOptions{Trusted: []*x509.Certificate{other, kp.Certificate}}, nil, false},
		{"other certificate only", VerifyOptions{Trusted: []*x509.Certificate{other}}, ErrUntrusted, false},
		{"empty trust list", VerifyOptions{Trusted: []*x509.Certificate{}}, ErrUntrusted, false},
		{"expired: reported, not an error", VerifyOptions{Now: afterExpiry}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Verify([]byte(signed), tc.opts)
			wantErr(t, err, tc.want)
			if res == nil {
				t.Fatal("no result")
			}
			if res.Certificate.Expired != tc.wantExpired || res.Certificate.Serial != kp.Certificate.SerialNumber.String() ||
				!strings.Contains(res.Certificate.Subject, "CN=gisgw test signer") || !strings.Contains(res.Certificate.Subject, "OGRN=1027700000000") {
				t.Fatalf("certificate info %+v", res.Certificate)
			}
		})
	}
}

// TestVerifyCertificateIssuedByTrustedCA: --trust may name the CA instead of the signer.
func TestVerifyCertificateIssuedByTrustedCA(t *testing.T) {
	t.Parallel()
	for _, bits := range []int{256, 512} {
		ca := newGOSTKey(t, bits, "/C=RU/O=gisgw tests/CN=test CA")
		leaf := newGOSTKey(t, bits, "")
		csr := writeFile(t, leaf.dir, "leaf.csr", openssl(t, nil, "req", "-engine", "gost", "-new", "-key", leaf.key, leaf.md, "-subj", "/C=RU/O=gisgw tests/CN=leaf"))
		leafCert := openssl(t, nil, "x509", "-engine", "gost", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, leaf.md, "-days", "10", "-set_serial", "77")
		kp, err := LoadKeyPair(leaf.keyPEM, leafCert, "")
		if err != nil {
			t.Fatal(err)
		}
		signed := mustSign(t, newTestSigner(t, kp, Options{}), readFile(t, "testdata/envelope.xml"), "")
		caCert, _ := ParseCertificate(ca.certPEM)
		if _, err := Verify(signed, VerifyOptions{Trusted: []*x509.Certificate{caCert}}); err != nil {
			t.Errorf("%d: leaf issued by the trusted CA: %v", bits, err)
		}
		stranger := newGOSTKey(t, bits, "/C=RU/O=gisgw tests/CN=test CA")
		strangerCert, _ := ParseCertificate(stranger.certPEM)
		if _, err := Verify(signed, VerifyOptions{Trusted: []*x509.Certificate{strangerCert}}); !errors.Is(err, ErrUntrusted) {
			t.Errorf("%d: CA with the same name but another key: %v, want ErrUntrusted", bits, err)
		}
	}
}

// TestHostileShapes runs inputs shaped to make naive namespace handling quadratic or to nest
// deeply; each must end with the right answer (the suite's time limit would catch a blow-up).
func TestHostileShapes(t *testing.T) {
	t.Parallel()
	var decls, lookalikes, prefixed strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&decls, ` xmlns:p%d="urn:p%d"`, i, i)
		lookalikes.WriteString(`<Signature xmlns="urn:not-dsig"/>`)
		fmt.Fprintf(&prefixed, `<q%d:e xmlns:q%d="urn:q%d"/>`, i, i, i)
	}
	s := newTestSigner(t, fixedKeyPair(t), Options{Clock: fixedClock})
	manyPrefixes := mustSign(t, s, []byte(`<r`+decls.String()+`><a Id="x">`+prefixed.String()+`</a></r>`), "x")
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"many declarations, many look-alike Signature elements", `<r` + decls.String() + `>` + lookalikes.String() + `</r>`, ErrNotSigned},
		{"nesting beyond the limit", strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200), ErrMalformed},
		{"signed element with thousands of namespace declarations", string(manyPrefixes), nil},
	}
	for _, tc := range tests {
		_, err := Verify([]byte(tc.doc), VerifyOptions{Now: fixedClock})
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
