package gissim

import (
	"crypto/sha1"
	"encoding/xml"
	"net/http"
	"time"

	"github.com/google/uuid"
	gsoap "github.com/hooklift/gowsdl/soap"

	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/wsdl"
)

// stateResult is drs:getStateResult. It mirrors wsdl.GetStateResult except for importResult:
// wsdl.CommonResultType tags UniqueNumber and UpdateDate without a namespace, so
// encoding/xml writes them in the drs namespace of their parent, and the official XSD
// (base:CommonResultType) rejects them. Remove once wsdl qualifies those two fields.
type stateResult struct {
	XMLName xml.Name `xml:"http://dom.gosuslugi.ru/schema/integration/drs/ getStateResult"`

	*wsdl.BaseAsyncResponseType

	ImportResult     []*commonResult            `xml:"importResult,omitempty"`
	ExportDSRsResult *wsdl.ExportDSRsResultType `xml:"exportDSRsResult,omitempty"`
	ErrorMessage     *wsdl.ErrorMessage         `xml:"http://dom.gosuslugi.ru/schema/integration/base/ ErrorMessage,omitempty"`
	Version          string                     `xml:"http://dom.gosuslugi.ru/schema/integration/base/ version,attr,omitempty"`
}

// commonResult is base:CommonResultType with every child in the base namespace.
type commonResult struct {
	GUID          *wsdl.GUIDType           `xml:"http://dom.gosuslugi.ru/schema/integration/base/ GUID,omitempty"`
	TransportGUID *wsdl.GUIDType           `xml:"http://dom.gosuslugi.ru/schema/integration/base/ TransportGUID,omitempty"`
	UniqueNumber  string                   `xml:"http://dom.gosuslugi.ru/schema/integration/base/ UniqueNumber,omitempty"`
	UpdateDate    *gsoap.XSDDateTime       `xml:"http://dom.gosuslugi.ru/schema/integration/base/ UpdateDate,omitempty"`
	Error         []*wsdl.ErrorMessageType `xml:"http://dom.gosuslugi.ru/schema/integration/base/ Error,omitempty"`
}

func guidPtr(s string) *wsdl.GUIDType {
	g := wsdl.GUIDType(s)
	return &g
}

func xsdDate(d time.Time) gsoap.XSDDate {
	return gsoap.CreateXsdDate(d, false)
}

// mskTime is t in Moscow time to the millisecond, as GIS writes timestamps.
func (s *Sim) mskTime(t time.Time) gsoap.XSDDateTime {
	return gsoap.CreateXsdDateTime(t.In(s.msk).Truncate(time.Millisecond), true)
}

func newGUID() string { return uuid.NewString() }

// derivedGUID is a stable GUID for data the scenario does not carry (executors).
func derivedGUID(parts ...string) string {
	var h []byte
	for _, p := range parts {
		h = append(h, p...)
		h = append(h, 0)
	}
	return uuid.NewHash(sha1.New(), uuid.NameSpaceURL, h, 5).String()
}

func (s *Sim) resultHeader(messageGUID string) *wsdl.ResultHeader {
	return &wsdl.ResultHeader{HeaderType: &wsdl.HeaderType{
		Date:        s.mskTime(s.now()),
		MessageGUID: guidPtr(messageGUID),
	}}
}

// writeEnvelope answers with a SOAP envelope carrying a ResultHeader and body.
func (s *Sim) writeEnvelope(w http.ResponseWriter, headerGUID string, body any) {
	env, err := soap.Envelope(s.resultHeader(headerGUID), body)
	if err == nil && s.opts.RealShapes {
		env, err = realShape(env, newGUID())
	}
	if err != nil {
		// The bodies are built here from valid values; failing to encode is a bug.
		s.log.Error("cannot encode a response", "err", err)
		http.Error(w, "gissim: cannot encode the response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(env)
}

// writeFault answers with a SOAP Fault (HTTP 500, as SOAP 1.1 requires).
func (s *Sim) writeFault(w http.ResponseWriter, code, errorCode, message string) {
	env, err := soap.FaultEnvelope(&soap.Fault{Code: code, String: message, ErrorCode: errorCode, ErrorMessage: message})
	if err != nil {
		s.log.Error("cannot encode a fault", "err", err)
		http.Error(w, "gissim: cannot encode the fault", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(env)
}
