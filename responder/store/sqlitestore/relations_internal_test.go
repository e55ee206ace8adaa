package sqlitestore

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestActRelations: no write of the store leaves a court-act row without its parent, and
// the count below finds one written by hand.
func TestActRelations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := testStore(t, Options{})
	orphans := func(t *testing.T) (n int) {
		t.Helper()
		if err := s.r.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM court_acts a WHERE NOT EXISTS (SELECT 1 FROM premises p
				WHERE p.org_guid = a.premises_org AND p.premise_id = a.premise_id))
			+ (SELECT count(*) FROM court_act_debtors c WHERE NOT EXISTS (SELECT 1 FROM court_acts a
				WHERE a.org_guid = c.org_guid AND a.act_id = c.act_id))
			+ (SELECT count(*) FROM balance_history c WHERE NOT EXISTS (SELECT 1 FROM court_acts a
				WHERE a.org_guid = c.org_guid AND a.act_id = c.act_id))
			+ (SELECT count(*) FROM agreements c WHERE NOT EXISTS (SELECT 1 FROM court_acts a
				WHERE a.org_guid = c.org_guid AND a.act_id = c.act_id))`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	storetest.RunActRelations(t, s, orphans)
	if _, err := s.w.ExecContext(ctx, `INSERT INTO court_act_debtors (org_guid, act_id, debtor_key, position) VALUES ('', 'gone', 'k', 0)`); err != nil {
		t.Fatal(err)
	}
	if n := orphans(t); n != 1 {
		t.Fatalf("orphans = %d with one debtor of an unknown act; want 1", n)
	}
}

// TestMigrationDropsActForeignKeys: migration 0012 rebuilds the court-act tables without
// their foreign keys and keeps every row and the acts' premises index.
func TestMigrationDropsActForeignKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	all := s.migrations
	s.migrations = all[:11] // the schema with the foreign keys
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO premises (premise_id, updated_at) VALUES ('p1', '2025-01-01')`,
		`INSERT INTO court_acts (act_id, premises_org, premise_id, case_number, kind, pronounced_on, amount, outstanding,
			outstanding_unknown, balance_on, doc_name, doc_path, doc_size, updated_at)
			VALUES ('A1', '', 'p1', '2-1/2024', 'judgment', '2024-02-01', 300, 200, 1, '2025-01-31', 'a.pdf', '/a.pdf', 9, '2025-01-01')`,
		`INSERT INTO court_act_debtors (org_guid, act_id, debtor_key, position, last_name) VALUES ('', 'A1', 'k', 0, 'Иванов')`,
		`INSERT INTO balance_history VALUES ('', 'A1', '2025-01-31', 200, 1, '2025-01-01')`,
		`INSERT INTO agreements (org_guid, act_id, agreement_number, kind, amount, status, updated_at)
			VALUES ('', 'A1', '7', 'instalment', 100, 'active', '2025-01-01')`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.migrations = all
	if res, err := s.Migrate(ctx); err != nil || res.From != 11 || res.To != len(all) {
		t.Fatalf("Migrate = %+v, %v; want from 11 to %d", res, err, len(all))
	}
	for _, table := range []string{"court_acts", "court_act_debtors", "balance_history", "agreements"} {
		var n int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_list(?)`, table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s has %d foreign keys after 0012 (%v); want none", table, n, err)
		}
	}
	var idx string
	if err := s.r.QueryRowContext(ctx, `SELECT name FROM pragma_index_list('court_acts') WHERE name = 'court_acts_premises'`).Scan(&idx); err != nil {
		t.Errorf("court_acts_premises after 0012: %v", err)
	}
	got, err := s.CourtActsByPremises(ctx, []string{"p1"})
	if err != nil {
		t.Fatal(err)
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2025, m, d, 0, 0, 0, 0, time.UTC) }
	want := []domain.CourtAct{{ID: "A1", PremisesID: "p1", CaseNumber: "2-1/2024", Kind: domain.ActJudgment,
		PronouncedOn: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Amount: 300, Outstanding: 200, OutstandingUnknown: true,
		BalanceOn: day(1, 31), Debtors: []domain.Debtor{{LastName: "Иванов"}},
		Document:   &domain.Document{Name: "a.pdf", Path: "/a.pdf", Size: 9},
		Agreements: []domain.Agreement{{ActID: "A1", Number: "7", Kind: domain.AgreementInstalment, Amount: 100, Status: domain.AgreementActive}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("act after 0012 =\n%+v\nwant\n%+v", got, want)
	}
	var history int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM balance_history WHERE act_id = 'A1' AND outstanding = 200`).Scan(&history); err != nil || history != 1 {
		t.Fatalf("balance history rows of A1 after 0012 = %d, %v; want 1", history, err)
	}
}
