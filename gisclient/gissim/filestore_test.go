package gissim_test

import (
	"bytes"
	"crypto/md5" //nolint:gosec // Content-MD5
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/gisclient/gissim"
	"github.com/gisgw/gisgw/soap/gost94"
	"github.com/gisgw/gisgw/wsdl"
)

// fsReq is one raw file-store request.
type fsReq struct {
	method, path string // path after FileStorePath+context ("" or "/?upload", "/{id}", …)
	org          string // X-Upload-OrgPPAGUID; "-" = none
	body         []byte
	md5          string // Content-MD5; "" = computed from body, "-" = none
	headers      map[string]string
	context      string // "" = debtreq
}

func (h *harness) fileStore(r fsReq) *http.Response {
	h.t.Helper()
	ctx := r.context
	if ctx == "" {
		ctx = gissim.FileStoreContext
	}
	var body io.Reader = http.NoBody
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, h.srv.URL+gissim.FileStorePath+ctx+r.path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	switch r.org {
	case "":
		req.Header.Set("X-Upload-OrgPPAGUID", orgA)
	case "-":
	default:
		req.Header.Set("X-Upload-OrgPPAGUID", r.org)
	}
	switch r.md5 {
	case "":
		if r.body != nil {
			sum := md5.Sum(r.body) //nolint:gosec // Content-MD5
			req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
		}
	case "-":
	default:
		req.Header.Set("Content-MD5", r.md5)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func hashHex(b []byte) string {
	h := gost94.New()
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func name(n string) map[string]string { return map[string]string{"X-Upload-Filename": n} }

// startUpload begins a multipart upload and returns its UploadID.
func (h *harness) startUpload(org string, length, parts int) string {
	h.t.Helper()
	resp := h.fileStore(fsReq{method: http.MethodPost, path: "/?upload", org: org, headers: map[string]string{
		"X-Upload-Filename": "act.pdf", "X-Upload-Length": strconv.Itoa(length), "X-Upload-Part-Count": strconv.Itoa(parts),
	}})
	id := resp.Header.Get("X-Upload-UploadID")
	if resp.StatusCode != http.StatusOK || id == "" {
		h.t.Fatalf("start upload: HTTP %d, error %q", resp.StatusCode, resp.Header.Get("X-Upload-Error"))
	}
	return id
}

func part(n int) map[string]string { return map[string]string{"X-Upload-Partnumber": strconv.Itoa(n)} }

// TestFileStoreUploads: a whole-file PUT and a multipart upload (parts sent out of order)
// are stored with the GOST R 34.11-94 hash of the whole file, HEAD reports the state, and
// the counters follow.
func TestFileStoreUploads(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gissim.Options{})
	small := []byte("%PDF-1.4 court order")
	resp := h.fileStore(fsReq{method: http.MethodPut, body: small, headers: name("=?UTF-8?B?0KHRg9C00LXQsdC90YvQuSDQv9GA0LjQutCw0Lcu?= pdf")})
	id := resp.Header.Get("X-Upload-UploadID")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("PUT: HTTP %d, X-Upload-Error %q", resp.StatusCode, resp.Header.Get("X-Upload-Error"))
	}
	if got, ok := h.sim.FileHash(strings.ToUpper(id)); !ok || got != hashHex(small) {
		t.Fatalf("FileHash(%s) = %q, %v; want %s", id, got, ok, hashHex(small))
	}

	big := bytes.Repeat([]byte("0123456789abcdef"), (2*gissim.PartSize+100)/16)
	id2 := h.startUpload("", len(big), 3)
	if _, ok := h.sim.FileHash(id2); ok {
		t.Fatal("an uncompleted upload has a hash")
	}
	for _, n := range []int{3, 1, 2} {
		lo := (n - 1) * gissim.PartSize
		hi := min(lo+gissim.PartSize, len(big))
		if resp := h.fileStore(fsReq{method: http.MethodPut, path: "/" + id2, body: big[lo:hi], headers: part(n)}); resp.StatusCode != http.StatusOK {
			t.Fatalf("part %d: HTTP %d %q", n, resp.StatusCode, resp.Header.Get("X-Upload-Error"))
		}
	}
	head := h.fileStore(fsReq{method: http.MethodHead, path: "/" + id2})
	if head.Header.Get("X-Upload-Completed") != "false" || head.Header.Get("X-Upload-Length") != strconv.Itoa(len(big)) {
		t.Fatalf("HEAD before completion: %v", head.Header)
	}
	if resp := h.fileStore(fsReq{method: http.MethodPost, path: "/" + id2 + "?completed"}); resp.StatusCode != http.StatusOK {
		t.Fatalf("complete: HTTP %d %q", resp.StatusCode, resp.Header.Get("X-Upload-Error"))
	}
	if got, ok := h.sim.FileHash(id2); !ok || got != hashHex(big) {
		t.Fatalf("multipart hash = %q, %v; want %s", got, ok, hashHex(big))
	}
	if head := h.fileStore(fsReq{method: http.MethodHead, path: "/" + id2}); head.Header.Get("X-Upload-Completed") != "true" {
		t.Fatalf("HEAD after completion: %v", head.Header)
	}
	st := h.sim.Stats().FileStore
	want := gissim.FileStoreStats{Files: 2, Single: 1, Started: 1, Parts: 3, Bytes: int64(len(small) + len(big))}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
}

// TestFileStoreErrors: each refusal carries the X-Upload-Error GIS uses for it and stores
// nothing.
func TestFileStoreErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gissim.Options{})
	body := []byte("court order")
	id := h.startUpload("", 100, 1)
	done := h.startUpload("", 3, 1)
	h.fileStore(fsReq{method: http.MethodPut, path: "/" + done, body: []byte("abc"), headers: part(1)})
	h.fileStore(fsReq{method: http.MethodPost, path: "/" + done + "?completed"})
	short := h.startUpload("", 10, 1)
	h.fileStore(fsReq{method: http.MethodPut, path: "/" + short, body: []byte("abc"), headers: part(1)})
	before := h.sim.Stats().FileStore

	tests := []struct {
		name   string
		req    fsReq
		status int
		code   string
	}{
		{"no org header", fsReq{method: http.MethodPut, org: "-", body: body, headers: name("a.pdf")}, 400, "FieldValidationException"},
		{"org not a GUID", fsReq{method: http.MethodPut, org: "org-1", body: body, headers: name("a.pdf")}, 400, "FieldValidationException"},
		{"unknown context", fsReq{method: http.MethodPut, context: "homemanagement", body: body, headers: name("a.pdf")}, 404, "ContextNotFoundException"},
		{"no file name", fsReq{method: http.MethodPut, body: body}, 400, "FieldValidationException"},
		{"broken encoded-word", fsReq{method: http.MethodPut, body: body, headers: name("=?UTF-8?B?***?=")}, 400, "FieldValidationException"},
		{"executable", fsReq{method: http.MethodPut, body: body, headers: name("act.EXE")}, 400, "ExtensionException"},
		{"no Content-MD5", fsReq{method: http.MethodPut, md5: "-", body: body, headers: name("a.pdf")}, 400, "FieldValidationException"},
		{"wrong Content-MD5", fsReq{method: http.MethodPut, md5: "1B2M2Y8AsgTpgAmY7PhCfg==", body: body, headers: name("a.pdf")}, 400, "HashConflictException"},
		{"empty file", fsReq{method: http.MethodPut, body: []byte{}, headers: name("a.pdf")}, 400, "InvalidSizeException"},
		{"whole file over 5 MiB", fsReq{method: http.MethodPut, body: make([]byte, gissim.PartSize+1), headers: name("a.pdf")}, 400, "InvalidSizeException"},
		{"too few parts", fsReq{method: http.MethodPost, path: "/?upload", headers: map[string]string{
			"X-Upload-Filename": "a.pdf", "X-Upload-Length": strconv.Itoa(gissim.PartSize + 1), "X-Upload-Part-Count": "1"}}, 400, "InvalidSizeException"},
		{"length not a number", fsReq{method: http.MethodPost, path: "/?upload", headers: map[string]string{
			"X-Upload-Filename": "a.pdf", "X-Upload-Length": "lots", "X-Upload-Part-Count": "1"}}, 400, "FieldValidationException"},
		{"part number 0", fsReq{method: http.MethodPut, path: "/" + id, body: body, headers: part(0)}, 400, "InvalidPartNumberException"},
		{"part number past the count", fsReq{method: http.MethodPut, path: "/" + id, body: body, headers: part(2)}, 400, "InvalidPartNumberException"},
		{"part of an unknown upload", fsReq{method: http.MethodPut, path: "/aaaaaaaa-0000-4000-8000-000000000001", body: body, headers: part(1)}, 404, "FileNotFoundException"},
		{"part of another organization's upload", fsReq{method: http.MethodPut, path: "/" + id, org: orgB, body: body, headers: part(1)}, 403, "FilePermissionException"},
		{"part with a wrong MD5", fsReq{method: http.MethodPut, path: "/" + id, md5: "1B2M2Y8AsgTpgAmY7PhCfg==", body: body, headers: part(1)}, 400, "HashConflictException"},
		{"part of a completed upload", fsReq{method: http.MethodPut, path: "/" + done, body: body, headers: part(1)}, 400, "InvalidStatusException"},
		{"complete with parts missing", fsReq{method: http.MethodPost, path: "/" + id + "?completed"}, 400, "InvalidStatusException"},
		{"complete twice", fsReq{method: http.MethodPost, path: "/" + done + "?completed"}, 400, "InvalidStatusException"},
		{"complete with fewer bytes than announced", fsReq{method: http.MethodPost, path: "/" + short + "?completed"}, 400, "InvalidSizeException"},
		{"not an operation", fsReq{method: http.MethodDelete, path: "/" + id}, 400, "FieldValidationException"},
	}
	for _, tc := range tests {
		resp := h.fileStore(tc.req)
		if resp.StatusCode != tc.status || resp.Header.Get("X-Upload-Error") != tc.code || resp.Header.Get("X-Upload-UploadID") != "" {
			t.Errorf("%s: HTTP %d, X-Upload-Error %q; want %d %s", tc.name, resp.StatusCode, resp.Header.Get("X-Upload-Error"), tc.status, tc.code)
		}
	}
	after := h.sim.Stats().FileStore
	if after.Files != before.Files || after.Refused != before.Refused+len(tests) {
		t.Errorf("stats %+v after %+v: want no new file and %d refusals", after, before, len(tests))
	}
}

// TestFileStoreChecksAttachments: with CheckAttachments, a Send must reference a file the
// simulator stored, with its hash; the AttachmentHash hook still works beside it.
func TestFileStoreChecksAttachments(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gissim.Options{CheckAttachments: true, AttachmentHash: fileStore})
	importScenario(t, h, 5)
	file := []byte("%PDF court order 2-1/2024")
	resp := h.fileStore(fsReq{method: http.MethodPut, body: file, headers: name("order.pdf")})
	id := resp.Header.Get("X-Upload-UploadID")
	if id == "" {
		t.Fatalf("PUT: HTTP %d %q", resp.StatusCode, resp.Header.Get("X-Upload-Error"))
	}
	pending := h.startUpload("", 10, 1) // started, never completed

	tests := []struct {
		name   string
		action *wsdl.ImportDSRResponseActionType
		code   string
	}{
		{"stored file", send(subGUID(1), debt(id, hashHex(file))), ""},
		{"file of the hook", send(subGUID(2), debt(fileOK, hashOK)), ""},
		{"unknown file", send(subGUID(3), debt(fileNone, hashHex(file))), gissim.CodeAttachment},
		{"uncompleted upload", send(subGUID(4), debt(pending, hashHex(file))), gissim.CodeAttachment},
		{"wrong hash", send(subGUID(5), debt(id, hashHex([]byte("another file")))), gissim.CodeAttachmentHash},
	}
	var actions []*wsdl.ImportDSRResponseActionType
	for _, tc := range tests {
		actions = append(actions, tc.action)
	}
	res := h.result(orgA, importOf(actions...))
	byTransport := map[string]*wsdl.CommonResultType{}
	for _, ir := range res.ImportResult {
		byTransport[string(*ir.TransportGUID)] = ir
	}
	for _, tc := range tests {
		ir := byTransport[string(*tc.action.TransportGUID)]
		switch {
		case ir == nil:
			t.Errorf("%s: no importResult", tc.name)
		case tc.code == "" && len(ir.Error) > 0:
			t.Errorf("%s: refused with %s %s", tc.name, ir.Error[0].ErrorCode, ir.Error[0].Description)
		case tc.code != "" && (len(ir.Error) != 1 || ir.Error[0].ErrorCode != tc.code):
			t.Errorf("%s: got %+v, want %s", tc.name, ir.Error, tc.code)
		}
	}
}
