package gisclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
)

// GIS error codes the client treats specially.
const (
	CodeNoObjects   = "INT002012" // "Нет объектов для экспорта": an empty export, not a failure
	CodeTransfer    = "EXP001000" // "Произошла ошибка при передаче данных…": resend a fresh message
	CodeMaintenance = "INT002029" // scheduled maintenance: try again later
	CodeForbidden   = "AUT011003" // "Доступ запрещен"
	CodeNotFound    = "INT002000" // "Отсутствует в реестре"
)

// ErrEmpty matches (errors.Is) a *Error with code INT002012, GIS's answer to an export whose
// filter matches nothing.
var ErrEmpty = errors.New("no objects to export (INT002012)")

// Error is a failed DRS call. Code and Message are GIS's own when GIS answered with a SOAP
// Fault or a getStateResult ErrorMessage; otherwise Code is empty and Message describes the
// transport failure.
type Error struct {
	Op         string // operation: exportDSRsRequest, importDSRResponsesRequest, getState
	Code       string // GIS error code, e.g. AUT011003; empty for transport failures
	Message    string // GIS error text or a description of the failure (Err is not repeated in Error())
	HTTPStatus int    // HTTP status of the response; 0 when there was none
	Transient  bool   // retrying with a fresh message may succeed
	Err        error  // underlying cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString("GIS refused the message: ")
		b.WriteString(e.Code)
		if e.Message != "" {
			b.WriteString(" ")
			b.WriteString(e.Message)
		}
	} else {
		b.WriteString(e.Message)
	}
	if e.HTTPStatus != 0 && !strings.Contains(e.Message, "HTTP ") {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if h := e.hint(); h != "" {
		b.WriteString(" — ")
		b.WriteString(h)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrEmpty) true for INT002012.
func (e *Error) Is(target error) bool { return target == ErrEmpty && e.Code == CodeNoObjects }

// hint tells the user what to do about the failure.
func (e *Error) hint() string {
	switch e.Code {
	case CodeForbidden:
		return "check that the organization's IS is registered in GIS ZhKKh and the certificate matches"
	case CodeTransfer:
		return "a transient GIS transfer error; send the message again (a fresh MessageGUID and signature)"
	case CodeMaintenance:
		return "GIS ZhKKh is under scheduled maintenance; try again later"
	case CodeNotFound:
		return "the object is not in the GIS registry; check the GUIDs and the orgPPAGUID"
	}
	if e.Code != "" {
		return ""
	}
	switch e.HTTPStatus {
	case http.StatusUnauthorized:
		return "check the basic-auth user and GISGW_BASIC_PASSWORD (required on SIT test stands)"
	case http.StatusForbidden:
		return "the server refused the client: check the client certificate and that the IS is admitted to this stand"
	case http.StatusNotFound:
		return "check the endpoint URL and path (" + DefaultPath + ")"
	}
	return ""
}

// IsTransient reports whether err is a failure worth retrying later with a fresh message.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient
}

// transientCode reports the GIS codes whose cause is passing: a resend can succeed.
func transientCode(code string) bool {
	return code == CodeTransfer || code == CodeMaintenance
}

// transportError classifies an error from http.Client.Do or from reading the body.
// The caller's own cancellation is returned as is: it must stop the call, not retry it.
func transportError(ctx context.Context, op, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, context.Cause(ctx))
	}
	e := &Error{Op: op, Message: what + ": " + err.Error(), Err: err}
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e.Message, e.Transient = what+": connection closed by the server", true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		e.Message, e.Transient = what+": connection reset (GIS may be throttling)", true
	case errors.As(err, &ne) && ne.Timeout():
		e.Message, e.Transient = what+": timed out", true
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Message = what + ": connection refused — is the endpoint (or the local stunnel) running?"
	}
	return e
}
