package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// pagedGIS is a GIS that hands pulls over one sub-request per page, as gisport does with
// its export pages, failing with failAfter's error once that many pages were handed over.
type pagedGIS struct {
	*fakeGIS
	failAfter int
	pages     int
	// seen is, at each page handed over, which sub-requests the store held already.
	seen [][]domain.State
	st   *fakeStore
}

func (g *pagedGIS) PullPages(ctx context.Context, org string, from, to time.Time, fn func([]domain.SubRequest) error) error {
	srs, err := g.fakeGIS.Pull(ctx, org, from, to)
	if err != nil {
		return err
	}
	for _, sr := range srs {
		if g.failAfter > 0 && g.pages == g.failAfter {
			return errTransient
		}
		g.seen = append(g.seen, []domain.State{g.st.state("a"), g.st.state("b"), g.st.state("c")})
		g.pages++
		if err := fn([]domain.SubRequest{sr}); err != nil {
			return err
		}
	}
	return nil
}

// TestPullPages: a GIS that pulls page by page has each page recorded before the next is
// asked for; a failure keeps the pages before it and the watermark where it was, and a
// store failure stops the pull.
func TestPullPages(t *testing.T) {
	t.Parallel()
	paged := func(failAfter int) (*bundle, *pagedGIS) {
		var g *pagedGIS
		b := setup(t, func(o *Options) {
			g = &pagedGIS{fakeGIS: o.GIS.(*fakeGIS), failAfter: failAfter}
			o.GIS = g
		}, subRequests("a", "b", "c")...)
		g.st = b.st
		return b, g
	}
	t.Run("every page, one after the other", func(t *testing.T) {
		t.Parallel()
		b, g := paged(0)
		pr, err := b.p.Pull(t.Context(), org)
		if err != nil || pr.Pulled != 3 {
			t.Fatalf("pull: %+v, %v; want 3 new", pr, err)
		}
		if len(g.seen) != 3 || g.seen[1][0] != domain.StateNew || g.seen[2][1] != domain.StateNew || g.seen[2][2] != "" {
			t.Errorf("store at each page: %v; want each page recorded before the next", g.seen)
		}
		if wm := b.st.watermarks[org]; wm.IsZero() {
			t.Errorf("watermark not set after a complete pull")
		}
	})
	t.Run("GIS fails on the third page", func(t *testing.T) {
		t.Parallel()
		b, _ := paged(2)
		pr, err := b.p.Pull(t.Context(), org)
		if !errors.Is(err, errTransient) || pr.Pulled != 2 {
			t.Fatalf("pull: %+v, %v; want the first two recorded and the error", pr, err)
		}
		b.wantStates(t, map[string]domain.State{"a": domain.StateNew, "b": domain.StateNew, "c": ""})
		if wm := b.st.watermarks[org]; !wm.IsZero() {
			t.Errorf("watermark moved to %v after a failed pull", wm)
		}
	})
	t.Run("the store fails", func(t *testing.T) {
		t.Parallel()
		b, g := paged(0)
		b.st.failNext("UpsertSubRequests", errors.New("disk full"), 1)
		_, err := b.p.Pull(t.Context(), org)
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("pull: %v; want the store's error", err)
		}
		if g.pages != 1 {
			t.Errorf("%d pages asked for; want the pull stopped at the failed one", g.pages)
		}
	})
}
