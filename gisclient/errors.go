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

// ErrOutcomeUnknown matches (errors.Is) a failure of an importDSRResponsesRequest after the
// request had been written in full: GIS may have received and accepted it, so sending the
// actions again could answer a sub-request twice. Look the sub-requests up (an export by
// subrequestGUID) before sending them again. Such an error is also IsTransient: the actions
// GIS turns out not to have may be sent again.
var ErrOutcomeUnknown = errors.New("GIS may have received the message; its outcome is unknown")

// ErrPollLimit matches (errors.Is) an asynchronous call whose message GIS had not processed
// when Options.PollLimit ran out. The message may still be processed: poll it again later
// by its MessageGUID rather than sending it again.
var ErrPollLimit = errors.New("the getState poll limit ran out")

// Error is a failed DRS call. Code and Message are GIS's own when GIS answered with a SOAP
// Fault or a getStateResult ErrorMessage; otherwise Code is empty and Message describes the
// transport failure.
type Error struct {
	Op         string // operation: exportDSRsRequest, importDSRResponsesRequest, getState
	Code       string // GIS error code, e.g. AUT011003; empty for transport failures
	Message    string // GIS error text or a description of the failure (Err is not repeated in Error())
	HTTPStatus int    // HTTP status of the response; 0 when there was none
	Transient  bool   // retrying with a fresh message may succeed
	// OutcomeUnknown: the request was written in full before the failure, so GIS may have
	// it (errors.Is(err, ErrOutcomeUnknown)). Set only for importDSRResponsesRequest.
	OutcomeUnknown bool
	Err            error // underlying cause, if any
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

// Is makes errors.Is(err, ErrEmpty) true for INT002012 and errors.Is(err,
// ErrOutcomeUnknown) true when OutcomeUnknown is set.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrEmpty:
		return e.Code == CodeNoObjects
	case ErrOutcomeUnknown:
		return e.OutcomeUnknown
	}
	return false
}

// hint tells the user what to do about the failure.
func (e *Error) hint() string {
	if e.OutcomeUnknown {
		return "GIS may have received the message: look the sub-requests up in GIS before sending them again"
	}
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

// CodeLabel bounds a GIS error code for use as a metric label: the code itself when it is
// one DRS-PROTOCOL.md documents or the simulator answers with, "" for no code, and
// "other" for anything else, so that a hostile or changing peer cannot create label values
// without limit.
func CodeLabel(code string) string {
	switch code = strings.TrimSpace(code); code {
	case "":
		return ""
	case CodeNoObjects, CodeTransfer, CodeMaintenance, CodeForbidden, CodeNotFound,
		"INT002013", // getState for an unknown message
		"FMT001300", // schema violation
		"SIG000000": // signature refused
		return code
	}
	return "other"
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
	var re *RedirectError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e.Message, e.Transient = what+": connection closed by the server", true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		e.Message, e.Transient = what+": connection reset (GIS may be throttling)", true
	case errors.As(err, &ne) && ne.Timeout():
		e.Message, e.Transient = what+": timed out", true
	case errors.As(err, &re):
		e.Message = what + ": " + re.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Message = what + ": connection refused — is the endpoint (or the local stunnel) running?"
	}
	return e
}
