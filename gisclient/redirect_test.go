package gisclient_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient"
)

// recorder is a server that notes every request it receives.
type recorder struct {
	mu   sync.Mutex
	reqs []string // "METHOD path auth=... body=N"
}

func (r *recorder) note(req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, fmt.Sprintf("%s %s auth=%q body=%d", req.Method, req.URL.Path, req.Header.Get("Authorization"), len(body)))
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// TestRedirectsNeverFollowed: an endpoint answering 301/302/307/308, to another host or to
// itself, makes the call fail with an error naming the target; the target receives nothing
// (no credentials, no envelope), whether the HTTP client is NewHTTPClient's, one injected
// with redirects allowed, or one whose credentials transport lost its CheckRedirect.
func TestRedirectsNeverFollowed(t *testing.T) {
	t.Parallel()
	const password = "s3cr3t-Pa55"
	clients := map[string]func(t *testing.T) *http.Client{
		"NewHTTPClient": func(t *testing.T) *http.Client {
			hc, err := gisclient.NewHTTPClient(gisclient.TransportOptions{BasicUser: "sit", BasicPassword: password, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			return hc
		},
		"CheckRedirect cleared": func(t *testing.T) *http.Client {
			hc, err := gisclient.NewHTTPClient(gisclient.TransportOptions{BasicUser: "sit", BasicPassword: password, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			hc.CheckRedirect = nil // as a careless wrapper might
			return hc
		},
		"injected default": func(*testing.T) *http.Client { return &http.Client{Timeout: 5 * time.Second} },
	}
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, sameHost := range []bool{false, true} {
			for name, mk := range clients {
				t.Run(fmt.Sprintf("%d/same host %v/%s", status, sameHost, name), func(t *testing.T) {
					t.Parallel()
					var target, origin recorder
					// Another host name than the origin's 127.0.0.1, so that Go's own
					// same-domain rule for the Authorization header does not apply.
					other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { target.note(r) }))
					t.Cleanup(other.Close)
					ou, _ := url.Parse(other.URL)
					location := "http://localhost:" + ou.Port() + "/moved?key=v"
					srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/moved" {
							target.note(r)
							return
						}
						origin.note(r)
						http.Redirect(w, r, location, status)
					}))
					t.Cleanup(srv.Close)
					if sameHost {
						location = srv.URL + "/moved?key=v"
					}
					c := newClient(t, srv.URL, newFakeClock(), func(o *gisclient.Options) { o.HTTPClient = mk(t) })
					_, err := c.Submit(context.Background(), mustExport(t, gisclient.ExportFilter{Period: period()}))
					if err == nil {
						t.Fatal("the redirect was followed without an error")
					}
					want := strings.TrimPrefix(location, "http://")
					if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fmt.Sprint(status)) {
						t.Errorf("error does not name HTTP %d to %s: %v", status, want, err)
					}
					if gisclient.IsTransient(err) {
						t.Errorf("a redirect is retried: %v", err)
					}
					if got := target.got(); len(got) != 0 {
						t.Errorf("the redirect target received %q", got)
					}
					if got := origin.got(); len(got) != 1 {
						t.Errorf("the endpoint received %d requests, want 1: %q", len(got), got)
					}
				})
			}
		}
	}
}
