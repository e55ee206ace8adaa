package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

var chunkTests = []struct {
	name string
	fn   func(t *testing.T, b *bundle)
}{
	{"ImportCourtActsChunkBoundaries", testImportCourtActsChunkBoundaries},
	{"ImportCourtActsStream", testImportCourtActsStream},
	{"ImportCourtActsStreamMissingPremises", testImportCourtActsStreamMissingPremises},
	{"ImportCourtActsStreamRollback", testImportCourtActsStreamRollback},
	{"ImportCourtActsStreamCancel", testImportCourtActsStreamCancel},
}

// chunksOf hands out acts in chunks of the given sizes, then the rest in one, then nothing.
func chunksOf(acts []domain.CourtAct, sizes ...int) func() ([]domain.CourtAct, error) {
	return func() ([]domain.CourtAct, error) {
		n := len(acts)
		if len(sizes) > 0 {
			n, sizes = min(sizes[0], n), sizes[1:]
		}
		chunk := acts[:n]
		acts = acts[n:]
		return chunk, nil
	}
}

func numberedActs(n int) ([]domain.Premises, []domain.CourtAct) {
	ps := make([]domain.Premises, n)
	acts := make([]domain.CourtAct, n)
	for i := range n {
		id := fmt.Sprintf("p%05d", i)
		ps[i] = premises(id, "")
		acts[i] = act(fmt.Sprintf("a%05d", i), id, debtor(fmt.Sprintf("Должник%d", i), ""))
	}
	return ps, acts
}

// testImportCourtActsChunkBoundaries: ImportCourtActs splits its input into chunks of
// storecore.ActChunk; 0, 1, chunk-1, chunk and chunk+1 acts all land whole, each act once,
// with its debtors and one balance history row.
func testImportCourtActsChunkBoundaries(t *testing.T, b *bundle) {
	const c = storecore.ActChunk
	ps, acts := numberedActs(c + 1)
	mustImportPremises(t, b, "", ps...)
	prev := 0
	for _, n := range []int{0, 1, c - 1, c, c + 1} {
		got := mustImportActs(t, b, "", acts[:n]...)
		if want := (store.ImportStats{Inserted: n - prev, Unchanged: prev}); got != want {
			t.Fatalf("import of %d acts = %+v; want %+v", n, got, want)
		}
		prev = n
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	if got := actsAt(t, b, ids...); !reflect.DeepEqual(got, acts) {
		t.Fatalf("read back %d acts differing from the %d written", len(got), len(acts))
	}
	inv, err := b.st.InventoryActs(b.ctx, "")
	if err != nil || len(inv) != len(acts) {
		t.Fatalf("InventoryActs = %d acts, %v; want %d", len(inv), err, len(acts))
	}
	for _, a := range inv {
		if len(a.Balances) != 1 || a.Balances[0].Outstanding != a.Act.Outstanding {
			t.Fatalf("balance history of act %s = %+v; want one row", a.Act.ID, a.Balances)
		}
	}
}

// testImportCourtActsStream: chunks of any size (an empty one ends the stream) land as one
// import; an act in two chunks is refused.
func testImportCourtActsStream(t *testing.T, b *bundle) {
	ps, acts := numberedActs(7)
	mustImportPremises(t, b, "", ps...)
	got, err := b.st.ImportCourtActsStream(b.ctx, "", chunksOf(acts[:5], 1, 3, 1))
	if want := (store.ImportStats{Inserted: 5}); err != nil || got != want {
		t.Fatalf("stream of 1+3+1 acts = %+v, %v; want %+v", got, err, want)
	}
	acts[0].Outstanding = 5
	got, err = b.st.ImportCourtActsStream(b.ctx, "", chunksOf(acts, 2, 2, 2))
	if want := (store.ImportStats{Inserted: 2, Updated: 1, Unchanged: 4}); err != nil || got != want {
		t.Fatalf("stream of 2+2+2+1 acts = %+v, %v; want %+v", got, err, want)
	}
	if got := actsAt(t, b, "p00000")[0].Outstanding; got != 5 {
		t.Fatalf("outstanding after the update = %d; want 5", got)
	}
	twice := append(append([]domain.CourtAct(nil), acts[:2]...), acts[1])
	if _, err := b.st.ImportCourtActsStream(b.ctx, "", chunksOf(twice, 2)); !errors.Is(err, store.ErrRepeatedAct) || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("an act in two chunks: err = %v; want listed twice", err)
	}
	if _, err := b.st.ImportCourtActsStream(b.ctx, "", chunksOf(twice, 3)); !errors.Is(err, store.ErrRepeatedAct) {
		t.Fatalf("an act twice in one chunk: err = %v; want ErrRepeatedAct", err)
	}
	if _, err := b.st.ImportCourtActs(b.ctx, "", twice); !errors.Is(err, store.ErrRepeatedAct) {
		t.Fatalf("ImportCourtActs with an act twice: err = %v; want ErrRepeatedAct", err)
	}
	if _, err := b.st.ImportCourtActsStream(b.ctx, "", chunksOf(nil)); err != nil {
		t.Fatalf("empty stream: %v", err)
	}
}

// testImportCourtActsStreamMissingPremises: missing premises in different chunks are all
// named, and nothing of any chunk is written.
func testImportCourtActsStreamMissingPremises(t *testing.T, b *bundle) {
	ps, acts := numberedActs(6)
	mustImportPremises(t, b, "", ps...)
	acts[1].PremisesID, acts[4].PremisesID = "404", "405"
	_, err := b.st.ImportCourtActsStream(b.ctx, "", chunksOf(acts, 3))
	var mp *store.MissingPremisesError
	if !errors.As(err, &mp) {
		t.Fatalf("err = %v; want *MissingPremisesError", err)
	}
	want := []store.ActPremises{{ActID: acts[1].ID, PremisesID: "404"}, {ActID: acts[4].ID, PremisesID: "405"}}
	if !reflect.DeepEqual(mp.Missing, want) {
		t.Fatalf("missing = %+v; want %+v", mp.Missing, want)
	}
	if got := actsAt(t, b, "p00000", "p00003"); len(got) != 0 {
		t.Fatalf("a failed import wrote %d acts", len(got))
	}
}

// testImportCourtActsStreamRollback: an error from next after chunks were written rolls all
// of them back and comes back to the caller.
func testImportCourtActsStreamRollback(t *testing.T, b *bundle) {
	ps, acts := numberedActs(4)
	mustImportPremises(t, b, "", ps...)
	boom := errors.New("the file changed")
	calls := 0
	_, err := b.st.ImportCourtActsStream(b.ctx, "", func() ([]domain.CourtAct, error) {
		calls++
		if calls > 2 {
			return nil, boom
		}
		return acts[2*(calls-1) : 2*calls], nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v; want the error of next", err)
	}
	if got := actsAt(t, b, "p00000", "p00003"); len(got) != 0 {
		t.Fatalf("a failed import wrote %d acts", len(got))
	}
}

// testImportCourtActsStreamCancel: an import whose stream never ends (a file still being
// written, a stalled reader) stops when its context is cancelled, writes nothing, and calls
// next no more once it has returned, although the store may read chunks ahead of its writes.
func testImportCourtActsStreamCancel(t *testing.T, b *bundle) {
	ps, _ := numberedActs(1)
	mustImportPremises(t, b, "", ps...)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	var calls atomic.Int64
	_, err := b.st.ImportCourtActsStream(ctx, "", func() ([]domain.CourtAct, error) {
		n := calls.Add(1)
		if n == 3 {
			cancel()
		}
		return []domain.CourtAct{act(fmt.Sprintf("s%05d", n), ps[0].ID, debtor(fmt.Sprintf("Должник%d", n), ""))}, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	after := calls.Load()
	time.Sleep(50 * time.Millisecond)
	if got := calls.Load(); got != after {
		t.Fatalf("next called %d more times after the import returned", got-after)
	}
	if got := actsAt(t, b, ps[0].ID); len(got) != 0 {
		t.Fatalf("a cancelled import wrote %d acts", len(got))
	}
}
