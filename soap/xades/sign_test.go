package xades

import (
	"bytes"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var sigValueRE = regexp.MustCompile(`<ds:SignatureValue>[^<]*</ds:SignatureValue>`)

// TestSignGolden pins the signature layout: element order, prefixes, attributes, algorithm
// URIs, the issuer name and serial format. The SignatureValue is masked, because the GOST
// nonce comes from crypto/rand.Int, whose use of the stream may change between Go releases.
func TestSignGolden(t *testing.T) {
	t.Parallel()
	input := readFile(t, "testdata/envelope.xml")
	s := newTestSigner(t, fixedKeyPair(t), Options{Clock: fixedClock, Rand: seededRand(1)})
	out := mustSign(t, s, input, "")
	if _, err := Verify(out, VerifyOptions{Now: fixedClock}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	sigXML := between(t, string(out), "<ds:Signature ", "</ds:Signature>")
	if rest := strings.Replace(string(out), sigXML, "", 1); rest != string(input) {
		t.Fatal("bytes outside the signature changed")
	}
	masked := sigValueRE.ReplaceAll(out, []byte("<ds:SignatureValue>MASKED</ds:SignatureValue>"))
	golden := "testdata/TestSignGolden.golden.xml"
	if *update {
		if err := os.WriteFile(golden, masked, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want := readFile(t, golden); !bytes.Equal(masked, want) {
		t.Fatalf("output differs from %s (run with -update if the change is intended):\n%s", golden, masked)
	}
}

func TestSignSelfClosingElement(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t, fixedKeyPair(t), Options{Clock: fixedClock})
	for _, tc := range []struct{ in, open, close string }{
		{`<r><a Id="x"/></r>`, `<a Id="x"><ds:Signature `, `</ds:Signature></a></r>`},
		{`<?xml version="1.0"?>` + "\n" + `<r><p:a xmlns:p="urn:p" Id="x" /></r>`, `<p:a xmlns:p="urn:p" Id="x" ><ds:Signature `, `</ds:Signature></p:a></r>`},
		{`<r Id="x"/>`, `<r Id="x"><ds:Signature `, `</ds:Signature></r>`},
	} {
		out := string(mustSign(t, s, []byte(tc.in), "x"))
		if !strings.Contains(out, tc.open) || !strings.HasSuffix(out, tc.close) {
			t.Errorf("%s: got %s", tc.in, out)
		}
		res, err := Verify([]byte(out), VerifyOptions{Now: fixedClock})
		if err != nil || res.SignedID != "x" {
			t.Errorf("%s: Verify: %v", tc.in, err)
		}
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	kp := fixedKeyPair(t)
	s := newTestSigner(t, kp, Options{Clock: fixedClock})
	signed := mustSign(t, s, readFile(t, "testdata/envelope.xml"), "")
	small := newTestSigner(t, kp, Options{Clock: fixedClock, MaxSize: 100})
	tests := []struct {
		name   string
		signer *Signer
		doc    string
		id     string
		want   error
	}{
		{"no such Id", s, `<r><a Id="y"/></r>`, "x", ErrIDNotFound},
		{"Id in another namespace does not count", s, `<r xmlns:p="urn:p"><a p:Id="x"/></r>`, "x", ErrIDNotFound},
		{"two elements with the Id", s, `<r><a Id="x"/><b Id="x"/></r>`, "x", ErrDuplicateID},
		{"already signed", s, string(signed), "", ErrAlreadySigned},
		{"DOCTYPE", s, `<!DOCTYPE r [<!ENTITY e "x">]><r Id="x">&e;</r>`, "x", ErrDTD},
		{"malformed", s, `<r Id="x"><a></r>`, "x", ErrMalformed},
		{"empty", s, ``, "x", ErrMalformed},
		{"too large", small, string(readFile(t, "testdata/envelope.xml")), "", ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.signer.Sign([]byte(tc.doc), tc.id)
			wantErr(t, err, tc.want)
		})
	}
}

// TestSignConcurrently: one Signer serves many goroutines (run with -race via make test/race).
func TestSignConcurrently(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t, fixedKeyPair(t), Options{Clock: fixedClock})
	input := readFile(t, "testdata/envelope.xml")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			out, err := s.Sign(input, "")
			if err == nil {
				_, err = Verify(out, VerifyOptions{Now: fixedClock})
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestDigestsMatchOpenSSL checks every digest this package computes against the gost engine,
// across block boundaries: Streebog 256/512 (own table-driven code) and GOST R 34.11-94 with
// the CryptoPro parameter set (soap/gost94).
func TestDigestsMatchOpenSSL(t *testing.T) {
	t.Parallel()
	needOpenSSL(t)
	data := bytes.Repeat([]byte("Задолженность 0123456789 "), 100)
	for _, tc := range []struct{ uri, md string }{
		{DigestGOST256, "-md_gost12_256"}, {DigestGOST512, "-md_gost12_512"}, {DigestGOST94, "-md_gost94"},
	} {
		for _, n := range []int{0, 1, 31, 32, 33, 63, 64, 65, 1000, len(data)} {
			got, err := digestOf(tc.uri, data[:n])
			if err != nil {
				t.Fatal(err)
			}
			if want := opensslDigest(t, tc.md, data[:n]); !bytes.Equal(got, want) {
				t.Errorf("%s over %d bytes: %s, openssl %s", tc.md, n, hex.EncodeToString(got), hex.EncodeToString(want))
			}
		}
	}
}

// TestSignInContext: Sign canonicalizes its references from the scanned document and the
// signature's own parts against a copy of the signed element's ancestors; Verify, which
// canonicalizes in the real tree, must agree for both SignedInfo methods, whatever the
// ancestors declare (namespaces used and unused, a default namespace, xml:* attributes).
func TestSignInContext(t *testing.T) {
	t.Parallel()
	doc := []byte(`<?xml version="1.0"?>
<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:z="urn:z" xml:lang="ru"><e:Header/>
<e:Body xml:space="preserve" xmlns="urn:d" z:flag="1"><op Id="x" xmlns:a="urn:a" a:b="2"><a:item>1 &amp; 2</a:item><z:item/><item xmlns=""/></op></e:Body></e:Envelope>`)
	for _, c14n := range []string{C14NExclusive, C14NInclusive} {
		s := newTestSigner(t, fixedKeyPair(t), Options{Clock: fixedClock, SignedInfoC14N: c14n})
		signed := mustSign(t, s, doc, "x")
		res, err := VerifyEnvelope(signed, VerifyOptions{Now: fixedClock})
		if err != nil {
			t.Fatalf("%s: %v", c14n, err)
		}
		if want := `<op xmlns="urn:d" xmlns:a="urn:a" Id="x" a:b="2"><a:item>1 &amp; 2</a:item><z:item xmlns:z="urn:z"></z:item><item xmlns=""></item></op>`; string(res.SignedXML) != want {
			t.Errorf("%s: signed XML %s, want %s", c14n, res.SignedXML, want)
		}
	}
}
