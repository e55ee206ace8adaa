package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/filestore"
	"github.com/gisgw/gisgw/gisclient/gissim"
)

const testOrg = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"

// newSim serves a real simulator over HTTP.
func newSim(t testing.TB, opts gissim.Options) (*gissim.Sim, *httptest.Server) {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	sim := gissim.New(opts)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv
}

func newClient(t testing.TB, srv *httptest.Server, mod ...func(*filestore.Options)) *filestore.Client {
	t.Helper()
	o := filestore.Options{Endpoint: srv.URL, OrgPPAGUID: testOrg,
		Retry: filestore.Retry{InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxRetries: 6}}
	for _, m := range mod {
		m(&o)
	}
	c, err := filestore.New(srv.Client(), o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestUploadAgainstSimulator: files on both sides of the 5 MiB limit, with ASCII and
// Cyrillic names, are stored by the simulator whole (one PUT) or in 5 MiB parts, and the
// simulator's hash of what it received equals the hash Upload returns and HashFile.
func TestUploadAgainstSimulator(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		size         int
		name         string
		single, part int // PUTs the simulator must count
	}{
		{1, "a.pdf", 1, 0},
		{filestore.PartSize, "Судебный приказ №2-15.pdf", 1, 0},
		{filestore.PartSize + 1, "order.pdf", 0, 2},
		{12 << 20, "Решение суда.pdf", 0, 3},
	} {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			t.Parallel()
			sim, srv := newSim(t, gissim.Options{})
			data := content(tc.size, byte(i+10))
			path := writeFile(t, t.TempDir(), "in.pdf", data)
			start := time.Now()
			up, err := newClient(t, srv).UploadFile(t.Context(), path, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if tc.size >= 10<<20 {
				t.Logf("upload of %d bytes to the simulator (both sides hashing): %v", tc.size, time.Since(start).Round(time.Millisecond))
			}
			want, err := filestore.HashFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if up.Hash != want || up.Size != int64(tc.size) {
				t.Fatalf("Upload = %+v; want hash %s, size %d", up, want, tc.size)
			}
			if got, ok := sim.FileHash(up.AttachmentGUID); !ok || got != want {
				t.Fatalf("simulator hash of %s = %q, %v; want %s", up.AttachmentGUID, got, ok, want)
			}
			st := sim.Stats().FileStore
			if st.Files != 1 || st.Single != tc.single || st.Parts != tc.part || st.Bytes != int64(tc.size) || st.Refused != 0 {
				t.Fatalf("simulator stats %+v; want 1 file, %d single, %d parts", st, tc.single, tc.part)
			}
		})
	}
}

// TestUploadFromReader: Upload takes any io.ReaderAt; the name defaults to nothing there.
func TestUploadFromReader(t *testing.T) {
	t.Parallel()
	sim, srv := newSim(t, gissim.Options{})
	data := []byte("%PDF-1.7 court order")
	up, err := newClient(t, srv).Upload(t.Context(), "приказ.pdf", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := filestore.Hash(bytes.NewReader(data)); up.Hash != h {
		t.Fatalf("hash %s, want %s", up.Hash, h)
	}
	if _, ok := sim.FileHash(up.AttachmentGUID); !ok {
		t.Fatal("the simulator does not hold the file")
	}
}

// TestUploadRetriesTransientFailures: with a third of the requests failing (HTTP 500, 503,
// dropped connections), a multipart upload still completes with the right hash.
func TestUploadRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	sim, srv := newSim(t, gissim.Options{Seed: 20261201, Faults: gissim.Faults{HTTP500: 0.1, HTTP503: 0.1, EXP001000: 0.05, Drop: 0.1}})
	data := content(2*filestore.PartSize+5, 3)
	path := writeFile(t, t.TempDir(), "act.pdf", data)
	up, err := newClient(t, srv, func(o *filestore.Options) { o.Retry.MaxRetries = 20 }).UploadFile(t.Context(), path, "")
	if err != nil {
		t.Fatal(err)
	}
	st := sim.Stats()
	if injected := st.Faults.HTTP500 + st.Faults.HTTP503 + st.Faults.EXP001000 + st.Faults.Drop; injected == 0 {
		t.Fatal("no fault was injected: the test proves nothing")
	}
	if got, ok := sim.FileHash(up.AttachmentGUID); !ok || got != up.Hash || st.FileStore.Files != 1 {
		t.Fatalf("after retries: hash %q (%v), stats %+v; want the one file with hash %s", got, ok, st.FileStore, up.Hash)
	}
}

// TestUploadErrors: refusals come back as *filestore.Error with the X-Upload-Error code, an
// explanation and the right transience; transient failures are retried a bounded number of
// times.
func TestUploadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		sim       gissim.Options
		mod       func(*filestore.Options)
		file      string
		data      []byte
		code      string
		status    int
		transient bool
		text      string
		requests  int // SOAP-less requests the simulator saw (injected faults), 0 = not checked
	}{
		{name: "extension", file: "virus.exe", data: []byte("MZ"), code: "ExtensionException", status: 400, text: "PDF"},
		{name: "empty file", file: "empty.pdf", data: []byte{}, code: "InvalidSizeException", status: 400, text: "not empty"},
		{name: "unknown context", mod: func(o *filestore.Options) { o.Context = "debtreq2" }, file: "a.pdf", data: []byte("x"),
			code: "ContextNotFoundException", status: 404, text: `"debtreq"`},
		{name: "always 503", sim: gissim.Options{Faults: gissim.Faults{HTTP503: 1}}, mod: func(o *filestore.Options) { o.Retry.MaxRetries = 2 },
			file: "a.pdf", data: []byte("x"), status: 503, transient: true, text: "temporarily unavailable", requests: 3},
		{name: "wrong endpoint path", mod: func(o *filestore.Options) { o.Endpoint += "/nowhere" }, file: "a.pdf", data: []byte("x"),
			status: 404, text: "check the endpoint"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim, srv := newSim(t, tc.sim)
			path := writeFile(t, t.TempDir(), tc.file, tc.data)
			mods := []func(*filestore.Options){}
			if tc.mod != nil {
				mods = append(mods, tc.mod)
			}
			_, err := newClient(t, srv, mods...).UploadFile(t.Context(), path, "")
			var fe *filestore.Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T); want *filestore.Error", err, err)
			}
			if fe.Code != tc.code || fe.HTTPStatus != tc.status || fe.Transient != tc.transient || filestore.IsTransient(err) != tc.transient ||
				!strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("err = %q %+v; want code %q, HTTP %d, transient %v, text %q and the file name", err, fe, tc.code, tc.status, tc.transient, tc.text)
			}
			if tc.requests > 0 {
				if n := sim.Stats().Faults.HTTP503; n != tc.requests {
					t.Fatalf("%d attempts; want %d (1 + MaxRetries)", n, tc.requests)
				}
			}
			if sim.Stats().FileStore.Files != 0 {
				t.Fatal("a refused upload was stored")
			}
		})
	}
}

// TestUploadCancelled: a cancelled context stops the upload with the context's error, not a
// retry loop.
func TestUploadCancelled(t *testing.T) {
	t.Parallel()
	_, srv := newSim(t, gissim.Options{Faults: gissim.Faults{HTTP503: 1}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := newClient(t, srv).Upload(ctx, "a.pdf", bytes.NewReader([]byte("x")), 1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
}

func TestNewChecksOptions(t *testing.T) {
	t.Parallel()
	for _, o := range []filestore.Options{
		{Endpoint: "", OrgPPAGUID: testOrg},
		{Endpoint: "ftp://host", OrgPPAGUID: testOrg},
		{Endpoint: "http://host?x=1", OrgPPAGUID: testOrg},
		{Endpoint: "http://host", OrgPPAGUID: "org"},
		{Endpoint: "http://host", OrgPPAGUID: testOrg, Context: "a/b"},
	} {
		if _, err := filestore.New(nil, o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}

func TestUploadRefusesBadNames(t *testing.T) {
	t.Parallel()
	sim, srv := newSim(t, gissim.Options{})
	c := newClient(t, srv)
	for _, name := range []string{"", "dir/a.pdf", `c:\a.pdf`, "a\r\nX-Evil: 1.pdf", strings.Repeat("я", 1025), "\xff.pdf"} {
		if _, err := c.Upload(t.Context(), name, bytes.NewReader([]byte("x")), 1); err == nil {
			t.Errorf("Upload(%q): no error", name)
		}
	}
	if n := sim.Stats().FileStore; n.Files+n.Refused != 0 {
		t.Fatalf("bad names reached the simulator: %+v", n)
	}
}

// TestBasicAuth: the client sends basic auth when configured (the simulator ignores it, so a
// wrapping handler checks).
func TestBasicAuth(t *testing.T) {
	t.Parallel()
	sim := gissim.New(gissim.Options{Seed: 1})
	var saw []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		saw = append(saw, u+":"+p+":"+r.Header.Get("X-Upload-OrgPPAGUID"))
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv, func(o *filestore.Options) { o.BasicUser, o.BasicPassword = "sit", "secret" })
	if _, err := c.Upload(t.Context(), "a.pdf", bytes.NewReader([]byte("x")), 1); err != nil {
		t.Fatal(err)
	}
	if len(saw) != 1 || saw[0] != "sit:secret:"+testOrg {
		t.Fatalf("requests carried %q", saw)
	}
}
