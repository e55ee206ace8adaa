package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
	"github.com/gisgw/gisgw/responder/store"
)

// memWorld is the decide benchmark's generated world held in memory as the decider's store:
// the batched lookups and CourtActsByPremises answer from maps, so that a benchmark of
// DecideBatch measures gisgw's own work (matching, grouping, the rules) and not a database.
// Every other Store method panics (the embedded nil interface).
type memWorld struct {
	store.Store
	hm    map[string][]domain.Premises
	house map[string][]domain.Premises
	flat  map[domain.HouseFlat][]domain.Premises
	acts  map[string][]domain.CourtAct
}

func newMemWorld(premises int) *memWorld {
	w := &memWorld{hm: map[string][]domain.Premises{}, house: map[string][]domain.Premises{},
		flat: map[domain.HouseFlat][]domain.Premises{}, acts: map[string][]domain.CourtAct{}}
	for i := range premises {
		p := benchPremises(i)
		p.OrgGUID = benchOrg
		if p.HMObjectGUID != "" {
			w.hm[p.HMObjectGUID] = append(w.hm[p.HMObjectGUID], p)
		}
		k := match.FlatKey(p.Flat)
		for _, g := range []string{p.HouseGUID, p.FIASHouseGUID} {
			w.house[g] = append(w.house[g], p)
			w.flat[domain.HouseFlat{House: g, FlatKey: k}] = append(w.flat[domain.HouseFlat{House: g, FlatKey: k}], p)
		}
		if i%benchActEvery == 0 {
			a := benchAct(i)
			a.OrgGUID = benchOrg
			w.acts[a.PremisesID] = append(w.acts[a.PremisesID], a)
		}
	}
	return w
}

func pick[K comparable](m map[K][]domain.Premises, keys []K) map[K][]domain.Premises {
	out := make(map[K][]domain.Premises, len(keys))
	for _, k := range keys {
		if ps, ok := m[k]; ok {
			out[k] = slices.Clone(ps) // a store returns rows of its own
		}
	}
	return out
}

func (w *memWorld) PremisesByHMObjects(_ context.Context, _ string, keys []string) (map[string][]domain.Premises, error) {
	return pick(w.hm, keys), nil
}

func (w *memWorld) PremisesByHouses(_ context.Context, _ string, keys []string) (map[string][]domain.Premises, error) {
	return pick(w.house, keys), nil
}

func (w *memWorld) PremisesByAddressKeys(context.Context, string, []string) (map[string][]domain.Premises, error) {
	return map[string][]domain.Premises{}, nil
}

func (w *memWorld) PremisesByHouseFlats(_ context.Context, _ string, keys []domain.HouseFlat) (map[domain.HouseFlat][]domain.Premises, error) {
	return pick(w.flat, keys), nil
}

func (w *memWorld) CourtActsByPremises(_ context.Context, ids []string) ([]domain.CourtAct, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []domain.CourtAct
	for _, id := range ids {
		for _, a := range w.acts[id] {
			a.Debtors = slices.Clone(a.Debtors)
			doc := *a.Document
			a.Document = &doc
			out = append(out, a)
		}
	}
	return out, nil
}

// BenchmarkDecideBatch is the decider's own CPU and garbage per batch of 100 (the
// BenchmarkDecisions mix of sub-requests) against an in-memory world of 30,000 premises:
// what gisgw spends in the decide step between the claim and the save, less the database.
// Each batch's decisions are checked against the oracle once, before the timing.
func BenchmarkDecideBatch(b *testing.B) {
	const premises, batch = 30_000, 100
	cal, err := calendar.New()
	if err != nil {
		b.Fatal(err)
	}
	w := newMemWorld(premises)
	d := app.NewDecider(w, cal)
	srs := benchSubRequestsFor(1, 20*batch, premises, cal)
	now := time.Date(2025, 5, 21, 9, 0, 0, 0, time.UTC)
	oracle := worldLookup{premises: premises}
	for from := 0; from < len(srs); from += batch {
		ds, err := d.DecideBatch(b.Context(), srs[from:from+batch], now)
		if err != nil {
			b.Fatal(err)
		}
		for i, got := range ds {
			want := oracle.expect(b, srs[from+i], calendar.Today(now))
			want.DecidedAt = now
			if !slices.Equal(got.ReviewReasons, want.ReviewReasons) || !got.SameAnswer(want) ||
				!slices.Equal(got.PremisesIDs, want.PremisesIDs) || got.MatchMethod != want.MatchMethod {
				b.Fatalf("sub-request %s: decided %+v, the world implies %+v", srs[from+i].GUID, got, want)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		from := i % 20 * batch
		if _, err := d.DecideBatch(b.Context(), srs[from:from+batch], now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecide is decide.Decide alone on the matches and acts of the same mix.
func BenchmarkDecide(b *testing.B) {
	const premises = 30_000
	cal, err := calendar.New()
	if err != nil {
		b.Fatal(err)
	}
	srs := benchSubRequestsFor(1, 2000, premises, cal)
	type input struct {
		sr   domain.SubRequest
		m    match.Result
		acts []domain.CourtAct
	}
	oracle := worldLookup{premises: premises}
	w := newMemWorld(premises)
	var ins []input
	for _, sr := range srs {
		m, err := match.Match(b.Context(), oracle, sr)
		if err != nil {
			b.Fatal(err)
		}
		var acts []domain.CourtAct
		for _, id := range m.PremisesIDs() {
			acts = append(acts, w.acts[id]...)
		}
		ins = append(ins, input{sr, m, acts})
	}
	today := calendar.Today(time.Date(2025, 5, 21, 9, 0, 0, 0, time.UTC))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		in := ins[i%len(ins)]
		decide.Decide(in.sr, in.m, in.acts, today)
	}
}
