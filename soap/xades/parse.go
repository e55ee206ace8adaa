package xades

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// The document reader. etree over encoding/xml took over half the time of signing or
// verifying a page of 100 answers: encoding/xml reads byte by byte through an interface and
// copies every name and value, and etree allocates every node and child slice one by one. This
// reader scans the bytes directly into a flat node list, then builds the same etree tree from
// slabs: names, values and text are substrings of one copy of the input unless a reference or a
// carriage return changes them.
//
// It accepts exactly what etree.ReadFromBytes with a strict encoding/xml decoder accepted, and
// builds the same tree (FuzzParseDifferential checks both): the well-formedness rules below are
// encoding/xml's, including its quirks (no whitespace needed between attributes, a duplicate
// attribute replaces the first as etree does, character references to surrogates become
// U+FFFD). Entities other than the five predefined ones are refused, there is no DTD, and
// nothing is ever read from outside the input.

// Node kinds of the flat list.
const (
	kElement uint8 = iota
	kText
	kComment
	kProcInst
)

type pnode struct {
	kind         uint8
	selfClosing  bool
	parent       int32  // node index of the parent element; -1 for the document
	nkids        int32  // children, for elements
	slot         int32  // element: index into the element slab; text: into the text slab
	attr0, attr1 int32  // element: attributes in reader.attrs
	tagEnd       int32  // element: offset just past the start tag
	a, b         string // element: space, local; text and comment: data; procinst: target, inst
	raw          string // element: the qualified name as written
}

type reader struct {
	data  []byte
	s     string // data as a string, for substrings
	pos   int
	nodes []pnode
	attrs []etree.Attr // with Space, Key and Value only
	open  []int32      // node indices of the open elements
	nelem int32
	ntext int32
	roots int
	// attrIdx indexes the attributes of the element starting at attrIdxFor, once it has many.
	attrIdx    map[[2]string]int
	attrIdxFor int
}

// parsed is a document read by readDocument.
type parsed struct {
	doc   *etree.Document
	elems []etree.Element // the elements, in document order
}

var errSyntax = errors.New("syntax error")

func (r *reader) fail(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, r.pos, fmt.Sprintf(format, args...))
}

// readDocument checks data and reads it into a tree: at most maxSize bytes, UTF-8 only, no
// DTD (so no entity expansion and no external resources), well-formed with one document
// element.
func readDocument(data []byte, maxSize int64) (*parsed, error) {
	r, err := scan(data, maxSize)
	if err != nil {
		return nil, err
	}
	defer r.release()
	return r.build(), nil
}

// scan checks data as readDocument does and leaves it as a flat node list, for callers that
// need no tree (Sign); they release the reader when done.
func scan(data []byte, maxSize int64) (*reader, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if int64(len(data)) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), maxSize)
	}
	if len(data) >= 1<<31 {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: invalid UTF-8", ErrMalformed)
	}
	r := readers.Get().(*reader)
	// A node per start tag and about one text node per tag: some 1.5 nodes per '<'; append
	// grows the lists for unusual documents.
	lt := bytes.Count(data, []byte{'<'})
	*r = reader{data: data, s: string(data), nodes: r.nodes[:0], attrs: r.attrs[:0], open: r.open[:0]}
	if n := lt + lt/2 + 8; cap(r.nodes) < n {
		r.nodes = make([]pnode, 0, n)
	}
	if err := r.run(); err != nil {
		r.release()
		if errors.Is(err, ErrDTD) {
			return nil, ErrDTD
		}
		if bytes.Contains(data, []byte("<!DOCTYPE")) {
			return nil, ErrDTD
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r.roots != 1 {
		r.release()
		return nil, fmt.Errorf("%w: %d document elements", ErrMalformed, r.roots)
	}
	return r, nil
}

// readers keeps the flat lists of finished reads: they are the biggest allocation of a read
// and are dropped as soon as the tree is built.
var readers = sync.Pool{New: func() any { return new(reader) }}

// release returns r to the pool, keeping no reference into the document, and lists that grew
// for an unusually big one not at all.
func (r *reader) release() {
	if cap(r.nodes) > 1<<16 || cap(r.attrs) > 1<<16 {
		return
	}
	clear(r.nodes)
	clear(r.attrs)
	*r = reader{nodes: r.nodes[:0], attrs: r.attrs[:0], open: r.open[:0]}
	readers.Put(r)
}

// build turns the flat list into an etree document, every slice allocated once.
func (r *reader) build() *parsed {
	p := &parsed{doc: etree.NewDocument(), elems: make([]etree.Element, r.nelem)}
	texts := make([]etree.CharData, r.ntext)
	var kidsTotal int
	for i := range r.nodes {
		kidsTotal += int(r.nodes[i].nkids)
	}
	kids := make([]etree.Token, kidsTotal)
	attrs := slices.Clone(r.attrs)
	for i := range r.nodes {
		n := &r.nodes[i]
		parent := &p.doc.Element
		if n.parent >= 0 {
			parent = &p.elems[r.nodes[n.parent].slot]
		}
		var tok etree.Token
		switch n.kind {
		case kElement:
			el := &p.elems[n.slot]
			el.Space, el.Tag = n.a, n.b
			el.Attr = attrs[n.attr0:n.attr1:n.attr1]
			el.Child, kids = kids[:0:n.nkids], kids[n.nkids:]
			tok = el
		case kText:
			t := &texts[n.slot]
			t.Data = n.a
			tok = t
		case kComment:
			tok = etree.NewComment(n.a)
		case kProcInst:
			tok = etree.NewProcInst(n.a, n.b)
		}
		parent.AddChild(tok)
	}
	return p
}

// elementWithID returns the first element carrying id in an attribute isIDAttr accepts, and
// how many elements do.
func (r *reader) elementWithID(id string) (idx int32, n int) {
	idx = -1
	for j := range r.nodes {
		e := &r.nodes[j]
		if e.kind != kElement {
			continue
		}
		for _, a := range r.attrs[e.attr0:e.attr1] {
			if isIDAttr(a) && a.Value == id {
				if n == 0 {
					idx = int32(j)
				}
				n++
				break
			}
		}
	}
	return idx, n
}

// idOf returns the unprefixed Id attribute of element idx.
func (r *reader) idOf(idx int32) string {
	e := &r.nodes[idx]
	for _, a := range r.attrs[e.attr0:e.attr1] {
		if a.Space == "" && a.Key == "Id" {
			return a.Value
		}
	}
	return ""
}

// namespaceOf resolves element j's namespace as etree's NamespaceURI does: the nearest
// declaration of its prefix (or of the default namespace), "" when there is none.
func (r *reader) namespaceOf(j int32) string {
	prefix := r.nodes[j].a
	for p := j; p >= 0; p = r.nodes[p].parent {
		e := &r.nodes[p]
		for _, a := range r.attrs[e.attr0:e.attr1] {
			if prefix == "" && a.Space == "" && a.Key == "xmlns" || prefix != "" && a.Space == "xmlns" && a.Key == prefix {
				return a.Value
			}
		}
	}
	return ""
}

// ancestorChain returns a copy of element idx and of its ancestors, linked as in the
// document, with their attributes and no other children.
func (r *reader) ancestorChain(idx int32) *etree.Element {
	var child, el *etree.Element
	for p := idx; p >= 0; p = r.nodes[p].parent {
		e := &r.nodes[p]
		cp := &etree.Element{Space: e.a, Tag: e.b, Attr: slices.Clone(r.attrs[e.attr0:e.attr1])}
		if child != nil {
			cp.AddChild(child)
		} else {
			el = cp
		}
		child = cp
	}
	return el
}

func (r *reader) add(n pnode) {
	n.parent = -1
	if len(r.open) > 0 {
		n.parent = r.open[len(r.open)-1]
		r.nodes[n.parent].nkids++
	} else if n.kind == kElement {
		r.roots++
	}
	r.nodes = append(r.nodes, n)
}

func (r *reader) run() error {
	d := r.data
	for r.pos < len(d) {
		if d[r.pos] != '<' {
			text, err := r.text(0, false)
			if err != nil {
				return err
			}
			r.add(pnode{kind: kText, a: text, slot: r.ntext})
			r.ntext++
			continue
		}
		r.pos++
		if r.pos >= len(d) {
			return r.fail("unexpected EOF")
		}
		var err error
		switch d[r.pos] {
		case '/':
			r.pos++
			err = r.endTag()
		case '?':
			r.pos++
			err = r.procInst()
		case '!':
			r.pos++
			err = r.bang()
		default:
			err = r.startTag()
		}
		if err != nil {
			return err
		}
	}
	if len(r.open) > 0 {
		return r.fail("unexpected EOF: %d elements not closed", len(r.open))
	}
	return nil
}

func (r *reader) space() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\r', '\n', '\t':
			r.pos++
		default:
			return
		}
	}
}

func (r *reader) expect(c byte, what string) error {
	if r.pos >= len(r.data) {
		return r.fail("unexpected EOF")
	}
	if r.data[r.pos] != c {
		return r.fail("%s", what)
	}
	r.pos++
	return nil
}

func isNameByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-'
}

// name reads an XML name: the bytes encoding/xml takes for one (name bytes and any non-ASCII
// byte), checked against its rules for a name's characters.
func (r *reader) name() (string, error) {
	start := r.pos
	d := r.data
	ascii := true
	for r.pos < len(d) {
		c := d[r.pos]
		if c >= utf8.RuneSelf {
			ascii = false
		} else if !isNameByte(c) {
			break
		}
		r.pos++
	}
	if r.pos >= len(d) {
		return "", r.fail("unexpected EOF")
	}
	if r.pos == start {
		return "", r.fail("expected a name")
	}
	s := r.s[start:r.pos]
	if ascii {
		if c := s[0]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':') {
			return "", r.fail("invalid XML name: %s", s)
		}
	} else if !nonASCIIName(s) {
		return "", r.fail("invalid XML name: %s", s)
	}
	return s, nil
}

// nonASCIIName checks a name with non-ASCII letters by encoding/xml's own rules (the Unicode
// classes of XML 1.0's first edition), as a processing instruction target, where nothing but
// the name is checked. GIS messages have ASCII names only, so this stays off the hot path.
func nonASCIIName(s string) bool {
	dec := xml.NewDecoder(strings.NewReader("<?" + s + "?>"))
	dec.Strict = true
	_, err := dec.RawToken()
	return err == nil
}

// qname splits a name the way encoding/xml does: one colon with text on both sides makes a
// prefix; more than one colon is an error.
func (r *reader) qname() (space, local, raw string, err error) {
	raw, err = r.name()
	if err != nil {
		return "", "", "", err
	}
	i := strings.IndexByte(raw, ':')
	switch {
	case i < 0:
		return "", raw, raw, nil
	case strings.IndexByte(raw[i+1:], ':') >= 0:
		return "", "", "", r.fail("name %q has more than one colon", raw)
	case i == 0 || i == len(raw)-1:
		return "", raw, raw, nil
	}
	return raw[:i], raw[i+1:], raw, nil
}

func (r *reader) startTag() error {
	if len(r.open) >= maxDepth {
		return r.fail("elements nest deeper than %d", maxDepth)
	}
	space, local, raw, err := r.qname()
	if err != nil {
		return err
	}
	a0 := len(r.attrs)
	selfClosing := false
	for {
		r.space()
		if r.pos >= len(r.data) {
			return r.fail("unexpected EOF")
		}
		c := r.data[r.pos]
		if c == '/' {
			r.pos++
			if err := r.expect('>', "expected /> in element"); err != nil {
				return err
			}
			selfClosing = true
			break
		}
		if c == '>' {
			r.pos++
			break
		}
		as, al, _, err := r.qname()
		if err != nil {
			return err
		}
		r.space()
		if err := r.expect('=', "attribute name without = in element"); err != nil {
			return err
		}
		r.space()
		if r.pos >= len(r.data) {
			return r.fail("unexpected EOF")
		}
		q := r.data[r.pos]
		if q != '"' && q != '\'' {
			return r.fail("unquoted or missing attribute value in element")
		}
		r.pos++
		v, err := r.text(q, false)
		if err != nil {
			return err
		}
		r.addAttr(a0, etree.Attr{Space: as, Key: al, Value: v})
	}
	idx := int32(len(r.nodes))
	r.add(pnode{kind: kElement, a: space, b: local, raw: raw, slot: r.nelem, attr0: int32(a0), attr1: int32(len(r.attrs)),
		tagEnd: int32(r.pos), selfClosing: selfClosing})
	r.nelem++
	if !selfClosing {
		r.open = append(r.open, idx)
	}
	return nil
}

// addAttr appends a to the attributes of the element that starts at a0; a second attribute
// with the same name replaces the first's value in its place, as etree does. Past a few
// attributes the look-up goes through a map, so a hostile element cannot make it quadratic.
func (r *reader) addAttr(a0 int, a etree.Attr) {
	n := len(r.attrs) - a0
	if n < 16 {
		for i := a0; i < len(r.attrs); i++ {
			if r.attrs[i].Space == a.Space && r.attrs[i].Key == a.Key {
				r.attrs[i].Value = a.Value
				return
			}
		}
	} else {
		if r.attrIdx == nil || r.attrIdxFor != a0 {
			r.attrIdx = make(map[[2]string]int, 2*n)
			r.attrIdxFor = a0
			for i := a0; i < len(r.attrs); i++ {
				r.attrIdx[[2]string{r.attrs[i].Space, r.attrs[i].Key}] = i
			}
		}
		k := [2]string{a.Space, a.Key}
		if i, ok := r.attrIdx[k]; ok {
			r.attrs[i].Value = a.Value
			return
		}
		r.attrIdx[k] = len(r.attrs)
	}
	r.attrs = append(r.attrs, a)
}

func (r *reader) endTag() error {
	space, local, _, err := r.qname()
	if err != nil {
		return err
	}
	r.space()
	if r.pos >= len(r.data) {
		return r.fail("unexpected EOF")
	}
	if r.data[r.pos] != '>' {
		return r.fail("invalid characters between </%s and >", local)
	}
	r.pos++
	if len(r.open) == 0 {
		return r.fail("end tag </%s> outside the document element", local)
	}
	top := &r.nodes[r.open[len(r.open)-1]]
	if top.a != space || top.b != local {
		return r.fail("end tag </%s> does not match <%s>", local, top.raw)
	}
	r.open = r.open[:len(r.open)-1]
	return nil
}

func (r *reader) procInst() error {
	target, err := r.name()
	if err != nil {
		return err
	}
	r.space()
	start := r.pos
	end := bytes.Index(r.data[start:], []byte("?>"))
	if end < 0 {
		r.pos = len(r.data)
		return r.fail("unexpected EOF in processing instruction")
	}
	inst := r.s[start : start+end]
	r.pos = start + end + 2
	if target == "xml" {
		if v := declParam("version", inst); v != "" && v != "1.0" {
			return r.fail("unsupported version %q; only version 1.0 is supported", v)
		}
		if enc := declParam("encoding", inst); enc != "" && !strings.EqualFold(enc, "utf-8") {
			return r.fail("encoding %q is not accepted (only UTF-8)", enc)
		}
	}
	r.add(pnode{kind: kProcInst, a: target, b: inst})
	return nil
}

// declParam reads param="value" (or '…') from an XML declaration the way encoding/xml does:
// the first "param=" directly followed by a quote, the value up to the same quote.
func declParam(param, s string) string {
	key := param + "="
	for i := 0; ; {
		k := strings.Index(s[i:], key)
		if k < 0 || i+k+len(key) >= len(s) {
			return ""
		}
		i += k + len(key)
		if q := s[i]; q == '"' || q == '\'' {
			j := strings.IndexByte(s[i+1:], q)
			if j < 0 {
				return ""
			}
			return s[i+1 : i+1+j]
		}
		i++
	}
}

// bang reads what follows "<!": a comment or a CDATA section; anything else is a DTD or
// another declaration, which is refused.
func (r *reader) bang() error {
	d := r.data
	if r.pos >= len(d) {
		return r.fail("unexpected EOF")
	}
	switch d[r.pos] {
	case '-':
		r.pos++
		if err := r.expect('-', "invalid sequence <!- not part of <!--"); err != nil {
			return err
		}
		// encoding/xml's rule: once two dashes have been read inside, the next byte ends the
		// comment or is an error.
		start := r.pos
		var b0, b1 byte
		for {
			if r.pos >= len(d) {
				return r.fail("unexpected EOF in comment")
			}
			b := d[r.pos]
			r.pos++
			if b0 == '-' && b1 == '-' {
				if b != '>' {
					return r.fail(`invalid sequence "--" not allowed in comments`)
				}
				break
			}
			b0, b1 = b1, b
		}
		r.add(pnode{kind: kComment, a: r.s[start : r.pos-3]})
		return nil
	case '[':
		r.pos++
		if !bytes.HasPrefix(d[r.pos:], []byte("CDATA[")) {
			if len(d)-r.pos < 6 && bytes.HasPrefix([]byte("CDATA["), d[r.pos:]) {
				return r.fail("unexpected EOF")
			}
			return r.fail("invalid <![ sequence")
		}
		r.pos += 6
		text, err := r.text(0, true)
		if err != nil {
			return err
		}
		r.add(pnode{kind: kText, a: text, slot: r.ntext})
		r.ntext++
		return nil
	}
	return ErrDTD
}

// text reads character data up to '<' (quote 0), an attribute value up to its closing quote,
// or a CDATA section up to "]]>", and returns it with references replaced and line ends
// normalized, checking every character is one XML allows. The data is a substring of the input
// unless something had to change.
func (r *reader) text(quote byte, cdata bool) (string, error) {
	d := r.data
	start := r.pos
	var out []byte // nil while the data is the input unchanged
	var b0, b1 byte
	for {
		if r.pos >= len(d) {
			if cdata {
				return "", r.fail("unexpected EOF in CDATA section")
			}
			if quote != 0 {
				return "", r.fail("unexpected EOF in attribute value")
			}
			break
		}
		b := d[r.pos]
		// Fast path: bytes that need no attention.
		if b >= 0x20 && b != '<' && b != '&' && b != ']' && b != '>' && b != quote && b != 0xEF {
			if out != nil {
				out = append(out, b)
			}
			b0, b1 = b1, b
			r.pos++
			continue
		}
		if quote == 0 && b0 == ']' && b1 == ']' && b == '>' {
			if cdata {
				r.pos++
				if out != nil {
					return string(out[:len(out)-2]), nil
				}
				return r.s[start : r.pos-3], nil
			}
			return "", r.fail("unescaped ]]> not in CDATA section")
		}
		if b == '<' && !cdata {
			if quote != 0 {
				return "", r.fail("unescaped < inside quoted string")
			}
			break
		}
		if quote != 0 && b == quote {
			r.pos++
			if out != nil {
				return string(out), nil
			}
			return r.s[start : r.pos-1], nil
		}
		if b == '&' && !cdata {
			if out == nil {
				out = append(make([]byte, 0, r.pos-start+64), d[start:r.pos]...)
			}
			var err error
			if out, err = r.reference(out); err != nil {
				return "", err
			}
			b0, b1 = 0, 0
			continue
		}
		switch {
		case b == '\r':
			if out == nil {
				out = append(make([]byte, 0, r.pos-start+64), d[start:r.pos]...)
			}
			out = append(out, '\n')
		case b1 == '\r' && b == '\n':
		case b < 0x20 && b != '\t' && b != '\n':
			return "", r.fail("illegal character code %U", rune(b))
		case b == 0xEF && r.pos+2 < len(d) && d[r.pos+1] == 0xBF && (d[r.pos+2] == 0xBE || d[r.pos+2] == 0xBF):
			return "", r.fail("illegal character code U+FFF%c", "EF"[d[r.pos+2]-0xBE])
		default:
			if out != nil {
				out = append(out, b)
			}
		}
		b0, b1 = b1, b
		r.pos++
	}
	// Character data ends before '<' or at the end of the input.
	if out != nil {
		return string(out), nil
	}
	return r.s[start:r.pos], nil
}

var predefined = map[string]string{"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": `"`}

// reference reads the entity or character reference at r.pos ('&') and appends its text to
// out. Only the predefined entities and character references are known, as with a strict
// encoding/xml decoder without an entity map.
func (r *reader) reference(out []byte) ([]byte, error) {
	d := r.data
	start := r.pos
	r.pos++
	eof := func() ([]byte, error) { return nil, r.fail("unexpected EOF in reference") }
	bad := func() ([]byte, error) {
		end := min(r.pos+1, len(d))
		return nil, r.fail("invalid character entity %s", d[start:end])
	}
	if r.pos >= len(d) {
		return eof()
	}
	if d[r.pos] == '#' {
		r.pos++
		if r.pos >= len(d) {
			return eof()
		}
		base := 10
		if d[r.pos] == 'x' {
			base = 16
			r.pos++
		}
		ds := r.pos
		for r.pos < len(d) && (d[r.pos] >= '0' && d[r.pos] <= '9' ||
			base == 16 && (d[r.pos] >= 'a' && d[r.pos] <= 'f' || d[r.pos] >= 'A' && d[r.pos] <= 'F')) {
			r.pos++
		}
		if r.pos >= len(d) {
			return eof()
		}
		if d[r.pos] != ';' {
			return bad()
		}
		n, err := strconv.ParseUint(r.s[ds:r.pos], base, 64)
		if err != nil || n > unicode.MaxRune {
			return bad()
		}
		r.pos++
		c := rune(n)
		if !utf8.ValidRune(c) {
			c = utf8.RuneError // a surrogate, as string(rune(n)) writes it
		}
		if !inCharacterRange(c) {
			return nil, r.fail("illegal character code %U", c)
		}
		return utf8.AppendRune(out, c), nil
	}
	ns := r.pos
	for r.pos < len(d) && (d[r.pos] >= utf8.RuneSelf || isNameByte(d[r.pos])) {
		r.pos++
	}
	if r.pos >= len(d) {
		return eof()
	}
	if d[r.pos] != ';' {
		return bad()
	}
	text, ok := predefined[r.s[ns:r.pos]]
	if !ok {
		return bad()
	}
	r.pos++
	return append(out, text...), nil
}

func inCharacterRange(c rune) bool {
	return c == 0x09 || c == 0x0A || c == 0x0D || c >= 0x20 && c <= 0xD7FF ||
		c >= 0xE000 && c <= 0xFFFD || c >= 0x10000 && c <= 0x10FFFF
}
