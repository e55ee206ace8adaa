package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/store/storeopen"

	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/responder/decide"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/match"
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

// benchDecideBatch is GISGW_BENCH_DECIDE_BATCH, 0 (the pipeline's default) when unset.
func benchDecideBatch(b *testing.B) int {
	v := os.Getenv("GISGW_BENCH_DECIDE_BATCH")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("GISGW_BENCH_DECIDE_BATCH=%q: want a positive number", v)
	}
	return n
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

// growBenchStore adds premises [from, to) and their court acts to the store, in chunks as
// `gisgw import` would, and returns how long it took: the benchmark grows one store through
// its sizes instead of building each from nothing.
func growBenchStore(b *testing.B, st store.Store, from, to int) time.Duration {
	ctx := b.Context()
	start := time.Now()
	for lo := from; lo < to; lo += benchImportChunk {
		ps := make([]domain.Premises, 0, benchImportChunk)
		for i := lo; i < min(lo+benchImportChunk, to); i++ {
			ps = append(ps, benchPremises(i))
		}
		if _, err := st.ImportPremises(ctx, benchOrg, ps); err != nil {
			b.Fatalf("import premises from #%d: %v", lo, err)
		}
	}
	loaded := time.Since(start)
	for lo := from; lo < to; lo += benchImportChunk * benchActEvery {
		as := make([]domain.CourtAct, 0, benchImportChunk)
		for i := lo; i < min(lo+benchImportChunk*benchActEvery, to); i += benchActEvery {
			as = append(as, benchAct(i))
		}
		if _, err := st.ImportCourtActs(ctx, benchOrg, as); err != nil {
			b.Fatalf("import court acts from premises #%d: %v", lo, err)
		}
	}
	total := time.Since(start)
	b.Logf("store grown to %d premises: %d premises in %v, %d court acts in %v", to, to-from, loaded.Round(time.Millisecond),
		benchActs(to)-benchActs(from), (total - loaded).Round(time.Millisecond))
	return total
}

// benchActs is the number of court acts in a store of n premises (n a multiple of 50).
func benchActs(n int) int { return (n + benchActEvery - 1) / benchActEvery }

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

// warmStore reads the store into the operating system's page cache before a timed round,
// as a server whose memory holds the database keeps it. The benchmark's VMs page out file
// pages nobody touched for a minute (the kernel's DAMON reclaim: 16 GB in one session),
// so without it a 1M round read the pages the import wrote a minute before from the disk,
// at a cost that depended on how long the store had been growing.
func warmStore(b *testing.B, backend, dsn string) {
	b.Helper()
	if backend == "postgres" {
		storetest.PrewarmPostgres(b, dsn)
		return
	}
	for _, path := range []string{dsn, dsn + "-wal"} {
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			b.Fatalf("warm %s: %v", path, err)
		}
		_, err = io.Copy(io.Discard, f)
		f.Close()
		if err != nil {
			b.Fatalf("warm %s: %v", path, err)
		}
	}
}

// median is the middle of rates (the mean of the two middle ones for an even count).
func median(rates []float64) float64 {
	if len(rates) == 0 {
		return 0
	}
	r := slices.Sorted(slices.Values(rates))
	if n := len(r); n%2 == 0 {
		return (r[n/2-1] + r[n/2]) / 2
	}
	return r[len(r)/2]
}

// roundList writes rates in the order they ran: "9012, 9783, 8358".
func roundList(rates []float64) string {
	s := make([]string, len(rates))
	for i, r := range rates {
		s[i] = fmt.Sprintf("%.0f", r)
	}
	return strings.Join(s, ", ")
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

// worldLookup is the generated world as a match.Lookup, computed from the generator's
// formulas instead of read from a store: the benchmark's oracle. It reads whole houses (it is
// no match.HouseFlatLookup), as matching did before flat keys.
type worldLookup struct{ premises int }

// index parses a GUID of benchGUID(kind, n) and returns n, or -1.
func (w worldLookup) index(guid string, kind int) int {
	var k, n int
	if _, err := fmt.Sscanf(guid, "%08x-0000-4000-8000-%012x", &k, &n); err != nil || k != kind {
		return -1
	}
	return n
}

func (w worldLookup) stored(i int) domain.Premises {
	p := benchPremises(i)
	p.OrgGUID = benchOrg
	return p
}

func (w worldLookup) PremisesByHMObject(_ context.Context, org, guid string) ([]domain.Premises, error) {
	i := w.index(guid, guidHM)
	if org != benchOrg || i < 0 || i >= w.premises || i%10 >= 7 {
		return nil, nil
	}
	return []domain.Premises{w.stored(i)}, nil
}

func (w worldLookup) PremisesByHouse(_ context.Context, org, guid string) ([]domain.Premises, error) {
	h := w.index(guid, guidHouse)
	if h < 0 {
		h = w.index(guid, guidFIAS)
	}
	if org != benchOrg || h < 0 || h >= w.premises/benchFlatsPerHouse {
		return nil, nil
	}
	ps := make([]domain.Premises, benchFlatsPerHouse)
	for f := range ps {
		ps[f] = w.stored(h*benchFlatsPerHouse + f)
	}
	slices.SortFunc(ps, func(a, b domain.Premises) int { return strings.Compare(a.ID, b.ID) })
	return ps, nil
}

// PremisesByAddressKey: only the sub-requests about objects the organization does not serve
// get this far, and their street is none of the world's.
func (w worldLookup) PremisesByAddressKey(context.Context, string, string) ([]domain.Premises, error) {
	return nil, nil
}

// expect is what the generated world implies for sr: the rules applied to the match over
// worldLookup and the acts the generator made at the matched premises.
func (w worldLookup) expect(b *testing.B, sr domain.SubRequest, today time.Time) domain.Decision {
	m, err := match.Match(b.Context(), w, sr)
	if err != nil {
		b.Fatal(err)
	}
	var acts []domain.CourtAct
	for _, id := range m.PremisesIDs() {
		var i int
		if _, err := fmt.Sscanf(id, "P%d", &i); err != nil {
			b.Fatalf("premises id %q: %v", id, err)
		}
		if i%benchActEvery == 0 && i < w.premises {
			a := benchAct(i)
			a.OrgGUID = benchOrg
			acts = append(acts, a)
		}
	}
	return decide.Decide(sr, m, acts, today)
}

// tally counts decisions by answer (debt or no debt) and by whether a person must review
// them (the generated debts run partly outside the three years, so every one is reviewed).
type tally struct{ debt, noDebt, review int }

func (t *tally) add(d domain.Decision) {
	if d.HasDebt {
		t.debt++
	} else {
		t.noDebt++
	}
	if d.Review {
		t.review++
	}
}

// checkDecisions reads the stored decision of each of srs and wants what the world implies:
// the same outcome (debt, no debt, review), premises, match method, review reasons, debtors
// and files. It returns the tally.
func checkDecisions(b *testing.B, st store.Store, w worldLookup, srs []domain.SubRequest, now time.Time) tally {
	var got, want tally
	today := calendar.Today(now)
	for _, sr := range srs {
		d, err := st.GetDecision(b.Context(), sr.GUID)
		if err != nil {
			b.Fatalf("decision of %s: %v", sr.GUID, err)
		}
		e := w.expect(b, sr, today)
		if d.Review != e.Review || !d.SameAnswer(e) || !slices.Equal(d.PremisesIDs, e.PremisesIDs) ||
			d.MatchMethod != e.MatchMethod || !slices.Equal(d.ReviewReasons, e.ReviewReasons) {
			b.Fatalf("sub-request %s (%+v):\nstored decision %+v\nthe world implies %+v", sr.GUID, sr, d, e)
		}
		got.add(d)
		want.add(e)
	}
	if got != want || got.debt == 0 || got.noDebt == 0 || got.review == 0 || got.review == len(srs) {
		b.Fatalf("decisions debt/no debt/review = %+v of %d; the world implies %+v (each kind, and some not reviewed)", got, len(srs), want)
	}
	return got
}

// benchSizes are the store sizes the benchmark decides against, smallest first: 10,000,
// 100,000 and 1,000,000 premises (times GISGW_BENCH_SCALE, whole houses).
func benchSizes(scale float64) []int {
	var out []int
	for _, n := range []int{10_000, 100_000, benchHouses * benchFlatsPerHouse} {
		n = int(float64(n) * scale)
		n -= n % benchFlatsPerHouse
		out = append(out, max(n, benchFlatsPerHouse))
	}
	return out
}

// human writes 1000000 as 1M and 10000 as 10k.
func human(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

// BenchmarkDecisions is the issue "Proof under load": decisions per second against a
// generated store of 1,000,000 premises and 200,000 court acts, on PostgreSQL and on SQLite,
// timing the daemon's own decide step (pipeline.DecideNew over app.NewDecider: claim, decide
// and save batches) on 20,000 new sub-requests per round. The same is measured at
// 10,000 and 100,000 premises (premises=10k, 100k, 1M), one store grown through the sizes,
// to show that the rate does not fall as the store grows. The store's growth is logged,
// not timed, as is recording the sub-requests and checking every decision against what the
// generated world implies. decisions/s is the median of the timed rounds (b.N of them),
// mean-decisions/s all rounds' decisions over their time. PostgreSQL (TEST_DATABASE_URL) is
// skipped only when unreachable outside CI.
func BenchmarkDecisions(b *testing.B) {
	scale := benchScale(b)
	sizes := benchSizes(scale)
	subs := max(int(benchSubRequests*scale), 100)
	cal, err := calendar.New()
	if err != nil {
		b.Fatal(err)
	}
	// The PostgreSQL backends carry an application name of their own, so that their CPU
	// time can be told from other clients' (backendCPU).
	pgApp := fmt.Sprintf("gisgw-bench-decide-%d", os.Getpid())
	backends := []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"postgres", func(b *testing.B) string { return storetest.PostgresSchema(b) + "&application_name=" + pgApp }},
		{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") }},
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			dsn := be.dsn(b)
			st, err := storeopen.Open(b.Context(), dsn, storeopen.WithAutoMigrate())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			now := time.Date(2025, 5, 21, 9, 0, 0, 0, time.UTC)
			p, err := pipeline.New(pipeline.Options{
				Store:   st,
				GIS:     offlineGIS{},
				Decider: app.NewDecider(st, cal),
				Orgs:    []pipeline.Org{{GUID: benchOrg}},
				Owner:   "bench",
				// GISGW_BENCH_DECIDE_BATCH compares decide batch sizes (unset: the default).
				DecideBatchSize: benchDecideBatch(b),
				Now:             func() time.Time { return now },
			})
			if err != nil {
				b.Fatal(err)
			}
			round := 0 // across sizes and the framework's reruns: every round's sub-requests are new
			built, build := 0, time.Duration(0)
			for _, size := range sizes {
				if size <= built {
					continue
				}
				build += growBenchStore(b, st, built, size)
				built = size
				w := worldLookup{premises: size}
				// A level of its own, so that the store is grown once however often the
				// benchmark framework reruns the timed part.
				b.Run("premises="+human(size), func(b *testing.B) {
					decided := 0
					var timed, cpu, serverCPU time.Duration
					var outcomes tally
					var rounds []float64 // each round's decisions/s
					for range b.N {
						b.StopTimer()
						round++
						if be.name == "postgres" {
							// As autovacuum would have since the day before: dead versions of
							// the earlier rounds' rows gone, statistics of the grown store taken;
							// not yet of this round's sub-requests (see VacuumPostgres).
							storetest.VacuumPostgres(b, dsn)
						}
						srs := benchSubRequestsFor(round, subs, size, cal)
						for from := 0; from < len(srs); from += 1000 {
							if _, err := st.UpsertSubRequests(b.Context(), srs[from:min(from+1000, len(srs))]); err != nil {
								b.Fatalf("record sub-requests: %v", err)
							}
						}
						warmStore(b, be.name, dsn)
						var backends map[int]time.Duration
						if be.name == "postgres" {
							backends = backendCPU(b, pgApp)
						}
						cpu0 := processCPU(b)
						b.StartTimer()
						start := time.Now()
						n, err := p.DecideNew(b.Context())
						took := time.Since(start)
						timed += took
						rounds = append(rounds, float64(n)/took.Seconds())
						b.StopTimer()
						cpu += processCPU(b) - cpu0
						if be.name == "postgres" {
							serverCPU += backendCPUSince(backends, backendCPU(b, pgApp))
						}
						if err != nil {
							b.Fatalf("decide: %v", err)
						}
						if n != len(srs) {
							b.Fatalf("decided %d of %d new sub-requests", n, len(srs))
						}
						t := checkDecisions(b, st, w, srs, now)
						outcomes.debt, outcomes.noDebt, outcomes.review = outcomes.debt+t.debt, outcomes.noDebt+t.noDebt, outcomes.review+t.review
						decided += n
						b.StartTimer()
					}
					// The figure is the median round: on the shared VMs a round now and then
					// runs at two thirds of its neighbours' speed (another tenant), and a mean
					// of a few rounds carries that into the figure and the spread between sizes.
					rate := float64(decided) / timed.Seconds()
					b.ReportMetric(median(rounds), "decisions/s")
					b.ReportMetric(rate, "mean-decisions/s")
					b.ReportMetric(float64(len(rounds)), "rounds")
					// CPU per decision: steadier than the rate on a shared machine.
					b.ReportMetric(float64(cpu.Microseconds())/float64(decided), "cpu-us/decision")
					if be.name == "postgres" {
						b.ReportMetric(float64(serverCPU.Microseconds())/float64(decided), "server-cpu-us/decision")
					}
					b.Logf("%s/premises=%s: %d decisions in %v: %.0f decisions/s (rounds: %s/s, median %.0f; store of %d premises, %d court acts built in %v); debt %d, no debt %d, review %d, each as the world implies",
						be.name, human(size), decided, timed.Round(time.Millisecond), rate, roundList(rounds), median(rounds), size, benchActs(size), build.Round(time.Millisecond),
						outcomes.debt, outcomes.noDebt, outcomes.review)
				})
			}
		})
	}
}

// TestMedian: the decide figure is the middle round, whatever order the rounds ran in, and
// one slow round does not move it.
func TestMedian(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rates []float64
		want  float64
	}{
		{nil, 0},
		{[]float64{9000}, 9000},
		{[]float64{9000, 10000}, 9500},
		{[]float64{11000, 6000, 10000}, 10000},
		{[]float64{10200, 10100, 6500, 10000, 9900}, 10000},
	} {
		in := slices.Clone(c.rates)
		if got := median(in); got != c.want {
			t.Errorf("median(%v) = %v; want %v", c.rates, got, c.want)
		}
		if !slices.Equal(in, c.rates) {
			t.Errorf("median reordered its input: %v", in)
		}
	}
}
