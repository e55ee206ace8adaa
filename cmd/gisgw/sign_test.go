package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var xadesTestdata = filepath.Join("..", "..", "soap", "xades", "testdata")

func runCLIStdin(t *testing.T, stdin []byte, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &cliEnv{stdin: bytes.NewReader(stdin), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestSignAndVerifyCommands(t *testing.T) {
	// Not parallel: one case sets an environment variable.
	key := filepath.Join(xadesTestdata, "test-gost256.key")
	encKey := filepath.Join(xadesTestdata, "test-gost256-encrypted.key")
	cert := filepath.Join(xadesTestdata, "test-gost256.crt")
	otherCert := filepath.Join(xadesTestdata, "other-gost256.crt")
	envelope, err := os.ReadFile(filepath.Join(xadesTestdata, "envelope.xml"))
	if err != nil {
		t.Fatal(err)
	}

	code, signed, stderr := runCLIStdin(t, envelope, "sign", "--sign-key", key, "--sign-cert", cert)
	if code != 0 || !strings.Contains(signed, `base:version="14.0.0.0"><ds:Signature `) {
		t.Fatalf("sign: code %d, stderr %q, stdout %.300q", code, stderr, signed)
	}
	code, out, stderr := runCLIStdin(t, []byte(signed), "verify")
	for _, want := range []string{"OK\n", "gostr34102012-gostr34112012-256", "signed Id:    signed-data-container", "CN=gisgw test signer", "OGRN=1027700000000", "validity:", "(valid now)"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("verify: code %d, stdout %q, stderr %q; want %q", code, out, stderr, want)
		}
	}
	if code, out, _ := runCLIStdin(t, []byte(signed), "verify", "--trust", cert); code != 0 || !strings.HasPrefix(out, "OK") {
		t.Fatalf("verify --trust own certificate: code %d, %q", code, out)
	}

	t.Setenv("GISGW_TEST_KEY_PASSWORD", "test-password")
	code, signed2, stderr := runCLIStdin(t, envelope, "sign", "--key", encKey, "--cert", cert, "--password-env", "GISGW_TEST_KEY_PASSWORD", "--inclusive-c14n")
	if code != 0 || !strings.Contains(signed2, "REC-xml-c14n-20010315") {
		t.Fatalf("sign with an encrypted key: code %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLIStdin(t, []byte(signed2), "verify"); code != 0 {
		t.Fatalf("verify inclusive: code %d, stderr %q", code, stderr)
	}

	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"verify a changed document", strings.Replace(signed, "Тестов", "Петров", 1), []string{"verify"}, "digest mismatch"},
		{"verify with another trusted certificate", signed, []string{"verify", "--trust", otherCert}, "not trusted"},
		{"verify an unsigned document", string(envelope), []string{"verify"}, "no ds:Signature"},
		{"verify a DOCTYPE", `<!DOCTYPE x><x/>`, []string{"verify"}, "document type declarations"},
		{"sign without --sign-cert", string(envelope), []string{"sign", "--sign-key", key}, "--sign-key and --sign-cert are required"},
		{"sign an absent Id", string(envelope), []string{"sign", "--key", key, "--cert", cert, "--id", "nope"}, `no element has that Id: Id="nope"`},
		{"sign with the wrong certificate", string(envelope), []string{"sign", "--key", key, "--cert", otherCert}, "does not match the certificate"},
		{"the mismatch names the files", string(envelope), []string{"sign", "--sign-key", key, "--sign-cert", otherCert}, "certificate " + otherCert},
		{"encrypted key without password", string(envelope), []string{"sign", "--key", encKey, "--cert", cert}, "give its password"},
		{"password variable unset", string(envelope), []string{"sign", "--key", encKey, "--cert", cert, "--password-env", "GISGW_TEST_UNSET_VARIABLE"}, "is not set"},
		{"sign a signed document", signed, []string{"sign", "--key", key, "--cert", cert}, "already signed"},
	}
	for _, tc := range tests {
		code, _, stderr := runCLIStdin(t, []byte(tc.stdin), tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: code %d, stderr %q; want %q", tc.name, code, stderr, tc.want)
		}
	}
	// A failed verification still names the certificate.
	if _, _, stderr := runCLIStdin(t, []byte(strings.Replace(signed, "Тестов", "Петров", 1)), "verify"); !strings.Contains(stderr, "CN=gisgw test signer") {
		t.Errorf("failed verify does not show the certificate: %q", stderr)
	}
	// -h prints the usage on stdout, like every command, and signs nothing.
	if code, out, _ := runCLIStdin(t, nil, "sign", "-h"); code != 0 || !strings.HasPrefix(out, "Usage: gisgw sign") || strings.Contains(out, "<ds:Signature") {
		t.Errorf("sign -h: code %d, stdout %q", code, out)
	}
}

// TestVerifyCommandRefusesWrapping replays soap/xades/testdata/wrapped: signatures that
// verify over an element the receiver does not read (moved to the header, beside or inside
// an unsigned body), duplicated Ids and references that do not name exactly one element.
// Only valid.xml passes.
func TestVerifyCommandRefusesWrapping(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(xadesTestdata, "wrapped", "*.xml"))
	if err != nil || len(files) < 10 {
		t.Fatalf("wrapped variants: %d files, %v", len(files), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runCLIStdin(t, doc, "verify")
			if name == "valid" {
				if code != 0 || !strings.HasPrefix(out, "OK\n") || !strings.Contains(out, "signed body:  {http://dom.gosuslugi.ru/schema/integration/drs/}importDSRResponsesRequest") {
					t.Fatalf("valid message: code %d, stdout %q, stderr %q", code, out, stderr)
				}
				return
			}
			if code != 1 || strings.Contains(out, "OK") || !strings.Contains(stderr, "signature structure not accepted") {
				t.Fatalf("wrapped message accepted or refused for another reason: code %d, stdout %q, stderr %q", code, out, stderr)
			}
		})
	}
}
