package storetest

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gisgw/gisgw/responder/store"
)

// alertTests cover the record of alerts sent (responder/alert); Run appends them.
var alertTests = []struct {
	name string
	fn   func(t *testing.T, b *bundle)
}{
	{"ClaimAlert", testClaimAlert},
	{"ClaimAlertConcurrent", func(t *testing.T, b *bundle) { testClaimAlertConcurrent(t, b.st, b.st, b) }},
}

func testClaimAlert(t *testing.T, b *bundle) {
	ctx := b.ctx
	claim := func(guid, kind string, want bool) {
		t.Helper()
		got, err := b.st.ClaimAlert(ctx, guid, kind)
		if err != nil || got != want {
			t.Fatalf("ClaimAlert(%s, %s) = %v, %v; want %v, nil", guid, kind, got, err, want)
		}
	}
	claim("g1", "failed:email", true)
	claim("g1", "failed:email", false)
	// Another kind, another sub-request, another channel: each its own alert.
	claim("g1", "deadline-2:email", true)
	claim("g1", "failed:webhook", true)
	claim("g2", "failed:email", true)
	claim("g2", "failed:email", false)

	// A released alert can be claimed again (its sending failed); the others stay.
	if err := b.st.ReleaseAlert(ctx, "g1", "failed:email"); err != nil {
		t.Fatalf("ReleaseAlert: %v", err)
	}
	claim("g1", "failed:email", true)
	claim("g2", "failed:email", false)
	claim("g1", "deadline-2:email", false)
	// Releasing what is not recorded is no error.
	if err := b.st.ReleaseAlert(ctx, "nope", "failed:email"); err != nil {
		t.Fatalf("ReleaseAlert of an unrecorded alert: %v", err)
	}
	if _, err := b.st.ClaimAlert(ctx, "", "failed:email"); err == nil {
		t.Fatal("ClaimAlert with an empty GUID: no error")
	}
	if _, err := b.st.ClaimAlert(ctx, "g1", ""); err == nil {
		t.Fatal("ClaimAlert with an empty kind: no error")
	}
}

// testClaimAlertConcurrent claims one alert from many goroutines over two stores (replicas
// when a and c are different stores on one database): exactly one wins.
func testClaimAlertConcurrent(t *testing.T, a, c store.Store, b *bundle) {
	const n = 16
	var wins atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		st := a
		if i%2 == 1 {
			st = c
		}
		wg.Go(func() {
			ok, err := st.ClaimAlert(b.ctx, "g-race", "auto_answered:webhook")
			if err != nil {
				errs <- err
				return
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ClaimAlert: %v", err)
	}
	if w := wins.Load(); w != 1 {
		t.Fatalf("%d of %d concurrent claims of one alert won; want exactly 1", w, n)
	}
}
