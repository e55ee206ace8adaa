package config_test

import (
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/config"
)

func TestDocumentPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dir, path, want string
	}{
		{"/documents", "act-1.pdf", "/documents/act-1.pdf"},
		{"/documents", "2024/act-1.pdf", "/documents/2024/act-1.pdf"},
		{"/documents", "/srv/acts/act-1.pdf", "/srv/acts/act-1.pdf"},
		{"", "act-1.pdf", "act-1.pdf"},
		{"/documents", "", ""},
	} {
		if got := (config.Config{DocumentsDir: tc.dir}).DocumentPath(tc.path); got != tc.want {
			t.Errorf("DocumentPath(%q) with documents_dir %q = %q, want %q", tc.path, tc.dir, got, tc.want)
		}
	}
}

func TestDocumentsDirFromFileAndEnv(t *testing.T) {
	t.Parallel()
	c, err := config.Parse(strings.NewReader("documents_dir: /srv/gisgw/documents\n"))
	if err != nil || c.DocumentsDir != "/srv/gisgw/documents" {
		t.Fatalf("documents_dir from the file = %q, %v", c.DocumentsDir, err)
	}
	if err := c.ApplyEnv([]string{"GISGW_DOCUMENTS_DIR=/documents"}); err != nil || c.DocumentsDir != "/documents" {
		t.Fatalf("GISGW_DOCUMENTS_DIR = %q, %v", c.DocumentsDir, err)
	}
	c.DocumentsDir = "documents"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "documents_dir") {
		t.Fatalf("relative documents_dir: %v; want an error naming documents_dir", err)
	}
}
