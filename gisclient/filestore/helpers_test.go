package filestore_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// needOpenSSL skips when openssl with the GOST engine is missing, and fails instead under CI.
func needOpenSSL(t testing.TB) {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err == nil {
		err = exec.Command(path, "engine", "gost", "-t").Run()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("openssl with the GOST engine is required in CI (%v); run `make deps`", err)
		}
		t.Skipf("openssl with the GOST engine not available: %v", err)
	}
}

// opensslGOST94 is the independent oracle: `openssl dgst -engine gost -md_gost94 -r FILE`.
func opensslGOST94(t testing.TB, path string) string {
	t.Helper()
	cmd := exec.Command("openssl", "dgst", "-engine", "gost", "-md_gost94", "-r", path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("openssl dgst: %v\n%s", err, errb.String())
	}
	sum, _, ok := strings.Cut(strings.TrimSpace(out.String()), " ")
	if !ok || len(sum) != 64 {
		t.Fatalf("openssl dgst printed %q", out.String())
	}
	return sum
}

// content is n reproducible pseudo-random bytes.
func content(n int, seed byte) []byte {
	var s [32]byte
	s[0] = seed
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
