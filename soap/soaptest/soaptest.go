// Package soaptest checks messages against the official GIS ZhKKh schemas with xmllint, the
// independent conformance oracle for tests. The schemas live outside the project
// (../shared/gis-schemas); where they or xmllint are missing, tests skip with a reason,
// except under CI (CI set in the environment), where a missing oracle fails the test.
package soaptest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/beevik/etree"
)

// SchemaVersion is the official schema set the project checks against.
const SchemaVersion = "16.3.0.0"

// schemaDir returns the official schema directory, searching upwards from this package for
// shared/gis-schemas/<SchemaVersion>. GISGW_SCHEMA_DIR overrides the search.
func schemaDir() (string, bool) {
	if d := os.Getenv("GISGW_SCHEMA_DIR"); d != "" {
		return d, true
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	for i := 0; i < 8; i++ {
		cand := filepath.Join(dir, "shared", "gis-schemas", SchemaVersion)
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand, true
		}
		dir = filepath.Dir(dir)
	}
	return "", false
}

// Require returns the schema directory, or skips (fails under CI) when the oracle is missing.
func Require(t testing.TB) string {
	t.Helper()
	dir, ok := schemaDir()
	if !ok {
		missing(t, "official schemas (../shared/gis-schemas/"+SchemaVersion+") not found")
	}
	if _, err := exec.LookPath("xmllint"); err != nil {
		missing(t, "xmllint not installed (Debian package libxml2-utils)")
	}
	return dir
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("conformance oracle unavailable under CI: %s", why)
	}
	t.Skipf("skipping conformance check: %s", why)
}

// ValidateEnvelope checks every element in a SOAP envelope's Header and Body against the
// official XSD: base-namespace elements against lib/hcs-base.xsd, drs elements against
// debt-requests/hcs-debt-requests-types.xsd. A SOAP Fault body is checked by its detail.
func ValidateEnvelope(t testing.TB, envelope []byte) {
	t.Helper()
	dir := Require(t)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(envelope); err != nil {
		t.Fatalf("envelope is not XML: %v", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" {
		t.Fatalf("no SOAP Envelope")
	}
	n := 0
	for _, section := range root.ChildElements() {
		for _, el := range section.ChildElements() {
			if el.Tag == "Fault" && el.NamespaceURI() == "http://schemas.xmlsoap.org/soap/envelope/" {
				for _, d := range el.FindElements("./detail/*") {
					validateElement(t, dir, d)
					n++
				}
				continue
			}
			validateElement(t, dir, el)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("envelope has no elements to validate")
	}
}

func validateElement(t testing.TB, dir string, el *etree.Element) {
	t.Helper()
	// Copy the element into its own document so it carries every namespace it uses.
	c := el.Copy()
	for e := el.Parent(); e != nil; e = e.Parent() {
		for _, a := range e.Attr {
			if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
				if c.SelectAttr(a.FullKey()) == nil {
					c.CreateAttr(a.FullKey(), a.Value)
				}
			}
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(c)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	var xsd string
	switch el.NamespaceURI() {
	case "http://dom.gosuslugi.ru/schema/integration/drs/":
		xsd = filepath.Join(dir, "debt-requests", "hcs-debt-requests-types.xsd")
	case "http://dom.gosuslugi.ru/schema/integration/base/":
		xsd = filepath.Join(dir, "lib", "hcs-base.xsd")
	default:
		t.Fatalf("element <%s> in namespace %q has no official schema", el.Tag, el.NamespaceURI())
	}
	f := filepath.Join(t.TempDir(), el.Tag+".xml")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, f)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("<%s> does not validate against the official %s:\n%s\n%s", el.Tag, filepath.Base(xsd), out.String(), b)
	}
}
