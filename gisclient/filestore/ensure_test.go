package filestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gisgw/gisgw/gisclient/filestore"
	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/sqlitestore"
)

// TestEnsureUploadsOnce: the court act's document is uploaded once; its AttachmentGUID and
// hash go to the store, and the next Ensure with the stored document sends nothing.
func TestEnsureUploadsOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "gisgw.db"), sqlitestore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	path := writeFile(t, t.TempDir(), "order.pdf", content(filestore.PartSize+10, 42))
	if _, err := st.ImportPremises(ctx, "", []domain.Premises{{ID: "P1", Address: "г. Москва, ул. Ленина, д. 1, кв. 1"}}); err != nil {
		t.Fatal(err)
	}
	act := domain.CourtAct{ID: "A1", PremisesID: "P1", CaseNumber: "2-1/2024", Kind: domain.ActCourtOrder,
		Debtors:  []domain.Debtor{{LastName: "Иванов", FirstName: "Иван"}},
		Document: &domain.Document{Name: "Судебный приказ.pdf", Path: path, Size: filestore.PartSize + 10}}
	if _, err := st.ImportCourtActs(ctx, "", []domain.CourtAct{act}); err != nil {
		t.Fatal(err)
	}
	sim, srv := newSim(t, gissim.Options{})
	c := newClient(t, srv)
	stored := func() filestore.Document {
		t.Helper()
		acts, err := st.CourtActsByPremises(ctx, []string{"P1"})
		if err != nil || len(acts) != 1 || acts[0].Document == nil {
			t.Fatalf("CourtActsByPremises = %+v, %v", acts, err)
		}
		d := acts[0].Document
		return filestore.Document{Name: d.Name, Path: d.Path, Hash: d.Hash, AttachmentGUID: d.AttachmentGUID}
	}
	record := func(ctx context.Context, hash, guid string) error {
		return st.SetDocumentAttachment(ctx, "", "A1", hash, guid)
	}

	first, err := c.Ensure(ctx, stored(), record)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := sim.FileHash(first.AttachmentGUID); !ok || got != first.Hash {
		t.Fatalf("simulator holds %q (%v) for %s; want hash %s", got, ok, first.AttachmentGUID, first.Hash)
	}
	doc := stored()
	if doc.AttachmentGUID != first.AttachmentGUID || doc.Hash != first.Hash {
		t.Fatalf("store holds %+v; want the upload %+v", doc, first)
	}
	second, err := c.Ensure(ctx, doc, func(context.Context, string, string) error {
		t.Error("record called for a document already uploaded")
		return nil
	})
	if err != nil || second != doc {
		t.Fatalf("second Ensure = %+v, %v; want %+v unchanged", second, err, doc)
	}
	if fs := sim.Stats().FileStore; fs.Files != 1 || fs.Started != 1 || fs.Parts != 2 {
		t.Fatalf("simulator stats %+v; want exactly one upload (2 parts)", fs)
	}
}
