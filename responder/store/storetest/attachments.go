package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// testDocumentAttachment: SetDocumentAttachment records hash and AttachmentGUID on the act's
// document of that organization only, refuses acts without a document and bad arguments, is
// audited, and what it wrote survives a re-import of the unchanged file.
func testDocumentAttachment(t *testing.T, b *bundle) {
	const (
		org   = "5a5a5a5a-1111-4111-8111-000000000001"
		hash  = "981e5f3ca30c841487830f84fb433e13ac1101569b9c13584ac483234cd656c0"
		guid1 = "c0ffee00-0000-4000-8000-000000000011"
		guid2 = "c0ffee00-0000-4000-8000-000000000012"
	)
	mustImportPremises(t, b, "", premises("1", ""))
	mustImportPremises(t, b, org, premises("2", org))
	noDoc := act("A2", "1", debtor("Петров", ""))
	noDoc.Document = nil
	mustImportActs(t, b, "", act("A1", "1", debtor("Иванов", "")), noDoc)
	mustImportActs(t, b, org, act("A1", "2", debtor("Сидоров", "")))

	if h, g, err := b.st.DocumentAttachment(b.ctx, "", "A1"); err != nil || h != "" || g != "" {
		t.Fatalf("DocumentAttachment before upload = %q, %q, %v; want empty", h, g, err)
	}
	if err := b.st.SetDocumentAttachment(b.ctx, "", "A1", hash, guid1); err != nil {
		t.Fatalf("SetDocumentAttachment: %v", err)
	}
	if h, g, err := b.st.DocumentAttachment(b.ctx, "", "A1"); err != nil || h != hash || g != guid1 {
		t.Fatalf("DocumentAttachment = %q, %q, %v; want %s, %s", h, g, err, hash, guid1)
	}
	if _, _, err := b.st.DocumentAttachment(b.ctx, "", "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DocumentAttachment of an unknown act: %v; want ErrNotFound", err)
	}
	docOf := func(premisesID string) domain.Document {
		t.Helper()
		acts := actsAt(t, b, premisesID)
		for _, a := range acts {
			if a.ID == "A1" && a.Document != nil {
				return *a.Document
			}
		}
		t.Fatalf("act A1 at premises %s has no document: %+v", premisesID, acts)
		return domain.Document{}
	}
	if got := docOf("1"); got.Hash != hash || got.AttachmentGUID != guid1 || got.Size != 2048 || got.Path == "" {
		t.Fatalf("document after SetDocumentAttachment = %+v; want hash %s and attachment %s, the rest kept", got, hash, guid1)
	}
	if got := docOf("2"); got.Hash != "" || got.AttachmentGUID != "" {
		t.Fatalf("the act of another organization changed: %+v", got)
	}

	for _, tc := range []struct {
		name, org, act, hash, guid string
		notFound                   bool
	}{
		{"unknown act", "", "A9", hash, guid2, true},
		{"act of another organization", "6b6b6b6b-1111-4111-8111-000000000002", "A1", hash, guid2, true},
		{"act without a document", "", "A2", hash, guid2, true},
		{"empty act id", "", "", hash, guid2, false},
		{"short hash", "", "A1", "abc123", guid2, false},
		{"uppercase hash", "", "A1", strings.ToUpper(hash), guid2, false},
		{"empty attachment GUID", "", "A1", hash, "", false},
	} {
		err := b.st.SetDocumentAttachment(b.ctx, tc.org, tc.act, tc.hash, tc.guid)
		if err == nil || errors.Is(err, domain.ErrNotFound) != tc.notFound {
			t.Errorf("%s: err = %v; want an error (ErrNotFound: %v)", tc.name, err, tc.notFound)
		}
	}
	if got := docOf("1"); got.AttachmentGUID != guid1 {
		t.Fatalf("a refused call changed the document: %+v", got)
	}

	// The other organization's act gets its own attachment.
	if err := b.st.SetDocumentAttachment(b.ctx, org, "A1", hash, guid2); err != nil {
		t.Fatalf("SetDocumentAttachment for %s: %v", org, err)
	}
	if a, b2 := docOf("1"), docOf("2"); a.AttachmentGUID != guid1 || b2.AttachmentGUID != guid2 {
		t.Fatalf("attachments = %s, %s; want %s, %s", a.AttachmentGUID, b2.AttachmentGUID, guid1, guid2)
	}

	// Re-importing the unchanged file keeps the upload.
	noDoc2 := act("A2", "1", debtor("Петров", ""))
	noDoc2.Document = nil
	if got, want := mustImportActs(t, b, "", act("A1", "1", debtor("Иванов", "")), noDoc2), (store.ImportStats{Unchanged: 2}); got != want {
		t.Fatalf("re-import = %+v; want %+v", got, want)
	}
	if got := docOf("1"); got.Hash != hash || got.AttachmentGUID != guid1 {
		t.Fatalf("document after re-import = %+v; want the upload kept", got)
	}

	entries, err := b.st.Audit(b.ctx, "")
	if err != nil {
		t.Fatalf("Audit: %v", err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == "document uploaded" && strings.Contains(e.Detail, guid1) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d audit entries for attachment %s; want 1: %+v", n, guid1, entries)
	}
}
