package cryptopro

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/soap/xades"
)

// sharedContainer is the real CryptoPro CSP 5.0 container of ../shared/cryptopro
// (PROVENANCE.md); its PIN is empty.
const sharedDir = "../../../../shared/cryptopro"

func containerDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(sharedDir, "test-container")
	if _, err := os.Stat(filepath.Join(dir, "header.key")); err != nil {
		t.Fatalf("the shared test container is missing: %v", err)
	}
	return dir
}

// needOpenSSL skips without OpenSSL's GOST engine, and fails instead under CI.
func needOpenSSL(t testing.TB) {
	t.Helper()
	if err := exec.Command("openssl", "engine", "gost", "-t").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("openssl with the gost engine is required in CI (%v); run `make deps`", err)
		}
		t.Skipf("openssl with the gost engine not available: %v", err)
	}
}

func openssl(t testing.TB, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

func write(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// copyContainer copies the shared container into a temporary folder, which the test may
// then damage.
func copyContainer(t testing.TB) string {
	t.Helper()
	src := containerDir(t)
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		write(t, dst, e.Name(), b)
	}
	return dst
}

// TestSharedContainerSignsForOpenSSL is the oracle: the key read from the real container
// signs data that OpenSSL's GOST engine verifies under the container's certificate.
func TestSharedContainerSignsForOpenSSL(t *testing.T) {
	t.Parallel()
	needOpenSSL(t)
	c, err := ReadDir(containerDir(t), "")
	if err != nil {
		t.Fatalf("the shared container does not open with the empty PIN: %v", err)
	}
	if c.Name != "srv" {
		t.Errorf("container name %q, want srv", c.Name)
	}
	if c.Certificate == nil || c.Certificate.Subject.CommonName != "test.91.gost.dev" {
		t.Fatalf("certificate from header.key: %v", c.Certificate)
	}
	want := openssl(t, "x509", "-in", filepath.Join(sharedDir, "test-container-cert.pem"), "-outform", "DER")
	if !bytes.Equal(c.Certificate.Raw, want) {
		t.Error("the certificate in header.key differs from test-container-cert.pem")
	}
	key, cert, kp, err := c.Pair(nil)
	if err != nil {
		t.Fatalf("pair: %v", err)
	}
	if kp.Algorithm() != xades.SignatureGOST256 {
		t.Errorf("algorithm %s, want GOST 2012 256", kp.Algorithm())
	}
	dir := t.TempDir()
	for _, password := range []string{"", "export-secret"} {
		keyPEM, err := key.PEM(password)
		if err != nil {
			t.Fatal(err)
		}
		// What `gisgw run`/`sign` read must read it back.
		if _, err := xades.LoadKeyPair(keyPEM, cert.Raw, password); err != nil {
			t.Fatalf("LoadKeyPair of the exported key (password %q): %v", password, err)
		}
	}
	keyPEM, _ := key.PEM("")
	keyFile := write(t, dir, "key.pem", keyPEM)
	data := write(t, dir, "data", []byte("подпись ключом из контейнера КриптоПро\n"))
	sig := filepath.Join(dir, "sig.bin")
	openssl(t, "dgst", "-engine", "gost", "-md_gost12_256", "-sign", keyFile, "-out", sig, data)
	pub := write(t, dir, "pub.pem", openssl(t, "x509", "-engine", "gost", "-in", filepath.Join(sharedDir, "test-container-cert.pem"), "-pubkey", "-noout"))
	out := openssl(t, "dgst", "-engine", "gost", "-md_gost12_256", "-verify", pub, "-signature", sig, data)
	if !bytes.Contains(out, []byte("Verified OK")) {
		t.Fatalf("openssl did not verify: %s", out)
	}
	// And our own signer's signature, over a digest, verifies in openssl too.
	digest := openssl(t, "dgst", "-engine", "gost", "-md_gost12_256", "-binary", data)
	ours, err := kp.Signer.Sign(nil, digest, kp.Algorithm())
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "ours.bin", ours)
	out = openssl(t, "dgst", "-engine", "gost", "-md_gost12_256", "-verify", pub, "-signature", filepath.Join(dir, "ours.bin"), data)
	if !bytes.Contains(out, []byte("Verified OK")) {
		t.Fatalf("openssl did not verify our signature: %s", out)
	}
}

func TestContainerRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		pin     string
		want    error
		message string
	}{
		{"wrong PIN", nil, "11111111", ErrWrongPIN, "wrong PIN"},
		{"truncated primary.key", func(t *testing.T, dir string) { truncate(t, dir, "primary.key", 20) }, "", ErrDamaged, "primary.key"},
		{"truncated header.key", func(t *testing.T, dir string) { truncate(t, dir, "header.key", 700) }, "", ErrDamaged, "header.key"},
		{"truncated masks.key", func(t *testing.T, dir string) { truncate(t, dir, "masks.key", 30) }, "", ErrDamaged, "masks.key"},
		{"missing masks.key", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "masks.key")) }, "", ErrDamaged, "no masks.key"},
		{"flipped bit in primary.key", func(t *testing.T, dir string) { flip(t, dir, "primary.key", 10) }, "", ErrWrongPIN, "fingerprint"},
		{"non-exportable", func(t *testing.T, dir string) { clearExportable(t, dir) }, "", ErrNotExportable, "non-exportable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := copyContainer(t)
			if tc.damage != nil {
				tc.damage(t, dir)
			}
			_, err := ReadDir(dir, tc.pin)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("message %q does not mention %q", err, tc.message)
			}
		})
	}
}

func truncate(t *testing.T, dir, name string, n int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, name, b[:n])
}

func flip(t *testing.T, dir, name string, at int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x01
	write(t, dir, name, b)
}

// clearExportable clears the "exportable" bit of the primary key's attributes: the first
// BIT STRING inside the key parameters, right before the [0] algorithm.
func clearExportable(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "header.key"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte{0xa0, 0x1f, 0x06, 0x08})
	if i < 4 || b[i-4] != 0x03 || b[i-3] != 0x02 {
		t.Fatalf("key parameters not where expected in header.key")
	}
	if b[i-1]&0x80 == 0 {
		t.Fatal("the shared container's key is not exportable to begin with")
	}
	b[i-1] &^= 0x80
	write(t, dir, "header.key", b)
}

// A container of a GOST R 34.10-2001 key is refused before any decryption.
func TestContainerGOST2001Refused(t *testing.T) {
	t.Parallel()
	for _, oid := range []asn1.ObjectIdentifier{oidDH2001, oidSign2001} {
		_, err := unwrap(&keyParams{exportable: true, dh: oid}, nil, nil, nil, "", "primary.key", "masks.key")
		if !errors.Is(err, ErrUnsupportedAlgorithm) || !strings.Contains(err.Error(), "GOST R 34.10-2001") {
			t.Errorf("%s: err = %v, want the retired-algorithm refusal", oid, err)
		}
	}
}

// pfx makes a key, a self-signed certificate and a PFX of them with OpenSSL's GOST engine.
func pfx(t *testing.T, bits int, password string) (pfxFile, certFile string) {
	t.Helper()
	needOpenSSL(t)
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	alg := map[int]string{256: "gost2012_256", 512: "gost2012_512"}[bits]
	openssl(t, "genpkey", "-engine", "gost", "-algorithm", alg, "-pkeyopt", "paramset:A", "-out", key)
	openssl(t, "req", "-engine", "gost", "-new", "-x509", "-key", key, "-subj", "/CN=pfx "+alg, "-days", "30", "-out", cert)
	pfxFile = filepath.Join(dir, "org.pfx")
	md := map[int]string{256: "md_gost12_256", 512: "md_gost12_512"}[bits]
	// Few iterations keep the test quick; the format is what certmgr-made files use.
	openssl(t, "pkcs12", "-engine", "gost", "-export", "-inkey", key, "-in", cert, "-keypbe", "gost89", "-certpbe", "gost89",
		"-macalg", md, "-iter", "16", "-maciter", "-passout", "pass:"+password, "-out", pfxFile)
	return pfxFile, cert
}

func TestPFXFromOpenSSL(t *testing.T) {
	t.Parallel()
	for _, bits := range []int{256, 512} {
		t.Run(map[int]string{256: "256", 512: "512"}[bits], func(t *testing.T) {
			t.Parallel()
			file, certFile := pfx(t, bits, "пароль-1")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			key, cert, err := ReadPFX(data, "пароль-1")
			if err != nil {
				t.Fatalf("ReadPFX: %v", err)
			}
			kp, err := KeyPair(key, cert)
			if err != nil {
				t.Fatalf("KeyPair: %v", err)
			}
			want := map[int]xades.SignatureAlgorithm{256: xades.SignatureGOST256, 512: xades.SignatureGOST512}[bits]
			if kp.Algorithm() != want {
				t.Errorf("algorithm %s, want %s", kp.Algorithm(), want)
			}
			wantCert := openssl(t, "x509", "-in", certFile, "-outform", "DER")
			if !bytes.Equal(cert.Raw, wantCert) {
				t.Error("the PFX's certificate is not the one put in")
			}
			if _, _, err := ReadPFX(data, "другой"); !errors.Is(err, ErrWrongPassword) {
				t.Errorf("wrong password: err = %v, want ErrWrongPassword", err)
			}
		})
	}
}

// The container's key with another certificate is refused as a mismatch.
func TestContainerKeyWithOtherCertificate(t *testing.T) {
	t.Parallel()
	_, certFile := pfx(t, 256, "x")
	other, err := xades.ParseCertificate(openssl(t, "x509", "-in", certFile, "-outform", "DER"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ReadDir(containerDir(t), "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = c.Pair(other)
	if !errors.Is(err, xades.ErrKeyMismatch) {
		t.Fatalf("err = %v, want ErrKeyMismatch", err)
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyPair(containerDir(t), certPEM, ""); !errors.Is(err, xades.ErrKeyMismatch) || !strings.Contains(err.Error(), "key container") {
		t.Fatalf("LoadKeyPair: err = %v, want a mismatch naming the container", err)
	}
}
