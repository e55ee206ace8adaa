package importer

import (
	"path/filepath"
	"testing"
)

// TestCourtActFilesRelativeToDocumentsDir: with DocumentsDir a court-act file inside that
// folder is recorded relative to it, so the store works where the folder is mounted
// elsewhere (a container); without it the path stays absolute.
func TestCourtActFilesRelativeToDocumentsDir(t *testing.T) {
	t.Parallel()
	docs, err := filepath.Abs(examples(""))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, want string
	}{
		{"inside documents_dir", docs, filepath.Join("docs", "act-A-001.pdf")},
		{"documents_dir is the file's own folder", filepath.Join(docs, "docs"), "act-A-001.pdf"},
		{"outside documents_dir", t.TempDir(), filepath.Join(docs, "docs", "act-A-001.pdf")},
		{"no documents_dir", "", filepath.Join(docs, "docs", "act-A-001.pdf")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newSQLite(t)
			mustImportExamplePremises(t, st)
			if _, err := ImportCourtActs(t.Context(), st, examples("court-acts.csv"), Options{DocumentsDir: tc.dir}); err != nil {
				t.Fatal(err)
			}
			acts, err := st.CourtActsByPremises(t.Context(), []string{"P-001"})
			if err != nil || len(acts) != 1 || acts[0].Document == nil {
				t.Fatalf("acts at P-001 = %+v, %v", acts, err)
			}
			if got := acts[0].Document.Path; got != tc.want {
				t.Errorf("recorded path = %q, want %q", got, tc.want)
			}
		})
	}
}
