package pipeline

import (
	"testing"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
)

// TestAnswerWhilePulling: while a pull of the process runs, Answer keeps deciding and
// sending what the pull records (one message after another, none waiting for the pass to
// end), and returns once the pull has ended.
func TestAnswerWhilePulling(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.p.pulling.Add(1) // a pull is running
	done := make(chan error, 1)
	go func() {
		_, err := b.p.Answer(t.Context())
		done <- err
	}()
	for _, g := range []string{"a", "b"} {
		if _, err := b.st.UpsertSubRequests(t.Context(), subRequests(g)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for b.st.state(g) != domain.StateAnswered {
			select {
			case err := <-done:
				t.Fatalf("Answer returned (%v) before %s, recorded while the pull ran, was answered", err, g)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s recorded while the pull ran is %s after 5 s; want it answered in the same Answer", g, b.st.state(g))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Answer returned (%v) while the pull was still running", err)
	default:
	}
	b.p.pulling.Add(-1)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Answer still running 5 s after the pull ended")
	}
	if n := len(b.gis.submitted); n != 2 {
		t.Errorf("%d messages submitted; want 2, one per sub-request as it was recorded", n)
	}
}
