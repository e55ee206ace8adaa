package pgstore

import (
	"reflect"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestMigrationDropsActForeignKeys: migration 0012 drops the foreign keys of the court-act
// tables and keeps every row.
func TestMigrationDropsActForeignKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, storetest.PostgresSchema(t), Options{AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	all := s.migrations
	s.migrations = all[:11] // the schema with the foreign keys
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fks := func() (n int) {
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_constraint WHERE contype = 'f'
			AND conrelid IN ('court_acts'::regclass, 'court_act_debtors'::regclass, 'balance_history'::regclass, 'agreements'::regclass)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := fks(); n != 4 {
		t.Fatalf("%d foreign keys on the court-act tables before 0012; want 4", n)
	}
	for _, q := range []string{
		`INSERT INTO premises (premise_id, updated_at) VALUES ('p1', now())`,
		`INSERT INTO court_acts (act_id, premises_org, premise_id, case_number, kind, pronounced_on, amount, outstanding,
			outstanding_unknown, balance_on, doc_name, doc_path, doc_size, updated_at)
			VALUES ('A1', '', 'p1', '2-1/2024', 'judgment', '2024-02-01', 300, 200, true, '2025-01-31', 'a.pdf', '/a.pdf', 9, now())`,
		`INSERT INTO court_act_debtors (org_guid, act_id, debtor_key, position, last_name) VALUES ('', 'A1', 'k', 0, 'Иванов')`,
		`INSERT INTO balance_history VALUES ('', 'A1', '2025-01-31', 200, true, now())`,
		`INSERT INTO agreements (org_guid, act_id, agreement_number, kind, amount, status, updated_at)
			VALUES ('', 'A1', '7', 'instalment', 100, 'active', now())`,
	} {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.migrations = all
	if res, err := s.Migrate(ctx); err != nil || res.From != 11 || res.To != len(all) {
		t.Fatalf("Migrate = %+v, %v; want from 11 to %d", res, err, len(all))
	}
	if n := fks(); n != 0 {
		t.Errorf("%d foreign keys on the court-act tables after 0012; want none", n)
	}
	got, err := s.CourtActsByPremises(ctx, []string{"p1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.CourtAct{{ID: "A1", PremisesID: "p1", CaseNumber: "2-1/2024", Kind: domain.ActJudgment,
		PronouncedOn: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Amount: 300, Outstanding: 200, OutstandingUnknown: true,
		BalanceOn: time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC), Debtors: []domain.Debtor{{LastName: "Иванов"}},
		Document:   &domain.Document{Name: "a.pdf", Path: "/a.pdf", Size: 9},
		Agreements: []domain.Agreement{{ActID: "A1", Number: "7", Kind: domain.AgreementInstalment, Amount: 100, Status: domain.AgreementActive}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("act after 0012 =\n%+v\nwant\n%+v", got, want)
	}
}

// TestMigrationDecisionBodyJSON: migration 0013 makes the decision body json and keeps every
// decision as it was.
func TestMigrationDecisionBodyJSON(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, storetest.PostgresSchema(t), Options{AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	all := s.migrations
	s.migrations = all[:12] // the schema with jsonb
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	bodyType := func() (typ string) {
		if err := s.pool.QueryRow(ctx, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute
			WHERE attrelid = 'decisions'::regclass AND attname = 'body'`).Scan(&typ); err != nil {
			t.Fatal(err)
		}
		return typ
	}
	if typ := bodyType(); typ != "jsonb" {
		t.Fatalf("decision body before 0013: %s; want jsonb", typ)
	}
	sub := domain.SubRequest{GUID: "s1", OrgGUID: "org", ResponseDate: time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC)}
	if _, err := s.UpsertSubRequests(ctx, []domain.SubRequest{sub}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	d1 := domain.Decision{SubRequestGUID: "s1", RuleVersion: "rules/1", DecidedAt: at, PremisesIDs: []string{"p1"},
		MatchMethod: "house_flat", HasDebt: true, Review: true, ReviewReasons: []string{"partial overlap"},
		DebtInfo:    []domain.DebtInfo{{Person: domain.Person{LastName: "Иванов", SNILS: "11223344595"}}},
		Description: "долг подтвержден"}
	d2 := d1
	d2.HasDebt, d2.DebtInfo, d2.Review, d2.ReviewReasons, d2.DecidedAt = false, nil, false, nil, at.Add(time.Hour)
	for _, d := range []struct {
		d  domain.Decision
		to domain.State
	}{{d1, domain.StateReview}, {d2, domain.StateReady}} {
		if err := s.SaveDecision(ctx, d.d, d.to); err != nil {
			t.Fatal(err)
		}
	}
	s.migrations = all
	if res, err := s.Migrate(ctx); err != nil || res.From != 12 || res.To != len(all) {
		t.Fatalf("Migrate = %+v, %v; want from 12 to %d", res, err, len(all))
	}
	if typ := bodyType(); typ != "json" {
		t.Errorf("decision body after 0013: %s; want json", typ)
	}
	hist, err := s.DecisionHistory(ctx, "s1")
	if err != nil || !reflect.DeepEqual(hist, []domain.Decision{d1, d2}) {
		t.Fatalf("history after 0013 = %+v, %v\nwant %+v", hist, err, []domain.Decision{d1, d2})
	}
}
