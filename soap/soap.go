// Package soap builds and reads the SOAP 1.1 envelopes GIS ZhKKh exchanges: a request with
// base:RequestHeader, a response with base:ResultHeader, and SOAP Faults with a base:Fault
// detail. Everything it reads is treated as untrusted: the size is capped, DTDs (and so
// entity expansion and external entities) are refused, and every failure is an error a
// person can act on, never a panic.
package soap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	gsoap "github.com/hooklift/gowsdl/soap"

	"github.com/gisgw/gisgw/wsdl"
)

// Namespaces of the envelope and of the GIS schemas.
const (
	NSEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	NSBase     = "http://dom.gosuslugi.ru/schema/integration/base/"
	NSDRS      = "http://dom.gosuslugi.ru/schema/integration/drs/"
	NSNSI      = "http://dom.gosuslugi.ru/schema/integration/nsi-base/"
)

// DefaultMaxSize caps what Parse reads when the caller gives no limit. A page of 100
// sub-requests is well under 1 MiB; 16 MiB leaves room without letting a broken or hostile
// peer exhaust memory.
const DefaultMaxSize = 16 << 20

// MaxDepth is the deepest element nesting Parse accepts. The deepest GIS response (a
// getStateResult with a signed debt answer) nests about 15 levels; encoding/xml keeps a
// stack entry per open element, so an unbounded nesting of a few megabytes costs hundreds
// of megabytes of memory before the document ends.
const MaxDepth = 64

// Errors Parse returns, wrapped with details; test with errors.Is.
var (
	ErrTooLarge  = errors.New("response too large")
	ErrDTD       = errors.New("document type declarations are not accepted")
	ErrMalformed = errors.New("malformed XML")
	ErrNotSOAP   = errors.New("not a SOAP 1.1 envelope")
	ErrTooDeep   = errors.New("elements nested too deeply")
)

// Header is what goes into base:RequestHeader.
type Header struct {
	Date                time.Time // sent with its UTC offset
	MessageGUID         string    // new for every message
	OrgPPAGUID          string    // the registered organization
	IsOperatorSignature bool      // the message is signed by the IS operator, not the organization
}

// RequestHeader converts h to the generated wire type.
func (h Header) RequestHeader() *wsdl.RequestHeader {
	mg := wsdl.GUIDType(h.MessageGUID)
	org := wsdl.GUIDType(h.OrgPPAGUID)
	return &wsdl.RequestHeader{
		HeaderType: &wsdl.HeaderType{
			Date:        gsoap.CreateXsdDateTime(h.Date.Truncate(time.Millisecond), true),
			MessageGUID: &mg,
		},
		OrgPPAGUID:          &org,
		IsOperatorSignature: h.IsOperatorSignature,
	}
}

// Envelope serializes header and body (values of the generated wsdl types, or nil for no
// header) into a SOAP 1.1 envelope. The body element is serialized once, here; a signer
// works on these bytes and nothing re-marshals them afterwards.
func Envelope(header, body any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString(`<soapenv:Envelope xmlns:soapenv="` + NSEnvelope + `">`)
	if header != nil {
		buf.WriteString("<soapenv:Header>")
		if err := xml.NewEncoder(&buf).Encode(header); err != nil {
			return nil, fmt.Errorf("encode SOAP header: %w", err)
		}
		buf.WriteString("</soapenv:Header>")
	}
	buf.WriteString("<soapenv:Body>")
	if err := xml.NewEncoder(&buf).Encode(body); err != nil {
		return nil, fmt.Errorf("encode SOAP body: %w", err)
	}
	buf.WriteString("</soapenv:Body></soapenv:Envelope>")
	return buf.Bytes(), nil
}

// Fault is a SOAP Fault. GIS puts its own error code and text into detail/base:Fault.
type Fault struct {
	Code         string // faultcode, e.g. soap:Server
	String       string // faultstring
	ErrorCode    string // base:Fault/ErrorCode, e.g. EXP001000
	ErrorMessage string // base:Fault/ErrorMessage
}

func (f *Fault) Error() string {
	if f.ErrorCode != "" {
		msg := f.ErrorMessage
		if msg == "" {
			msg = f.String
		}
		return fmt.Sprintf("GIS fault %s: %s", f.ErrorCode, msg)
	}
	return fmt.Sprintf("SOAP fault %s: %s", f.Code, f.String)
}

// FaultEnvelope serializes a SOAP Fault with a base:Fault detail, as GIS sends it.
func FaultEnvelope(f *Fault) ([]byte, error) {
	code := f.Code
	if code == "" {
		code = "soapenv:Server"
	}
	var detail bytes.Buffer
	if f.ErrorCode != "" {
		err := xml.NewEncoder(&detail).Encode(&wsdl.Fault{ErrorCode: f.ErrorCode, ErrorMessage: f.ErrorMessage})
		if err != nil {
			return nil, fmt.Errorf("encode fault detail: %w", err)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.WriteString(`<soapenv:Envelope xmlns:soapenv="` + NSEnvelope + `"><soapenv:Body><soapenv:Fault>`)
	buf.WriteString("<faultcode>")
	xml.EscapeText(&buf, []byte(code))
	buf.WriteString("</faultcode><faultstring>")
	xml.EscapeText(&buf, []byte(f.String))
	buf.WriteString("</faultstring>")
	if detail.Len() > 0 {
		buf.WriteString("<detail>")
		buf.Write(detail.Bytes())
		buf.WriteString("</detail>")
	}
	buf.WriteString("</soapenv:Fault></soapenv:Body></soapenv:Envelope>")
	return buf.Bytes(), nil
}

// Message is a parsed, checked SOAP envelope.
type Message struct {
	raw         []byte
	headerName  xml.Name   // zero when there is no header child
	headerNames []xml.Name // every header child, in order
	bodyName    xml.Name
	fault       *Fault
}

// Raw returns the bytes as received.
func (m *Message) Raw() []byte { return m.raw }

// BodyName is the name of the single element in soap:Body.
func (m *Message) BodyName() xml.Name { return m.bodyName }

// HeaderName is the name of the first element in soap:Header (zero when absent).
func (m *Message) HeaderName() xml.Name { return m.headerName }

// HeaderNames are the names of every element in soap:Header, in order (GIS and WCF clients
// put an Action header before base:RequestHeader).
func (m *Message) HeaderNames() []xml.Name { return m.headerNames }

// Fault returns the SOAP Fault the body carries, or nil.
func (m *Message) Fault() *Fault { return m.fault }

// Parse reads at most limit bytes (DefaultMaxSize when limit ≤ 0) and checks that they are a
// well-formed SOAP 1.1 envelope without a DTD, nested at most MaxDepth elements deep, with
// exactly one element in the body.
func Parse(r io.Reader, limit int64) (*Message, error) {
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read SOAP message: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return ParseBytes(data)
}

// ParseBytes is Parse on bytes already in memory (no size limit is applied).
func ParseBytes(data []byte) (*Message, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty response", ErrNotSOAP)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: invalid UTF-8", ErrMalformed)
	}
	m := &Message{raw: data}
	d := newDecoder(data)
	depth := 0
	var path [3]xml.Name // Envelope, Header|Body, child
	bodyChildren := 0
	sawBody := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s", ErrMalformed, cleanXMLError(err))
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, ErrDTD
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, fmt.Errorf("%w: processing instruction %q", ErrMalformed, t.Target)
			}
			if enc := procInstEncoding(t.Inst); enc != "" && !strings.EqualFold(enc, "utf-8") {
				return nil, fmt.Errorf("%w: encoding %q (only UTF-8 is accepted)", ErrMalformed, enc)
			}
		case xml.StartElement:
			if depth >= MaxDepth {
				return nil, fmt.Errorf("%w: more than %d levels (line %d)", ErrTooDeep, MaxDepth, lineOf(data, d.InputOffset()))
			}
			if depth < len(path) {
				path[depth] = t.Name
			}
			switch depth {
			case 0:
				if t.Name.Space != NSEnvelope || t.Name.Local != "Envelope" {
					return nil, fmt.Errorf("%w: root element is %s", ErrNotSOAP, describe(t.Name))
				}
			case 1:
				if t.Name.Space != NSEnvelope || (t.Name.Local != "Header" && t.Name.Local != "Body") {
					return nil, fmt.Errorf("%w: unexpected %s in Envelope", ErrNotSOAP, describe(t.Name))
				}
				if t.Name.Local == "Body" {
					sawBody = true
				}
			case 2:
				if path[1].Local == "Body" {
					bodyChildren++
					m.bodyName = t.Name
				} else {
					if m.headerName.Local == "" {
						m.headerName = t.Name
					}
					m.headerNames = append(m.headerNames, t.Name)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if m.raw != nil && path[0].Local == "" {
		return nil, fmt.Errorf("%w: no XML element; the response starts with %q", ErrNotSOAP, snippet(data))
	}
	if !sawBody {
		return nil, fmt.Errorf("%w: no Body", ErrNotSOAP)
	}
	if bodyChildren != 1 {
		return nil, fmt.Errorf("%w: Body has %d elements, want 1", ErrNotSOAP, bodyChildren)
	}
	if m.bodyName.Space == NSEnvelope && m.bodyName.Local == "Fault" {
		f, err := m.decodeFault()
		if err != nil {
			return nil, err
		}
		m.fault = f
	}
	return m, nil
}

// DecodeHeader decodes the first header element into v. It reports whether there was one.
func (m *Message) DecodeHeader(v any) (bool, error) {
	if m.headerName.Local == "" {
		return false, nil
	}
	if err := m.decodeAt("Header", v); err != nil {
		return true, fmt.Errorf("decode SOAP header %s: %w", describe(m.headerName), err)
	}
	return true, nil
}

// DecodeBody decodes the body element into v, which must be a pointer to a generated wsdl
// element type; a body of another element is an error naming both.
func (m *Message) DecodeBody(v any) error {
	if m.fault != nil {
		return m.fault
	}
	if want, ok := elementName(v); ok && (want.Local != m.bodyName.Local || want.Space != m.bodyName.Space) {
		return fmt.Errorf("%w: body is %s, want %s", ErrNotSOAP, describe(m.bodyName), describe(want))
	}
	if err := m.decodeAt("Body", v); err != nil {
		return fmt.Errorf("decode %s: %w", describe(m.bodyName), err)
	}
	return nil
}

// DecodeHeaderElement decodes the header element called name into v. It reports whether
// the header has one.
func (m *Message) DecodeHeaderElement(name xml.Name, v any) (bool, error) {
	i := slices.Index(m.headerNames, name)
	if i < 0 {
		return false, nil
	}
	if err := m.decodeChild("Header", i, v); err != nil {
		return true, fmt.Errorf("decode SOAP header %s: %w", describe(name), err)
	}
	return true, nil
}

// decodeAt decodes the first child of Envelope/<section> into v.
func (m *Message) decodeAt(section string, v any) error {
	return m.decodeChild(section, 0, v)
}

// decodeChild decodes child number n (0-based) of Envelope/<section> into v.
func (m *Message) decodeChild(section string, n int, v any) error {
	d := newDecoder(m.raw)
	depth := 0
	inSection := false
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("%w: %s", ErrMalformed, cleanXMLError(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 1 && t.Name.Local == section {
				inSection = true
			}
			if depth == 2 && inSection && n > 0 {
				n--
				if err := d.Skip(); err != nil {
					return fmt.Errorf("%w: %s", ErrMalformed, cleanXMLError(err))
				}
				continue
			}
			if depth == 2 && inSection {
				if err := d.DecodeElement(v, &t); err != nil {
					return fmt.Errorf("%w: %s", ErrMalformed, cleanXMLError(err))
				}
				return nil
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

type faultXML struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail struct {
		Fault *wsdl.Fault `xml:"http://dom.gosuslugi.ru/schema/integration/base/ Fault"`
	} `xml:"detail"`
}

func (m *Message) decodeFault() (*Fault, error) {
	var fx faultXML
	if err := m.decodeAt("Body", &fx); err != nil {
		return nil, fmt.Errorf("decode SOAP fault: %w", err)
	}
	f := &Fault{Code: strings.TrimSpace(fx.Code), String: strings.TrimSpace(fx.String)}
	if fx.Detail.Fault != nil {
		f.ErrorCode = strings.TrimSpace(fx.Detail.Fault.ErrorCode)
		f.ErrorMessage = strings.TrimSpace(fx.Detail.Fault.ErrorMessage)
	}
	if f.ErrorCode == "" {
		// Some GIS front ends put the code only into faultstring: "EXP001000: Произошла …".
		if code, rest, ok := leadingCode(f.String); ok {
			f.ErrorCode, f.ErrorMessage = code, rest
		}
	}
	return f, nil
}

// leadingCode splits "EXP001000: text" (or "EXP001000 text") into a GIS error code (three
// Latin capitals and six digits) and the text after it.
func leadingCode(s string) (code, rest string, ok bool) {
	if len(s) < 9 {
		return "", "", false
	}
	for i := range 9 {
		c := s[i]
		if i < 3 && (c < 'A' || c > 'Z') || i >= 3 && (c < '0' || c > '9') {
			return "", "", false
		}
	}
	rest = s[9:]
	if rest != "" && rest[0] != ':' && rest[0] != ' ' && rest[0] != '\t' {
		return "", "", false
	}
	return s[:9], strings.TrimSpace(strings.TrimPrefix(rest, ":")), true
}

// lineOf is the 1-based line of byte offset off in data.
func lineOf(data []byte, off int64) int {
	return bytes.Count(data[:min(off, int64(len(data)))], []byte("\n")) + 1
}

func newDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	// No custom entities: only the five predefined ones and character references decode.
	d.Entity = nil
	d.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("encoding %q is not accepted (only UTF-8)", label)
	}
	return d
}

func procInstEncoding(inst []byte) string {
	s := string(inst)
	i := strings.Index(s, "encoding=")
	if i < 0 || len(s) < i+10 {
		return ""
	}
	q := s[i+9]
	rest := s[i+10:]
	j := strings.IndexByte(rest, q)
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// elementName is the element a generated body type decodes from.
func elementName(v any) (xml.Name, bool) {
	switch v.(type) {
	case *wsdl.AckRequest:
		return xml.Name{Space: NSBase, Local: "AckRequest"}, true
	case *wsdl.GetStateResult:
		return xml.Name{Space: NSDRS, Local: "getStateResult"}, true
	case *wsdl.GetStateRequest:
		return xml.Name{Space: NSBase, Local: "getStateRequest"}, true
	case *wsdl.ExportDSRsRequest:
		return xml.Name{Space: NSDRS, Local: "exportDSRsRequest"}, true
	case *wsdl.ImportDSRResponsesRequest:
		return xml.Name{Space: NSDRS, Local: "importDSRResponsesRequest"}, true
	}
	return xml.Name{}, false
}

func describe(n xml.Name) string {
	switch n.Space {
	case "":
		return "<" + n.Local + ">"
	case NSEnvelope:
		return "<soap:" + n.Local + ">"
	case NSBase:
		return "<base:" + n.Local + ">"
	case NSDRS:
		return "<drs:" + n.Local + ">"
	}
	return "<" + n.Local + "> in namespace " + n.Space
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return s
}

// cleanXMLError keeps encoding/xml's message, which already names the line.
func cleanXMLError(err error) string {
	return strings.TrimPrefix(err.Error(), "XML syntax error ")
}
