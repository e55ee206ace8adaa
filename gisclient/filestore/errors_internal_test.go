package filestore

import (
	"net/http"
	"strings"
	"testing"
)

func TestParseUploadError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"HashConflictException", "HashConflictException"},
		{"  INT002029 ", "INT002029"},
		{"ru.lanit.hcs.filestore.FileNotFoundException", "FileNotFoundException"},
		{"FieldValidationException: X-Upload-Filename", "FieldValidationException"},
		{"InvalidSizeException; limit 5242880", "InvalidSizeException"},
		{"", ""},
		{"Ошибка", ""},
	} {
		if got := parseUploadError(tc.in); got != tc.want {
			t.Errorf("parseUploadError(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestEveryCodeExplained: each documented code gets its own explanation, and only the
// passing ones are transient.
func TestEveryCodeExplained(t *testing.T) {
	t.Parallel()
	transient := map[string]bool{"INT002029": true, "FileVirusNotCheckedException": true}
	codes := []string{"FieldValidationException", "FileNotFoundException", "InvalidStatusException", "InvalidSizeException",
		"FileVirusInfectionException", "FileVirusNotCheckedException", "FilePermissionException", "DataProviderValidationException",
		"CertificateValidationException", "HashConflictException", "InvalidPartNumberException", "ContextNotFoundException",
		"ExtensionException", "DetectionException", "INT002029"}
	seen := map[string]string{}
	for _, code := range codes {
		e := responseError("upload a.pdf", http.StatusInternalServerError, http.Header{"X-Upload-Error": {code}}, "")
		if e.Code != code || e.Transient != transient[code] || len(e.Message) < 30 || strings.Contains(e.Message, "undocumented") {
			t.Errorf("%s: %+v", code, e)
		}
		if other, dup := seen[e.Message]; dup {
			t.Errorf("%s and %s share the message %q", code, other, e.Message)
		}
		seen[e.Message] = code
	}
	e := responseError("upload", 500, http.Header{"X-Upload-Error": {"NewException"}}, "")
	if !e.Transient || !strings.Contains(e.Message, "NewException") {
		t.Errorf("unknown code on HTTP 500: %+v", e)
	}
}

// FuzzParseUploadError: any header value parses without panicking to a short printable code
// that contains no separator.
func FuzzParseUploadError(f *testing.F) {
	for _, s := range []string{"HashConflictException", "a.b.C: d", " ", "INT002029;x", "\x00\xff", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		code := parseUploadError(v)
		if len(code) > 100 || strings.ContainsAny(code, ":; \t,.") {
			t.Fatalf("parseUploadError(%q) = %q", v, code)
		}
		for i := 0; i < len(code); i++ {
			if code[i] < 0x21 || code[i] > 0x7e {
				t.Fatalf("parseUploadError(%q) = %q: not printable ASCII", v, code)
			}
		}
		e := responseError("op", 400, http.Header{"X-Upload-Error": {v}}, "")
		if strings.TrimSpace(v) != "" && (e.Code == "" || e.Message == "") {
			t.Fatalf("responseError for %q = %+v", v, e)
		}
	})
}
