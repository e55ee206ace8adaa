package xades

import (
	"regexp"
	"testing"

	"github.com/beevik/etree"
)

// xmllint's canonical output always keeps comments; references drop them, so the oracle gets
// the document with its comments removed.
var commentRE = regexp.MustCompile(`<!--[\s\S]*?-->\n?`)

// TestCanonicalizeMatchesXmllint compares both canonicalizations with libxml2's on a document
// that exercises namespace pruning, attribute order across prefixes, escaping, comments,
// processing instructions, CDATA and an undeclared default namespace.
func TestCanonicalizeMatchesXmllint(t *testing.T) {
	t.Parallel()
	needXmllint(t)
	raw := readFile(t, "testdata/c14n-tricky.xml")
	for _, tc := range []struct {
		method    string
		exclusive bool
	}{{C14NExclusive, true}, {C14NInclusive, false}} {
		doc, err := parseDocument(raw, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := canonicalize(doc.Root(), tc.method, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		want := xmllintC14N(t, commentRE.ReplaceAllString(string(raw), ""), tc.exclusive)
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.method, got, want)
		}
	}
}

// TestCanonicalizeSubtreeInContext: a subtree canonicalizes as xmllint does a standalone copy
// carrying what it inherits: the namespaces its ancestors declare and, for inclusive C14N, their
// xml:* attributes.
func TestCanonicalizeSubtreeInContext(t *testing.T) {
	t.Parallel()
	needXmllint(t)
	raw := readFile(t, "testdata/c14n-tricky.xml")
	doc, err := parseDocument(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	const inherited = `xmlns="urn:default" xmlns:a="urn:z-last" xmlns:b="urn:a-first" xmlns:unused="urn:unused"`
	tests := []struct {
		name                string
		el                  *etree.Element
		standaloneExclusive string
		standaloneInclusive string
	}{
		{"child", doc.Root().SelectElement("child"),
			`<child ` + inherited + ` a:z="1" b:z="2" attr='single "quoted"'>text &amp; &lt; &gt; " ' &#13; end<!-- inner comment --><?pi some data?></child>`, ""},
		{"under an undeclared default namespace", doc.Root().SelectElement("nodefault").SelectElement("inner"),
			`<inner xmlns:a="urn:z-last" xmlns:b="urn:a-first" xmlns:unused="urn:unused" a:q="x"/>`, ""},
		{"inherits xml:lang", doc.Root().SelectElement("c").SelectElement("d"),
			`<d xmlns="urn:default" xmlns:a="urn:changed" xmlns:b="urn:a-first" xmlns:unused="urn:unused">inner <a:e/></d>`,
			`<d xmlns="urn:default" xmlns:a="urn:changed" xmlns:b="urn:a-first" xmlns:unused="urn:unused" xml:lang="ru">inner <a:e/></d>`},
	}
	for _, tc := range tests {
		if tc.standaloneInclusive == "" {
			tc.standaloneInclusive = tc.standaloneExclusive
		}
		for _, m := range []struct {
			method     string
			exclusive  bool
			standalone string
		}{{C14NExclusive, true, tc.standaloneExclusive}, {C14NInclusive, false, tc.standaloneInclusive}} {
			got, err := canonicalize(tc.el, m.method, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := xmllintC14N(t, commentRE.ReplaceAllString(m.standalone, ""), m.exclusive); string(got) != string(want) {
				t.Errorf("%s, %s:\n got %s\nwant %s", tc.name, m.method, got, want)
			}
		}
	}
}

// TestCanonicalizeInclusiveNamespaces: an exclusive c14n PrefixList keeps the listed prefixes
// declared even where they are not visibly used.
func TestCanonicalizeInclusiveNamespaces(t *testing.T) {
	t.Parallel()
	doc, err := parseDocument([]byte(`<r xmlns="urn:d" xmlns:u="urn:u" xmlns:v="urn:v"><s/></r>`), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ list, want string }{
		{"", `<s xmlns="urn:d"></s>`},
		{"u", `<s xmlns="urn:d" xmlns:u="urn:u"></s>`},
		{"v u #default", `<s xmlns="urn:d" xmlns:u="urn:u" xmlns:v="urn:v"></s>`},
		{"w", `<s xmlns="urn:d"></s>`},
	} {
		got, err := canonicalize(doc.Root().SelectElement("s"), C14NExclusive, tc.list, nil)
		if err != nil || string(got) != tc.want {
			t.Errorf("PrefixList %q: %s (%v), want %s", tc.list, got, err, tc.want)
		}
	}
}
