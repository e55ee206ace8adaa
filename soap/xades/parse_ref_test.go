package xades

// The reader this package used before readDocument: etree over a strict encoding/xml decoder.
// It stays here as the oracle of FuzzParseDifferential.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

func rejectCharset(label string, _ io.Reader) (io.Reader, error) {
	return nil, fmt.Errorf("encoding %q is not accepted (only UTF-8)", label)
}

// parseDocument checks data and reads it into a tree: at most maxSize bytes, UTF-8 only, no
// DTD (so no entity expansion and no external resources), well-formed with one document
// element.
func parseDocumentDOM(data []byte, maxSize int64) (*etree.Document, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if int64(len(data)) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), maxSize)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: invalid UTF-8", ErrMalformed)
	}
	doc := etree.NewDocument()
	doc.ReadSettings.CharsetReader = rejectCharset
	doc.ReadSettings.MaxDepth = maxDepth
	if err := doc.ReadFromBytes(data); err != nil {
		if bytes.Contains(data, []byte("<!DOCTYPE")) {
			return nil, ErrDTD // an entity the DTD declares fails to parse before the check below
		}
		return nil, fmt.Errorf("%w: %s", ErrMalformed, strings.TrimPrefix(err.Error(), "XML syntax error "))
	}
	if n := len(doc.ChildElements()); n != 1 {
		return nil, fmt.Errorf("%w: %d document elements", ErrMalformed, n)
	}
	// encoding/xml hands a DOCTYPE over as a directive and leaves it alone; refuse it, as GIS
	// messages never carry one.
	if hasDirective(&doc.Element) {
		return nil, ErrDTD
	}
	return doc, nil
}

func hasDirective(el *etree.Element) bool {
	for _, c := range el.Child {
		switch c := c.(type) {
		case *etree.Directive:
			return true
		case *etree.Element:
			if hasDirective(c) {
				return true
			}
		}
	}
	return false
}

// locateID finds where the first element whose unprefixed Id attribute equals id starts in
// data. The document is already known to be well-formed and to hold exactly one such element,
// so the scan stops there, usually after the SOAP header.
// startTag is where the oracle found an element's start tag to end.
type startTag struct {
	end         int32
	raw         string
	selfClosing bool
}

func locateIDDOM(data []byte, id string) (startTag, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = rejectCharset
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return startTag{}, fmt.Errorf("%w: Id=%q: %v", ErrIDNotFound, id, err)
		}
		t, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, a := range t.Attr {
			if a.Name.Space == "" && a.Name.Local == "Id" && a.Value == id {
				end := dec.InputOffset()
				name := t.Name.Local
				if t.Name.Space != "" {
					name = t.Name.Space + ":" + name
				}
				return startTag{end: int32(end), raw: name, selfClosing: end >= 2 && string(data[end-2:end]) == "/>"}, nil
			}
		}
	}
}
