package xades

import (
	"strings"
	"testing"
)

// FuzzVerify feeds arbitrary documents to Verify: it must return an error or a complete
// result, never panic.
func FuzzVerify(f *testing.F) {
	s := newTestSigner(f, fixedKeyPair(f), Options{Clock: fixedClock, Rand: seededRand(3)})
	signed := mustSign(f, s, readFile(f, "testdata/envelope.xml"), "")
	small := mustSign(f, s, []byte(`<r xmlns="urn:r"><a Id="x">text</a></r>`), "x")
	f.Add(signed)
	f.Add(small)
	f.Add([]byte(strings.Replace(string(signed), "Тестов", "Петров", 1)))
	f.Add([]byte(strings.Replace(string(small), "</ds:Signature>", "</ds:Signature><ds:Signature/>", 1)))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>`))
	f.Add([]byte(`<r><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></r>`))
	f.Add(signed[:len(signed)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Verify(data, VerifyOptions{Now: fixedClock})
		if err != nil {
			return
		}
		if res == nil || res.SignedID == "" || len(res.SignedXML) == 0 || res.Certificate.Certificate == nil {
			t.Fatalf("accepted with an incomplete result: %+v", res)
		}
	})
}
