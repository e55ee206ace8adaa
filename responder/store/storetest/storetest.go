// Package storetest is the conformance suite every store.Store implementation must pass. The
// PostgreSQL and SQLite packages run it from their tests against real databases.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// Factory opens a new, empty, migrated store that uses now as its clock. The factory
// registers the store's cleanup with t; the suite closes the store itself as well.
type Factory func(t *testing.T, now func() time.Time) store.Store

// Clock is a settable test clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock returns a clock stopped at t.
func newClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Start is the suite's starting time; the odd sub-second part checks timestamp precision.
func Start() time.Time { return time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC) }

type bundle struct {
	ctx   context.Context
	st    store.Store
	clock *Clock
}

func setup(t *testing.T, f Factory) *bundle {
	t.Helper()
	clock := newClock(Start())
	st := f(t, clock.Now)
	t.Cleanup(func() { _ = st.Close() })
	return &bundle{ctx: t.Context(), st: st, clock: clock}
}

// Run runs the conformance suite.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b *bundle)
	}{
		{"Schema", testSchema},
		{"CheckWritable", testCheckWritable},
		{"ImportPremises", testImportPremises},
		{"ImportPremisesRejectsDuplicates", testImportPremisesDuplicates},
		{"PremisesLookups", testPremisesLookups},
		{"ImportCourtActs", testImportCourtActs},
		{"ImportCourtActsBalanceDate", testImportCourtActsBalanceDate},
		{"ImportCourtActsUnknownBalance", testImportCourtActsUnknownBalance},
		{"ImportCourtActsMissingPremises", testImportCourtActsMissingPremises},
		{"ImportCourtActsKeepsUpload", testImportCourtActsKeepsUpload},
		{"ImportCourtActsOrgPremises", testImportCourtActsOrgPremises},
		{"ImportCourtActsLarge", testImportCourtActsLarge},
		{"MissingPremises", testMissingPremises},
		{"UpsertSubRequests", testUpsertSubRequests},
		{"UpsertResponseStatus", testUpsertResponseStatus},
		{"PullAfterOwnAnswer", testPullAfterOwnAnswer},
		{"ListSubRequests", testListSubRequests},
		{"SubRequestStatuses", testSubRequestStatuses},
		{"Decisions", testDecisions},
		{"Review", testReview},
		{"SetState", testSetState},
		{"SetStateRace", testSetStateRace},
		{"NotFound", testNotFound},
		{"DocumentAttachment", testDocumentAttachment},
	}
	tests = append(tests, chunkTests...)
	tests = append(tests, pipelineTests...)
	tests = append(tests, alertTests...)
	tests = append(tests, batchTests...)
	tests = append(tests, agreementTests...)
	tests = append(tests, correctionTests...)
	tests = append(tests, inventoryTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, setup(t, f))
		})
	}
}

// RunStale checks the stale-schema rules on a store opened with store.WithStaleSchema on an
// empty database: every method refuses with ErrStaleSchema until Migrate runs.
func RunStale(t *testing.T, st store.Store) {
	ctx := t.Context()
	cur, latest, err := st.SchemaVersion(ctx)
	if err != nil || cur != 0 || latest < 1 {
		t.Fatalf("SchemaVersion on an empty database = %d, %d, %v; want 0, ≥1, nil", cur, latest, err)
	}
	_, err = st.ImportPremises(ctx, "", []domain.Premises{premises("p1", "")})
	if !errors.Is(err, store.ErrStaleSchema) || !strings.Contains(err.Error(), "gisgw migrate --db") {
		t.Fatalf("ImportPremises on a stale schema: err = %v; want ErrStaleSchema telling to run gisgw migrate", err)
	}
	if _, err := st.GetSubRequest(ctx, "x"); !errors.Is(err, store.ErrStaleSchema) {
		t.Fatalf("GetSubRequest on a stale schema: err = %v; want ErrStaleSchema", err)
	}
	res, err := st.Migrate(ctx)
	if err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if res.From != 0 || res.To != latest || len(res.Applied) != latest {
		t.Fatalf("Migrate = %+v; want 0→%d with %d applied", res, latest, latest)
	}
	if _, err := st.ImportPremises(ctx, "", []domain.Premises{premises("p1", "")}); err != nil {
		t.Fatalf("ImportPremises after Migrate: %v", err)
	}
}

// testCheckWritable: a fresh store takes writes, again and again (the check reuses its space).
func testCheckWritable(t *testing.T, b *bundle) {
	for i := range 3 {
		if err := b.st.CheckWritable(b.ctx); err != nil {
			t.Fatalf("CheckWritable #%d: %v", i+1, err)
		}
	}
	if a, err := b.st.Audit(b.ctx, ""); err != nil || len(a) != 0 {
		t.Fatalf("audit after write checks = %+v, %v; want nothing (a check is not an event)", a, err)
	}
}

func testSchema(t *testing.T, b *bundle) {
	cur, latest, err := b.st.SchemaVersion(b.ctx)
	if err != nil || cur != latest || latest < 1 {
		t.Fatalf("SchemaVersion = %d, %d, %v; want equal and ≥1", cur, latest, err)
	}
	res, err := b.st.Migrate(b.ctx)
	if err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if res.From != latest || res.To != latest || len(res.Applied) != 0 {
		t.Fatalf("second Migrate = %+v; want nothing applied at %d", res, latest)
	}
}

const (
	orgA   = "6f1c7c4e-0c1e-4a57-9a3e-2d6a2b8f0a01"
	orgB   = "6f1c7c4e-0c1e-4a57-9a3e-2d6a2b8f0b02"
	house1 = "0a0a0a0a-1111-4111-8111-000000000001"
	fias1  = "0b0b0b0b-2222-4222-8222-000000000001"
	house2 = "0a0a0a0a-1111-4111-8111-000000000002"
)

func hmGUID(n int) string { return fmt.Sprintf("9e9e9e9e-3333-4333-8333-%012d", n) }

func premises(id, org string) domain.Premises {
	return domain.Premises{OrgGUID: org, ID: id, HouseGUID: house1, FIASHouseGUID: fias1, Flat: id,
		Address: "г. Москва, ул. Ленина, д. 1, кв. " + id, AccountNumber: "LS-" + id}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func mustImportPremises(t *testing.T, b *bundle, org string, ps ...domain.Premises) store.ImportStats {
	t.Helper()
	st, err := b.st.ImportPremises(b.ctx, org, ps)
	if err != nil {
		t.Fatalf("ImportPremises: %v", err)
	}
	return st
}

func testImportPremises(t *testing.T, b *bundle) {
	p1, p2 := premises("1", ""), premises("2", "")
	p2.HMObjectGUID = hmGUID(2)
	if got, want := mustImportPremises(t, b, "", p1, p2), (store.ImportStats{Inserted: 2}); got != want {
		t.Fatalf("first import = %+v; want %+v", got, want)
	}
	audit1, err := b.st.Audit(b.ctx, "")
	if err != nil || len(audit1) != 1 || audit1[0].Action != "import premises" || audit1[0].Actor != "import" {
		t.Fatalf("audit after import = %+v, %v; want one import entry", audit1, err)
	}
	if !audit1[0].At.Equal(Start().Truncate(time.Microsecond)) {
		t.Errorf("audit time = %v; want the store clock %v", audit1[0].At, Start())
	}
	if got, want := mustImportPremises(t, b, "", p1, p2), (store.ImportStats{Unchanged: 2}); got != want {
		t.Fatalf("re-import = %+v; want %+v", got, want)
	}
	if audit2, _ := b.st.Audit(b.ctx, ""); len(audit2) != 1 {
		t.Fatalf("a re-import that changed nothing wrote audit entries: %+v", audit2)
	}
	p2.Flat, p2.Address = "2a", "г. Москва, ул. Ленина, д. 1, кв. 2а"
	p3 := premises("3", "")
	if got, want := mustImportPremises(t, b, "", p1, p2, p3), (store.ImportStats{Inserted: 1, Updated: 1, Unchanged: 1}); got != want {
		t.Fatalf("update import = %+v; want %+v", got, want)
	}
	got, err := b.st.PremisesByHouse(b.ctx, "", house1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []domain.Premises{p1, p2, p3}; !reflect.DeepEqual(got, want) {
		t.Fatalf("PremisesByHouse = %+v\nwant %+v", got, want)
	}
	byKey, err := b.st.PremisesByAddressKey(b.ctx, "", domain.AddressKey("Москва, Ленина ул., дом 1, квартира 2а"))
	if err != nil || len(byKey) != 1 || byKey[0].ID != "2" {
		t.Fatalf("PremisesByAddressKey after the address changed = %+v, %v; want premises 2", byKey, err)
	}
}

func testImportPremisesDuplicates(t *testing.T, b *bundle) {
	_, err := b.st.ImportPremises(b.ctx, "", []domain.Premises{premises("1", ""), premises("2", ""), premises("1", "")})
	if err == nil || !strings.Contains(err.Error(), `"1"`) {
		t.Fatalf("duplicate premise_id: err = %v; want an error naming it", err)
	}
	if _, err := b.st.ImportPremises(b.ctx, "", []domain.Premises{{ID: ""}}); err == nil {
		t.Fatal("empty premise_id accepted")
	}
	if got, _ := b.st.PremisesByHouse(b.ctx, "", house1); len(got) != 0 {
		t.Fatalf("a rejected import left premises behind: %+v", got)
	}
}

func testPremisesLookups(t *testing.T, b *bundle) {
	shared := premises("s1", "")
	shared.HMObjectGUID = hmGUID(1)
	a := premises("a1", orgA)
	a.HMObjectGUID = hmGUID(1)
	bp := premises("b1", orgB)
	bp.HMObjectGUID = hmGUID(1)
	other := premises("o1", "")
	other.HouseGUID, other.FIASHouseGUID, other.Address = "", house2, "Тверь, пр-т Мира, 5"
	noHM := premises("n1", "")
	mustImportPremises(t, b, "", shared, other, noHM)
	mustImportPremises(t, b, orgA, a)
	mustImportPremises(t, b, orgB, bp)

	ids := func(ps []domain.Premises) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.OrgGUID+"/"+p.ID)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name   string
		lookup func() ([]domain.Premises, error)
		want   string
	}{
		{"hm org A sees own and shared", func() ([]domain.Premises, error) { return b.st.PremisesByHMObject(b.ctx, orgA, hmGUID(1)) }, orgA + "/a1,/s1"},
		{"hm org B sees own and shared", func() ([]domain.Premises, error) { return b.st.PremisesByHMObject(b.ctx, orgB, hmGUID(1)) }, orgB + "/b1,/s1"},
		{"hm no org sees shared only", func() ([]domain.Premises, error) { return b.st.PremisesByHMObject(b.ctx, "", hmGUID(1)) }, "/s1"},
		{"hm unknown", func() ([]domain.Premises, error) { return b.st.PremisesByHMObject(b.ctx, "", hmGUID(9)) }, ""},
		{"hm empty matches nothing", func() ([]domain.Premises, error) { return b.st.PremisesByHMObject(b.ctx, "", "") }, ""},
		{"house by GIS GUID", func() ([]domain.Premises, error) { return b.st.PremisesByHouse(b.ctx, "", house1) }, "/n1,/s1"},
		{"house by FIAS GUID", func() ([]domain.Premises, error) { return b.st.PremisesByHouse(b.ctx, "", fias1) }, "/n1,/s1"},
		{"house FIAS only premises", func() ([]domain.Premises, error) { return b.st.PremisesByHouse(b.ctx, orgA, house2) }, "/o1"},
		{"house empty matches nothing", func() ([]domain.Premises, error) { return b.st.PremisesByHouse(b.ctx, "", "") }, ""},
		{"address key", func() ([]domain.Premises, error) {
			return b.st.PremisesByAddressKey(b.ctx, orgB, domain.AddressKey("г.Тверь, проспект Мира, д.5"))
		}, "/o1"},
		{"address key empty", func() ([]domain.Premises, error) { return b.st.PremisesByAddressKey(b.ctx, "", "") }, ""},
	}
	for _, tc := range tests {
		got, err := tc.lookup()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if ids(got) != tc.want {
			t.Errorf("%s = %q; want %q", tc.name, ids(got), tc.want)
		}
	}
}

func act(id, premisesID string, debtors ...domain.Debtor) domain.CourtAct {
	return domain.CourtAct{ID: id, PremisesID: premisesID, CaseNumber: "2-" + id + "/2024", Kind: domain.ActCourtOrder,
		PronouncedOn: date(2024, 2, 1), EffectiveOn: date(2024, 3, 1), DebtFrom: date(2023, 1, 1),
		DebtTo: date(2023, 6, 30), Amount: 1234567, Outstanding: 1000000, BalanceOn: date(2025, 1, 31),
		Debtors:  debtors,
		Document: &domain.Document{Name: "act-" + id + ".pdf", Path: "/data/acts/act-" + id + ".pdf", Size: 2048}}
}

func debtor(last, snils string) domain.Debtor {
	return domain.Debtor{LastName: last, FirstName: "Иван", MiddleName: "Петрович", SNILS: snils,
		DocType: "1", DocSeries: "4510", DocNumber: "123456"}
}

func mustImportActs(t *testing.T, b *bundle, org string, acts ...domain.CourtAct) store.ImportStats {
	t.Helper()
	st, err := b.st.ImportCourtActs(b.ctx, org, acts)
	if err != nil {
		t.Fatalf("ImportCourtActs: %v", err)
	}
	return st
}

func actsAt(t *testing.T, b *bundle, ids ...string) []domain.CourtAct {
	t.Helper()
	got, err := b.st.CourtActsByPremises(b.ctx, ids)
	if err != nil {
		t.Fatalf("CourtActsByPremises: %v", err)
	}
	return got
}

func testImportCourtActs(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("1", ""), premises("2", ""))
	a1 := act("A1", "1", debtor("Иванов", "11223344595"), debtor("Иванова", ""))
	a2 := act("A2", "2", debtor("Петров", ""))
	a2.Kind, a2.EffectiveOn, a2.CancelledOn, a2.Document = domain.ActJudgment, time.Time{}, date(2024, 5, 5), nil
	a3 := act("A3", "1", debtor("Сидоров", ""))
	if got, want := mustImportActs(t, b, "", a1, a2, a3), (store.ImportStats{Inserted: 3}); got != want {
		t.Fatalf("first import = %+v; want %+v", got, want)
	}
	if got, want := actsAt(t, b, "1", "2", "missing"), []domain.CourtAct{a1, a3, a2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("CourtActsByPremises =\n%+v\nwant\n%+v", got, want)
	}
	if got, want := mustImportActs(t, b, "", a1, a2, a3), (store.ImportStats{Unchanged: 3}); got != want {
		t.Fatalf("re-import = %+v; want %+v", got, want)
	}

	// A later file: A1 loses a debtor and changes its balance, A2 changes debtor data, A3 is
	// unchanged, A4 is new.
	a1.Debtors = a1.Debtors[:1]
	a1.Outstanding = 500000
	a2.Debtors[0].DocNumber = "654321"
	a4 := act("A4", "2", debtor("Кузнецов", ""))
	if got, want := mustImportActs(t, b, "", a1, a2, a3, a4), (store.ImportStats{Inserted: 1, Updated: 2, Unchanged: 1}); got != want {
		t.Fatalf("update import = %+v; want %+v", got, want)
	}
	if got, want := actsAt(t, b, "1", "2"), []domain.CourtAct{a1, a3, a2, a4}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after update =\n%+v\nwant\n%+v", got, want)
	}
	// Debtor order follows the input.
	a1.Debtors = []domain.Debtor{debtor("Б", ""), debtor("А", "")}
	mustImportActs(t, b, "", a1)
	if got := actsAt(t, b, "1")[0].Debtors; got[0].LastName != "Б" || got[1].LastName != "А" {
		t.Fatalf("debtor order = %+v; want input order", got)
	}
	// Bad input is refused before anything is written.
	for name, bad := range map[string][]domain.CourtAct{
		"duplicate act":    {act("X1", "1"), act("X1", "1")},
		"duplicate debtor": {act("X2", "1", debtor("Дубль", "11223344595"), debtor("Дубль", "11223344595"))},
		"unknown kind":     {func() domain.CourtAct { a := act("X3", "1"); a.Kind = "appeal"; return a }()},
		"empty id":         {act("", "1")},
	} {
		if _, err := b.st.ImportCourtActs(b.ctx, "", bad); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if got := actsAt(t, b, "1"); len(got) != 2 {
		t.Fatalf("rejected imports changed the acts: %d acts", len(got))
	}
}

func testImportCourtActsBalanceDate(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("1", ""))
	a := act("A1", "1", debtor("Иванов", ""))
	a.BalanceOn = time.Time{}
	mustImportActs(t, b, "", a)
	today := date(2025, 3, 14)
	if got := actsAt(t, b, "1")[0].BalanceOn; !got.Equal(today) {
		t.Fatalf("BalanceOn of an act without it = %v; want the import date %v", got, today)
	}
	b.clock.Advance(72 * time.Hour)
	if got, want := mustImportActs(t, b, "", a), (store.ImportStats{Unchanged: 1}); got != want {
		t.Fatalf("re-import on a later day = %+v; want %+v", got, want)
	}
	if got := actsAt(t, b, "1")[0].BalanceOn; !got.Equal(today) {
		t.Fatalf("BalanceOn moved on an unchanged re-import: %v", got)
	}
	a.Outstanding = 1
	if got, want := mustImportActs(t, b, "", a), (store.ImportStats{Updated: 1}); got != want {
		t.Fatalf("changed balance = %+v; want %+v", got, want)
	}
	if got := actsAt(t, b, "1")[0].BalanceOn; !got.Equal(date(2025, 3, 17)) {
		t.Fatalf("BalanceOn after a balance change = %v; want the new import date", got)
	}
}

// testImportCourtActsUnknownBalance: a blank outstanding amount is stored as unknown, not
// as 0 (a repaid debt), and the flag alone makes a re-import an update, both ways.
func testImportCourtActsUnknownBalance(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("1", ""))
	unknown := act("U1", "1", debtor("Иванов", ""))
	unknown.Outstanding, unknown.OutstandingUnknown = 0, true
	paid := act("Z1", "1", debtor("Петров", ""))
	paid.Outstanding = 0
	mustImportActs(t, b, "", unknown, paid)
	got := actsAt(t, b, "1")
	if len(got) != 2 || !reflect.DeepEqual(got, []domain.CourtAct{unknown, paid}) {
		t.Fatalf("CourtActsByPremises =\n%+v\nwant\n%+v", got, []domain.CourtAct{unknown, paid})
	}
	if !got[0].OutstandingUnknown || got[1].OutstandingUnknown {
		t.Fatalf("unknown flags = %v, %v; want true (blank), false (explicit 0)", got[0].OutstandingUnknown, got[1].OutstandingUnknown)
	}
	if st, want := mustImportActs(t, b, "", unknown, paid), (store.ImportStats{Unchanged: 2}); st != want {
		t.Fatalf("re-import = %+v; want %+v", st, want)
	}
	// The balance becomes known as 0, and the other act's becomes unknown.
	unknown.OutstandingUnknown = false
	paid.OutstandingUnknown = true
	if st, want := mustImportActs(t, b, "", unknown, paid), (store.ImportStats{Updated: 2}); st != want {
		t.Fatalf("import with the flags swapped = %+v; want %+v", st, want)
	}
	if got := actsAt(t, b, "1"); got[0].OutstandingUnknown || !got[1].OutstandingUnknown {
		t.Fatalf("after the update the flags = %v, %v; want false, true", got[0].OutstandingUnknown, got[1].OutstandingUnknown)
	}
}

func testImportCourtActsMissingPremises(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("1", ""))
	mustImportActs(t, b, "", act("A1", "1", debtor("Иванов", "")))
	changed := act("A1", "1", debtor("Иванов", ""))
	changed.Outstanding = 7
	_, err := b.st.ImportCourtActs(b.ctx, "", []domain.CourtAct{changed, act("A2", "404"), act("A3", "1"), act("A4", "405")})
	var mp *store.MissingPremisesError
	if !errors.As(err, &mp) || !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("err = %v; want *MissingPremisesError matching ErrNotFound", err)
	}
	want := []store.ActPremises{{ActID: "A2", PremisesID: "404"}, {ActID: "A4", PremisesID: "405"}}
	if !reflect.DeepEqual(mp.Missing, want) {
		t.Fatalf("missing = %+v; want %+v", mp.Missing, want)
	}
	got := actsAt(t, b, "1")
	if len(got) != 1 || got[0].Outstanding != 1000000 {
		t.Fatalf("a failed import changed the store: %+v", got)
	}
}

func testImportCourtActsKeepsUpload(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("1", ""))
	a := act("A1", "1", debtor("Иванов", ""))
	a.Document.Hash, a.Document.AttachmentGUID = "abc123", "c0ffee00-0000-4000-8000-000000000001"
	mustImportActs(t, b, "", a)
	plain := act("A1", "1", debtor("Иванов", ""))
	if got, want := mustImportActs(t, b, "", plain), (store.ImportStats{Unchanged: 1}); got != want {
		t.Fatalf("re-import of the same file = %+v; want %+v", got, want)
	}
	if got := actsAt(t, b, "1")[0].Document; got.Hash != "abc123" || got.AttachmentGUID == "" {
		t.Fatalf("document after re-import = %+v; want hash and attachment kept", got)
	}
	plain.Document.Size = 4096
	mustImportActs(t, b, "", plain)
	if got := actsAt(t, b, "1")[0].Document; got.Hash != "" || got.AttachmentGUID != "" || got.Size != 4096 {
		t.Fatalf("document after the file changed = %+v; want hash and attachment reset", got)
	}
}

func testImportCourtActsOrgPremises(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("shared", ""))
	mustImportPremises(t, b, orgA, premises("own", orgA), premises("shared", orgA))
	mustImportPremises(t, b, orgB, premises("bonly", orgB))
	a1 := act("A1", "shared", debtor("Иванов", ""))
	a2 := act("A2", "own", debtor("Петров", ""))
	mustImportActs(t, b, orgA, a1, a2)
	got := actsAt(t, b, "shared", "own")
	if len(got) != 2 || got[0].OrgGUID != orgA || got[1].OrgGUID != orgA {
		t.Fatalf("acts = %+v; want both of org A", got)
	}
	// Org A cannot refer to premises of org B; org B can refer to the shared one.
	if _, err := b.st.ImportCourtActs(b.ctx, orgA, []domain.CourtAct{act("A3", "bonly")}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("act of org A at premises of org B: err = %v; want ErrNotFound", err)
	}
	mustImportActs(t, b, orgB, act("A1", "shared", debtor("Сидоров", "")))
	if got := actsAt(t, b, "shared"); len(got) != 2 {
		t.Fatalf("the same act_id in two organizations: %d acts; want 2", len(got))
	}
}

func testImportCourtActsLarge(t *testing.T, b *bundle) {
	// Enough rows to cross batch boundaries (bound-parameter and chunk limits).
	const n = 1500
	ps := make([]domain.Premises, n)
	acts := make([]domain.CourtAct, n)
	ids := make([]string, n)
	for i := range n {
		id := fmt.Sprintf("p%05d", i)
		ps[i] = premises(id, "")
		acts[i] = act(fmt.Sprintf("a%05d", i), id, debtor("Должник", ""), debtor(fmt.Sprintf("Второй%d", i), ""))
		ids[i] = id
	}
	if got := mustImportPremises(t, b, "", ps...); got.Inserted != n {
		t.Fatalf("premises import = %+v", got)
	}
	if got := mustImportActs(t, b, "", acts...); got.Inserted != n {
		t.Fatalf("acts import = %+v", got)
	}
	for i := 0; i < n; i += 3 {
		acts[i].Outstanding++
	}
	if got, want := mustImportActs(t, b, "", acts...), (store.ImportStats{Updated: n / 3, Unchanged: n - n/3}); got != want {
		t.Fatalf("acts re-import = %+v; want %+v", got, want)
	}
	got := actsAt(t, b, ids...)
	if !reflect.DeepEqual(got, acts) {
		t.Fatalf("read back %d acts differing from the %d written", len(got), len(acts))
	}
}

func testMissingPremises(t *testing.T, b *bundle) {
	mustImportPremises(t, b, "", premises("shared", ""))
	mustImportPremises(t, b, orgA, premises("a", orgA))
	tests := []struct {
		org  string
		ids  []string
		want []string
	}{
		{"", []string{"shared", "a", "x", "x"}, []string{"a", "x"}},
		{orgA, []string{"shared", "a", "x"}, []string{"x"}},
		{orgB, []string{"a", "shared"}, []string{"a"}},
		{"", nil, nil},
	}
	for _, tc := range tests {
		got, err := b.st.MissingPremises(b.ctx, tc.org, tc.ids)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("MissingPremises(%q, %v) = %v, %v; want %v", tc.org, tc.ids, got, err, tc.want)
		}
	}
}

func subRequest(n int, org string, deadline time.Time) domain.SubRequest {
	return domain.SubRequest{
		GUID: fmt.Sprintf("5eb5eb00-0000-4000-8000-%012d", n), OrgGUID: org,
		RequestGUID: fmt.Sprintf("4e4e4e4e-0000-4000-8000-%012d", n), RequestNumber: fmt.Sprintf("R-%d", n),
		RequesterGUID: "7a7a7a7a-0000-4000-8000-000000000001", RequesterName: "УСЗН района",
		HouseGUID: house1, AddressDetails: "кв. 1", Address: "г. Москва, ул. Ленина, д. 1, кв. 1",
		PeriodFrom: date(2022, 1, 1), PeriodTo: date(2024, 12, 31), SentDate: deadline.AddDate(0, 0, -7),
		ResponseDate: deadline, ResponseStatus: "NotSent",
	}
}

func mustUpsert(t *testing.T, b *bundle, subs ...domain.SubRequest) int {
	t.Helper()
	n, err := b.st.UpsertSubRequests(b.ctx, subs)
	if err != nil {
		t.Fatalf("UpsertSubRequests: %v", err)
	}
	return n
}

func mustGet(t *testing.T, b *bundle, guid string) domain.SubRequest {
	t.Helper()
	s, err := b.st.GetSubRequest(b.ctx, guid)
	if err != nil {
		t.Fatalf("GetSubRequest: %v", err)
	}
	return s
}

func testUpsertSubRequests(t *testing.T, b *bundle) {
	s1, s2 := subRequest(1, orgA, date(2025, 3, 20)), subRequest(2, orgA, date(2025, 3, 21))
	s2.HMObjectGUID, s2.AddressType, s2.HouseGUID = hmGUID(1), "Apartment", ""
	if n := mustUpsert(t, b, s1, s2); n != 2 {
		t.Fatalf("inserted = %d; want 2", n)
	}
	want := s1
	want.State = domain.StateNew
	if got := mustGet(t, b, s1.GUID); !reflect.DeepEqual(got, want) {
		t.Fatalf("GetSubRequest =\n%+v\nwant\n%+v", got, want)
	}
	if n := mustUpsert(t, b, s1, s2); n != 0 {
		t.Fatalf("re-pull inserted = %d; want 0", n)
	}
	if a, _ := b.st.Audit(b.ctx, s1.GUID); len(a) != 1 || a[0].Action != "recorded" {
		t.Fatalf("audit after an identical re-pull = %+v; want only the recording", a)
	}
	// A page mixing stored and new sub-requests counts and audits only the new, with its
	// fields as given (an absent date stays absent).
	s3 := subRequest(3, orgA, date(2025, 3, 22))
	s3.PeriodFrom, s3.PeriodTo = time.Time{}, time.Time{}
	if n := mustUpsert(t, b, s1, s3, s2); n != 1 {
		t.Fatalf("mixed page inserted = %d; want 1", n)
	}
	want3 := s3
	want3.State = domain.StateNew
	if got := mustGet(t, b, s3.GUID); !reflect.DeepEqual(got, want3) {
		t.Fatalf("GetSubRequest =\n%+v\nwant\n%+v", got, want3)
	}
	if a, _ := b.st.Audit(b.ctx, s3.GUID); len(a) != 1 || a[0].Action != "recorded" || a[0].Detail != "state=new responseDate="+s3.ResponseDate.Format(time.DateOnly) {
		t.Fatalf("audit of the new one in a mixed page = %+v; want one recording", a)
	}
	// The pipeline moves s1 on; a re-pull (state new) must not move it back.
	if err := b.st.SetState(b.ctx, s1.GUID, domain.StateNew, domain.StateReady, "system", "decided"); err != nil {
		t.Fatal(err)
	}
	changed := s1
	changed.ResponseDate = date(2025, 3, 24)
	mustUpsert(t, b, changed)
	got := mustGet(t, b, s1.GUID)
	if got.State != domain.StateReady || !got.ResponseDate.Equal(date(2025, 3, 24)) {
		t.Fatalf("after re-pull: state %s deadline %v; want ready, 2025-03-24", got.State, got.ResponseDate)
	}
	a, _ := b.st.Audit(b.ctx, s1.GUID)
	if last := a[len(a)-1]; last.Action != "refreshed" || !strings.Contains(last.Detail, "responseDate") {
		t.Fatalf("last audit entry = %+v; want a refresh naming responseDate", last)
	}
	// A state further along is taken over (GIS answered on our behalf).
	auto := s2
	auto.State, auto.ResponseStatus = domain.StateAutoAnswered, "AutoGenerated"
	mustUpsert(t, b, auto)
	if got := mustGet(t, b, s2.GUID); got.State != domain.StateAutoAnswered {
		t.Fatalf("state after pulling AutoGenerated = %s; want auto_answered", got.State)
	}
	// ... but never replaced by an earlier one.
	mustUpsert(t, b, s2)
	if got := mustGet(t, b, s2.GUID); got.State != domain.StateAutoAnswered || got.ResponseStatus != "NotSent" {
		t.Fatalf("state after a stale re-pull = %s/%s; want auto_answered kept", got.State, got.ResponseStatus)
	}
	for name, bad := range map[string][]domain.SubRequest{
		"empty guid":    {{}},
		"unknown state": {{GUID: "x", State: "lost"}},
		"duplicate":     {subRequest(9, "", time.Time{}), subRequest(9, "", time.Time{})},
	} {
		if _, err := b.st.UpsertSubRequests(b.ctx, bad); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := b.st.GetSubRequest(b.ctx, subRequest(9, "", time.Time{}).GUID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a rejected batch was partly written: %v", err)
	}
}

func guidsOf(subs []domain.SubRequest) []int {
	var out []int
	for _, s := range subs {
		var n int
		fmt.Sscanf(s.GUID[len(s.GUID)-12:], "%d", &n)
		out = append(out, n)
	}
	return out
}

func testListSubRequests(t *testing.T, b *bundle) {
	mustUpsert(t, b,
		subRequest(5, orgA, date(2025, 3, 21)),
		subRequest(3, orgA, date(2025, 3, 20)),
		subRequest(4, orgB, date(2025, 3, 20)),
		subRequest(1, orgA, time.Time{}),
		subRequest(2, orgA, date(2025, 3, 25)),
	)
	if err := b.st.SetState(b.ctx, subRequest(2, "", time.Time{}).GUID, domain.StateNew, domain.StateReview, "", ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f    store.SubRequestFilter
		want []int
	}{
		{store.SubRequestFilter{}, []int{3, 4, 5, 2, 1}},
		{store.SubRequestFilter{Org: orgA}, []int{3, 5, 2, 1}},
		{store.SubRequestFilter{Org: orgA, States: []domain.State{domain.StateNew}}, []int{3, 5, 1}},
		{store.SubRequestFilter{States: []domain.State{domain.StateReview, domain.StateReady}}, []int{2}},
		{store.SubRequestFilter{Limit: 2}, []int{3, 4}},
		{store.SubRequestFilter{Org: orgB, States: []domain.State{domain.StateReview}}, nil},
	}
	for _, tc := range tests {
		got, err := b.st.ListSubRequests(b.ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(guidsOf(got), tc.want) {
			t.Errorf("ListSubRequests(%+v) = %v; want %v", tc.f, guidsOf(got), tc.want)
		}
	}
}

// testSubRequestStatuses: the statuses are those of ListSubRequests, per organization or
// all, the deadline included (zero when none).
func testSubRequestStatuses(t *testing.T, b *bundle) {
	mustUpsert(t, b,
		subRequest(5, orgA, date(2025, 3, 21)),
		subRequest(4, orgB, date(2025, 3, 20)),
		subRequest(1, orgA, time.Time{}),
	)
	if err := b.st.SetState(b.ctx, subRequest(5, "", time.Time{}).GUID, domain.StateNew, domain.StateReview, "", ""); err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{"", orgA, orgB, "no-such-org"} {
		list, err := b.st.ListSubRequests(b.ctx, store.SubRequestFilter{Org: org})
		if err != nil {
			t.Fatal(err)
		}
		want := []store.SubRequestStatus{}
		for _, sr := range list {
			want = append(want, store.SubRequestStatus{GUID: sr.GUID, State: sr.State, ResponseDate: sr.ResponseDate})
		}
		if wantN := map[string]int{"": 3, orgA: 2, orgB: 1}[org]; len(want) != wantN {
			t.Fatalf("ListSubRequests(org %q) = %d sub-requests; want %d", org, len(want), wantN)
		}
		got, err := b.st.SubRequestStatuses(b.ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		got = append([]store.SubRequestStatus{}, got...)
		slices.SortFunc(got, func(x, y store.SubRequestStatus) int { return strings.Compare(x.GUID, y.GUID) })
		slices.SortFunc(want, func(x, y store.SubRequestStatus) int { return strings.Compare(x.GUID, y.GUID) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("SubRequestStatuses(%q) = %+v; want %+v", org, got, want)
		}
	}
	got, err := b.st.SubRequestStatuses(b.ctx, orgA)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if s.GUID == subRequest(5, "", time.Time{}).GUID && (s.State != domain.StateReview || !s.ResponseDate.Equal(date(2025, 3, 21))) {
			t.Errorf("status of sub-request 5 = %+v; want review, due 2025-03-21", s)
		}
	}
}

func decision(guid string) domain.Decision {
	doc := domain.Document{Name: "act.pdf", Path: "/data/act.pdf", Size: 10, Hash: "ff", AttachmentGUID: "a-1"}
	return domain.Decision{
		SubRequestGUID: guid, RuleVersion: "rules/1", DecidedAt: time.Date(2025, 3, 14, 10, 0, 0, 123456000, time.UTC),
		PremisesIDs: []string{"1"}, MatchMethod: "house_flat", HasDebt: true,
		DebtInfo: []domain.DebtInfo{{Person: domain.Person{LastName: "Иванов", FirstName: "Иван", SNILS: "11223344595"},
			Documents: []domain.Document{doc}}},
		Evidence:    []domain.Evidence{{ActID: "A1", Counted: true, Reason: "in force, unpaid, in period"}},
		Description: "долг подтвержден",
	}
}

func testDecisions(t *testing.T, b *bundle) {
	s := subRequest(1, orgA, date(2025, 3, 20))
	mustUpsert(t, b, s)
	d1 := decision(s.GUID)
	d1.Review, d1.ReviewReasons = true, []string{"partial overlap"}
	if err := b.st.SaveDecision(b.ctx, d1, domain.StateReview); err != nil {
		t.Fatal(err)
	}
	got, err := b.st.GetDecision(b.ctx, s.GUID)
	if err != nil || !reflect.DeepEqual(got, d1) {
		t.Fatalf("GetDecision = %+v, %v\nwant %+v", got, err, d1)
	}
	if st := mustGet(t, b, s.GUID).State; st != domain.StateReview {
		t.Fatalf("state = %s; want review", st)
	}
	// A new decision wins; the old one stays in the history. A zero DecidedAt gets the clock.
	d2 := decision(s.GUID)
	d2.HasDebt, d2.DebtInfo, d2.DecidedAt = false, nil, time.Time{}
	if err := b.st.SaveDecision(b.ctx, d2, domain.StateReady); err != nil {
		t.Fatal(err)
	}
	got, _ = b.st.GetDecision(b.ctx, s.GUID)
	if got.HasDebt || !got.DecidedAt.Equal(Start().Truncate(time.Microsecond)) {
		t.Fatalf("latest decision = %+v; want the second, stamped by the clock", got)
	}
	hist, err := b.st.DecisionHistory(b.ctx, s.GUID)
	if err != nil || len(hist) != 2 || !hist[0].HasDebt {
		t.Fatalf("history = %+v, %v; want both, oldest first", hist, err)
	}
	a, _ := b.st.Audit(b.ctx, s.GUID)
	if len(a) != 3 || a[1].Action != "decided" || !strings.Contains(a[2].Detail, "review→ready") {
		t.Fatalf("audit = %+v; want recorded, decided, decided (review→ready)", a)
	}
	for _, e := range a {
		if strings.Contains(e.Detail, "Иванов") || strings.Contains(e.Detail, "11223344595") {
			t.Fatalf("audit entry shows personal data: %+v", e)
		}
	}
	if err := b.st.SaveDecision(b.ctx, d1, domain.StateSending); err == nil {
		t.Fatal("SaveDecision to sending accepted")
	}
	if err := b.st.SetState(b.ctx, s.GUID, domain.StateReady, domain.StateSending, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SaveDecision(b.ctx, d1, domain.StateReady); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("SaveDecision while sending: err = %v; want ErrConflict", err)
	}
	if err := b.st.SaveDecision(b.ctx, decision("nope"), domain.StateReady); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("SaveDecision for an unknown sub-request: err = %v; want ErrNotFound", err)
	}
}

func testReview(t *testing.T, b *bundle) {
	s1, s2, s3 := subRequest(1, orgA, date(2025, 3, 21)), subRequest(2, orgA, date(2025, 3, 20)), subRequest(3, orgB, date(2025, 3, 19))
	mustUpsert(t, b, s1, s2, s3)
	d := decision(s1.GUID)
	d.Review, d.ReviewReasons = true, []string{"unknown premises"}
	if err := b.st.SaveDecision(b.ctx, d, domain.StateReview); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SetState(b.ctx, s2.GUID, domain.StateNew, domain.StateReview, "system", "no match"); err != nil {
		t.Fatal(err)
	}
	if err := b.st.SetState(b.ctx, s3.GUID, domain.StateNew, domain.StateReview, "system", "no match"); err != nil {
		t.Fatal(err)
	}
	items, err := b.st.ListReview(b.ctx, orgA)
	if err != nil || len(items) != 2 {
		t.Fatalf("ListReview = %+v, %v; want 2 items", items, err)
	}
	if items[0].SubRequest.GUID != s2.GUID || items[0].Decision != nil {
		t.Fatalf("first item = %+v; want s2 without a decision", items[0])
	}
	if items[1].SubRequest.GUID != s1.GUID || items[1].Decision == nil || !reflect.DeepEqual(*items[1].Decision, d) {
		t.Fatalf("second item = %+v; want s1 with its decision", items[1])
	}
	if all, _ := b.st.ListReview(b.ctx, ""); len(all) != 3 {
		t.Fatalf("ListReview(all) = %d items; want 3", len(all))
	}

	b.clock.Advance(time.Hour)
	person := decision(s1.GUID)
	person.HasDebt, person.DebtInfo = false, nil
	if err := b.st.RecordReview(b.ctx, s1.GUID, "ivanova", "акт отменен, проверено", person); err != nil {
		t.Fatal(err)
	}
	got, _ := b.st.GetDecision(b.ctx, s1.GUID)
	when := Start().Add(time.Hour).Truncate(time.Microsecond)
	if got.DecidedBy != "ivanova" || got.Comment != "акт отменен, проверено" || !got.DecidedAt.Equal(when) || got.HasDebt || got.Review {
		t.Fatalf("reviewed decision = %+v; want by ivanova at %v, no debt", got, when)
	}
	if st := mustGet(t, b, s1.GUID).State; st != domain.StateReady {
		t.Fatalf("state after review = %s; want ready", st)
	}
	a, _ := b.st.Audit(b.ctx, s1.GUID)
	last := a[len(a)-1]
	if last.Actor != "ivanova" || last.Action != "reviewed" || !last.At.Equal(when) || !strings.Contains(last.Detail, "проверено") {
		t.Fatalf("review audit entry = %+v", last)
	}
	if items, _ := b.st.ListReview(b.ctx, orgA); len(items) != 1 {
		t.Fatalf("review queue after the review = %d items; want 1", len(items))
	}
	// Decided once: a second decider (another officer, the deadline rule) is refused.
	if err := b.st.RecordReview(b.ctx, s1.GUID, "petrova", "", person); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a second review of a ready sub-request: err = %v; want ErrConflict", err)
	}
	if err := b.st.RecordReview(b.ctx, s2.GUID, "", "", person); err == nil {
		t.Fatal("a review without a reviewer accepted")
	}
	if err := b.st.SetState(b.ctx, s2.GUID, domain.StateReview, domain.StateAnswered, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := b.st.RecordReview(b.ctx, s2.GUID, "ivanova", "", person); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("review of an answered sub-request: err = %v; want ErrConflict", err)
	}
}

func testSetState(t *testing.T, b *bundle) {
	s := subRequest(1, "", date(2025, 3, 20))
	mustUpsert(t, b, s)
	if err := b.st.SetState(b.ctx, s.GUID, domain.StateReady, domain.StateSending, "", ""); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("CAS from the wrong state: err = %v; want ErrConflict", err)
	}
	if err := b.st.SetState(b.ctx, s.GUID, domain.StateNew, "bogus", "", ""); err == nil {
		t.Fatal("unknown target state accepted")
	}
	if err := b.st.SetState(b.ctx, s.GUID, domain.StateNew, domain.StateReady, "petrov", "manual"); err != nil {
		t.Fatal(err)
	}
	a, _ := b.st.Audit(b.ctx, s.GUID)
	if len(a) != 2 || a[1].Actor != "petrov" || a[1].Action != "state" || a[1].Detail != "new→ready: manual" {
		t.Fatalf("audit = %+v", a)
	}
	if err := b.st.SetState(b.ctx, s.GUID, domain.StateReady, domain.StateReady, "", ""); err != nil {
		t.Fatalf("CAS to the same state: %v", err)
	}
	if a2, _ := b.st.Audit(b.ctx, s.GUID); len(a2) != 2 {
		t.Fatalf("a no-op CAS wrote an audit entry: %+v", a2)
	}
}

func testSetStateRace(t *testing.T, b *bundle) {
	s := subRequest(1, "", date(2025, 3, 20))
	mustUpsert(t, b, s)
	const n = 8
	var won, lost atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := b.st.SetState(b.ctx, s.GUID, domain.StateNew, domain.StateSending, fmt.Sprintf("replica-%d", i), "")
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, domain.ErrConflict):
				lost.Add(1)
			default:
				t.Errorf("SetState: %v", err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || lost.Load() != n-1 {
		t.Fatalf("%d won, %d lost; want exactly one winner", won.Load(), lost.Load())
	}
}

func testNotFound(t *testing.T, b *bundle) {
	const guid = "00000000-0000-4000-8000-00000000dead"
	checks := map[string]error{}
	_, checks["GetSubRequest"] = b.st.GetSubRequest(b.ctx, guid)
	_, checks["GetDecision"] = b.st.GetDecision(b.ctx, guid)
	checks["SetState"] = b.st.SetState(b.ctx, guid, domain.StateNew, domain.StateReady, "", "")
	checks["RecordReview"] = b.st.RecordReview(b.ctx, guid, "x", "", domain.Decision{})
	for name, err := range checks {
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s of an unknown sub-request: err = %v; want ErrNotFound", name, err)
		}
	}
	if a, err := b.st.Audit(b.ctx, guid); err != nil || len(a) != 0 {
		t.Errorf("Audit of an unknown sub-request = %v, %v; want empty", a, err)
	}
}
