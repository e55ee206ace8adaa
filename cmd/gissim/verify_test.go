package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
)

// serve runs the command with args and returns its base URL.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(ctx, append([]string{"--listen", "127.0.0.1:0", "--delay", "0s"}, args...), &logs, func(a string) { addr <- a })
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatal("not serving after 10 s")
	}
	return ""
}

const unsignedExport = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" xmlns:drs="http://dom.gosuslugi.ru/schema/integration/drs/">` +
	`<soapenv:Header><base:RequestHeader><base:Date>2026-11-20T10:00:00+03:00</base:Date><base:MessageGUID>0b1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f</base:MessageGUID>` +
	`<base:orgPPAGUID>6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f</base:orgPPAGUID></base:RequestHeader></soapenv:Header>` +
	`<soapenv:Body><drs:exportDSRsRequest Id="signed-data-container" base:version="14.0.0.0"><drs:periodOfSendingRequest>` +
	`<base:startDate>2026-11-01</base:startDate><base:endDate>2026-11-30</base:endDate></drs:periodOfSendingRequest></drs:exportDSRsRequest></soapenv:Body></soapenv:Envelope>`

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url+gissim.ServicePath, "text/xml; charset=utf-8", strings.NewReader(unsignedExport))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSignatureFlags: without flags an unsigned export is acknowledged; with
// --verify-signatures or --trust it is refused with SIG000000; a bad --trust file stops
// the command.
func TestSignatureFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		refused bool
	}{
		{"no verification", nil, false},
		{"verify any certificate", []string{"--verify-signatures"}, true},
		{"trust list", []string{"--trust", "../../soap/xades/testdata/test-gost256.crt,../../soap/xades/testdata/other-gost256.crt"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body := post(t, serve(t, tc.args...))
			refused := status == http.StatusInternalServerError && strings.Contains(body, gissim.CodeSignature)
			if refused != tc.refused || (!tc.refused && !strings.Contains(body, "AckRequest")) {
				t.Fatalf("HTTP %d, refused=%v, want %v:\n%s", status, refused, tc.refused, body)
			}
		})
	}
	for _, bad := range []string{"nope.pem", "main.go"} {
		var logs bytes.Buffer
		err := run(context.Background(), []string{"--listen", "127.0.0.1:0", "--trust", bad}, &logs, nil)
		if err == nil || !strings.Contains(err.Error(), "--trust") {
			t.Errorf("--trust %s: err = %v; want an error naming --trust", bad, err)
		}
	}
}

// TestFileStoreServed: the command serves the file store.
func TestFileStoreServed(t *testing.T) {
	t.Parallel()
	base := serve(t, "--check-attachments")
	req, _ := http.NewRequest(http.MethodPut, base+gissim.FileStorePath+gissim.FileStoreContext, strings.NewReader("x"))
	req.Header.Set("X-Upload-OrgPPAGUID", "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
	req.Header.Set("X-Upload-Filename", "a.pdf")
	req.Header.Set("Content-MD5", "nQLp9Yq1U6LhBIY/kIoHjQ==") // wrong on purpose
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Upload-Error"); got != "HashConflictException" {
		t.Fatalf("HTTP %d X-Upload-Error %q; want HashConflictException", resp.StatusCode, got)
	}
}
