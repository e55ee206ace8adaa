package xades

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
)

// trickyDocs exercise what canonicalization and the reader can get wrong. Each must read and
// canonicalize exactly as the DOM oracle (etree over encoding/xml, the old canonicalizer) does.
var trickyDocs = []struct {
	name, doc string
	// exc is the exclusive canonical form of the document element, when given.
	exc string
}{
	{"namespace redeclared below", `<a:r xmlns:a="urn:1"><a:s xmlns:a="urn:2"><a:t xmlns:a="urn:1"/></a:s></a:r>`,
		`<a:r xmlns:a="urn:1"><a:s xmlns:a="urn:2"><a:t xmlns:a="urn:1"></a:t></a:s></a:r>`},
	{"redundant redeclaration", `<a:r xmlns:a="urn:1"><a:s xmlns:a="urn:1"/></a:r>`,
		`<a:r xmlns:a="urn:1"><a:s></a:s></a:r>`},
	{"unused namespaces dropped", `<r xmlns:u="urn:u" xmlns:v="urn:v"><s v:x="1"/></r>`,
		`<r><s xmlns:v="urn:v" v:x="1"></s></r>`},
	{"attribute order by namespace URI then name", `<r xmlns:z="urn:a" xmlns:a="urn:z" a:b="1" z:c="2" b="3" a="4" z:a="5"/>`,
		`<r xmlns:a="urn:z" xmlns:z="urn:a" a="4" b="3" z:a="5" z:c="2" a:b="1"></r>`},
	{"default namespace undeclared", `<r xmlns="urn:d"><s xmlns=""><t/></s><u/></r>`,
		`<r xmlns="urn:d"><s xmlns=""><t></t></s><u></u></r>`},
	{"default namespace never declared, then xmlns empty", `<r><s xmlns=""/></r>`, `<r><s></s></r>`},
	{"entities and character references", `<r a="&lt;&amp;&gt;&quot;&apos;&#9;&#xA;&#13;">&lt;&amp;&gt;&quot;&apos;&#x41;&#66;&#xd;&#x10000;</r>`,
		`<r a="&lt;&amp;>&quot;'&#x9;&#xA;&#xD;">&lt;&amp;&gt;"'AB&#xD;` + "\U00010000" + `</r>`},
	{"surrogate reference becomes U+FFFD", `<r>&#xD800;</r>`, "<r>\uFFFD</r>"},
	{"CDATA", `<r><![CDATA[<x> & ]] ]>]]>tail<![CDATA[]]></r>`, `<r>&lt;x&gt; &amp; ]] ]&gt;tail</r>`},
	{"comments dropped", `<r><!-- c --><s/><!----><!-- - --></r>`, `<r><s></s></r>`},
	{"processing instruction kept", "<r><?pi  data ?><?empty?></r>", "<r><?pi data ?><?empty?></r>"},
	{"whitespace kept, line ends normalized", "<r>\r\n <s a=\"x\r\ny\tz\"> \t\r</s>\n</r>", "<r>\n <s a=\"x&#xA;y&#x9;z\"> \t\n</s>\n</r>"},
	{"empty elements", `<r><s/><t></t><u a=""/></r>`, `<r><s></s><t></t><u a=""></u></r>`},
	{"no space between attributes", `<r a="1"b='2'/>`, `<r a="1" b="2"></r>`},
	{"duplicate attribute: the last value in the first place", `<r b="1" a="2" b="3"/>`, `<r a="2" b="3"></r>`},
	{"xml namespace", `<r xml:lang="ru" xmlns:xml="http://www.w3.org/XML/1998/namespace"><s xml:space="preserve"/></r>`,
		`<r xml:lang="ru"><s xml:space="preserve"></s></r>`},
	{"prefix on the attribute only", `<r xmlns:p="urn:p"><s p:a="1" xmlns:q="urn:q"/></r>`, `<r><s xmlns:p="urn:p" p:a="1"></s></r>`},
	{"colon edge names", `<r :a="1" b:="2"><:s/></r>`, `<r :a="1" b:="2"><:s></:s></r>`},
	{"non-ASCII names and text", `<р:корень xmlns:р="urn:р" атрибут="значение">текст</р:корень>`,
		`<р:корень xmlns:р="urn:р" атрибут="значение">текст</р:корень>`},
	{"text around the document element", "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- c -->\n<r/>\n<?after?>\n", `<r></r>`},
	{"greater-than in text and attribute", `<r a=">]]>">a > b ]] ]></r>`, `<r a=">]]>">a &gt; b ]] ]&gt;</r>`},
	{"undeclared prefix", `<p:r/>`, ""},
	// Refused by both.
	{"undefined entity", `<r>&nbsp;</r>`, ""},
	{"DTD", `<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>`, ""},
	{"DTD without entities", `<!DOCTYPE r><r/>`, ""},
	{"external entity", `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`, ""},
	{"mismatched end tag", `<r><s></t></r>`, ""},
	{"two document elements", `<r/><s/>`, ""},
	{"unclosed", `<r><s>`, ""},
	{"double dash in comment", `<r><!-- a -- b --></r>`, ""},
	{"lt in attribute", `<r a="<"/>`, ""},
	{"unquoted attribute", `<r a=1/>`, ""},
	{"attribute without value", `<r a/>`, ""},
	{"two colons", `<a:b:c/>`, ""},
	{"control character", "<r>\x01</r>", ""},
	{"control character reference", "<r>&#1;</r>", ""},
	{"U+FFFE", "<r>\uFFFE</r>", ""},
	{"]]> in text", `<r>]]></r>`, ""},
	{"encoding other than UTF-8", `<?xml version="1.0" encoding="windows-1251"?><r/>`, ""},
	{"XML 1.1", `<?xml version="1.1"?><r/>`, ""},
	{"reference without semicolon", `<r>&amp</r>`, ""},
	{"uppercase X reference", `<r>&#X41;</r>`, ""},
	{"empty", ``, ""},
}

// TestC14NTrickyCases: the new reader and canonicalizer give what the DOM oracle gives on every
// tricky document, and the expected exclusive form where one is listed.
func TestC14NTrickyCases(t *testing.T) {
	t.Parallel()
	for _, tc := range trickyDocs {
		t.Run(tc.name, func(t *testing.T) {
			doc := []byte(tc.doc)
			p, err := readDocument(doc, 0)
			checkAgainstOracle(t, doc, p, err)
			if tc.exc == "" {
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			got, err := canonicalize(p.doc.Root(), C14NExclusive, "", nil)
			if err != nil || string(got) != tc.exc {
				t.Errorf("exclusive c14n: %s (%v)\nwant %s", got, err, tc.exc)
			}
		})
	}
}

// FuzzC14NDifferential: on any input the reader accepts what the oracle accepts, builds the
// same tree, and every element canonicalizes (exclusive, with and without a PrefixList, and
// inclusive) to the same bytes as the old DOM canonicalizer makes from the oracle's tree.
func FuzzC14NDifferential(f *testing.F) {
	for _, tc := range trickyDocs {
		f.Add([]byte(tc.doc))
	}
	files, _ := filepath.Glob("testdata/*.xml")
	wrapped, _ := filepath.Glob("testdata/wrapped/*.xml")
	for _, name := range append(files, wrapped...) {
		if data, err := os.ReadFile(name); err == nil && len(data) < 20000 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := readDocument(data, 0)
		checkAgainstOracle(t, data, p, err)
	})
}

// checkAgainstOracle compares readDocument's outcome (p, err) on data with the oracle's.
func checkAgainstOracle(t *testing.T, data []byte, p *parsed, err error) {
	t.Helper()
	old, oldErr := parseDocumentDOM(data, 0)
	if (err == nil) != (oldErr == nil) {
		t.Fatalf("readDocument: %v; the DOM oracle: %v", err, oldErr)
	}
	if errors.Is(oldErr, ErrDTD) && !errors.Is(err, ErrDTD) {
		t.Fatalf("the oracle refuses a DTD (%v), readDocument says %v", oldErr, err)
	}
	if err != nil {
		return
	}
	// The flat walk Sign uses, over the same document.
	r, err := scan(data, 0)
	if err != nil {
		t.Fatalf("scan refuses what readDocument read: %v", err)
	}
	defer r.release()
	var flat []int32
	for j := range r.nodes {
		if r.nodes[j].kind == kElement {
			flat = append(flat, int32(j))
		}
	}
	var olds, news []*etree.Element
	walk(old.Root(), func(e *etree.Element) { olds = append(olds, e) })
	walk(p.doc.Root(), func(e *etree.Element) { news = append(news, e) })
	if len(olds) != len(news) || len(p.elems) != len(news) || len(flat) != len(news) {
		t.Fatalf("%d elements, the oracle has %d (slab %d)", len(news), len(olds), len(p.elems))
	}
	for i := range olds {
		sameElement(t, olds[i], news[i])
		if &p.elems[i] != news[i] {
			t.Fatalf("element %d is not slab element %d", i, i)
		}
		// Canonicalizing every subtree is quadratic; on big inputs a sample keeps the fuzzer
		// fast: the root, the elements with an Id, and every 16th.
		if len(olds) > 64 && i != 0 && i%16 != 0 && idOf(news[i]) == "" {
			continue
		}
		for _, m := range []struct{ method, list string }{
			{C14NExclusive, ""}, {C14NExclusive, "#default a p"}, {C14NInclusive, ""},
		} {
			want, wantErr := canonicalizeRef(olds[i], m.method, m.list, nil)
			got, gotErr := canonicalize(news[i], m.method, m.list, nil)
			if (gotErr == nil) != (wantErr == nil) || string(got) != string(want) {
				t.Fatalf("element %d %s, %s PrefixList %q:\n got %q (%v)\nwant %q (%v)", i, news[i].FullTag(), m.method, m.list, got, gotErr, want, wantErr)
			}
		}
		want, wantErr := canonicalizeRef(olds[i], C14NExclusive, "", nil)
		got, gotErr := canonicalizeScanned(r, flat[i])
		if (gotErr == nil) != (wantErr == nil) || string(got) != string(want) {
			t.Fatalf("element %d %s, exclusive from the node list:\n got %q (%v)\nwant %q (%v)", i, news[i].FullTag(), got, gotErr, want, wantErr)
		}
		// Sign splices after the start tag the oracle's locateID found.
		if id := idOf(news[i]); id != "" && len(elementsWithID(p.doc.Root(), id)) == 1 {
			want, err := locateIDDOM(data, id)
			n := &r.nodes[flat[i]]
			if got := (startTag{n.tagEnd, n.raw, n.selfClosing}); err == nil && got != want {
				t.Fatalf("start tag of Id=%q: %+v, the oracle found %+v", id, got, want)
			}
		}
	}
}

func sameElement(t *testing.T, a, b *etree.Element) {
	t.Helper()
	if a.Space != b.Space || a.Tag != b.Tag || len(a.Attr) != len(b.Attr) || len(a.Child) != len(b.Child) {
		t.Fatalf("element %s (%d attributes, %d children) is %s (%d, %d)", a.FullTag(), len(a.Attr), len(a.Child), b.FullTag(), len(b.Attr), len(b.Child))
	}
	if (a.Parent() == nil) != (b.Parent() == nil) || a.Index() != b.Index() {
		t.Fatalf("element %s: parent or index differ", a.FullTag())
	}
	for i := range a.Attr {
		x, y := a.Attr[i], b.Attr[i]
		if x.Space != y.Space || x.Key != y.Key || x.Value != y.Value {
			t.Fatalf("element %s attribute %d: %+v, the oracle has %+v", a.FullTag(), i, y, x)
		}
	}
	for i := range a.Child {
		switch x := a.Child[i].(type) {
		case *etree.Element:
			if _, ok := b.Child[i].(*etree.Element); !ok {
				t.Fatalf("element %s child %d: %T, the oracle has an element", a.FullTag(), i, b.Child[i])
			}
		case *etree.CharData:
			y, ok := b.Child[i].(*etree.CharData)
			if !ok || x.Data != y.Data {
				t.Fatalf("element %s child %d: %#v, the oracle has text %q", a.FullTag(), i, b.Child[i], x.Data)
			}
		case *etree.Comment:
			y, ok := b.Child[i].(*etree.Comment)
			if !ok || x.Data != y.Data {
				t.Fatalf("element %s child %d: %#v, the oracle has comment %q", a.FullTag(), i, b.Child[i], x.Data)
			}
		case *etree.ProcInst:
			y, ok := b.Child[i].(*etree.ProcInst)
			if !ok || x.Target != y.Target || x.Inst != y.Inst {
				t.Fatalf("element %s child %d: %#v, the oracle has %#v", a.FullTag(), i, b.Child[i], x)
			}
		default:
			t.Fatalf("element %s child %d: unexpected %T in the oracle's tree", a.FullTag(), i, x)
		}
	}
}
