package pipeline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// pagedGIS serves the fake's sub-requests page by page (pageSize each, by GUID), as
// gisport does, and records the pages asked for.
type pagedGIS struct {
	*fakeGIS
	pageSize int
	mu       sync.Mutex
	asked    []string // "day cursor"
	failAt   string   // a cursor whose page fails once
}

func (g *pagedGIS) PullPage(ctx context.Context, org string, from, to time.Time, cursor string) ([]domain.SubRequest, string, error) {
	g.mu.Lock()
	g.asked = append(g.asked, from.Format(time.DateOnly)+" "+cursor)
	fail := cursor != "" && cursor == g.failAt
	if fail {
		g.failAt = ""
	}
	g.mu.Unlock()
	if fail {
		return nil, "", errTransient
	}
	all, err := g.Pull(ctx, org, from, to)
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(all, func(a, b domain.SubRequest) int { return strings.Compare(a.GUID, b.GUID) })
	start := 0
	if cursor != "" {
		start = slices.IndexFunc(all, func(sr domain.SubRequest) bool { return sr.GUID == cursor })
	}
	end := min(start+g.pageSize, len(all))
	if end == len(all) {
		return all[start:end], "", nil
	}
	return all[start:end], all[end].GUID, nil
}

// askedNext reports whether a page after the first of a period was asked for.
func (g *pagedGIS) askedNext() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.ContainsFunc(g.asked, func(a string) bool { return !strings.HasSuffix(a, " ") })
}

func TestPullPages(t *testing.T) {
	t.Parallel()
	today := time.Date(2025, 5, 21, 0, 0, 0, 0, time.UTC)
	var subs []domain.SubRequest
	for i, g := range []string{"a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3", "c1"} {
		sr := subRequest(g)
		sr.SentDate = today.AddDate(0, 0, -1-i/5*2) // a: yesterday, b and c: 3 days ago
		subs = append(subs, sr)
	}
	t.Run("the days' pages side by side, each recorded", func(t *testing.T) {
		t.Parallel()
		var pg *pagedGIS
		b := setup(t, func(o *Options) {
			pg = &pagedGIS{fakeGIS: o.GIS.(*fakeGIS), pageSize: 2}
			o.GIS, o.PullConcurrency, o.PullWindow = pg, 3, 5*24*time.Hour
		}, subs...)
		pr, err := b.p.pull(t.Context(), org)
		if err != nil || pr.Pulled != len(subs) {
			t.Fatalf("pull: %+v, %v; want %d new", pr, err, len(subs))
		}
		// 6 days: 4 empty (a page each), yesterday 3 pages (a1 a2, a3 a4, a5), 3 days ago 2 (b1 b2, b3 c1).
		if len(pg.asked) != 4+3+2 {
			t.Errorf("pages asked: %v; want 9", pg.asked)
		}
		if wm := b.st.watermarks[org]; !wm.Equal(today) {
			t.Errorf("watermark %v; want %v", wm, today)
		}
	})
	t.Run("a failed page keeps the watermark, the pages before are recorded", func(t *testing.T) {
		t.Parallel()
		var pg *pagedGIS
		b := setup(t, func(o *Options) {
			pg = &pagedGIS{fakeGIS: o.GIS.(*fakeGIS), pageSize: 2, failAt: "a3"}
			o.GIS, o.PullConcurrency, o.PullWindow = pg, 2, 5*24*time.Hour
		}, subs...)
		if _, err := b.p.pull(t.Context(), org); !errors.Is(err, errTransient) {
			t.Fatalf("pull: %v; want the page's error", err)
		}
		if !b.st.watermarks[org].IsZero() {
			t.Error("the watermark moved although a page failed")
		}
		if b.st.state("a1") != domain.StateNew || b.st.state("a2") != domain.StateNew {
			t.Error("the page before the failed one was not recorded")
		}
		if pr, err := b.p.pull(t.Context(), org); err != nil || pr.Pulled == 0 || b.st.state("a5") != domain.StateNew {
			t.Errorf("pull after the fault: %+v, %v; want the rest recorded", pr, err)
		}
	})
	t.Run("the next page is exported while the page before is recorded", func(t *testing.T) {
		t.Parallel()
		var pg *pagedGIS
		b := setup(t, func(o *Options) {
			pg = &pagedGIS{fakeGIS: o.GIS.(*fakeGIS), pageSize: 2}
			o.GIS, o.PullConcurrency, o.PullWindow = pg, 2, 5*24*time.Hour
			o.Store = &awaitingStore{fakeStore: o.Store.(*fakeStore), until: pg.askedNext}
		}, subs[:5]...)
		// The first page's recording waits (up to two seconds) for a second page's export.
		if pr, err := b.p.pull(t.Context(), org); err != nil || pr.Pulled != 5 {
			t.Fatalf("pull: %+v, %v; want 5 new", pr, err)
		}
		if st := b.p.o.Store.(*awaitingStore); !st.overlapped.Load() {
			t.Error("the second page was asked for only after the first was recorded")
		}
	})
	t.Run("a page not recorded keeps the later pages of its period out", func(t *testing.T) {
		t.Parallel()
		var pg *pagedGIS
		b := setup(t, func(o *Options) {
			pg = &pagedGIS{fakeGIS: o.GIS.(*fakeGIS), pageSize: 2}
			o.GIS, o.PullConcurrency, o.PullWindow = pg, 2, 5*24*time.Hour
			// The first page fails to be recorded once the second has been exported.
			o.Store = &awaitingStore{fakeStore: o.Store.(*fakeStore), until: pg.askedNext}
		}, subs[:5]...)
		errStore := errors.New("store down")
		b.st.failNext("UpsertSubRequests", errStore, 1)
		if _, err := b.p.pull(t.Context(), org); !errors.Is(err, errStore) {
			t.Fatalf("pull: %v; want the store's error", err)
		}
		for _, g := range []string{"a1", "a2", "a3", "a4", "a5"} {
			if b.st.sub(g).GUID != "" {
				t.Errorf("%s recorded although the page before it (or its own) was not", g)
			}
		}
		if !b.st.watermarks[org].IsZero() {
			t.Error("the watermark moved although a page was not recorded")
		}
		if pr, err := b.p.pull(t.Context(), org); err != nil || pr.Pulled != 5 {
			t.Errorf("pull after the fault: %+v, %v; want all 5 recorded", pr, err)
		}
	})
}

// awaitingStore holds the first recording of pulled sub-requests until until holds (at most
// two seconds) and notes whether it did.
type awaitingStore struct {
	*fakeStore
	until      func() bool
	called     atomic.Bool
	overlapped atomic.Bool
}

func (s *awaitingStore) UpsertSubRequests(ctx context.Context, srs []domain.SubRequest) (int, error) {
	if s.called.Swap(true) {
		return s.fakeStore.UpsertSubRequests(ctx, srs) // only the first page is held
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if s.until() {
			s.overlapped.Store(true)
			break
		}
	}
	return s.fakeStore.UpsertSubRequests(ctx, srs)
}

// TestPullRetryAsksOnlyUnfinished: after a failed pull, the retry does not export again the
// periods the failed one finished (a pull of many periods, each export of which can fail,
// would otherwise rarely get through all of them), but asks again for the period that
// failed and for the one ending today.
func TestPullRetryAsksOnlyUnfinished(t *testing.T) {
	t.Parallel()
	today := time.Date(2025, 5, 21, 0, 0, 0, 0, time.UTC)
	old, older, recent := subRequest("o1"), subRequest("p1"), []domain.SubRequest{subRequest("r1"), subRequest("r2"), subRequest("r3")}
	older.SentDate = today.AddDate(0, 0, -390)
	old.SentDate = today.AddDate(0, 0, -200)
	for i := range recent {
		recent[i].SentDate = today.AddDate(0, 0, -2)
	}
	var pg *pagedGIS
	b := setup(t, func(o *Options) {
		pg = &pagedGIS{fakeGIS: o.GIS.(*fakeGIS), pageSize: 2, failAt: "r3"}
		// One place: the three six-month periods go in turn, the oldest first.
		o.GIS, o.PullConcurrency, o.PullWindow = pg, 1, 400*24*time.Hour
	}, append([]domain.SubRequest{old, older}, recent...)...)
	spans := Spans(today.Add(-400*24*time.Hour), today)
	if len(spans) != 3 {
		t.Fatalf("test setup: %d periods; want 3", len(spans))
	}
	if pr, err := b.p.pull(t.Context(), org); !errors.Is(err, errTransient) || pr.Exported != 2 {
		t.Fatalf("first pull: %+v, %v; want the failed page's error and the two older periods exported", pr, err)
	}
	first := len(pg.asked)
	if pr, err := b.p.pull(t.Context(), org); err != nil || pr.Pulled != 1 {
		t.Fatalf("retry: %+v, %v; want r3 recorded", pr, err)
	}
	retry := pg.asked[first:]
	for _, a := range retry {
		for _, s := range spans[:2] {
			if strings.HasPrefix(a, s[0].Format(time.DateOnly)+" ") {
				t.Errorf("retry asked again for %q of the period %s, which the first pull finished (retry asked %v)", a, s[0].Format(time.DateOnly), retry)
			}
		}
	}
	if want := spans[2][0].Format(time.DateOnly) + " "; len(retry) == 0 || retry[0] != want {
		t.Errorf("retry asked %v; want it to start again at the first page of the failed period (%q)", retry, want)
	}
	if !b.st.watermarks[org].Equal(today) {
		t.Errorf("watermark %v after the retry succeeded; want %v", b.st.watermarks[org], today)
	}
	// The record of finished periods is gone with the success: the next pull starts afresh.
	if _, ok := b.p.pulled[org]; ok {
		t.Error("the finished periods are still remembered after a successful pull")
	}
}
