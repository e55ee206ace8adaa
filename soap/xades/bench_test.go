package xades

import (
	"testing"
)

// BenchmarkSign100Actions signs a SOAP envelope with 100 importDSRResponses actions (75 KB)
// with GOST R 34.10-2012 256. Target: well under 10 ms per message.
func BenchmarkSign100Actions(b *testing.B) {
	doc := readFile(b, "testdata/envelope-100.xml")
	s := newTestSigner(b, fixedKeyPair(b), Options{Clock: fixedClock})
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(doc, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify100Actions verifies what BenchmarkSign100Actions signs.
func BenchmarkVerify100Actions(b *testing.B) {
	s := newTestSigner(b, fixedKeyPair(b), Options{Clock: fixedClock})
	signed := mustSign(b, s, readFile(b, "testdata/envelope-100.xml"), "")
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(signed, VerifyOptions{Now: fixedClock}); err != nil {
			b.Fatal(err)
		}
	}
}
