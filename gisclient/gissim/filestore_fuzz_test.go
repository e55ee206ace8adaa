package gissim_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gisgw/gisgw/gisclient/gissim"
)

// FuzzFileStoreHeaders: whatever the X-Upload-* headers and the path say, the file store
// answers either success with an UploadID (or an empty 200 for parts, completion and HEAD)
// or an X-Upload-Error, and never panics.
func FuzzFileStoreHeaders(f *testing.F) {
	f.Add("PUT", "", "", "a.pdf", "", "", "", "1B2M2Y8AsgTpgAmY7PhCfg==", "")
	f.Add("POST", "/?upload", "", "=?UTF-8?B?0LDQsQ==?=.pdf", "6000000", "2", "", "", "")
	f.Add("PUT", "/x", "", "", "", "", "1", "", "abc")
	f.Add("POST", "/%s?completed", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, method, path, org, name, length, parts, partNo, md5, body string) {
		if !strings.Contains("PUT POST HEAD GET DELETE", method) || method == "" || strings.ContainsAny(method, " ") {
			method = http.MethodPut
		}
		sim := gissim.New(gissim.Options{Seed: 1})
		h := sim.Handler()
		if org == "" {
			org = orgA
		}
		// A real upload to point paths at.
		if strings.Contains(path, "%s") {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, gissim.FileStorePath+"debtreq/?upload", nil)
			req.Header.Set("X-Upload-OrgPPAGUID", orgA)
			req.Header.Set("X-Upload-Filename", "a.pdf")
			req.Header.Set("X-Upload-Length", "3")
			req.Header.Set("X-Upload-Part-Count", "1")
			h.ServeHTTP(rec, req)
			path = strings.ReplaceAll(path, "%s", rec.Header().Get("X-Upload-UploadID"))
		}
		target := gissim.FileStorePath + "debtreq" + path
		if strings.ContainsAny(target, " \r\n\t#") || !strings.HasPrefix(target, "/") {
			target = gissim.FileStorePath + "debtreq"
		}
		req, err := http.NewRequest(method, "http://sim"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		for k, v := range map[string]string{"X-Upload-OrgPPAGUID": org, "X-Upload-Filename": name, "X-Upload-Length": length,
			"X-Upload-Part-Count": parts, "X-Upload-Partnumber": partNo, "Content-MD5": md5} {
			if v != "" {
				req.Header.Set(k, v)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		ok := rec.Code == http.StatusOK && rec.Header().Get("X-Upload-Error") == ""
		refused := rec.Code >= 400 && rec.Header().Get("X-Upload-Error") != ""
		if ok == refused {
			t.Fatalf("%s %s: HTTP %d, X-Upload-Error %q", method, target, rec.Code, rec.Header().Get("X-Upload-Error"))
		}
	})
}
