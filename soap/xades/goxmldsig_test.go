package xades

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// TestRSASignatureValidatesWithGoxmldsig is an independent check of the RSA-SHA256 path (test
// stands and the simulator): goxmldsig, a widely used XML-DSig implementation, must accept
// what this package signs, and refuse it once the signed element is changed.
func TestRSASignatureValidatesWithGoxmldsig(t *testing.T) {
	t.Parallel()
	keyPEM, certPEM := rsaKeyPair(t, time.Now().Add(time.Hour))
	kp, err := LoadKeyPair(keyPEM, certPEM, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c14n := range []string{C14NExclusive, C14NInclusive} {
		t.Run(c14n, func(t *testing.T) {
			t.Parallel()
			s := newTestSigner(t, kp, Options{SignedInfoC14N: c14n})
			signed := mustSign(t, s, readFile(t, "testdata/envelope.xml"), "")
			validate := func(doc string) error {
				d := etree.NewDocument()
				if err := d.ReadFromString(doc); err != nil {
					t.Fatal(err)
				}
				el := d.FindElement("//*[@Id='signed-data-container']")
				if el == nil {
					t.Fatal("no signed element")
				}
				// goxmldsig canonicalizes the element it is given as a document of its own, so
				// give it one: the same element with the namespaces in scope declared on it,
				// which leaves both canonical forms (inclusive and exclusive) unchanged.
				root := el.Copy()
				for p := el.Parent(); p != nil; p = p.Parent() {
					for _, a := range p.Attr {
						if (a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")) && root.SelectAttr(a.FullKey()) == nil {
							root.CreateAttr(a.FullKey(), a.Value)
						}
					}
				}
				el = root
				ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{kp.Certificate}})
				ctx.IdAttribute = "Id"
				_, err := ctx.Validate(el)
				return err
			}
			if err := validate(string(signed)); err != nil {
				t.Fatalf("goxmldsig refuses the signature: %v", err)
			}
			tampered := strings.Replace(string(signed), "<drs:hasDebt>false</drs:hasDebt>", "<drs:hasDebt>true</drs:hasDebt>", 1)
			if tampered == string(signed) {
				t.Fatal("the test envelope has no hasDebt to change")
			}
			if err := validate(tampered); err == nil {
				t.Fatal("goxmldsig accepts a changed signed element")
			}
		})
	}
}
