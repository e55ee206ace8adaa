package pgstore

import (
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// TestRawRowsAreScans: premises and court acts read from their raw values (rawRow) are what
// rows.Scan reads, for acts with and without debtors, dates, a document; every row of the
// extended protocol takes the raw path, and rows in text format (the simple protocol) fall
// back to Scan with the same result.
func TestRawRowsAreScans(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, storetest.PostgresSchema(t), Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	const org = "org-1"
	ps := []domain.Premises{
		{ID: "P1", HMObjectGUID: "hm1", HouseGUID: "h", FIASHouseGUID: "f", Flat: "12", Room: "", Address: "ул. Ёлочная, д. 1, кв. 12", AccountNumber: "77"},
		{ID: "P2", HouseGUID: "h", Flat: "кв. 13а"},
	}
	if _, err := s.ImportPremises(ctx, org, ps); err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	acts := []domain.CourtAct{
		{ID: "A1", PremisesID: "P1", CaseNumber: "2-1/2024", Kind: domain.ActCourtOrder, PronouncedOn: day(2024, 2, 1),
			EffectiveOn: day(2024, 3, 5), DebtFrom: day(1999, 12, 1), DebtTo: day(2023, 6, 30), Amount: 123456, Outstanding: -5,
			BalanceOn: day(2025, 1, 31), CancelledOn: day(2026, 1, 1),
			Debtors: []domain.Debtor{{LastName: "Иванов", FirstName: "Иван", MiddleName: "И", SNILS: "12345678901", DocType: "21", DocSeries: "4500", DocNumber: "1"},
				{LastName: "Иванова", FirstName: "Мария"}},
			Document: &domain.Document{Name: "a.pdf", Path: "docs/a.pdf", Size: 1 << 40}},
		{ID: "A2", PremisesID: "P2", Kind: domain.ActJudgment, OutstandingUnknown: true},
	}
	if _, err := s.ImportCourtActs(ctx, org, acts); err != nil {
		t.Fatal(err)
	}
	read := func(mode pgx.QueryExecMode) ([]domain.Premises, []domain.CourtAct, int) {
		rows, err := s.pool.Query(ctx, `SELECT `+premisesCols+` FROM premises ORDER BY premise_id`, mode)
		if err != nil {
			t.Fatal(err)
		}
		gotPs, err := scanPremises(rows)
		if err != nil {
			t.Fatal(err)
		}
		const q = `SELECT ` + actCols + `, ` + debtorCols + ` FROM court_acts a
			LEFT JOIN court_act_debtors d ON d.org_guid = a.org_guid AND d.act_id = a.act_id
			ORDER BY a.act_id, d.position`
		rows, err = s.pool.Query(ctx, q, mode)
		if err != nil {
			t.Fatal(err)
		}
		fast := 0
		var raw rawRow
		for rows.Next() {
			var r actRowProbe
			if raw.act(rows, &r.ActRow, &r.d, &r.has) {
				fast++
			}
		}
		rows.Close()
		if rows, err = s.pool.Query(ctx, q, mode); err != nil {
			t.Fatal(err)
		}
		got, err := scanActs(rows)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]domain.CourtAct, len(got))
		for i, r := range got {
			out[i] = r.Act
		}
		return gotPs, out, fast
	}
	psRaw, actsRaw, fast := read(pgx.QueryExecModeCacheStatement)
	if fast != 3 {
		t.Errorf("%d of 3 act rows read raw in the extended protocol", fast)
	}
	psScan, actsScan, fast := read(pgx.QueryExecModeSimpleProtocol)
	if fast != 0 {
		t.Errorf("%d act rows in text format read raw", fast)
	}
	if !reflect.DeepEqual(psRaw, psScan) || len(psRaw) != 2 || psRaw[0].Address != ps[0].Address {
		t.Errorf("premises read raw:\n%+v\nscanned:\n%+v", psRaw, psScan)
	}
	if !reflect.DeepEqual(actsRaw, actsScan) || len(actsRaw) != 2 || len(actsRaw[0].Debtors) != 2 || actsRaw[1].Debtors != nil {
		t.Errorf("acts read raw:\n%+v\nscanned:\n%+v", actsRaw, actsScan)
	}
	if a := actsRaw[0]; !a.DebtFrom.Equal(day(1999, 12, 1)) || a.Outstanding != -5 || a.Document == nil || a.Document.Size != 1<<40 {
		t.Errorf("act A1 read raw as %+v", a)
	}
}

type actRowProbe struct {
	storecore.ActRow
	d   domain.Debtor
	has bool
}
