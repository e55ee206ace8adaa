package xades

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/beevik/etree"
)

const nsXML = "http://www.w3.org/XML/1998/namespace"

// canonicalize writes el (with skip, the enveloped signature, left out; nil for none) in
// Canonical XML 1.0 or Exclusive XML Canonicalization 1.0, without comments, as a node-set of
// el and its descendants, the way a same-document "#Id" reference selects it. The tree is
// only read.
//
// goxmldsig's canonicalizers were the first choice; reading them showed three things that rule
// them out here. They copy the subtree and rebuild namespace maps per element, a third of the
// time it takes to sign a page of 100 answers; finding in-scope namespaces through etreeutils
// stops at 1000 elements, which such a page exceeds; and they order prefixed attributes with
// different prefixes by local name, where C14N orders by namespace URI first. This walk
// serializes straight from the tree with namespace stacks, so its cost stays linear in the
// input however the namespaces are declared; the tests compare it with libxml2 (xmllint).
func canonicalize(el *etree.Element, method, prefixList string, skip *etree.Element) ([]byte, error) {
	return canonicalizeSized(el, method, prefixList, skip, 4096)
}

// canonicalizeSized is canonicalize with the expected output size, such as the length of the
// document the element is in: growing the buffer step by step copied a big element's bytes
// several times over.
func canonicalizeSized(el *etree.Element, method, prefixList string, skip *etree.Element, sizeHint int) ([]byte, error) {
	c := &c14n{skip: skip, scope: nsStack{}, rendered: nsStack{}}
	switch method {
	case C14NExclusive:
		c.exclusive = true
		for _, p := range strings.Fields(prefixList) {
			if p == "#default" {
				p = ""
			}
			c.inclusivePrefixes = append(c.inclusivePrefixes, p)
		}
		slices.Sort(c.inclusivePrefixes)
		c.inclusivePrefixes = slices.Compact(c.inclusivePrefixes)
		if len(c.inclusivePrefixes) > maxPrefixList {
			return nil, fmt.Errorf("%w: InclusiveNamespaces lists %d prefixes", ErrStructure, len(c.inclusivePrefixes))
		}
	case C14NInclusive:
	default:
		return nil, fmt.Errorf("%w: canonicalization %q", ErrUnsupportedAlgorithm, method)
	}
	inherited := c.ancestorScope(el, !c.exclusive)
	c.buf.Grow(sizeHint)
	if err := c.element(el, inherited, true); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

// maxPrefixList bounds an InclusiveNamespaces PrefixList, which is checked on every element.
const maxPrefixList = 64

type c14n struct {
	buf               bytes.Buffer
	exclusive         bool
	inclusivePrefixes []string // InclusiveNamespaces PrefixList of exclusive c14n
	skip              *etree.Element
	scope             nsStack // namespaces in scope in the source
	rendered          nsStack // namespaces declared by the output so far
}

// nsStack maps a prefix ("" for the default namespace) to its bindings, innermost last.
type nsStack map[string][]string

func (s nsStack) push(prefix, uri string) { s[prefix] = append(s[prefix], uri) }

func (s nsStack) pop(prefix string) {
	v := s[prefix]
	if len(v) == 1 {
		delete(s, prefix)
		return
	}
	s[prefix] = v[:len(v)-1]
}

func (s nsStack) lookup(prefix string) (string, bool) {
	v := s[prefix]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// ancestorScope pushes the namespaces the ancestors of el declare (nearest wins) onto c.scope
// and, when xmlAttrs is set, returns their xml:* attributes that el does not carry itself
// (inclusive C14N copies those onto the apex).
func (c *c14n) ancestorScope(el *etree.Element, xmlAttrs bool) []etree.Attr {
	seenXML := map[string]bool{}
	for _, a := range el.Attr {
		if a.Space == "xml" {
			seenXML[a.Key] = true
		}
	}
	var inherited []etree.Attr
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			switch {
			case isNSDecl(a):
				if _, ok := c.scope.lookup(nsPrefix(a)); !ok {
					c.scope.push(nsPrefix(a), a.Value)
				}
			case xmlAttrs && a.Space == "xml" && !seenXML[a.Key]:
				seenXML[a.Key] = true
				inherited = append(inherited, etree.Attr{Space: a.Space, Key: a.Key, Value: a.Value})
			}
		}
	}
	return inherited
}

type nsDecl struct{ prefix, uri string }

// element writes el; extra holds the inherited xml:* attributes of the apex.
func (c *c14n) element(el *etree.Element, extra []etree.Attr, apex bool) error {
	declared, decls, err := c.startTag(el.Space, el.Tag, el.Attr, extra, apex)
	if err != nil {
		return err
	}
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if t == c.skip {
				continue
			}
			if err := c.element(t, nil, false); err != nil {
				return err
			}
		case *etree.CharData:
			escapeText(&c.buf, t.Data)
		case *etree.ProcInst:
			c.procInst(t.Target, t.Inst)
		}
		// Comments are left out; directives cannot occur inside an element.
	}
	c.endTag(el.Space, el.Tag, declared, decls)
	return nil
}

func (c *c14n) procInst(target, inst string) {
	c.buf.WriteString("<?")
	c.buf.WriteString(target)
	if inst != "" {
		c.buf.WriteByte(' ')
		c.buf.WriteString(inst)
	}
	c.buf.WriteString("?>")
}

// startTag writes the start tag of the element space:tag with attrs (and, on the apex, the
// inherited extra ones), pushing its namespace declarations onto c.scope and those the output
// needs onto c.rendered; endTag pops them. An error ends the canonicalization.
func (c *c14n) startTag(space, tag string, attrs, extra []etree.Attr, apex bool) (declared []string, decls []nsDecl, err error) {
	for _, a := range attrs {
		if isNSDecl(a) {
			c.scope.push(nsPrefix(a), a.Value)
			declared = append(declared, nsPrefix(a))
		}
	}

	// Candidate prefixes whose declaration the output may need here.
	var cands []string
	switch {
	case c.exclusive:
		// Visibly utilized: the element's prefix, its attributes', and those listed in
		// InclusiveNamespaces that are in scope.
		cands = append(cands, space)
		for _, a := range attrs {
			if !isNSDecl(a) && a.Space != "" {
				cands = append(cands, a.Space)
			}
		}
		for _, p := range c.inclusivePrefixes {
			if _, ok := c.scope.lookup(p); ok {
				cands = append(cands, p)
			}
		}
	case apex:
		// Inclusive, apex: every namespace in scope.
		for p := range c.scope {
			cands = append(cands, p)
		}
	default:
		// Inclusive below the apex: the output already matches the source scope at the
		// parent, so only the element's own declarations can differ.
		cands = slices.Clone(declared)
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	for _, p := range cands {
		if p == "xml" {
			continue // bound by definition, never declared
		}
		uri, ok := c.scope.lookup(p)
		if !ok && p != "" {
			return nil, nil, fmt.Errorf("%w: undeclared namespace prefix %q", ErrMalformed, p)
		}
		// No default namespace and xmlns="" are the same thing.
		if prev, done := c.rendered.lookup(p); prev == uri && (done || p == "") {
			continue
		}
		decls = append(decls, nsDecl{p, uri})
	}
	for _, d := range decls {
		c.rendered.push(d.prefix, d.uri)
	}

	c.buf.WriteByte('<')
	writeQName(&c.buf, space, tag)
	for _, d := range decls { // sorted by prefix, the default ("") first
		if d.prefix == "" {
			c.buf.WriteString(` xmlns="`)
		} else {
			c.buf.WriteString(` xmlns:`)
			c.buf.WriteString(d.prefix)
			c.buf.WriteString(`="`)
		}
		escapeAttr(&c.buf, d.uri)
		c.buf.WriteByte('"')
	}
	if err := c.attributes(attrs, extra); err != nil {
		return nil, nil, err
	}
	c.buf.WriteByte('>')
	return declared, decls, nil
}

func (c *c14n) endTag(space, tag string, declared []string, decls []nsDecl) {
	c.buf.WriteString("</")
	writeQName(&c.buf, space, tag)
	c.buf.WriteByte('>')
	for _, d := range decls {
		c.rendered.pop(d.prefix)
	}
	for _, p := range declared {
		c.scope.pop(p)
	}
}

// canonicalizeScanned writes the element at node idx of a scanned document in Exclusive XML
// Canonicalization 1.0 without comments, straight from the flat node list, without building a
// tree: Sign's canonical form of the element it signs. The output is canonicalize's
// (TestC14NTrickyCases and FuzzC14NDifferential compare them on every element).
func canonicalizeScanned(r *reader, idx int32) ([]byte, error) {
	c := &c14n{exclusive: true, scope: nsStack{}, rendered: nsStack{}}
	for p := r.nodes[idx].parent; p >= 0; p = r.nodes[p].parent {
		n := &r.nodes[p]
		for _, a := range r.attrs[n.attr0:n.attr1] {
			if isNSDecl(a) {
				if _, ok := c.scope.lookup(nsPrefix(a)); !ok {
					c.scope.push(nsPrefix(a), a.Value)
				}
			}
		}
	}
	c.buf.Grow(len(r.data))
	type open struct {
		idx      int32
		declared []string
		decls    []nsDecl
	}
	var stack []open
	start := func(i int32, apex bool) error {
		n := &r.nodes[i]
		declared, decls, err := c.startTag(n.a, n.b, r.attrs[n.attr0:n.attr1], nil, apex)
		stack = append(stack, open{i, declared, decls})
		return err
	}
	end := func() {
		o := stack[len(stack)-1]
		n := &r.nodes[o.idx]
		c.endTag(n.a, n.b, o.declared, o.decls)
		stack = stack[:len(stack)-1]
	}
	if err := start(idx, true); err != nil {
		return nil, err
	}
	// Nodes are in document order: the subtree runs until a node whose parent is not an open
	// element of it.
	for j := idx + 1; int(j) < len(r.nodes); j++ {
		n := &r.nodes[j]
		for len(stack) > 0 && stack[len(stack)-1].idx != n.parent {
			end()
		}
		if len(stack) == 0 {
			break
		}
		switch n.kind {
		case kElement:
			if err := start(j, false); err != nil {
				return nil, err
			}
		case kText:
			escapeText(&c.buf, n.a)
		case kProcInst:
			c.procInst(n.a, n.b)
		}
	}
	for len(stack) > 0 {
		end()
	}
	return c.buf.Bytes(), nil
}

// attributes writes an element's own attributes (and the apex's inherited xml:* ones) ordered by namespace
// URI, then local name; unqualified attributes have no namespace and come first.
func (c *c14n) attributes(own, extra []etree.Attr) error {
	type keyed struct {
		uri, space, local, value string
	}
	// Most elements have a few attributes: sort them in place, without a heap allocation.
	var small [8]keyed
	attrs := small[:0]
	for i, list := range [2][]etree.Attr{own, extra} {
		for _, a := range list {
			if i == 0 && isNSDecl(a) {
				continue
			}
			k := keyed{space: a.Space, local: a.Key, value: a.Value}
			if a.Space != "" {
				if a.Space == "xml" {
					k.uri = nsXML
				} else if uri, ok := c.scope.lookup(a.Space); ok && uri != "" {
					k.uri = uri
				} else {
					return fmt.Errorf("%w: undeclared namespace prefix %q on attribute %s:%s", ErrMalformed, a.Space, a.Space, a.Key)
				}
			}
			attrs = append(attrs, k)
		}
	}
	if len(attrs) > 1 {
		slices.SortFunc(attrs, func(a, b keyed) int {
			if c := strings.Compare(a.uri, b.uri); c != 0 {
				return c
			}
			return strings.Compare(a.local, b.local)
		})
	}
	for _, a := range attrs {
		c.buf.WriteByte(' ')
		writeQName(&c.buf, a.space, a.local)
		c.buf.WriteString(`="`)
		escapeAttr(&c.buf, a.value)
		c.buf.WriteByte('"')
	}
	return nil
}

func isNSDecl(a etree.Attr) bool {
	return a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")
}

func nsPrefix(a etree.Attr) string {
	if a.Space == "xmlns" {
		return a.Key
	}
	return ""
}

func writeQName(b *bytes.Buffer, prefix, local string) {
	if prefix != "" {
		b.WriteString(prefix)
		b.WriteByte(':')
	}
	b.WriteString(local)
}

// escapeText escapes character data as C14N requires.
func escapeText(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// escapeAttr escapes an attribute value as C14N requires.
func escapeAttr(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}
