package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrintConfigShowsNoSecret: --print-config on a file with every kind of secret (DSN
// password, URL user-info, webhook path and query, Secret settings) shows none of them.
func TestPrintConfigShowsNoSecret(t *testing.T) {
	t.Setenv("GISGW_CONFIG", "") // the flag's default must not come from the environment
	path := filepath.Join(t.TempDir(), "gisgw.yaml")
	yaml := `db: postgres://gisgw:dbp4ss@db.local:5432/gisgw?sslmode=disable
gis:
  endpoint: https://sit:sitp4ss@sit01.example.org:10081
  basic_user: sit
  basic_password: basicp4ss
signing:
  key_password: keyp4ss
organizations:
  - org_ppa_guid: 6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f
    executor_guid: 0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d
dashboard:
  token: dashtok3n
  users: {officer: officerp4ss}
  url: https://me:urlp4ss@gisgw.example.org
alerts:
  webhook: https://hooks.example.org/services/T0B1Xyz?key=k3yVal
  smtp: {addr: "smtp:25", password: smtpp4ss}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "run", "--config", path, "--print-config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"dbp4ss", "sitp4ss", "basicp4ss", "keyp4ss", "dashtok3n", "officerp4ss", "urlp4ss", "T0B1Xyz", "k3yVal", "smtpp4ss"} {
		if strings.Contains(out+errOut, s) {
			t.Errorf("--print-config shows %q:\n%s", s, out)
		}
	}
	if n := strings.Count(out, "[redacted]"); n < 10 {
		t.Errorf("%d redactions, want one for each of the 10 secrets:\n%s", n, out)
	}
}

// TestErrorsRedactDSN: a failing command's error message hides a DSN password.
func TestErrorsRedactDSN(t *testing.T) {
	t.Parallel()
	code, _, errOut := runCLI(t, "migrate", "--db", "postgres://gisgw:dbp4ss@127.0.0.1:1/gisgw?connect_timeout=2")
	if code == 0 {
		t.Fatal("migrate against a closed port succeeded")
	}
	if strings.Contains(errOut, "dbp4ss") {
		t.Errorf("the error shows the password: %s", errOut)
	}
}

// TestStrictPermissions: a 0644 signing key and a 0644 configuration with a secret give a
// warning naming each file and the fix at start, and an error with --strict-permissions;
// 0600 files give neither.
func TestStrictPermissions(t *testing.T) {
	t.Setenv("GISGW_CONFIG", "")
	for _, tc := range []struct {
		name   string
		mode   os.FileMode
		strict bool
	}{
		{"0644 warns", 0o644, false},
		{"0644 strict refuses", 0o644, true},
		{"0600 quiet", 0o600, false},
		{"0600 strict starts", 0o600, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			key, cfg := filepath.Join(dir, "key.pem"), filepath.Join(dir, "gisgw.yaml")
			// Not a key: the start fails right after the permission check, at loading it.
			writeMode(t, key, "not a key\n", tc.mode)
			writeMode(t, cfg, `db: `+filepath.Join(dir, "gisgw.db")+`
gis: {endpoint: "http://127.0.0.1:1"}
signing: {key: `+key+`, cert: `+key+`}
dashboard: {token: dashtok3n-dashtok3n-dashtok3n}
log: {format: text}
organizations:
  - org_ppa_guid: 6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f
    executor_guid: 0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d
`, tc.mode)
			args := []string{"run", "--config", cfg, "--once"}
			if tc.strict {
				args = append(args, "--strict-permissions")
			}
			code, _, errOut := runCLI(t, args...)
			if code == 0 {
				t.Fatalf("started with a key that is not one:\n%s", errOut)
			}
			named := strings.Contains(errOut, "chmod 600 "+key) && strings.Contains(errOut, "chmod 600 "+cfg)
			refused := strings.Contains(errOut, "--strict-permissions:")
			switch {
			case tc.mode == 0o600 && (strings.Contains(errOut, "chmod 600") || refused):
				t.Errorf("private files reported:\n%s", errOut)
			case tc.mode == 0o644 && !named:
				t.Errorf("the key and the configuration are not both named with the fix:\n%s", errOut)
			case tc.mode == 0o644 && tc.strict != refused:
				t.Errorf("strict %v, refused %v:\n%s", tc.strict, refused, errOut)
			case tc.mode == 0o644 && !tc.strict && !strings.Contains(errOut, "readable by group or others"):
				t.Errorf("no warning:\n%s", errOut)
			}
		})
	}
}

func writeMode(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}
