package xades

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
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

// BenchmarkVerify100ActionsColdKey is BenchmarkVerify100Actions for a key seen for the first
// time: its window table is dropped before every verification (keyTables), as for a message
// from a signer not met before. Not part of make bench; it tells what the cache is worth.
func BenchmarkVerify100ActionsColdKey(b *testing.B) {
	s := newTestSigner(b, fixedKeyPair(b), Options{Clock: fixedClock})
	signed := mustSign(b, s, readFile(b, "testdata/envelope-100.xml"), "")
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	for b.Loop() {
		keyTables.mu.Lock()
		clear(keyTables.tables)
		clear(keyTables.seen)
		keyTables.mu.Unlock()
		if _, err := Verify(signed, VerifyOptions{Now: fixedClock}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignOpenSSLProcess100Actions is the anchor for BenchmarkSign100Actions: the public
// Python daemon signs each message by starting `openssl dgst` with the GOST engine. Per message
// it writes the canonical SignedInfo of the signed 100-action envelope to a file and runs
// `openssl dgst -engine gost -md_gost12_256 -sign key -out sig file`, then reads the signature.
// That is all the process does; canonicalization and digests of the anchor are not counted, so
// the ratio to BenchmarkSign100Actions is a lower bound. Under CI a missing openssl or gost
// engine fails the benchmark.
func BenchmarkSignOpenSSLProcess100Actions(b *testing.B) {
	needOpenSSL(b)
	kp := fixedKeyPair(b)
	s := newTestSigner(b, kp, Options{Clock: fixedClock})
	signed := mustSign(b, s, readFile(b, "testdata/envelope-100.xml"), "")
	doc, err := parseDocument(signed, 0)
	if err != nil {
		b.Fatal(err)
	}
	var signedInfo *etree.Element
	walk(doc.Root(), func(e *etree.Element) {
		if e.Tag == "SignedInfo" && e.Space == "ds" {
			signedInfo = e
		}
	})
	canonSI, err := canonicalize(signedInfo, C14NExclusive, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	siFile, sigFile := filepath.Join(dir, "signedinfo.xml"), filepath.Join(dir, "signature.bin")
	key, err := filepath.Abs("testdata/test-gost256.key")
	if err != nil {
		b.Fatal(err)
	}
	sign := func() []byte {
		if err := os.WriteFile(siFile, canonSI, 0o600); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command("openssl", "dgst", "-engine", "gost", "-md_gost12_256", "-sign", key, "-out", sigFile, siFile)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("openssl: %v: %s", err, out)
		}
		raw, err := os.ReadFile(sigFile)
		if err != nil {
			b.Fatal(err)
		}
		return raw
	}
	// The command line must make a signature this package accepts, or the figure means nothing.
	pub, _, err := certificatePublicKey(kp.Certificate)
	if err != nil {
		b.Fatal(err)
	}
	if err := verifySignedInfo(pub, SignatureGOST256, canonSI, sign()); err != nil {
		b.Fatalf("openssl's signature of SignedInfo does not verify: %v", err)
	}
	b.SetBytes(int64(len(canonSI)))
	for b.Loop() {
		if raw := sign(); len(raw) != 64 {
			b.Fatalf("openssl wrote a %d-byte signature, want 64", len(raw))
		}
	}
}
