package xades

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
)

// Namespace declarations of testdata/envelope.xml, for building standalone copies of its parts
// that xmllint can canonicalize on their own.
const (
	declSoapenv = `xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"`
	declBase    = `xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/"`
	declDRS     = `xmlns:drs="http://dom.gosuslugi.ru/schema/integration/drs/"`
	declNSI     = `xmlns:nsi-base="http://dom.gosuslugi.ru/schema/integration/nsi-base/"`
	declDS      = `xmlns:ds="` + NSDSig + `"`
	declXAdES   = `xmlns:xades="` + NSXAdES + `"`
	bodyStart   = `<drs:importDSRResponsesRequest `
)

// withDecls adds namespace declarations to the first start tag of frag, which begins with
// "<name" followed by a space or '>'.
func withDecls(frag string, decls ...string) string {
	i := strings.IndexAny(frag, " >")
	return frag[:i] + " " + strings.Join(decls, " ") + frag[i:]
}

// xmllintC14N canonicalizes a standalone document with xmllint: the independent oracle for
// this package's canonicalization.
func xmllintC14N(t testing.TB, doc string, exclusive bool) []byte {
	t.Helper()
	flag := "--c14n"
	if exclusive {
		flag = "--exc-c14n"
	}
	return run(t, []byte(doc), "xmllint", flag, "-")
}

func opensslDigest(t testing.TB, md string, data []byte) []byte {
	t.Helper()
	return openssl(t, data, "dgst", "-engine", "gost", md, "-binary")
}

// TestOpenSSLVerifiesSignature: what Sign writes, openssl (with xmllint canonicalizing)
// accepts: both reference digests, the certificate digest and the SignatureValue.
func TestOpenSSLVerifiesSignature(t *testing.T) {
	t.Parallel()
	needXmllint(t)
	input := readFile(t, "testdata/envelope.xml")
	for _, tc := range []struct {
		bits int
		c14n string
	}{
		{256, C14NExclusive}, {512, C14NExclusive}, {256, C14NInclusive}, {512, C14NInclusive},
	} {
		t.Run(fmt.Sprintf("%d/%s", tc.bits, tc.c14n[strings.LastIndex(tc.c14n, "/")+1:]), func(t *testing.T) {
			t.Parallel()
			k := newGOSTKey(t, tc.bits, "")
			out := mustSign(t, newTestSigner(t, k.keyPair(t), Options{SignedInfoC14N: tc.c14n}), input, "")
			doc := string(out)
			sigXML := between(t, doc, "<ds:Signature ", "</ds:Signature>")
			if rest := strings.Replace(doc, sigXML, "", 1); rest != string(input) {
				t.Fatalf("bytes outside the signature changed:\n%s", rest)
			}

			// SignedInfo, canonicalized by xmllint and checked by openssl.
			si := between(t, doc, "<ds:SignedInfo>", "</ds:SignedInfo>")
			var canonSI []byte
			if tc.c14n == C14NExclusive {
				canonSI = xmllintC14N(t, withDecls(si, declDS), true)
			} else {
				canonSI = xmllintC14N(t, withDecls(si, declSoapenv, declBase, declDRS, declNSI, declDS), false)
			}
			sigFile := writeFile(t, k.dir, "sig.bin", b64(t, elementText(t, doc, "<ds:SignatureValue>")))
			siFile := writeFile(t, k.dir, "signedinfo.xml", canonSI)
			if got := openssl(t, nil, "dgst", "-engine", "gost", k.md, "-verify", k.pub, "-signature", sigFile, siFile); !bytes.Contains(got, []byte("Verified OK")) {
				t.Fatalf("openssl: %s", got)
			}
			if len(b64(t, elementText(t, doc, "<ds:SignatureValue>"))) != tc.bits/4 {
				t.Errorf("SignatureValue is not %d bytes", tc.bits/4)
			}

			digests := strings.Split(doc, "<ds:DigestValue>")[1:]
			digestAt := func(i int) string { return digests[i][:strings.Index(digests[i], "<")] }
			// Reference 1: the body element without the signature; xmlns:base comes from the
			// Envelope.
			body := strings.Replace(between(t, doc, bodyStart, "</drs:importDSRResponsesRequest>"), sigXML, "", 1)
			d1 := opensslDigest(t, k.md, xmllintC14N(t, withDecls(body, declBase), true))
			if got := digestAt(0); got != base64.StdEncoding.EncodeToString(d1) {
				t.Errorf("reference 1 DigestValue %s, openssl %s", got, base64.StdEncoding.EncodeToString(d1))
			}
			// Reference 2: SignedProperties.
			props := between(t, doc, "<xades:SignedProperties ", "</xades:SignedProperties>")
			d2 := opensslDigest(t, k.md, xmllintC14N(t, withDecls(props, declXAdES, declDS), true))
			if got := digestAt(1); got != base64.StdEncoding.EncodeToString(d2) {
				t.Errorf("reference 2 DigestValue %s, openssl %s", got, base64.StdEncoding.EncodeToString(d2))
			}
			// CertDigest and serial.
			if got, want := digestAt(2), base64.StdEncoding.EncodeToString(opensslDigest(t, k.md, k.certDER)); got != want {
				t.Errorf("CertDigest %s, openssl %s", got, want)
			}
			hexSerial := strings.TrimSpace(strings.TrimPrefix(string(openssl(t, nil, "x509", "-in", k.cert, "-noout", "-serial")), "serial="))
			serial, _ := new(big.Int).SetString(hexSerial, 16)
			if got := elementText(t, doc, "<ds:X509SerialNumber>"); got != serial.String() {
				t.Errorf("X509SerialNumber %s, openssl says %s", got, serial)
			}
			if _, err := Verify(out, VerifyOptions{}); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

// opensslSigned builds a signed envelope without this package's signer: xmllint canonicalizes,
// openssl digests and signs. SignedInfo is pretty-printed, as some toolkits write it.
type opensslSigned struct {
	bits        int
	siC14N      string // CanonicalizationMethod of SignedInfo
	propsC14N   string // transform on the SignedProperties reference; "" for none (inclusive by default)
	propsDigest string // DigestMethod of the SignedProperties reference
}

func (o opensslSigned) build(t *testing.T, k *gostKey, input []byte) []byte {
	t.Helper()
	mdURI, sigURI := DigestGOST256, SignatureGOST256
	if o.bits == 512 {
		mdURI, sigURI = DigestGOST512, SignatureGOST512
	}
	doc := string(input)
	body := between(t, doc, bodyStart, "</drs:importDSRResponsesRequest>")
	d1 := opensslDigest(t, k.md, xmllintC14N(t, withDecls(body, declBase), true))

	const sigID = "xmldsig-0b7c61b2-3f6a-4a7e-9a0e-2c5d1f0e9a11"
	hexSerial := strings.TrimSpace(strings.TrimPrefix(string(openssl(t, nil, "x509", "-in", k.cert, "-noout", "-serial")), "serial="))
	serial, _ := new(big.Int).SetString(hexSerial, 16)
	props := `<xades:SignedProperties Id="` + sigID + `-signedprops"><xades:SignedSignatureProperties>` +
		`<xades:SigningTime>2026-03-01T10:00:00.123+03:00</xades:SigningTime><xades:SigningCertificate><xades:Cert>` +
		`<xades:CertDigest><ds:DigestMethod Algorithm="` + mdURI + `"/><ds:DigestValue>` +
		base64.StdEncoding.EncodeToString(opensslDigest(t, k.md, k.certDER)) + `</ds:DigestValue></xades:CertDigest>` +
		`<xades:IssuerSerial><ds:X509IssuerName>CN=openssl test, O=gisgw tests, C=RU</ds:X509IssuerName>` +
		`<ds:X509SerialNumber>` + serial.String() + `</ds:X509SerialNumber></xades:IssuerSerial>` +
		`</xades:Cert></xades:SigningCertificate></xades:SignedSignatureProperties></xades:SignedProperties>`
	propsMD := k.md
	if o.propsDigest == DigestGOST94 {
		propsMD = "-md_gost94"
	}
	var canonProps []byte
	propsTransforms := ""
	if o.propsC14N == C14NExclusive {
		canonProps = xmllintC14N(t, withDecls(props, declXAdES, declDS), true)
		propsTransforms = "\n      <ds:Transforms><ds:Transform Algorithm=\"" + C14NExclusive + "\"/></ds:Transforms>"
	} else {
		canonProps = xmllintC14N(t, withDecls(props, declSoapenv, declBase, declDRS, declNSI, declDS, declXAdES), false)
	}
	d2 := opensslDigest(t, propsMD, canonProps)

	si := "<ds:SignedInfo>\n    <ds:CanonicalizationMethod Algorithm=\"" + o.siC14N + "\"/>\n" +
		"    <ds:SignatureMethod Algorithm=\"" + sigURI + "\"/>\n" +
		"    <ds:Reference Id=\"" + sigID + "-ref0\" URI=\"#signed-data-container\">\n" +
		"      <ds:Transforms>\n        <ds:Transform Algorithm=\"" + TransformEnveloped + "\"/>\n" +
		"        <ds:Transform Algorithm=\"" + C14NExclusive + "\"/>\n      </ds:Transforms>\n" +
		"      <ds:DigestMethod Algorithm=\"" + mdURI + "\"/>\n" +
		"      <ds:DigestValue>" + base64.StdEncoding.EncodeToString(d1) + "</ds:DigestValue>\n    </ds:Reference>\n" +
		"    <ds:Reference Type=\"" + TypeSignedProperties + "\" URI=\"#" + sigID + "-signedprops\">" + propsTransforms + "\n" +
		"      <ds:DigestMethod Algorithm=\"" + o.propsDigest + "\"/>\n" +
		"      <ds:DigestValue>" + base64.StdEncoding.EncodeToString(d2) + "</ds:DigestValue>\n    </ds:Reference>\n  </ds:SignedInfo>"
	var canonSI []byte
	if o.siC14N == C14NExclusive {
		canonSI = xmllintC14N(t, withDecls(si, declDS), true)
	} else {
		canonSI = xmllintC14N(t, withDecls(si, declSoapenv, declBase, declDRS, declNSI, declDS), false)
	}
	siFile := writeFile(t, k.dir, "signedinfo-"+filepath.Base(t.Name())+".xml", canonSI)
	sigValue := openssl(t, nil, "dgst", "-engine", "gost", k.md, "-sign", k.key, siFile)

	sig := "<ds:Signature " + declDS + " Id=\"" + sigID + "\">\n  " + si + "\n  <ds:SignatureValue>\n" +
		base64.StdEncoding.EncodeToString(sigValue) + "\n  </ds:SignatureValue>\n" +
		"  <ds:KeyInfo><ds:X509Data><ds:X509Certificate>" + base64.StdEncoding.EncodeToString(k.certDER) +
		"</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\n  <ds:Object><xades:QualifyingProperties " + declXAdES +
		" Target=\"#" + sigID + "\">" + props + "</xades:QualifyingProperties></ds:Object>\n</ds:Signature>"
	start := between(t, doc, bodyStart, ">")
	return []byte(strings.Replace(doc, start, start+sig, 1))
}

// TestVerifyOpenSSLSignature: Verify accepts documents whose digests and SignatureValue openssl
// produced, in the variants GIS clients write (exclusive or inclusive SignedInfo, a
// SignedProperties reference without transforms and with a GOST R 34.11-94 digest).
func TestVerifyOpenSSLSignature(t *testing.T) {
	t.Parallel()
	needXmllint(t)
	input := readFile(t, "testdata/envelope.xml")
	keys := map[int]*gostKey{}
	for _, bits := range []int{256, 512} {
		keys[bits] = newGOSTKey(t, bits, "/C=RU/O=gisgw tests/CN=openssl test")
	}
	tests := []struct {
		name string
		o    opensslSigned
	}{
		{"256 exclusive", opensslSigned{256, C14NExclusive, C14NExclusive, DigestGOST256}},
		{"512 exclusive", opensslSigned{512, C14NExclusive, C14NExclusive, DigestGOST512}},
		{"256 inclusive SignedInfo, GOST 94 props", opensslSigned{256, C14NInclusive, "", DigestGOST94}},
		{"512 inclusive SignedInfo, props without transform", opensslSigned{512, C14NInclusive, "", DigestGOST512}},
		{"256 exclusive, GOST 94 props with transform", opensslSigned{256, C14NExclusive, C14NExclusive, DigestGOST94}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := keys[tc.o.bits]
			doc := tc.o.build(t, k, input)
			kp := k.keyPair(t)
			res, err := Verify(doc, VerifyOptions{Trusted: []*x509.Certificate{kp.Certificate}})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			wantAlg := SignatureGOST256
			if tc.o.bits == 512 {
				wantAlg = SignatureGOST512
			}
			if res.Algorithm != wantAlg || res.SignedID != DefaultID {
				t.Errorf("Algorithm %q, SignedID %q", res.Algorithm, res.SignedID)
			}
			if !strings.Contains(res.Certificate.Subject, "CN=openssl test") || res.Certificate.Serial != kp.Certificate.SerialNumber.String() {
				t.Errorf("certificate info %+v", res.Certificate)
			}
			if res.SigningTime.IsZero() || res.SigningTime.UnixMilli()%1000 != 123 {
				t.Errorf("SigningTime %v", res.SigningTime)
			}
			if !bytes.HasPrefix(res.SignedXML, []byte("<drs:importDSRResponsesRequest")) || bytes.Contains(res.SignedXML, []byte("Signature")) {
				t.Errorf("SignedXML does not hold the signed element alone: %.200s", res.SignedXML)
			}
			// Changing one signed character must break it.
			bad := bytes.Replace(doc, []byte("Тестов"), []byte("Тестав"), 1)
			if _, err := Verify(bad, VerifyOptions{}); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("tampered document: %v, want ErrDigestMismatch", err)
			}
		})
	}
}
