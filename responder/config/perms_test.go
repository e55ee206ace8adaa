package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/config"
)

func TestPermissionProblems(t *testing.T) {
	t.Parallel()
	const withSecret = "db: x.db\ndashboard:\n  token: t0ken-t0ken-t0ken-t0ken-t0ken\n"
	const noSecret = "db: x.db\n"
	cases := []struct {
		name      string
		cfg       string
		cfgMode   os.FileMode
		keyMode   os.FileMode
		wantFiles []string // base names named by a problem
	}{
		{"all private", withSecret, 0o600, 0o600, nil},
		{"key 0644", noSecret, 0o600, 0o644, []string{"key.pem"}},
		{"key 0640", noSecret, 0o600, 0o640, []string{"key.pem"}},
		{"config with a secret 0644", withSecret, 0o644, 0o600, []string{"gisgw.yaml"}},
		{"config with a DSN password 0644", "db: postgres://u:p4ss@db/gisgw\n", 0o644, 0o400, []string{"gisgw.yaml"}},
		{"config without secrets 0644", noSecret, 0o644, 0o600, nil},
		{"both", withSecret, 0o644, 0o644, []string{"gisgw.yaml", "key.pem"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfgPath, keyPath := filepath.Join(dir, "gisgw.yaml"), filepath.Join(dir, "key.pem")
			write(t, cfgPath, tc.cfg, tc.cfgMode)
			write(t, keyPath, "-----BEGIN PRIVATE KEY-----\n", tc.keyMode)
			c, err := config.Load(cfgPath, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.Signing.Key = keyPath
			c.GIS.ClientKey = filepath.Join(dir, "missing.key") // not there: not this check's business
			problems, err := config.PermissionProblems(cfgPath, c)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, filepath.Base(p.File))
				if s := p.String(); !strings.Contains(s, "chmod 600 "+p.File) || !strings.Contains(s, p.File+" is readable by group or others") {
					t.Errorf("the problem does not name the file and the fix: %s", s)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.wantFiles, ",") {
				t.Errorf("problems with %v, want %v", got, tc.wantFiles)
			}
		})
	}
}

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}
