package gissim

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// Operations, by body element.
const (
	opExport   = "exportDSRsRequest"
	opImport   = "importDSRResponsesRequest"
	opGetState = "getStateRequest"
	opOther    = "other"
)

// soapAction is the SOAPAction of the WSDL for an operation ("" for none).
func soapAction(op string) string {
	switch op {
	case opExport:
		return "urn:exportDebtSubrequests"
	case opImport:
		return "urn:importResponses"
	case opGetState:
		return "urn:getState"
	}
	return ""
}

// message is one acknowledged business message.
type message struct {
	guid     string // assigned by the simulator
	org      string // lower-case orgPPAGUID of the sender
	op       string
	accepted time.Time
	due      time.Time
	version  string
	export   *wsdl.ExportDSRsRequest
	imp      *wsdl.ImportDSRResponsesRequest
	hasDebt  []bool // per action: responseData carries hasDebt (absent reads as false)
	result   *stateResult
	// Injected faults: stuck messages are never processed; backwards ones answer state 2
	// once, then 1 (backSeen records the 2).
	stuck, backwards, backSeen bool
	inFlight                   bool      // counted in Sim.inFlight until getState hands out the result
	items                      int       // what the latency model counted (actions, page items)
	read                       time.Time // when getState first handed out the result (Timeline)
}

// requestError is a refusal answered with a SOAP Fault.
type requestError struct {
	code string // ErrorCode
	msg  string
}

func (e *requestError) Error() string { return e.code + ": " + e.msg }

func formatError(format string, args ...any) *requestError {
	return &requestError{code: CodeFormat, msg: "Некорректный XML: " + fmt.Sprintf(format, args...)}
}

func (s *Sim) serveSOAP(w http.ResponseWriter, r *http.Request) {
	msg, perr := soap.Parse(r.Body, maxRequestSize)
	op := opOther
	if perr == nil {
		op = operationOf(msg.BodyName())
	}
	s.mu.Lock()
	switch op {
	case opExport:
		s.stats.Calls.Export++
	case opImport:
		s.stats.Calls.Import++
	case opGetState:
		s.stats.Calls.GetState++
	default:
		s.stats.Calls.Other++
	}
	fault := s.drawFault()
	s.mu.Unlock()

	if d := s.opts.Faults.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if fault != faultNone {
		s.injectFault(w, fault, op)
		return
	}
	if perr != nil {
		s.refuse(w, op, formatError("%v", perr))
		return
	}
	if err := checkSOAPAction(r.Header, op, msg.BodyName()); err != nil {
		s.refuse(w, op, err)
		return
	}
	var err *requestError
	switch op {
	case opExport, opImport:
		err = s.accept(w, msg, op)
	case opGetState:
		err = s.getState(w, msg)
	default:
		err = formatError("the body element %s is not an operation of DebtRequestsAsync (exportDSRsRequest, importDSRResponsesRequest, getStateRequest)", describe(msg.BodyName()))
	}
	if err != nil {
		s.refuse(w, op, err)
	}
}

func (s *Sim) refuse(w http.ResponseWriter, op string, err *requestError) {
	s.mu.Lock()
	s.stats.SOAPFaults++
	s.mu.Unlock()
	s.log.Info("request refused", "op", op, "code", err.code, "reason", err.msg)
	s.writeFault(w, "soapenv:Client", err.code, err.msg)
}

func operationOf(n xml.Name) string {
	switch {
	case n.Space == soap.NSDRS && n.Local == opExport:
		return opExport
	case n.Space == soap.NSDRS && n.Local == opImport:
		return opImport
	case n.Space == soap.NSBase && n.Local == opGetState:
		return opGetState
	}
	return opOther
}

// checkSOAPAction refuses a SOAPAction header that names another operation than the body.
// An absent or empty one is accepted: dispatch is by body element.
func checkSOAPAction(h http.Header, op string, body xml.Name) *requestError {
	action := strings.Trim(strings.TrimSpace(h.Get("SOAPAction")), `"`)
	if action == "" {
		return nil
	}
	if want := soapAction(op); want != "" && action != want {
		return formatError("SOAPAction %q does not match the body element %s (want %q)", truncate(action, 80), describe(body), want)
	}
	return nil
}

// header checks base:RequestHeader and returns the sender's orgPPAGUID (lower case) and
// the message's MessageGUID.
func checkHeader(msg *soap.Message) (org, messageGUID string, err *requestError) {
	hn := msg.HeaderName()
	if hn.Local == "" {
		return "", "", formatError("the SOAP Header with base:RequestHeader is missing")
	}
	// GIS accepts other header elements beside it, such as the Action a WCF client puts first.
	var h wsdl.RequestHeader
	found, derr := msg.DecodeHeaderElement(xml.Name{Space: soap.NSBase, Local: "RequestHeader"}, &h)
	if derr != nil {
		return "", "", formatError("%v", derr)
	}
	if !found {
		return "", "", formatError("the SOAP Header carries %s, want base:RequestHeader", describe(hn))
	}
	if h.HeaderType == nil || h.HeaderType.Date.ToGoTime().Year() <= 1 {
		return "", "", formatError("RequestHeader/Date is missing or not an xs:dateTime")
	}
	mg := str(h.HeaderType.MessageGUID)
	if !wsdl.IsGUID(mg) {
		return "", "", formatError("RequestHeader/MessageGUID %q is missing or not a GUID", truncate(mg, 60))
	}
	o := str(h.OrgPPAGUID)
	if !wsdl.IsGUID(o) {
		return "", "", formatError("RequestHeader/orgPPAGUID %q is missing or not a GUID", truncate(o, 60))
	}
	return strings.ToLower(o), mg, nil
}

// accept validates a business message and acknowledges it; processing follows after Delay.
func (s *Sim) accept(w http.ResponseWriter, msg *soap.Message, op string) *requestError {
	org, requester, herr := checkHeader(msg)
	if herr != nil {
		return herr
	}
	if s.opts.Verify != nil {
		if verr := s.opts.Verify(msg.Raw()); verr != nil {
			return &requestError{code: CodeSignature, msg: "Ошибка проверки подписи: " + verr.Error()}
		}
	}
	m := &message{guid: newGUID(), org: org, op: op}
	items := 0 // what the latency model counts: actions, or the items of an export page
	switch op {
	case opExport:
		var req wsdl.ExportDSRsRequest
		if err := msg.DecodeBody(&req); err != nil {
			return formatError("%v", err)
		}
		if err := checkExport(&req); err != nil {
			return err
		}
		m.export, m.version = &req, req.Version
		items = exportItems(&req, s.opts.PageSize)
	case opImport:
		var req wsdl.ImportDSRResponsesRequest
		if err := msg.DecodeBody(&req); err != nil {
			return formatError("%v", err)
		}
		var presence hasDebtPresence
		if err := msg.DecodeBody(&presence); err != nil {
			return formatError("%v", err)
		}
		if err := checkImport(&req); err != nil {
			return err
		}
		m.imp, m.version = &req, req.Version
		m.hasDebt = presence.flags(len(req.Action))
		items = len(req.Action)
	}

	s.mu.Lock()
	lat := s.opts.Latency
	if inFlight := s.inFlight[org]; s.chance(lat.EXPRate(inFlight)) {
		// GIS's push-back (suspected anti-DDoS): refused before it is recorded.
		s.stats.Faults.EXP001000++
		s.mu.Unlock()
		s.log.Info("injecting a fault", "op", op, "kind", "exp001000", "in_flight", inFlight)
		s.writeFault(w, "soapenv:Server", CodeTransfer, textEXP)
		return nil
	}
	now := s.now()
	m.accepted, m.due = now, now.Add(lat.ProcessingTime(s.opts.Delay, op == opExport, items))
	m.items = items
	m.inFlight = true
	s.inFlight[org]++
	s.msgs[m.guid] = m
	f := s.opts.Faults
	switch {
	case op == opExport && s.stuckOrg(org) && s.chance(f.Stuck):
		m.stuck = true
		s.stats.Faults.Stuck++
	case s.chance(f.Backwards):
		m.backwards = true
		s.stats.Faults.Backwards++
	default:
		s.pending = append(s.pending, m)
	}
	lost := op == opImport && s.chance(f.LostResponse)
	if lost {
		s.stats.Faults.LostResponse++
	}
	s.stats.Messages++
	s.settle()
	s.mu.Unlock()

	s.log.Info("message accepted", "op", op, "message_guid", m.guid, "requester_message_guid", requester,
		"stuck", m.stuck, "backwards", m.backwards)
	if lost {
		s.log.Info("injecting a fault", "op", op, "kind", "lost_response", "message_guid", m.guid)
		s.dropConnection(w)
		return nil
	}
	// Real GIS puts the request's MessageGUID into the Ack's ResultHeader.
	header := m.guid
	if s.opts.RealShapes {
		header = requester
	}
	s.writeEnvelope(w, header, &wsdl.AckRequest{Ack: &wsdl.AckType{
		MessageGUID:          guidPtr(m.guid),
		RequesterMessageGUID: guidPtr(requester),
	}})
	return nil
}

// stuckOrg reports whether Faults.Stuck applies to the exports of org (lower case).
func (s *Sim) stuckOrg(org string) bool {
	if len(s.opts.StuckOrgs) == 0 {
		return true
	}
	for _, o := range s.opts.StuckOrgs {
		if strings.EqualFold(strings.TrimSpace(o), org) {
			return true
		}
	}
	return false
}

// hasDebtPresence tells an absent hasDebt from false, which the generated type cannot.
type hasDebtPresence struct {
	Action []struct {
		ResponseData *struct {
			HasDebt *string `xml:"hasDebt"`
		} `xml:"responseData"`
	} `xml:"action"`
}

func (p *hasDebtPresence) flags(n int) []bool {
	out := make([]bool, n)
	for i := range min(n, len(p.Action)) {
		rd := p.Action[i].ResponseData
		out[i] = rd != nil && rd.HasDebt != nil
	}
	return out
}

// getState answers the state of an acknowledged message.
func (s *Sim) getState(w http.ResponseWriter, msg *soap.Message) *requestError {
	org, _, herr := checkHeader(msg)
	if herr != nil {
		return herr
	}
	var req wsdl.GetStateRequest
	if err := msg.DecodeBody(&req); err != nil {
		return formatError("%v", err)
	}
	g := str(req.MessageGUID)
	if !wsdl.IsGUID(g) {
		return formatError("getStateRequest/MessageGUID %q is missing or not a GUID", truncate(g, 60))
	}
	s.mu.Lock()
	s.settle()
	m := s.msgs[strings.ToLower(g)]
	if m == nil || m.org != org {
		s.mu.Unlock()
		return &requestError{code: CodeUnknownMessage, msg: "Запрос не найден: no message " + g + " from this organization"}
	}
	res := m.result
	if res != nil && m.inFlight {
		m.inFlight = false
		s.inFlight[org]--
	}
	if res != nil && m.read.IsZero() {
		m.read = s.now()
	}
	if res == nil {
		state := wsdl.AsyncRequestStateType1
		switch {
		case m.stuck:
			state = wsdl.AsyncRequestStateType2
		case m.backwards && !m.backSeen:
			state, m.backSeen = wsdl.AsyncRequestStateType2, true
		case m.backwards:
		case s.now().Sub(m.accepted) >= m.due.Sub(m.accepted)/2:
			state = wsdl.AsyncRequestStateType2
		}
		res = &stateResult{
			BaseAsyncResponseType: &wsdl.BaseAsyncResponseType{RequestState: &state, MessageGUID: guidPtr(m.guid)},
			Version:               m.version,
		}
	}
	s.mu.Unlock()
	s.writeEnvelope(w, newGUID(), res)
	return nil
}

// process does the work of a message whose delay has passed. Callers hold s.mu.
func (s *Sim) process(m *message, now time.Time) {
	done := wsdl.AsyncRequestStateType3
	res := &stateResult{
		BaseAsyncResponseType: &wsdl.BaseAsyncResponseType{RequestState: &done, MessageGUID: guidPtr(m.guid)},
		Version:               m.version,
	}
	switch m.op {
	case opExport:
		s.processExport(m, res)
	case opImport:
		s.processImport(m, res, now)
	}
	m.result = res
	m.export, m.imp, m.hasDebt = nil, nil, nil
}

func errorMessage(code, text string) *wsdl.ErrorMessage {
	return &wsdl.ErrorMessage{ErrorCode: code, Description: text}
}

func describe(n xml.Name) string {
	switch n.Space {
	case "":
		return "<" + truncate(n.Local, 60) + ">"
	case soap.NSBase:
		return "base:" + truncate(n.Local, 60)
	case soap.NSDRS:
		return "drs:" + truncate(n.Local, 60)
	}
	return fmt.Sprintf("<%s> in namespace %q", truncate(n.Local, 60), truncate(n.Space, 100))
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
