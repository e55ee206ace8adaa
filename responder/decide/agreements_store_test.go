package decide_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/importer"
	"github.com/gisgw/gisgw/responder/match"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storeopen"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestAgreementThroughTheStore imports the example premises, court acts and agreements
// (testdata/import) into a real SQLite file and PostgreSQL, matches a sub-request for flat 1
// and decides it: the answer is "debt" and its description names the agreement
// (LEGAL-RULES §10.6).
func TestAgreementThroughTheStore(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "testdata", "import")
	open := func(t *testing.T, dsn string) store.Store {
		ctx := context.Background()
		s, err := storeopen.Open(ctx, dsn, storeopen.WithAutoMigrate())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if _, err := importer.ImportPremises(ctx, s, filepath.Join(dir, "premises.csv"), importer.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := importer.ImportCourtActs(ctx, s, filepath.Join(dir, "court-acts.csv"), importer.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := importer.ImportAgreements(ctx, s, filepath.Join(dir, "agreements.csv"), importer.Options{}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	backends := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"sqlite", func(t *testing.T) store.Store { return open(t, filepath.Join(t.TempDir(), "s.db")) }},
		{"postgres", func(t *testing.T) store.Store { return open(t, storetest.PostgresSchema(t)) }},
	}
	// Sent on 10.01.2025: the three years from 10.01.2022 hold act A-001's debt months
	// 2022-01..2023-06 whole.
	sent := time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC)
	today := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	const want = "По судебному акту № 2-1234/2024 заключено соглашение о погашении задолженности № 15 от 01.12.2024 " +
		"(действует, график платежей до 30.11.2025), оплачено 12\u00a0000,00\u00a0₽ из 40\u00a0000,00\u00a0₽."
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := be.open(t)
			sr := domain.SubRequest{GUID: "sr-1", HouseGUID: "a3f0c7e2-4b1d-4c5e-9f6a-1b2c3d4e5f60", AddressDetails: "кв. 1", SentDate: sent}
			m, err := match.Match(ctx, st, sr)
			if err != nil {
				t.Fatal(err)
			}
			acts, err := st.CourtActsByPremises(ctx, m.PremisesIDs())
			if err != nil {
				t.Fatal(err)
			}
			d := decide.Decide(sr, m, acts, today)
			if !d.HasDebt || d.Review || len(d.DebtInfo) != 2 {
				t.Fatalf("decision: hasDebt %v, review %v %v, %d debtors; want debt for the act's two debtors, no review",
					d.HasDebt, d.Review, d.ReviewReasons, len(d.DebtInfo))
			}
			if d.Description != want {
				t.Errorf("description =\n%q\nwant\n%q", d.Description, want)
			}
			if len(d.Evidence) != 1 || !strings.Contains(d.Evidence[0].Reason, "соглашение о погашении задолженности № 15 от 01.12.2024 (действует") {
				t.Errorf("evidence %+v does not list the agreement", d.Evidence)
			}
			if d.RuleVersion != "2026.4" {
				t.Errorf("rule version %q; want 2026.4", d.RuleVersion)
			}
		})
	}
}
