package gissim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/gisgw/gisgw/soap"
)

// nsDSig is the XML-DSig namespace of the ds:Signature GIS puts into its results.
const nsDSig = "http://www.w3.org/2000/09/xmldsig#"

// realPrefixes are the namespace prefixes GIS's answers use (captured replies carry soap,
// ns2 for xmldsig, ns4 for base and ns13 for drs; ns6 is nsi-base).
func realPrefixes() map[string]string {
	return map[string]string{soap.NSEnvelope: "soap", nsDSig: "ns2", soap.NSBase: "ns4", soap.NSDRS: "ns13", soap.NSNSI: "ns6"}
}

// node is an element of an envelope being rewritten.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	text     string
	children []*node
	raw      string // written as is instead of the element (the signature)
}

// realShape rewrites an envelope the way GIS writes it: its prefixes, all declared on the
// root, indented, and an Id and a ds:Signature (whose values are placeholders: the
// simulator holds no GIS key) in getStateResult. Text stays as it is: GUIDType's pattern
// allows no whitespace around a GUID.
func realShape(env []byte, signatureID string) ([]byte, error) {
	root, err := parseTree(env)
	if err != nil {
		return nil, fmt.Errorf("real shapes: %w", err)
	}
	pre := realPrefixes()
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	for _, ns := range []string{soap.NSEnvelope, nsDSig, soap.NSBase, soap.NSDRS, soap.NSNSI} {
		root.attrs = append(root.attrs, xml.Attr{Name: xml.Name{Local: "xmlns:" + pre[ns]}, Value: ns})
	}
	if err := writeNode(&b, root, pre, 0, signatureID); err != nil {
		return nil, fmt.Errorf("real shapes: %w", err)
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}

func parseTree(env []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(env))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" && a.Name.Space == "" {
					continue // redeclared on the root
				}
				n.attrs = append(n.attrs, a)
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

func qname(n xml.Name, pre map[string]string) (string, error) {
	if n.Space == "" {
		return n.Local, nil
	}
	p, ok := pre[n.Space]
	if !ok {
		return "", fmt.Errorf("no prefix for namespace %s", n.Space)
	}
	return p + ":" + n.Local, nil
}

func writeNode(b *bytes.Buffer, n *node, pre map[string]string, depth int, sigID string) error {
	indent := strings.Repeat("  ", depth)
	name, err := qname(n.name, pre)
	if err != nil {
		return err
	}
	isResult := n.name.Space == soap.NSDRS && n.name.Local == "getStateResult"
	if isResult {
		n.attrs = append(n.attrs, xml.Attr{Name: xml.Name{Local: "Id"}, Value: "result-" + sigID})
		n.children = append([]*node{{raw: signature(sigID, strings.Repeat("  ", depth+1))}}, n.children...)
	}
	b.WriteString(indent + "<" + name)
	for _, a := range n.attrs {
		an, err := qname(a.Name, pre)
		if err != nil {
			return err
		}
		b.WriteString(" " + an + `="`)
		_ = xml.EscapeText(b, []byte(a.Value))
		b.WriteString(`"`)
	}
	text := strings.TrimSpace(n.text)
	switch {
	case len(n.children) == 0 && text == "":
		b.WriteString("/>")
	case len(n.children) == 0:
		b.WriteString(">")
		_ = xml.EscapeText(b, []byte(n.text))
		b.WriteString("</" + name + ">")
	default:
		b.WriteString(">")
		for _, c := range n.children {
			b.WriteString("\n")
			if c.raw != "" {
				b.WriteString(c.raw)
				continue
			}
			if err := writeNode(b, c, pre, depth+1, sigID); err != nil {
				return err
			}
		}
		b.WriteString("\n" + indent + "</" + name + ">")
	}
	return nil
}

// signature is the ds:Signature GIS puts first into getStateResult. The simulator has no
// GIS key, so digest and signature are fixed placeholders of the right shape; clients do
// not verify GIS's signature.
func signature(id, indent string) string {
	lines := []string{
		`<ns2:Signature Id="xmldsig-` + id + `">`,
		`  <ns2:SignedInfo>`,
		`    <ns2:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`,
		`    <ns2:SignatureMethod Algorithm="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"/>`,
		`    <ns2:Reference URI="#result-` + id + `">`,
		`      <ns2:Transforms>`,
		`        <ns2:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>`,
		`        <ns2:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>`,
		`      </ns2:Transforms>`,
		`      <ns2:DigestMethod Algorithm="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"/>`,
		`      <ns2:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ns2:DigestValue>`,
		`    </ns2:Reference>`,
		`  </ns2:SignedInfo>`,
		`  <ns2:SignatureValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==</ns2:SignatureValue>`,
		`</ns2:Signature>`,
	}
	return indent + strings.Join(lines, "\n"+indent)
}
