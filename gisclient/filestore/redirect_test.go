package filestore_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/filestore"
)

// TestRedirectsNeverFollowed: a file store answering 301/302/307/308, to another host or to
// itself, fails the upload with an error naming the target at once (no retry), and the
// target receives nothing: no credentials, no file. The caller's client follows redirects
// and is left as it was.
func TestRedirectsNeverFollowed(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, sameHost := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/same host %v", status, sameHost), func(t *testing.T) {
				t.Parallel()
				var targetHits, originHits atomic.Int32
				var leaked atomic.Value
				note := func(r *http.Request) {
					targetHits.Add(1)
					body, _ := io.ReadAll(r.Body)
					leaked.Store(fmt.Sprintf("auth=%q body=%d", r.Header.Get("Authorization"), len(body)))
				}
				other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { note(r) }))
				t.Cleanup(other.Close)
				ou, _ := url.Parse(other.URL)
				location := "http://localhost:" + ou.Port() + "/moved"
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/moved" {
						note(r)
						return
					}
					originHits.Add(1)
					http.Redirect(w, r, location, status)
				}))
				t.Cleanup(srv.Close)
				if sameHost {
					location = srv.URL + "/moved"
				}
				hc := &http.Client{Timeout: 5 * time.Second}
				c, err := filestore.New(hc, filestore.Options{Endpoint: srv.URL, OrgPPAGUID: testOrg, BasicUser: "sit", BasicPassword: "s3cr3t",
					Retry: filestore.Retry{InitialInterval: time.Millisecond, MaxInterval: time.Millisecond, MaxRetries: 3}})
				if err != nil {
					t.Fatal(err)
				}
				data := []byte("%PDF-1.4 court order")
				_, err = c.Upload(context.Background(), "act.pdf", bytes.NewReader(data), int64(len(data)))
				if err == nil {
					t.Fatal("the redirect was followed without an error")
				}
				want := strings.TrimPrefix(location, "http://")
				if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fmt.Sprint(status)) {
					t.Errorf("error does not name HTTP %d to %s: %v", status, want, err)
				}
				if filestore.IsTransient(err) {
					t.Errorf("a redirect is transient: %v", err)
				}
				if n := targetHits.Load(); n != 0 {
					t.Errorf("the redirect target received %d requests (%v)", n, leaked.Load())
				}
				if n := originHits.Load(); n != 1 {
					t.Errorf("the file store received %d requests, want 1 (no retry)", n)
				}
				if hc.CheckRedirect != nil {
					t.Error("New changed the caller's client")
				}
			})
		}
	}
}
