// Package xades signs and verifies XML documents the way GIS ZhKKh expects them: an enveloped
// XAdES-BES signature (DRS-PROTOCOL.md §7) as the first child of the element carrying the given
// Id, with GOST R 34.10-2012 / GOST R 34.11-2012 (256 or 512 bits) in pure Go, or RSA-SHA256
// for test stands and the simulator.
//
// Byte conventions follow OpenSSL's gost engine, which real CryptoPro messages agree with:
// DigestValue is the digest as `openssl dgst -md_gost12_256 -binary` prints it, SignatureValue
// is what `openssl dgst -md_gost12_256 -sign` writes (s‖r). The tests use openssl as the
// oracle.
//
// Sign splices the signature into the caller's bytes and leaves every other byte as it was.
// Verify treats its input as hostile: the size is capped, DTDs are refused, exactly one
// signature is accepted, its references must point at the element that holds it and at its
// own SignedProperties, and no Id value occurs twice in the document. VerifyEnvelope also
// requires the signed element to be the only element of the SOAP Body, the one a receiver
// reads; receivers use it and read only Result.SignedXML.
package xades

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/beevik/etree"

	"github.com/gisgw/gisgw/soap/gost94"
	"github.com/gisgw/gisgw/soap/xades/internal/streebog"
)

// DefaultID is the Id GIS clients conventionally give the signed body element.
const DefaultID = "signed-data-container"

// DefaultMaxSize caps the documents Sign and Verify accept when the options give no limit.
const DefaultMaxSize = 16 << 20

// Algorithm and namespace URIs.
const (
	SignatureGOST256   = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
	SignatureGOST512   = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512"
	SignatureRSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

	DigestGOST256 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"
	DigestGOST512 = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512"
	// DigestGOST94 is GOST R 34.11-94 with the CryptoPro parameter set; Microsoft.Xades puts it
	// on the SignedProperties reference. Verification only.
	DigestGOST94 = "http://www.w3.org/2001/04/xmldsig-more#gostr3411"
	DigestSHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

	C14NExclusive      = "http://www.w3.org/2001/10/xml-exc-c14n#"
	C14NInclusive      = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	TransformEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

	NSDSig               = "http://www.w3.org/2000/09/xmldsig#"
	nsSOAP               = "http://schemas.xmlsoap.org/soap/envelope/"
	NSXAdES              = "http://uri.etsi.org/01903/v1.3.2#"
	TypeSignedProperties = "http://uri.etsi.org/01903#SignedProperties"
)

// Errors, wrapped with details; test with errors.Is.
var (
	ErrTooLarge             = errors.New("document too large")
	ErrDTD                  = errors.New("document type declarations are not accepted")
	ErrMalformed            = errors.New("malformed XML")
	ErrIDNotFound           = errors.New("no element has that Id")
	ErrDuplicateID          = errors.New("more than one element has that Id")
	ErrNotBody              = errors.New("the signed element is not the SOAP Body's operation element")
	ErrAlreadySigned        = errors.New("element is already signed")
	ErrNotSigned            = errors.New("document has no ds:Signature")
	ErrStructure            = errors.New("signature structure not accepted")
	ErrDigestMismatch       = errors.New("digest mismatch: the signed content was changed")
	ErrBadSignature         = errors.New("signature value does not verify")
	ErrUnsupportedAlgorithm = errors.New("unsupported algorithm")
	ErrUntrusted            = errors.New("certificate is not trusted")
	ErrCertificateExpired   = errors.New("certificate is not valid at this time")
	ErrPasswordRequired     = errors.New("the private key is encrypted; give its password")
	ErrWrongPassword        = errors.New("wrong password or damaged key file")
	ErrKeyMismatch          = errors.New("private key does not match the certificate")
)

// newHash returns the digest for a DigestMethod URI.
func newHash(uri string) (hash.Hash, error) {
	switch uri {
	case DigestGOST256:
		return streebog.New256(), nil
	case DigestGOST512:
		return streebog.New512(), nil
	case DigestGOST94:
		return gost94.New(), nil
	case DigestSHA256:
		return sha256.New(), nil
	}
	return nil, fmt.Errorf("%w: digest method %q", ErrUnsupportedAlgorithm, uri)
}

func digestOf(uri string, data []byte) ([]byte, error) {
	h, err := newHash(uri)
	if err != nil {
		return nil, err
	}
	h.Write(data)
	return h.Sum(nil), nil
}

// parseDocument reads data with readDocument and returns its tree.
func parseDocument(data []byte, maxSize int64) (*etree.Document, error) {
	p, err := readDocument(data, maxSize)
	if err != nil {
		return nil, err
	}
	return p.doc, nil
}

// maxDepth bounds element nesting. A GIS message with its signature nests about a dozen deep;
// the bound keeps hostile input from making ancestor walks expensive.
const maxDepth = 128

// namespaces resolves every element's namespace URI in one pass. etree's NamespaceURI walks the
// ancestors' attributes on each call, which hostile input (many declarations on the root, many
// look-alike elements) can make quadratic.
func namespaces(root *etree.Element) map[*etree.Element]string {
	idx := map[*etree.Element]string{}
	scope := nsStack{}
	var visit func(el *etree.Element)
	visit = func(el *etree.Element) {
		var declared []string
		for _, a := range el.Attr {
			if isNSDecl(a) {
				scope.push(nsPrefix(a), a.Value)
				declared = append(declared, nsPrefix(a))
			}
		}
		idx[el], _ = scope.lookup(el.Space)
		for _, c := range el.Child {
			if ce, ok := c.(*etree.Element); ok {
				visit(ce)
			}
		}
		for _, p := range declared {
			scope.pop(p)
		}
	}
	visit(root)
	return idx
}

// idOf returns the element's unprefixed Id attribute.
func idOf(el *etree.Element) string {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == "Id" {
			return a.Value
		}
	}
	return ""
}

// walk calls f for el and every descendant element in document order.
func walk(el *etree.Element, f func(*etree.Element)) {
	f(el)
	for _, c := range el.Child {
		if ce, ok := c.(*etree.Element); ok {
			walk(ce, f)
		}
	}
}

// isIDAttr reports whether a is an identifier some XML-DSig processor resolves "#value"
// against: Id, ID, id, wsu:Id, xml:id and the like. Verify counts them all, so a second
// element that another processor would pick is never overlooked.
func isIDAttr(a etree.Attr) bool {
	return strings.EqualFold(a.Key, "id") && !isNSDecl(a)
}

// elementsWithID returns every element that carries id in an attribute isIDAttr accepts.
func elementsWithID(root *etree.Element, id string) []*etree.Element {
	var out []*etree.Element
	walk(root, func(e *etree.Element) {
		for _, a := range e.Attr {
			if isIDAttr(a) && a.Value == id {
				out = append(out, e)
				return
			}
		}
	})
	return out
}
