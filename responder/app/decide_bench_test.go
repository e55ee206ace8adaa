package app_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/pipeline"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/storetest"
)

// The generated store of the "proof under load" benchmark: 1,000,000 premises in 20,000
// houses and 200,000 court acts, and 20,000 new sub-requests per timed round.
// GISGW_BENCH_SCALE (a fraction such as 0.1) shrinks all of it for a quick look.
const (
	benchHouses        = 20_000
	benchFlatsPerHouse = 50
	benchActEvery      = 5 // every fifth premises has a court act: 200,000 acts
	benchSubRequests   = 20_000
	benchImportChunk   = 250_000
	benchOrg           = "7d0c5e54-3f7e-4a1b-9c2d-000000000001"
)

func benchScale(b *testing.B) float64 {
	v := os.Getenv("GISGW_BENCH_SCALE")
	if v == "" {
		return 1
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 1 {
		b.Fatalf("GISGW_BENCH_SCALE=%q: want a number in (0, 1]", v)
	}
	return f
}

// benchGUID makes a GUID-shaped string that is unique per (kind, n).
func benchGUID(kind, n int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, n)
}

const (
	guidHouse = iota + 1
	guidFIAS
	guidHM
	guidSub
	guidUnknown
)

func benchHouseAddress(h int) string {
	return fmt.Sprintf("г. Москва, ул. Нагрузочная, д. %d", h+1)
}

// benchPremises is premises i: house i/50, flat i%50+1; seven in ten have an HMobjectGUID,
// the rest are found by house GUID and flat number only.
func benchPremises(i int) domain.Premises {
	h, flat := i/benchFlatsPerHouse, i%benchFlatsPerHouse+1
	p := domain.Premises{
		ID:            fmt.Sprintf("P%07d", i),
		HouseGUID:     benchGUID(guidHouse, h),
		FIASHouseGUID: benchGUID(guidFIAS, h),
		Flat:          strconv.Itoa(flat),
		Address:       fmt.Sprintf("%s, кв. %d", benchHouseAddress(h), flat),
		AccountNumber: strconv.Itoa(10_000_000 + i),
	}
	if i%10 < 7 {
		p.HMObjectGUID = benchGUID(guidHM, i)
	}
	return p
}

func benchDate(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// benchAct is the court act at premises i (i a multiple of benchActEvery): one or two
// debtors, a document; one in ten is paid off and one in twenty not yet in force.
func benchAct(i int) domain.CourtAct {
	a := domain.CourtAct{
		ID:           fmt.Sprintf("A%07d", i),
		PremisesID:   fmt.Sprintf("P%07d", i),
		CaseNumber:   fmt.Sprintf("2-%d/2024", i),
		Kind:         domain.ActCourtOrder,
		PronouncedOn: benchDate(2024, 2, 1),
		EffectiveOn:  benchDate(2024, 3, 5),
		DebtFrom:     benchDate(2022, 1, 1),
		DebtTo:       benchDate(2023, 6, 30),
		Amount:       domain.Money(1_234_567 + i),
		Outstanding:  domain.Money(500_000 + i),
		BalanceOn:    benchDate(2025, 1, 31),
		Debtors:      []domain.Debtor{{LastName: "Иванов", FirstName: "Иван", MiddleName: strconv.Itoa(i)}},
		Document:     &domain.Document{Name: fmt.Sprintf("act-%d.pdf", i), Path: fmt.Sprintf("docs/%03d/act-%d.pdf", i%1000, i), Size: 40_000 + int64(i%1000)},
	}
	if i%2 == 0 {
		a.Debtors = append(a.Debtors, domain.Debtor{LastName: "Иванова", FirstName: "Мария", MiddleName: strconv.Itoa(i)})
	}
	if i%50 == 0 {
		a.Kind = domain.ActJudgment
	}
	if i%10 == 5 {
		a.Outstanding = 0
	}
	if i%20 == 15 {
		a.EffectiveOn = time.Time{}
	}
	return a
}

// buildBenchStore loads the premises and the court acts in chunks, as `gisgw import` would,
// and returns how long it took.
func buildBenchStore(b *testing.B, st store.Store, premises, acts int) time.Duration {
	ctx := b.Context()
	start := time.Now()
	for from := 0; from < premises; from += benchImportChunk {
		ps := make([]domain.Premises, 0, benchImportChunk)
		for i := from; i < min(from+benchImportChunk, premises); i++ {
			ps = append(ps, benchPremises(i))
		}
		if _, err := st.ImportPremises(ctx, benchOrg, ps); err != nil {
			b.Fatalf("import premises from #%d: %v", from, err)
		}
	}
	loaded := time.Since(start)
	for from := 0; from < premises; from += benchImportChunk * benchActEvery {
		as := make([]domain.CourtAct, 0, benchImportChunk)
		for i := from; i < min(from+benchImportChunk*benchActEvery, premises); i += benchActEvery {
			as = append(as, benchAct(i))
		}
		if len(as) > acts {
			as = as[:acts]
		}
		if _, err := st.ImportCourtActs(ctx, benchOrg, as); err != nil {
			b.Fatalf("import court acts from premises #%d: %v", from, err)
		}
	}
	total := time.Since(start)
	b.Logf("store built: %d premises in %v, %d court acts in %v", premises, loaded.Round(time.Millisecond),
		acts, (total - loaded).Round(time.Millisecond))
	return total
}

// benchSubRequestsFor makes n new sub-requests (round r) about random stored premises, with
// the mix of addressing GIS sends: HMobjectGUID (half), house GUID + flat in addressDetails,
// FIAS house GUID + flat from a 13.1 sender without adressType, a whole house, and one in
// twenty about a housing object the organization does not serve (review).
func benchSubRequestsFor(r, n, premises int, cal *calendar.Calendar) []domain.SubRequest {
	rng := rand.New(rand.NewPCG(uint64(r), 42))
	sent := benchDate(2025, 5, 20)
	out := make([]domain.SubRequest, n)
	for j := range out {
		i := rng.IntN(premises)
		p := benchPremises(i)
		h := i / benchFlatsPerHouse
		sr := domain.SubRequest{
			GUID:           benchGUID(guidSub, r*10_000_000+j),
			OrgGUID:        benchOrg,
			RequestGUID:    benchGUID(guidSub, 1<<40+r*10_000_000+j/10),
			RequestNumber:  fmt.Sprintf("R-%d-%d", r, j/10),
			RequesterGUID:  benchGUID(99, 1),
			RequesterName:  "УСЗН района",
			Address:        p.Address,
			AddressType:    "Apartment",
			PeriodFrom:     benchDate(2021, 1, 1),
			PeriodTo:       benchDate(2024, 12, 31),
			SentDate:       sent,
			ResponseDate:   cal.Due(sent),
			ResponseStatus: "NotSent",
		}
		switch k := j % 20; {
		case k < 10:
			if p.HMObjectGUID == "" { // this one has no HMobjectGUID: GIS names its house and flat
				sr.HouseGUID, sr.AddressDetails = p.HouseGUID, "кв. "+p.Flat
			} else {
				sr.HMObjectGUID = p.HMObjectGUID
			}
		case k < 16:
			sr.HouseGUID, sr.AddressDetails = p.HouseGUID, "кв. "+p.Flat
		case k < 18:
			sr.FIASHouseGUID, sr.AddressDetails, sr.AddressType = p.FIASHouseGUID, "кв "+p.Flat, ""
		case k < 19:
			sr.HMObjectGUID, sr.AddressType, sr.Address = p.HouseGUID, "House", benchHouseAddress(h)
		default:
			sr.HMObjectGUID = benchGUID(guidUnknown, r*10_000_000+j)
			sr.Address = fmt.Sprintf("г. Москва, ул. Чужая, д. %d, кв. 1", j)
		}
		if j%10 == 9 {
			sr.PeriodFrom, sr.PeriodTo = time.Time{}, time.Time{} // the 3 years before sentDate
		}
		out[j] = sr
	}
	return out
}

// offlineGIS is the GIS port of the benchmark's pipeline: the decide step never calls GIS.
type offlineGIS struct{}

var errOffline = errors.New("benchmark: the decide step must not call GIS")

func (offlineGIS) Pull(context.Context, string, time.Time, time.Time) ([]domain.SubRequest, error) {
	return nil, errOffline
}
func (offlineGIS) Statuses(context.Context, string, []string) (map[string]string, error) {
	return nil, errOffline
}
func (offlineGIS) Upload(context.Context, string, domain.Document) (domain.Document, error) {
	return domain.Document{}, errOffline
}
func (offlineGIS) Submit(context.Context, domain.Message) (string, error) { return "", errOffline }
func (offlineGIS) Await(context.Context, domain.Message) ([]domain.Outcome, error) {
	return nil, errOffline
}

// BenchmarkDecisions is the issue "Proof under load": decisions per second against a
// generated store of 1,000,000 premises and 200,000 court acts, on PostgreSQL and on SQLite,
// timing the daemon's own decide step (pipeline.DecideNew over app.NewDecider: claim a batch
// of 100, decide, save) on 20,000 new sub-requests per round. The store is built once per
// backend (its time is logged); recording the sub-requests is not timed. PostgreSQL
// (TEST_DATABASE_URL) is skipped only when unreachable outside CI.
func BenchmarkDecisions(b *testing.B) {
	scale := benchScale(b)
	premises := int(float64(benchHouses*benchFlatsPerHouse) * scale)
	premises -= premises % benchFlatsPerHouse
	acts := (premises + benchActEvery - 1) / benchActEvery
	subs := max(int(benchSubRequests*scale), 100)
	cal, err := calendar.New()
	if err != nil {
		b.Fatal(err)
	}
	backends := []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"postgres", func(b *testing.B) string { return storetest.PostgresSchema(b) }},
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") }},
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st, err := storeopen.Open(b.Context(), be.dsn(b), storeopen.WithAutoMigrate())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			build := buildBenchStore(b, st, premises, acts)
			now := time.Date(2025, 5, 21, 9, 0, 0, 0, time.UTC)
			p, err := pipeline.New(pipeline.Options{
				Store:   st,
				GIS:     offlineGIS{},
				Decider: app.NewDecider(st, cal),
				Orgs:    []pipeline.Org{{GUID: benchOrg}},
				Owner:   "bench",
				Now:     func() time.Time { return now },
			})
			if err != nil {
				b.Fatal(err)
			}
			// A level of its own, so that the store is built once however often the
			// benchmark framework reruns the timed part.
			round := 0 // across the framework's reruns: every round's sub-requests are new
			b.Run("batch=100", func(b *testing.B) {
				decided := 0
				var timed time.Duration
				for range b.N {
					b.StopTimer()
					round++
					srs := benchSubRequestsFor(round, subs, premises, cal)
					for from := 0; from < len(srs); from += 1000 {
						if _, err := st.UpsertSubRequests(b.Context(), srs[from:min(from+1000, len(srs))]); err != nil {
							b.Fatalf("record sub-requests: %v", err)
						}
					}
					b.StartTimer()
					start := time.Now()
					n, err := p.DecideNew(b.Context())
					timed += time.Since(start)
					if err != nil {
						b.Fatalf("decide: %v", err)
					}
					if n != len(srs) {
						b.Fatalf("decided %d of %d new sub-requests", n, len(srs))
					}
					decided += n
				}
				rate := float64(decided) / timed.Seconds()
				b.ReportMetric(rate, "decisions/s")
				b.Logf("%s: %d decisions in %v: %.0f decisions/s (store of %d premises, %d court acts built in %v)",
					be.name, decided, timed.Round(time.Millisecond), rate, premises, acts, build.Round(time.Millisecond))
			})
		})
	}
}
