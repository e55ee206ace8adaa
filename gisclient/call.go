package gisclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v4"

	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// operation is one SOAP operation of the service.
type operation struct {
	name   string // body element, used in errors, logs and dump file names
	action string // SOAPAction
	signed bool   // the body goes through the Signer
	// changes marks an operation that changes GIS's data: once GIS may have it, it is
	// never sent again by the client (ErrOutcomeUnknown).
	changes bool
}

func exportOp() operation {
	return operation{name: "exportDSRsRequest", action: "urn:exportDebtSubrequests", signed: true}
}

func importOp() operation {
	return operation{name: "importDSRResponsesRequest", action: "urn:importResponses", signed: true, changes: true}
}

func getStateOp() operation { return operation{name: "getStateRequest", action: "urn:getState"} }

// prepare checks the body type and returns a shallow copy carrying the signed Id and the
// version, so the caller's value is never modified.
func prepare(body any) (operation, any, error) {
	switch b := body.(type) {
	case *wsdl.ExportDSRsRequest:
		if b == nil {
			break
		}
		cp := *b
		cp.BaseType = &wsdl.BaseType{Id: SignedID}
		if cp.Version == "" {
			cp.Version = ExportVersion
		}
		return exportOp(), &cp, nil
	case *wsdl.ImportDSRResponsesRequest:
		if b == nil {
			break
		}
		cp := *b
		cp.BaseType = &wsdl.BaseType{Id: SignedID}
		cp.Version = ImportVersion // fixed by the schema; GIS answers "Bad Request" to others
		return importOp(), &cp, nil
	}
	return operation{}, nil, fmt.Errorf("gisclient: cannot submit %T: give a non-nil *wsdl.ExportDSRsRequest or *wsdl.ImportDSRResponsesRequest", body)
}

// Submit sends a signed business request (*wsdl.ExportDSRsRequest or
// *wsdl.ImportDSRResponsesRequest) and returns the MessageGUID GIS assigned to it, to be
// polled with Await. Transient failures are retried, each time as a fresh message, except
// when an importDSRResponsesRequest may have reached GIS (ErrOutcomeUnknown).
func (c *Client) Submit(ctx context.Context, body any) (string, error) {
	op, body, err := prepare(body)
	if err != nil {
		return "", err
	}
	return c.submit(ctx, op, body)
}

func (c *Client) submit(ctx context.Context, op operation, body any) (string, error) {
	var gisGUID string
	err := c.withRetry(ctx, op.name, func() error {
		msg, guid, err := c.send(ctx, op, body)
		if err != nil {
			return err
		}
		g, err := decodeAck(msg, guid)
		if err != nil {
			// An answer that is no Ack of ours comes after GIS had the whole request.
			return &Error{Op: op.name, Message: err.Error(), Err: err, OutcomeUnknown: op.changes, Transient: op.changes}
		}
		gisGUID = g
		c.log.Info("message accepted", "op", op.name, "message_guid", guid, "gis_message_guid", gisGUID)
		return nil
	})
	return gisGUID, err
}

// decodeAck checks that msg acknowledges the message sent as guid and returns the
// MessageGUID GIS assigned.
func decodeAck(msg *soap.Message, guid string) (string, error) {
	var ack wsdl.AckRequest
	if err := msg.DecodeBody(&ack); err != nil {
		return "", fmt.Errorf("unexpected response instead of AckRequest: %w", err)
	}
	// Pretty-printed answers may carry whitespace around a GUID.
	if ack.Ack == nil || ack.Ack.MessageGUID == nil || !wsdl.IsGUID(strings.TrimSpace(string(*ack.Ack.MessageGUID))) {
		return "", errors.New("the AckRequest carries no valid MessageGUID")
	}
	if ack.Ack.RequesterMessageGUID == nil || !strings.EqualFold(strings.TrimSpace(string(*ack.Ack.RequesterMessageGUID)), guid) {
		got := ""
		if ack.Ack.RequesterMessageGUID != nil {
			got = truncate(strings.TrimSpace(string(*ack.Ack.RequesterMessageGUID)), 40)
		}
		return "", fmt.Errorf("the AckRequest answers message %q, not ours (%s); the endpoint may be a wrong or shared proxy", got, guid)
	}
	return strings.TrimSpace(string(*ack.Ack.MessageGUID)), nil
}

// GetState asks once (with retries of transient failures) for the state of a message that
// GIS acknowledged. It returns the result whatever the state; a result with an ErrorMessage
// is not an error here (see Await).
func (c *Client) GetState(ctx context.Context, messageGUID string) (*wsdl.GetStateResult, error) {
	op := getStateOp()
	if !wsdl.IsGUID(messageGUID) {
		return nil, fmt.Errorf("%s: %q is not a MessageGUID", op.name, messageGUID)
	}
	g := wsdl.GUIDType(messageGUID)
	var res *wsdl.GetStateResult
	err := c.withRetry(ctx, op.name, func() error {
		msg, _, err := c.send(ctx, op, &wsdl.GetStateRequest{MessageGUID: &g})
		if err != nil {
			return err
		}
		r, err := decodeGetState(msg, messageGUID)
		if err != nil {
			return &Error{Op: op.name, Message: err.Error(), Err: err}
		}
		res = r
		return nil
	})
	return res, err
}

// decodeGetState decodes and checks a getStateResult answering messageGUID ("" = any).
func decodeGetState(msg *soap.Message, messageGUID string) (*wsdl.GetStateResult, error) {
	var res wsdl.GetStateResult
	if err := msg.DecodeBody(&res); err != nil {
		return nil, fmt.Errorf("unexpected response instead of getStateResult: %w", err)
	}
	if res.BaseAsyncResponseType == nil || res.RequestState == nil {
		return nil, errors.New("getStateResult has no RequestState")
	}
	st := wsdl.AsyncRequestStateType(strings.TrimSpace(string(*res.RequestState)))
	res.RequestState = &st
	if res.MessageGUID != nil {
		g := wsdl.GUIDType(strings.TrimSpace(string(*res.MessageGUID)))
		res.MessageGUID = &g
	}
	if err := checkResultLengths(&res); err != nil {
		return nil, err
	}
	switch *res.RequestState {
	case wsdl.AsyncRequestStateType1, wsdl.AsyncRequestStateType2, wsdl.AsyncRequestStateType3:
	default:
		return nil, fmt.Errorf("getStateResult has RequestState %q, want 1, 2 or 3", truncate(string(*res.RequestState), 40))
	}
	if messageGUID != "" && res.MessageGUID != nil && !strings.EqualFold(string(*res.MessageGUID), messageGUID) {
		return nil, fmt.Errorf("getStateResult is about message %q, not %s", truncate(string(*res.MessageGUID), 40), messageGUID)
	}
	return &res, nil
}

// Await polls getState on the Poll schedule until GIS has processed the message
// (RequestState 3) and returns the result. When GIS processed it with an error
// (getStateResult/ErrorMessage), Await returns the result and a *Error with GIS's code:
// errors.Is(err, ErrEmpty) for INT002012, IsTransient(err) for EXP001000, which means the
// request must be submitted again as a new message.
func (c *Client) Await(ctx context.Context, messageGUID string) (*wsdl.GetStateResult, error) {
	return c.await(ctx, "getStateResult", messageGUID)
}

func (c *Client) await(ctx context.Context, opName, messageGUID string) (*wsdl.GetStateResult, error) {
	start := c.now()
	var last wsdl.AsyncRequestStateType // the state of the previous getState
	for i := 0; ; i++ {
		waited := c.now().Sub(start)
		if waited >= c.pollLimit {
			return nil, &Error{Op: opName, Err: ErrPollLimit, Transient: true, Message: fmt.Sprintf(
				"GIS has not processed message %s after %s of waiting (%d getState calls, last RequestState %s); the limit is %s (gis.poll_limit) — poll it again later by its MessageGUID",
				messageGUID, waited.Round(time.Second), i, last, c.pollLimit)}
		}
		// The last wait is cut short so that the limit is also the last getState.
		wait := min(c.poll[min(i, len(c.poll)-1)], c.pollLimit-waited)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: waiting for message %s after %d getState calls: %w", opName, messageGUID, i, err)
		}
		res, err := c.GetState(ctx, messageGUID)
		if err != nil {
			return nil, err
		}
		if last != "" && *res.RequestState < last {
			// States only advance (1 received, 2 processing, 3 done): a step back means the
			// answers are not about one message's progress, so none of them can be trusted.
			return nil, &Error{Op: opName, Message: fmt.Sprintf(
				"GIS reported RequestState %s for message %s after %s, but a message's state never goes back; stopped polling it",
				*res.RequestState, messageGUID, last)}
		}
		last = *res.RequestState
		if *res.RequestState != wsdl.AsyncRequestStateType3 {
			c.log.Debug("message not processed yet", "gis_message_guid", messageGUID, "state", string(*res.RequestState),
				"polls", i+1, "waited", c.now().Sub(start))
			continue
		}
		c.log.Debug("message processed", "gis_message_guid", messageGUID, "polls", i+1, "waited", c.now().Sub(start))
		if em := res.ErrorMessage; em != nil {
			code := strings.TrimSpace(em.ErrorCode)
			return res, &Error{Op: opName, Code: code, Message: strings.TrimSpace(em.Description), Transient: transientCode(code)}
		}
		return res, nil
	}
}

// Call submits body and awaits its result. When GIS processed the message with a transient
// error (EXP001000), the body is submitted again as a fresh message, within the Retry bounds.
func (c *Client) Call(ctx context.Context, body any) (*wsdl.GetStateResult, error) {
	op, body, err := prepare(body)
	if err != nil {
		return nil, err
	}
	return c.call(ctx, op, body)
}

func (c *Client) call(ctx context.Context, op operation, body any) (*wsdl.GetStateResult, error) {
	var res *wsdl.GetStateResult
	err := c.withRetry(ctx, op.name, func() error {
		guid, err := c.submit(ctx, op, body)
		if err != nil {
			return final{err} // submit has retried already
		}
		r, err := c.await(ctx, op.name, guid)
		if err != nil && r == nil {
			if op.changes && ctx.Err() == nil {
				// GIS acknowledged the message: it has it, whatever polling failed.
				err = &Error{Op: op.name, Err: err, OutcomeUnknown: true, Transient: true,
					Message: fmt.Sprintf("GIS acknowledged message %s but its result could not be read: %v", guid, err)}
			}
			return final{err} // getState has retried already
		}
		res = r
		return err // a result-level error: transient ones resubmit
	})
	return res, err
}

// final marks an error withRetry must return without retrying, because the step that
// produced it has already used its own retries.
type final struct{ err error }

func (f final) Error() string { return f.err.Error() }
func (f final) Unwrap() error { return f.err }

// withRetry runs attempt until it succeeds, fails permanently, the context ends or the Retry
// bounds are exhausted. A failed attempt is logged only when its error differs from the
// previous one, so a long outage does not flood the log.
func (c *Client) withRetry(ctx context.Context, opName string, attempt func() error) error {
	var b backoff.BackOff = backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(c.retry.InitialInterval),
		backoff.WithMaxInterval(c.retry.MaxInterval),
		backoff.WithMaxElapsedTime(c.retry.MaxElapsedTime),
		backoff.WithClockProvider(clockFunc(c.now)),
	)
	if c.retry.MaxRetries < 0 {
		b = &backoff.StopBackOff{}
	} else {
		b = backoff.WithMaxRetries(b, uint64(c.retry.MaxRetries))
	}
	b = backoff.WithContext(b, ctx)
	b.Reset()
	last := ""
	for n := 1; ; n++ {
		err := attempt()
		if err == nil {
			if n > 1 {
				c.log.Info("succeeded after retries", "op", opName, "attempts", n)
			}
			return nil
		}
		if f, ok := err.(final); ok {
			return f.err
		}
		if errors.Is(err, ErrOutcomeUnknown) {
			return err // GIS may have it: a fresh copy could answer twice
		}
		if !IsTransient(err) || ctx.Err() != nil {
			return err
		}
		wait := b.NextBackOff()
		if wait == backoff.Stop {
			if ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("gave up after %d attempts: %w", n, err)
		}
		if msg := err.Error(); msg != last {
			c.log.Warn("transient failure, retrying with a fresh message", "op", opName, "attempt", n, "wait", wait, "err", msg)
			last = msg
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (while waiting to retry after: %w)", serr, err)
		}
	}
}

type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }

// send makes one attempt: a fresh MessageGUID and Date, envelope, signature, POST, and a
// checked SOAP response (a Fault becomes a *Error). It returns the MessageGUID it used.
func (c *Client) send(ctx context.Context, op operation, body any) (*soap.Message, string, error) {
	guid := c.newGUID()
	hdr := soap.Header{Date: c.now().In(c.msk), MessageGUID: guid, OrgPPAGUID: c.org, IsOperatorSignature: c.operator}
	env, err := soap.Envelope(hdr.RequestHeader(), body)
	if err != nil {
		return nil, guid, fmt.Errorf("%s: %w", op.name, err)
	}
	if op.signed && c.signer != nil {
		signed, err := c.signer.Sign(env, SignedID)
		if err != nil {
			return nil, guid, &Error{Op: op.name, Message: "cannot sign the message (check the signing key and certificate): " + err.Error(), Err: err}
		}
		env = signed
	}
	c.dump(op.name, "out", guid, env)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(env))
	if err != nil {
		return nil, guid, fmt.Errorf("%s: %w", op.name, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `"`+op.action+`"`)
	var written atomic.Bool // the whole request reached the connection
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { written.Store(i.Err == nil) },
	}))
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		e := transportError(ctx, op.name, "POST "+c.logURL, err)
		var redirect *RedirectError
		// A redirect is an answer, not a lost one: the message went nowhere else.
		if op.changes && written.Load() && !errors.As(err, &redirect) {
			e = outcomeUnknown(ctx, op.name, "waiting for the answer to "+guid, e)
		}
		return nil, guid, e
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxSize+1))
	if err != nil {
		e := transportError(ctx, op.name, "read the response", err)
		var ge *Error
		if errors.As(e, &ge) {
			ge.HTTPStatus = resp.StatusCode
		}
		if op.changes && resp.StatusCode/100 == 2 {
			// GIS had begun to answer "accepted" when the connection broke.
			e = outcomeUnknown(ctx, op.name, "reading the answer to "+guid, e)
		}
		return nil, guid, e
	}
	c.dump(op.name, "in", guid, data)
	c.log.Debug("exchange", "op", op.name, "message_guid", guid, "status", resp.StatusCode,
		"sent_bytes", len(env), "received_bytes", len(data), "latency", time.Since(start))
	msg, err := decodeResponse(op.name, resp.StatusCode, data, c.maxSize)
	var f *soap.Fault
	if err != nil && op.changes && !errors.As(err, &f) && (resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusGatewayTimeout) {
		// A cut or unreadable 2xx answer came from GIS after it had the request; a gateway
		// timeout means GIS itself did not answer in time, not that it refused.
		err = outcomeUnknown(ctx, op.name, "the answer to "+guid, err)
	}
	return msg, guid, err
}

// outcomeUnknown marks err, a failure after the whole request was written, as one whose
// outcome is unknown, keeping its cause (the caller's cancellation included) for errors.Is.
func outcomeUnknown(ctx context.Context, opName, during string, err error) error {
	var ge *Error
	if errors.As(err, &ge) {
		cp := *ge
		cp.OutcomeUnknown, cp.Transient = true, true
		return &cp
	}
	// The caller's own cancellation: not transient, so that nothing retries it here.
	return &Error{Op: opName, Message: "stopped while " + during + ": " + context.Cause(ctx).Error(), Err: err, OutcomeUnknown: true}
}

// decodeResponse turns an HTTP response into a checked SOAP message, or a *Error that says
// what came back instead and whether a retry may help.
func decodeResponse(opName string, status int, data []byte, limit int64) (*soap.Message, error) {
	msg, err := soap.Parse(bytes.NewReader(data), limit)
	if err != nil {
		e := &Error{Op: opName, HTTPStatus: status, Err: err}
		switch {
		case errors.Is(err, soap.ErrTooLarge):
			e.Message = fmt.Sprintf("the response is larger than the %d-byte limit (MaxResponseSize)", limit)
		case status >= 500:
			e.Message = fmt.Sprintf("GIS answered HTTP %d %s without a SOAP message: %q", status, http.StatusText(status), snippet(data))
			e.Transient = true
		case status < 200 || status > 299:
			e.Message = fmt.Sprintf("GIS answered HTTP %d %s without a SOAP message: %q", status, http.StatusText(status), snippet(data))
		case errors.Is(err, soap.ErrMalformed) && strings.Contains(err.Error(), "unexpected EOF"):
			// A body cut short is a broken connection, not a broken server.
			e.Message = fmt.Sprintf("the response is truncated after %d bytes", len(data))
			e.Transient = true
		default:
			e.Message = fmt.Sprintf("the response is not a usable SOAP message (%v); it starts with %q", err, snippet(data))
		}
		return nil, e
	}
	if f := msg.Fault(); f != nil {
		text := f.ErrorMessage
		if text == "" {
			text = f.String
		}
		// A fault is a failure already; an overlong text is cut rather than the fault refused.
		e := &Error{Op: opName, Code: truncate(f.ErrorCode, maxErrorCode), Message: truncate(text, maxErrorText), HTTPStatus: status, Err: f}
		if f.ErrorCode == "" {
			e.Message = f.Error()
			e.Transient = status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
		} else {
			e.Transient = transientCode(f.ErrorCode)
		}
		return nil, e
	}
	if status < 200 || status > 299 {
		return nil, &Error{Op: opName, HTTPStatus: status, Transient: status >= 500,
			Message: fmt.Sprintf("GIS answered HTTP %d %s with %s", status, http.StatusText(status), msg.BodyName().Local)}
	}
	return msg, nil
}

// snippet is a short, single-line excerpt of a response for an error message: the HTML
// title when there is one, else the first characters.
func snippet(b []byte) string {
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	lower := strings.ToLower(s)
	if i := strings.Index(lower, "<title>"); i >= 0 {
		if j := strings.Index(lower[i:], "</title>"); j > 0 {
			s = s[i+len("<title>") : i+j]
		}
	}
	return truncate(strings.Join(strings.Fields(s), " "), 120)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// dump writes one exchanged message to DumpDir. Failing to dump never fails the call.
func (c *Client) dump(opName, direction, guid string, data []byte) {
	if c.dumpDir == "" {
		return
	}
	safe := strings.Map(func(r rune) rune {
		if r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return r
		}
		return '_'
	}, guid)
	name := c.now().UTC().Format("20060102T150405.000Z") + "_" + opName + "_" + direction + "_" + safe + ".xml"
	if err := os.MkdirAll(c.dumpDir, 0o700); err != nil {
		c.log.Warn("cannot create the dump directory", "dir", c.dumpDir, "err", err)
		return
	}
	if err := os.WriteFile(filepath.Join(c.dumpDir, name), data, 0o600); err != nil {
		c.log.Warn("cannot dump a message", "file", name, "err", err)
	}
}
