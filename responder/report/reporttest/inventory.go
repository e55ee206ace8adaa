package reporttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storeopen"
)

// The inventory seed: two imports of OrgA's court acts a month apart (15.10.2026 and
// 16.11.2026, the files giving no balance date except A3's 10.11.2026) and sub-requests
// sent in October and November 2026. By act (amounts in roubles):
//
//	A1 кв. 1  Иванов (SNILS)              in force 01.03.2025, debt 01–12.2024, 30 000 left; active agreement
//	A2 кв. 1  иванов (no SNILS), Иванова  in force 01.02.2024, debt 06–11.2023, 12 000 left; leaves the window 01.12.2026
//	A3 кв. 2  Петров                      25 000 left in October; 0 as of 10.11.2026 (repaid)
//	A4 кв. 3  Сидоров                     15 000 left; cancelled 05.11.2026 (second file)
//	A5 кв. 4  Кузнецов                    awarded 9 000, 8 000 left; in force 20.11.2026 (second file)
//	A6 кв. 2  Петров (no SNILS)           in force 2022, debt 2021 (over three years), 5 000 left; fulfilled agreement
//	A7 кв. 3  Сидоров                     balance not given (neither paid nor unpaid)
//
// Sub-requests: I-5 sent 20.10 answered "debt"; I-1 sent 02.11 answered "debt" and I-2 sent
// 02.11 answered "no debt", both on 06.11 before the deadline 10.11; I-3 sent 03.11 answered
// by GIS automatically; I-4 sent 05.11 still new.
const InventoryOrg = OrgA

// InventoryGUID is the subrequestGUID of inventory sub-request I-n.
func InventoryGUID(n int) string { return fmt.Sprintf("1ee1ee00-0000-4000-8000-%012d", n) }

// InventoryMonth is the month the inventory fixture is checked for (November 2026).
var InventoryMonth = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// OpenInventory opens a fresh migrated store at dsn and seeds it as listed above.
func OpenInventory(t testing.TB, dsn string) store.Store {
	t.Helper()
	now := time.Date(2026, 10, 15, 7, 0, 0, 0, time.UTC)
	st, err := storeopen.Open(context.Background(), dsn, storeopen.WithAutoMigrate(), storeopen.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("inventory seed: %s: %v", what, err)
		}
	}
	var ps []domain.Premises
	for i := 1; i <= 4; i++ {
		ps = append(ps, domain.Premises{OrgGUID: InventoryOrg, ID: fmt.Sprintf("P%d", i), HouseGUID: "b1b1b1b1-0000-4000-8000-000000000001",
			Flat: fmt.Sprint(i), Address: fmt.Sprintf("г. Москва, ул. Ленина, д. 1, кв. %d", i)})
	}
	_, err = st.ImportPremises(ctx, InventoryOrg, ps)
	must("premises", err)

	person := func(last, first, middle, snils string) domain.Debtor {
		return domain.Debtor{LastName: last, FirstName: first, MiddleName: middle, SNILS: snils}
	}
	act := func(id, premises string, eff, from, to time.Time, amount, left domain.Money, ds ...domain.Debtor) domain.CourtAct {
		return domain.CourtAct{OrgGUID: InventoryOrg, ID: id, PremisesID: premises, CaseNumber: "2-" + id, Kind: domain.ActCourtOrder,
			PronouncedOn: eff.AddDate(0, 0, -10), EffectiveOn: eff, DebtFrom: from, DebtTo: to, Amount: amount, Outstanding: left, Debtors: ds}
	}
	a1 := act("A1", "P1", day(2025, 3, 1), day(2024, 1, 1), day(2024, 12, 31), 5000000, 3000000, person("Иванов", "Иван", "Иванович", "11223344595"))
	a2 := act("A2", "P1", day(2024, 2, 1), day(2023, 6, 1), day(2023, 11, 30), 2000000, 1200000,
		person("иванов ", "Иван", "Иванович", ""), person("Иванова", "Мария", "Петровна", ""))
	a3 := act("A3", "P2", day(2025, 5, 1), day(2025, 1, 1), day(2025, 6, 30), 4000000, 2500000, person("Петров", "Пётр", "Петрович", ""))
	a4 := act("A4", "P3", day(2025, 1, 10), day(2024, 3, 1), day(2024, 8, 31), 1500000, 1500000, person("Сидоров", "Сидор", "Сидорович", ""))
	a5 := act("A5", "P4", time.Time{}, day(2026, 1, 1), day(2026, 6, 30), 900000, 800000, person("Кузнецов", "Кузьма", "Кузьмич", ""))
	a6 := act("A6", "P2", day(2022, 1, 1), day(2021, 1, 1), day(2021, 12, 31), 700000, 500000, person("Петров", "Пётр", "Петрович", ""))
	a7 := act("A7", "P3", day(2025, 1, 1), day(2024, 1, 1), day(2024, 6, 30), 300000, 0, person("Сидоров", "Сидор", "Сидорович", ""))
	a7.OutstandingUnknown = true
	_, err = st.ImportCourtActs(ctx, InventoryOrg, []domain.CourtAct{a1, a2, a3, a4, a5, a6, a7})
	must("first court acts import", err)
	_, err = st.ImportAgreements(ctx, InventoryOrg, []domain.Agreement{
		{OrgGUID: InventoryOrg, ActID: "A1", Number: "С-1", Date: day(2026, 6, 1), Kind: domain.AgreementRepayment, Amount: 3000000, Status: domain.AgreementActive},
		{OrgGUID: InventoryOrg, ActID: "A6", Number: "С-2", Date: day(2025, 6, 1), Kind: domain.AgreementRepayment, Amount: 500000, Status: domain.AgreementFulfilled},
	})
	must("agreements", err)

	sub := func(n int, sent, deadline time.Time) domain.SubRequest {
		return domain.SubRequest{GUID: InventoryGUID(n), OrgGUID: InventoryOrg, RequestGUID: fmt.Sprintf("4e4e4e4e-0000-4000-8000-1000000000%02d", n),
			RequestNumber: fmt.Sprintf("I-%d", n), RequesterGUID: "7a7a7a7a-0000-4000-8000-000000000001", RequesterName: "УСЗН",
			HouseGUID: "b1b1b1b1-0000-4000-8000-000000000001", AddressDetails: "кв. 1", Address: "г. Москва, ул. Ленина, д. 1, кв. 1",
			SentDate: sent, ResponseDate: deadline, ResponseStatus: "NotSent"}
	}
	answer := func(msg string, debt map[int]bool) {
		t.Helper()
		for n, d := range debt {
			p := Proposal(n, d)
			p.SubRequestGUID = InventoryGUID(n)
			must("decide", st.SaveDecision(ctx, p, domain.StateReady))
		}
		ds, err := st.ClaimReady(ctx, InventoryOrg, "seed", 100, time.Hour)
		must("claim", err)
		m := message(msg, ds)
		must("create message", st.CreateMessage(ctx, "seed", m, time.Hour))
		must("ack", st.MarkMessageAcked(ctx, m.ID, "aaaaaaaa-0000-4000-8000-0000000000"+msg[len(msg)-2:]))
		var outs []domain.Outcome
		for _, a := range m.Actions {
			outs = append(outs, domain.Outcome{TransportGUID: a.TransportGUID, SubRequestGUID: a.SubRequestGUID, State: domain.StateAnswered})
		}
		must("finish message", st.FinishMessage(ctx, m.ID, outs))
	}
	_, err = st.UpsertSubRequests(ctx, []domain.SubRequest{sub(5, day(2026, 10, 13), day(2026, 10, 20))})
	must("upsert October", err)
	answer("inv-01", map[int]bool{5: true})

	now = time.Date(2026, 11, 6, 9, 0, 0, 0, time.UTC)
	_, err = st.UpsertSubRequests(ctx, []domain.SubRequest{
		sub(1, day(2026, 11, 2), day(2026, 11, 10)), sub(2, day(2026, 11, 2), day(2026, 11, 10)),
		sub(3, day(2026, 11, 3), day(2026, 11, 11)), sub(4, day(2026, 11, 5), day(2026, 11, 13)),
	})
	must("upsert November", err)
	answer("inv-02", map[int]bool{1: true, 2: false})
	must("auto-answer I-3", st.SetState(ctx, InventoryGUID(3), domain.StateNew, domain.StateAutoAnswered, "", "GIS answered automatically"))

	// The second file, a month after the first: A3 repaid as of 10.11, A4 cancelled, A5 in force.
	now = time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC)
	a3.Outstanding, a3.BalanceOn = 0, day(2026, 11, 10)
	a4.CancelledOn = day(2026, 11, 5)
	a5.EffectiveOn = day(2026, 11, 20)
	_, err = st.ImportCourtActs(ctx, InventoryOrg, []domain.CourtAct{a1, a2, a3, a4, a5, a6, a7})
	must("second court acts import", err)
	return st
}
