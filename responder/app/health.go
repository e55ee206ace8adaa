package app

import (
	"fmt"
	"sort"
	"sync"
)

// health counts the failed passes in a row, per organization for pulls and overall for the
// answering loop, for /readyz: a daemon whose work keeps failing is not ready, although it
// is alive (/healthz).
type health struct {
	limit int // failures in a row that make the daemon unready

	mu      sync.Mutex
	pulls   map[string]failures // by organization
	answers failures
}

// failures is a run of failed passes and the last error.
type failures struct {
	n    int
	last error
}

func newHealth(limit int) *health {
	return &health{limit: limit, pulls: map[string]failures{}}
}

func (f *failures) record(err error) {
	if err == nil {
		*f = failures{}
		return
	}
	f.n++
	f.last = err
}

// pulled records the outcome of a pull of org.
func (h *health) pulled(org string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.pulls[org]
	f.record(err)
	h.pulls[org] = f
}

// answered records the outcome of a pass of the answering loop.
func (h *health) answered(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answers.record(err)
}

// unready says why the daemon is not ready, or "" when it is.
func (h *health) unready() string {
	if h.limit <= 0 {
		return ""
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var why []string
	for org, f := range h.pulls {
		if f.n >= h.limit {
			why = append(why, fmt.Sprintf("the last %d pulls of organization %s failed: %v", f.n, org, f.last))
		}
	}
	sort.Strings(why)
	if h.answers.n >= h.limit {
		why = append(why, fmt.Sprintf("the last %d answering passes failed: %v", h.answers.n, h.answers.last))
	}
	if len(why) == 0 {
		return ""
	}
	out := "not ready:"
	for _, w := range why {
		out += "\n" + w
	}
	return out
}
