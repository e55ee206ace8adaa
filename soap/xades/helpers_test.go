package xades

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// needTool skips when a prerequisite is missing, and fails instead under CI.
func needTool(t testing.TB, name string, check ...string) {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(check) > 0 {
		err = exec.Command(path, check...).Run()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required in CI (%v); run `make deps`", name, err)
		}
		t.Skipf("%s not available: %v", name, err)
	}
}

func needOpenSSL(t testing.TB) {
	t.Helper()
	needTool(t, "openssl", "engine", "gost", "-t")
}

func needXmllint(t testing.TB) {
	t.Helper()
	needTool(t, "xmllint", "--version")
}

// run runs a command and returns its stdout; stdin may be nil.
func run(t testing.TB, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

func openssl(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	return run(t, stdin, "openssl", args...)
}

// gostKey is a key and self-signed certificate made by openssl in a temporary directory.
type gostKey struct {
	bits                     int
	dir, key, cert, pub, md  string
	keyPEM, certPEM, certDER []byte
}

func newGOSTKey(t testing.TB, bits int, subject string) *gostKey {
	t.Helper()
	needOpenSSL(t)
	dir := t.TempDir()
	k := &gostKey{bits: bits, dir: dir, key: filepath.Join(dir, "key.pem"), cert: filepath.Join(dir, "cert.pem"), pub: filepath.Join(dir, "pub.pem")}
	alg := "gost2012_256"
	k.md = "-md_gost12_256"
	if bits == 512 {
		alg, k.md = "gost2012_512", "-md_gost12_512"
	}
	if subject == "" {
		subject = "/C=RU/O=gisgw tests/CN=openssl test " + alg
	}
	openssl(t, nil, "genpkey", "-engine", "gost", "-algorithm", alg, "-pkeyopt", "paramset:A", "-out", k.key)
	openssl(t, nil, "req", "-engine", "gost", "-x509", "-new", "-key", k.key, k.md, "-days", "30", "-subj", subject, "-out", k.cert)
	openssl(t, nil, "x509", "-engine", "gost", "-in", k.cert, "-pubkey", "-noout", "-out", k.pub)
	k.keyPEM, _ = os.ReadFile(k.key)
	k.certPEM, _ = os.ReadFile(k.cert)
	k.certDER = openssl(t, nil, "x509", "-in", k.cert, "-outform", "DER")
	return k
}

func (k *gostKey) keyPair(t testing.TB) *KeyPair {
	t.Helper()
	kp, err := LoadKeyPair(k.keyPEM, k.certPEM, "")
	if err != nil {
		t.Fatalf("LoadKeyPair(openssl %d-bit key): %v", k.bits, err)
	}
	return kp
}

// fixedKeyPair is the GOST 256 test key stored in testdata (no openssl needed).
func fixedKeyPair(t testing.TB) *KeyPair {
	t.Helper()
	key, cert := readFile(t, "testdata/test-gost256.key"), readFile(t, "testdata/test-gost256.crt")
	kp, err := LoadKeyPair(key, cert, "")
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fixedClock is a signing time with a +03:00 offset, as a Moscow client would sign.
func fixedClock() time.Time {
	return time.Date(2030, 3, 1, 10, 0, 0, 0, time.FixedZone("MSK", 3*3600))
}

// seededRand returns a reproducible randomness stream.
func seededRand(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func newTestSigner(t testing.TB, kp *KeyPair, opts Options) *Signer {
	t.Helper()
	s, err := NewSigner(kp, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSign(t testing.TB, s *Signer, doc []byte, id string) []byte {
	t.Helper()
	out, err := s.Sign(doc, id)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return out
}

// between returns the first substring of s from the start of open to the end of close.
func between(t testing.TB, s, open, close string) string {
	t.Helper()
	i := strings.Index(s, open)
	if i < 0 {
		t.Fatalf("%q not found", open)
	}
	j := strings.Index(s[i:], close)
	if j < 0 {
		t.Fatalf("%q not found after %q", close, open)
	}
	return s[i : i+j+len(close)]
}

var textRE = regexp.MustCompile(`>([^<]*)<`)

// elementText returns the text of the first element whose start tag begins with open.
func elementText(t testing.TB, s, open string) string {
	t.Helper()
	frag := between(t, s, open, "</")
	m := textRE.FindStringSubmatch(frag + "<")
	if m == nil {
		t.Fatalf("no text in %q", frag)
	}
	return m[1]
}

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("base64 %q: %v", s, err)
	}
	return b
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error %v, want %v", err, want)
	}
}
