package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandGroupAlone: "gisgw import" (a group without its sub-command) lists the
// sub-commands on stderr and exits 2, instead of "unknown command".
func TestCommandGroupAlone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"import"}, []string{"import premises", "import court-acts", "import agreements"}},
		{[]string{"review"}, []string{"review list", "review show", "review decide"}},
		{[]string{"gis"}, []string{"gis export", "gis state"}},
		{[]string{"report"}, []string{"report deadlines"}},
		{[]string{"calendar"}, []string{"calendar due"}},
		{[]string{"import", "flats"}, []string{`unknown sub-command "flats"`, "import premises"}},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != 2 || stdout != "" {
			t.Errorf("gisgw %s: code %d, stdout %q; want 2 and nothing on stdout", strings.Join(tc.args, " "), code, stdout)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("gisgw %s: stderr %q lacks %q", strings.Join(tc.args, " "), stderr, w)
			}
		}
	}
	if code, _, stderr := runCLI(t, "nosuch"); code != 2 || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("unknown command: code %d, stderr %q", code, stderr)
	}
}

// TestConfigEverywhere: migrate, import and report take the store from --config, and --db
// overrides the file's db.
func TestConfigEverywhere(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "gisgw.db")
	cfg := filepath.Join(dir, "gisgw.yaml")
	if err := os.WriteFile(cfg, []byte("db: "+db+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	examples := filepath.Join("..", "..", "testdata", "import")
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "--config", cfg}, "migrated from version 0 to"},
		{[]string{"import", "premises", filepath.Join(examples, "premises.csv"), "--config", cfg}, "4 premises: 4 inserted"},
		{[]string{"report", "deadlines", "--config", cfg, "--today", "2026-03-16"}, "Всего"},
	}
	for _, s := range steps {
		code, stdout, stderr := runCLI(t, s.args...)
		if code != 0 || !strings.Contains(stdout+stderr, s.want) {
			t.Fatalf("gisgw %s: code %d, stdout %q, stderr %q; want %q", strings.Join(s.args, " "), code, stdout, stderr, s.want)
		}
	}
	other := filepath.Join(dir, "other.db")
	if code, _, stderr := runCLI(t, "migrate", "--config", cfg, "--db", other); code != 0 {
		t.Fatalf("migrate --config --db: code %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("--db did not override the config's db: %v", err)
	}
}

// TestReadOnlyCommandsCreateNoStore: a typo in the path is an error naming it; nothing is
// created. A missing folder is named as such.
func TestReadOnlyCommandsCreateNoStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	typo := filepath.Join(dir, "gisgw-typo.db")
	for _, args := range [][]string{
		{"report", "deadlines", "--db", typo},
		{"review", "list", "--db", typo},
		{"review", "show", "9a5e0000-0000-4000-8000-000000000001", "--db", typo},
		{"import", "premises", filepath.Join("..", "..", "testdata", "import", "premises.csv"), "--db", typo},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 1 || !strings.Contains(stderr, typo+" does not exist") {
			t.Errorf("gisgw %s: code %d, stderr %q; want the path named", strings.Join(args, " "), code, stderr)
		}
		if _, err := os.Stat(typo); err == nil {
			t.Fatalf("gisgw %s created %s", strings.Join(args, " "), typo)
		}
	}
	nodir := filepath.Join(dir, "no-such-folder", "gisgw.db")
	if code, _, stderr := runCLI(t, "migrate", "--db", nodir); code != 1 || !strings.Contains(stderr, "the folder "+filepath.Dir(nodir)+" does not exist") {
		t.Errorf("migrate into a missing folder: code %d, stderr %q", code, stderr)
	}
}

func TestReportFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format, out, want, err string
	}{
		{"", "", "table", ""},
		{"csv", "", "csv", ""},
		{"", "r.CSV", "csv", ""},
		{"", "r.txt", "table", ""},
		{"", "r.htm", "html", ""},
		{"xlsx", "r.xlsx", "xlsx", ""},
		{"", "report", "table", ""},
		{"", "r.pdf", "", "not .pdf"},
		{"table", "r.pdf", "", "not .pdf"},
		{"csv", "r.xlsx", "", "name the file r.csv or drop --format"},
		{"table", "r.csv", "", "name the file r.txt"},
		{"pdf", "", "", `--format "pdf"`},
	}
	for _, tc := range tests {
		got, err := reportFormat(tc.format, tc.out)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("reportFormat(%q, %q) = %q, %v; want %q, %q", tc.format, tc.out, got, err, tc.want, tc.err)
		}
	}
}

func TestSelfCommand(t *testing.T) {
	t.Parallel()
	for arg0, want := range map[string]string{
		"/tmp/go-build3312/b001/exe/gisgw": "go run ./cmd/gisgw",
		"./bin/gisgw":                      "./bin/gisgw",
		"gisgw":                            "gisgw",
		"/usr/local/bin/gisgw":             "/usr/local/bin/gisgw",
	} {
		if got := selfCommand(arg0); got != want {
			t.Errorf("selfCommand(%q) = %q; want %q", arg0, got, want)
		}
	}
}

// TestTLSAndSigningFlagNames: --tls-cert/--tls-key are the TLS pair (the old --cert/--key
// still mean it in gis), --sign-key/--sign-cert the signing pair in run; errors name the file.
func TestTLSAndSigningFlagNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "tls-client.pem"), filepath.Join(dir, "tls-client.key")
	for _, pair := range [][2]string{{"--tls-cert", "--tls-key"}, {"--cert", "--key"}} {
		code, _, stderr := runCLI(t, "gis", "state", "--endpoint", "http://127.0.0.1:1", "--org", gisTestOrg,
			pair[0], cert, pair[1], key, "9a5e0000-0000-4000-8000-000000000001")
		if code != 1 || !strings.Contains(stderr, "load client certificate "+cert+" with key "+key) {
			t.Errorf("gis state %s %s: code %d, stderr %q; want the files named", pair[0], pair[1], code, stderr)
		}
	}
	code, stdout, _ := runCLI(t, "run", "--print-config", "--sign-key", "/etc/gisgw/sign.key", "--sign-cert", "/etc/gisgw/sign.crt", "--db", filepath.Join(dir, "x.db"))
	if code != 0 || !strings.Contains(stdout, "/etc/gisgw/sign.key") || !strings.Contains(stdout, "/etc/gisgw/sign.crt") {
		t.Errorf("run --sign-key/--sign-cert: code %d, config:\n%s", code, stdout)
	}
}
