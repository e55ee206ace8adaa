// Package reporttest seeds a store with sub-requests in every state for the tests of the
// deadline report and of the commands that read it. Test-only: it fails the test on error.
package reporttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// Organizations of the seed.
const (
	OrgA = "0a0a0a0a-0000-4000-8000-00000000000a"
	OrgB = "0b0b0b0b-0000-4000-8000-00000000000b"
)

// Today is the day the seed is meant to be reported on: Monday 16 March 2026 (9 March was
// a day off: 8 March fell on a Sunday).
var Today = time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)

// Clock is the store time the seed writes with (answers are accepted at this time).
var Clock = time.Date(2026, 3, 12, 11, 30, 0, 0, time.UTC)

// GUID is the subrequestGUID of seeded sub-request n.
func GUID(n int) string { return fmt.Sprintf("5eb5eb00-0000-4000-8000-%012d", n) }

func date(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

// The seed, by sub-request number (deadlines in 2026):
//
//	 1 new            16.03  (due today)
//	 2 review         17.03  proposal: debt, one debtor, reason "address"
//	 3 ready          18.03
//	 4 sending        20.03  in an unfinished message
//	 5 new            13.03  overdue
//	 6 review         06.03  overdue; proposal: no debt, no debtors
//	 7 failed         11.03  GIS error SRV006001
//	 8 answered       12.03  debt, one debtor
//	 9 answered       19.03  no debt
//	10 auto_answered  05.03
//	11 answered       20.01  (closed long ago)
//	12 new            24.03  of OrgB
//	13 new            no deadline
//	14 review         19.03  without a proposal
const Count = 14

// Debtor is the one debtor of the seeded debt proposals.
var Debtor = domain.Person{LastName: "Иванов", FirstName: "Иван", MiddleName: "Иванович", SNILS: "11223344595", DocType: "1", DocSeries: "4510", DocNumber: "123456"}

// ReviewReason is the review reason of proposal 2.
const ReviewReason = "address: помещение найдено только по строке адреса"

// Seed fills st (opened with storeopen.WithClock(func() time.Time { return Clock })) as listed
// above.
func Seed(t testing.TB, st store.Store) {
	t.Helper()
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %s: %v", what, err)
		}
	}
	deadlines := map[int]time.Time{
		1: date(3, 16), 2: date(3, 17), 3: date(3, 18), 4: date(3, 20), 5: date(3, 13), 6: date(3, 6),
		7: date(3, 11), 8: date(3, 12), 9: date(3, 19), 10: date(3, 5), 11: date(1, 20), 12: date(3, 24),
		13: {}, 14: date(3, 19),
	}
	var subs []domain.SubRequest
	for n := 1; n <= Count; n++ {
		org := OrgA
		if n == 12 {
			org = OrgB
		}
		dl := deadlines[n]
		sent := dl.AddDate(0, 0, -7)
		if dl.IsZero() {
			sent = date(3, 10)
		}
		subs = append(subs, domain.SubRequest{
			GUID: GUID(n), OrgGUID: org, RequestGUID: fmt.Sprintf("4e4e4e4e-0000-4000-8000-%012d", n),
			RequestNumber: fmt.Sprintf("R-%d", n), RequesterGUID: "7a7a7a7a-0000-4000-8000-000000000001",
			RequesterName: "УСЗН района Хамовники", HouseGUID: "b1b1b1b1-0000-4000-8000-000000000001",
			AddressDetails: fmt.Sprintf("кв. %d", n), Address: fmt.Sprintf("г. Москва, ул. Ленина, д. 1, кв. %d", n),
			PeriodFrom: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), PeriodTo: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
			SentDate: sent, ResponseDate: dl, ResponseStatus: "NotSent",
		})
	}
	_, err := st.UpsertSubRequests(ctx, subs)
	must("upsert", err)

	// Through GIS: 7 failed, 8 and 9 answered (one message), 4 still sending (another).
	for _, n := range []int{7, 8, 9} {
		d := Proposal(n, n == 7 || n == 8)
		must("decide", st.SaveDecision(ctx, d, domain.StateReady))
	}
	ds, err := st.ClaimReady(ctx, OrgA, "seed", 100, time.Hour)
	must("claim", err)
	m := message("m-1", ds)
	must("create message", st.CreateMessage(ctx, "seed", m, time.Hour))
	must("ack", st.MarkMessageAcked(ctx, m.ID, "aaaaaaaa-0000-4000-8000-000000000001"))
	var outs []domain.Outcome
	for _, a := range m.Actions {
		o := domain.Outcome{TransportGUID: a.TransportGUID, SubRequestGUID: a.SubRequestGUID, State: domain.StateAnswered}
		if a.SubRequestGUID == GUID(7) {
			o.State, o.ErrorCode, o.ErrorText = domain.StateFailed, "SRV006001", "Подзапрос уже обработан"
		}
		outs = append(outs, o)
	}
	must("finish message", st.FinishMessage(ctx, m.ID, outs))

	must("decide 4", st.SaveDecision(ctx, Proposal(4, false), domain.StateReady))
	ds, err = st.ClaimReady(ctx, OrgA, "seed", 100, time.Hour)
	must("claim 4", err)
	must("create message 2", st.CreateMessage(ctx, "seed", message("m-2", ds), time.Hour))

	must("decide 3", st.SaveDecision(ctx, Proposal(3, true), domain.StateReady))
	p2 := Proposal(2, true)
	p2.Review, p2.ReviewReasons = true, []string{ReviewReason}
	must("decide 2", st.SaveDecision(ctx, p2, domain.StateReview))
	p6 := Proposal(6, false)
	p6.Review, p6.ReviewReasons = true, []string{"no_acts: по помещению нет судебных актов"}
	p6.Notes = []string{"срок ГИС 06.03.2026 не совпадает с расчётным"}
	must("decide 6", st.SaveDecision(ctx, p6, domain.StateReview))
	must("review 14", st.SetState(ctx, GUID(14), domain.StateNew, domain.StateReview, "", "no premises matched"))
	must("auto-answer 10", st.SetState(ctx, GUID(10), domain.StateNew, domain.StateAutoAnswered, "", "GIS answered automatically"))
	must("answer 11", st.SetState(ctx, GUID(11), domain.StateNew, domain.StateAnswered, "", "answered by hand in GIS"))
}

// Proposal is the seed's decision for sub-request n: debt for Debtor, or no debt.
func Proposal(n int, debt bool) domain.Decision {
	d := domain.Decision{
		SubRequestGUID: GUID(n), RuleVersion: "rules/test", PremisesIDs: []string{fmt.Sprintf("P-%03d", n)},
		MatchMethod: "house_flat", HasDebt: debt,
		Evidence: []domain.Evidence{{ActID: "A-2", Counted: false, Reason: "отменён 01.02.2026"}},
	}
	if debt {
		d.DebtInfo = []domain.DebtInfo{{Person: Debtor, Documents: []domain.Document{{Name: "prikaz-2-123.pdf", Path: "/data/prikaz.pdf", Size: 10, Hash: "ff", AttachmentGUID: "a-1"}}}}
		d.Evidence = append(d.Evidence, domain.Evidence{ActID: "A-1", Counted: true, Reason: "вступил в силу, не оплачен, период совпадает"})
		d.Description = "задолженность подтверждена судебным приказом"
	}
	return d
}

func message(id string, ds []domain.Decision) domain.Message {
	m := domain.Message{ID: id, OrgGUID: OrgA, Status: domain.MessagePending}
	for i, d := range ds {
		m.Actions = append(m.Actions, domain.Action{TransportGUID: fmt.Sprintf("%s-t%d", id, i), SubRequestGUID: d.SubRequestGUID,
			Kind: domain.ActionSend, Decision: d})
	}
	return m
}

// Open opens a fresh migrated SQLite store at path with the seed's clock and seeds it.
func Open(t testing.TB, dsn string) store.Store {
	t.Helper()
	st, err := storeopen.Open(context.Background(), dsn, storeopen.WithAutoMigrate(), storeopen.WithClock(func() time.Time { return Clock }))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	Seed(t, st)
	return st
}

// SeedFile creates a seeded SQLite database at path and closes it, for command tests.
func SeedFile(t testing.TB, path string) {
	t.Helper()
	st, err := storeopen.Open(context.Background(), path, storeopen.WithAutoMigrate(), storeopen.WithClock(func() time.Time { return Clock }))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	Seed(t, st)
	if err := st.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
}
