package sqlitestore

import (
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestActInsertLiterals: the bulk inserts write the organization (quoted into the statement),
// the import time and empty optional texts as the row-by-row binding did, whatever the
// order of the acts in the input.
func TestActInsertLiterals(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := testStore(t, Options{})
	const org = "O'Reilly'); DROP TABLE court_acts; --"
	if _, err := s.ImportPremises(ctx, org, []domain.Premises{{ID: "p1", HouseGUID: "h", Flat: "1", Address: "a"}}); err != nil {
		t.Fatal(err)
	}
	on := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	act := func(id string) domain.CourtAct {
		return domain.CourtAct{ID: id, PremisesID: "p1", Kind: domain.ActCourtOrder, PronouncedOn: on, BalanceOn: on,
			Amount: 100, Outstanding: 50, Debtors: []domain.Debtor{{LastName: "Иванов"}}}
	}
	if _, err := s.ImportCourtActs(ctx, org, []domain.CourtAct{act("B"), act("A"), act("C")}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM court_acts WHERE org_guid = ? AND premises_org = ? AND case_number = '' AND doc_name = ''
			AND doc_attachment_guid = '' AND updated_at = ? AND pronounced_on = '2024-02-01' AND effective_on IS NULL)
		+ (SELECT count(*) FROM court_act_debtors WHERE org_guid = ? AND last_name = 'Иванов' AND first_name = ''
			AND snils = '' AND doc_number = '')
		+ (SELECT count(*) FROM balance_history WHERE org_guid = ? AND balance_on = '2024-02-01' AND recorded_at = ?)`,
		org, org, stamp(storetest.Start()), org, org, stamp(storetest.Start())).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 9 {
		t.Fatalf("rows as expected = %d, want 9 (3 acts, 3 debtors, 3 balances)", n)
	}
}
