package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var sharedCryptoPro = filepath.Join("..", "..", "..", "shared", "cryptopro")

func runCLIAt(t *testing.T, now time.Time, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, now: func() time.Time { return now }})
	return code, out.String(), errb.String()
}

// The shared CryptoPro container is imported, the result signs a message and `gisgw verify`
// accepts it under the container's certificate.
func TestKeyImportContainerThenSignAndVerify(t *testing.T) {
	// Not parallel: sets environment variables.
	container := filepath.Join(sharedCryptoPro, "test-container")
	sharedCert := filepath.Join(sharedCryptoPro, "test-container-cert.pem")
	inValidity := time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)
	envelope, err := os.ReadFile(filepath.Join(xadesTestdata, "envelope.xml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("GISGW_CONTAINER_PIN", "")
	os.Unsetenv("GISGW_KEY_PASSWORD")
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "org.key"), filepath.Join(dir, "org.crt")
	code, out, stderr := runCLIAt(t, inValidity, "key", "import", "--container", container, "--out-key", key, "--out-cert", cert)
	for _, want := range []string{"key and certificate match", "CN=test.91.gost.dev", "issuer:", "serial:", "2024-03-06 to 2024-05-05", "34 days left"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("key import: code %d, stdout %q, stderr %q; want %q", code, out, stderr, want)
		}
	}
	if !strings.Contains(stderr, "not encrypted") {
		t.Errorf("no warning about the unencrypted key: %q", stderr)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
	code, signed, stderr := runCLIStdin(t, envelope, "sign", "--key", key, "--cert", cert)
	if code != 0 {
		t.Fatalf("sign with the imported key: code %d, stderr %q", code, stderr)
	}
	code, out, stderr = runCLIStdin(t, []byte(signed), "verify", "--trust", sharedCert)
	if code != 0 || !strings.HasPrefix(out, "OK") || !strings.Contains(out, "gostr34102012-gostr34112012-256") {
		t.Fatalf("verify: code %d, stdout %q, stderr %q", code, out, stderr)
	}

	// With GISGW_KEY_PASSWORD the key is written encrypted, and sign reads it back.
	t.Setenv("GISGW_KEY_PASSWORD", "ключ-пароль")
	encKey, cert2 := filepath.Join(dir, "enc.key"), filepath.Join(dir, "enc.crt")
	if code, _, stderr := runCLIAt(t, inValidity, "key", "import", "--container", container, "--out-key", encKey, "--out-cert", cert2); code != 0 || strings.Contains(stderr, "not encrypted") {
		t.Fatalf("encrypted import: code %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(encKey); !bytes.HasPrefix(b, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
		t.Fatalf("key not encrypted: %.40q", b)
	}
	if code, _, stderr := runCLIStdin(t, envelope, "sign", "--key", encKey, "--cert", cert2, "--password-env", "GISGW_KEY_PASSWORD"); code != 0 {
		t.Fatalf("sign with the encrypted imported key: code %d, stderr %q", code, stderr)
	}
	// An import never overwrites a key.
	if code, _, stderr := runCLIAt(t, inValidity, "key", "import", "--container", container, "--out-key", encKey, "--out-cert", filepath.Join(dir, "x.crt")); code != 1 || !strings.Contains(stderr, "exists") {
		t.Fatalf("overwrite: code %d, stderr %q", code, stderr)
	}
}

func TestKeyImportRefusals(t *testing.T) {
	// Not parallel: sets environment variables.
	container := filepath.Join(sharedCryptoPro, "test-container")
	now := time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	out := func(n string) []string {
		return []string{"--out-key", filepath.Join(dir, n+".key"), "--out-cert", filepath.Join(dir, n+".crt")}
	}
	t.Setenv("GISGW_CONTAINER_PIN", "11111111")
	code, _, stderr := runCLIAt(t, now, append([]string{"key", "import", "--container", container}, out("a")...)...)
	if code != 1 || !strings.Contains(stderr, "wrong PIN") {
		t.Fatalf("wrong PIN: code %d, stderr %q", code, stderr)
	}
	os.Unsetenv("GISGW_CONTAINER_PIN")
	code, _, stderr = runCLIAt(t, now, append([]string{"key", "import", "--container", container}, out("b")...)...)
	if code != 1 || !strings.Contains(stderr, "set GISGW_CONTAINER_PIN") {
		t.Fatalf("no PIN and no terminal: code %d, stderr %q", code, stderr)
	}
	t.Setenv("GISGW_CONTAINER_PIN", "")
	code, _, stderr = runCLIAt(t, now, append([]string{"key", "import", "--container", container, "--cert", filepath.Join(xadesTestdata, "test-gost256.crt")}, out("c")...)...)
	if code != 1 || !strings.Contains(stderr, "does not match") {
		t.Fatalf("other certificate: code %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.key")); err == nil {
		t.Error("a refused import wrote a key")
	}
}

// key check's exit codes follow the signing certificate's validity on the given day.
func TestKeyCheckExitCodes(t *testing.T) {
	t.Setenv("GISGW_KEY_PASSWORD", "")
	container := filepath.Join(sharedCryptoPro, "test-container")
	abs, err := filepath.Abs(container)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "gisgw.yaml")
	if err := os.WriteFile(cfg, []byte("signing:\n  container: "+abs+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		now  time.Time
		code int
		want string
	}{
		{"valid", time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), 0, "days left:    56"},
		{"expires soon", time.Date(2024, 4, 20, 0, 0, 0, 0, time.UTC), 1, "expires in less than 30 days"},
		{"expired", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), 2, "has expired"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLIAt(t, tc.now, "key", "check", "--config", cfg)
			if code != tc.code || !strings.Contains(out, tc.want) || !strings.Contains(out, "key matches:  yes") || !strings.Contains(out, "GOST:         yes") {
				t.Fatalf("code %d (want %d), stdout %q, stderr %q; want %q", code, tc.code, out, stderr, tc.want)
			}
		})
	}
	t.Setenv("GISGW_KEY_PASSWORD", "11111111")
	if code, out, _ := runCLIAt(t, tests[0].now, "key", "check", "--config", cfg); code != 2 || !strings.Contains(out, "wrong PIN") {
		t.Fatalf("wrong PIN: code %d, stdout %q", code, out)
	}
}

// A PFX made by OpenSSL's GOST engine imports, and its key signs for `gisgw verify`.
func TestKeyImportPFX(t *testing.T) {
	// Not parallel: sets environment variables.
	if err := exec.Command("openssl", "engine", "gost", "-t").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("openssl with the gost engine is required in CI: %v", err)
		}
		t.Skipf("openssl with the gost engine not available: %v", err)
	}
	dir := t.TempDir()
	key, cert, pfx := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem"), filepath.Join(dir, "org.pfx")
	for _, args := range [][]string{
		{"genpkey", "-engine", "gost", "-algorithm", "gost2012_512", "-pkeyopt", "paramset:A", "-out", key},
		{"req", "-engine", "gost", "-new", "-x509", "-key", key, "-subj", "/CN=PFX org", "-days", "30", "-out", cert},
		{"pkcs12", "-engine", "gost", "-export", "-inkey", key, "-in", cert, "-keypbe", "gost89", "-certpbe", "gost89",
			"-macalg", "md_gost12_512", "-iter", "16", "-passout", "pass:секрет", "-out", pfx},
	} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	os.Unsetenv("GISGW_KEY_PASSWORD")
	t.Setenv("GISGW_CONTAINER_PIN", "неверный")
	if code, _, stderr := runCLIAt(t, time.Now(), "key", "import", "--pfx", pfx, "--out-key", filepath.Join(dir, "x.key"), "--out-cert", filepath.Join(dir, "x.crt")); code != 1 || !strings.Contains(stderr, "wrong PFX password") {
		t.Fatalf("wrong password: code %d, stderr %q", code, stderr)
	}
	t.Setenv("GISGW_CONTAINER_PIN", "секрет")
	outKey, outCert := filepath.Join(dir, "org.key"), filepath.Join(dir, "org.crt")
	code, out, stderr := runCLIAt(t, time.Now(), "key", "import", "--pfx", pfx, "--out-key", outKey, "--out-cert", outCert)
	if code != 0 || !strings.Contains(out, "CN=PFX org") || !strings.Contains(out, "key and certificate match") {
		t.Fatalf("import: code %d, stdout %q, stderr %q", code, out, stderr)
	}
	envelope, err := os.ReadFile(filepath.Join(xadesTestdata, "envelope.xml"))
	if err != nil {
		t.Fatal(err)
	}
	code, signed, stderr := runCLIStdin(t, envelope, "sign", "--key", outKey, "--cert", outCert)
	if code != 0 {
		t.Fatalf("sign: code %d, stderr %q", code, stderr)
	}
	if code, out, stderr := runCLIStdin(t, []byte(signed), "verify", "--trust", cert); code != 0 || !strings.Contains(out, "gostr34102012-gostr34112012-512") {
		t.Fatalf("verify: code %d, stdout %q, stderr %q", code, out, stderr)
	}
}
