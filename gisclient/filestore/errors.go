package filestore

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is a failed file-store call. Code is the X-Upload-Error value GIS answered with
// (e.g. HashConflictException, INT002029); it is empty for HTTP and connection failures.
type Error struct {
	Op         string // what was attempted, e.g. "upload part 2/3 of act.pdf"
	Code       string // X-Upload-Error value; empty when GIS sent none
	HTTPStatus int    // 0 when there was no response
	Message    string // what the failure means and what to do about it
	Transient  bool   // trying again later may succeed
	Err        error  // underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("filestore: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// redirectError is a redirect the client refused to follow.
type redirectError struct {
	status int
	target string // resolved, any password redacted
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("the file store answered with a redirect to %s; it never redirects, so the request was not repeated there (check gis.endpoint and any proxy in between)", e.target)
}

// refuseRedirect is the CheckRedirect of the Client's HTTP client.
func refuseRedirect(req *http.Request, _ []*http.Request) error {
	e := &redirectError{target: req.URL.Redacted()}
	if req.Response != nil {
		e.status = req.Response.StatusCode
	}
	return e
}

// IsTransient reports whether err is a file-store failure worth retrying later.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient
}

// uploadErrors explains each X-Upload-Error value GIS documents; transient marks the ones a
// later retry may get past.
var uploadErrors = map[string]struct {
	msg       string
	transient bool
}{
	"FieldValidationException": {msg: "the file store refused a request header (file name, length, part count, part number or Content-MD5); " +
		"check that the file name is 1 to 1024 characters and the file is not empty"},
	"FileNotFoundException": {msg: "the file store does not know this upload or file; start the upload again"},
	"InvalidStatusException": {msg: "the upload is not in a state that allows this call (already completed, or parts are missing); " +
		"start the upload again"},
	"InvalidSizeException": {msg: "the file store refused the size: a file or part is empty, over 5 MiB per request, or the parts do not add up to X-Upload-Length; " +
		"check the file is complete and not empty"},
	"FileVirusInfectionException":  {msg: "the GIS antivirus found the file infected; check the court-act file and attach a clean copy"},
	"FileVirusNotCheckedException": {msg: "the GIS antivirus has not checked the file yet; try again later", transient: true},
	"FilePermissionException":      {msg: "the organization may not use this file: check the orgPPAGUID (X-Upload-OrgPPAGUID) and that the upload is the organization's own"},
	"DataProviderValidationException": {msg: "GIS does not accept the organization as information provider: check the orgPPAGUID " +
		"and that the IS is registered for the organization in its GIS ZhKKh profile"},
	"CertificateValidationException": {msg: "GIS found no information system for the TLS client certificate's thumbprint: " +
		"use the client certificate registered for the IS (the same one as for the SOAP calls)"},
	"HashConflictException": {msg: "the Content-MD5 does not match the data GIS received: the file changed during the upload or a proxy altered the body; " +
		"upload the file again"},
	"InvalidPartNumberException": {msg: "a part number is missing or outside 1..X-Upload-Part-Count; upload the file again"},
	"ContextNotFoundException":   {msg: `the file-store context does not exist: debt requests use "debtreq"; check the endpoint`},
	"ExtensionException":         {msg: "GIS does not accept this file type (extension); save the court act as PDF (or another type GIS allows) and import it again"},
	"DetectionException":         {msg: "GIS could not determine the file type from its content; check the file is not damaged and its extension matches its content"},
	"INT002029":                  {msg: "GIS ZhKKh is under scheduled maintenance; try again later", transient: true},
}

// parseUploadError reads an X-Upload-Error header value: the code, optionally qualified by a
// Java package (ru.….HashConflictException) and followed by text after ':', ';' or a space.
// It returns "" for an empty value.
func parseUploadError(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, ":; \t,"); i >= 0 {
		v = v[:i]
	}
	if i := strings.LastIndexByte(v, '.'); i >= 0 {
		v = v[i+1:]
	}
	if len(v) > 100 {
		v = v[:100]
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x21 || c > 0x7e {
			return "" // not a code: GIS's codes are printable ASCII
		}
	}
	return v
}

// responseError classifies a non-2xx response or one with X-Upload-Error. detail is the
// start of the body, for the message.
func responseError(op string, status int, h http.Header, detail string) *Error {
	e := &Error{Op: op, HTTPStatus: status}
	if raw := h.Get("X-Upload-Error"); raw != "" {
		e.Code = parseUploadError(raw)
		if known, ok := uploadErrors[e.Code]; ok {
			e.Message, e.Transient = known.msg, known.transient
			return e
		}
		if e.Code == "" {
			e.Code = "?"
		}
		e.Message = fmt.Sprintf("GIS answered with an undocumented file-store error %q", clip(raw, 120))
		e.Transient = status >= 500
		return e
	}
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		e.Message, e.Transient = "GIS is temporarily unavailable", true
	case status == http.StatusUnauthorized:
		e.Message = "HTTP basic authentication failed: check the basic-auth user and password (required on SIT test stands)"
	case status == http.StatusForbidden:
		e.Message = "the server refused the client: check the TLS client certificate and that the IS is admitted to this stand"
	case status == http.StatusNotFound:
		e.Message = "no file store at this URL: check the endpoint (the path " + basePath + "debtreq is appended to it)"
	default:
		e.Message = "unexpected answer from the file store"
	}
	if detail != "" {
		e.Message += ": " + detail
	}
	return e
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
