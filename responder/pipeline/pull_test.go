package pipeline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
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
}
