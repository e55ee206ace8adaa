package xades

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// wrapVariant is one signature-wrapping attack on testdata/envelope.xml once signed: the
// signature still verifies over the element it covers, but the receiver would read another.
type wrapVariant struct {
	name string // golden file testdata/wrapped/<name>.xml
	make func(t testing.TB, w *wrapParts) string
	want error // every error also wraps ErrStructure
}

// wrapParts are the pieces of a signed envelope the variants are made of.
type wrapParts struct {
	signed   string // the whole signed envelope
	signedEl string // the signed body element, signature included
	forged   string // an unsigned body element saying "no debt" for every action, no Id
	evil     string // forged, carrying the signed element's Id
	kp       *KeyPair
}

var (
	descriptionRE = regexp.MustCompile(`(?s)\s*<drs:description>.*?</drs:description>`)
	debtInfoRE    = regexp.MustCompile(`(?s)\s*<drs:debtInfo>.*</drs:debtInfo>`)
)

func newWrapParts(t testing.TB, signed string, kp *KeyPair) *wrapParts {
	t.Helper()
	w := &wrapParts{signed: signed, kp: kp}
	w.signedEl = between(t, signed, bodyStart, "</drs:importDSRResponsesRequest>")
	sigXML := between(t, signed, "<ds:Signature ", "</ds:Signature>")
	w.evil = strings.Replace(w.signedEl, sigXML, "", 1)
	w.evil = strings.ReplaceAll(w.evil, "<drs:hasDebt>true</drs:hasDebt>", "<drs:hasDebt>false</drs:hasDebt>")
	w.evil = debtInfoRE.ReplaceAllString(descriptionRE.ReplaceAllString(w.evil, ""), "")
	if strings.Contains(w.evil, "true") || strings.Contains(w.evil, "debtInfo") {
		t.Fatal("the forged body still says there is a debt")
	}
	w.forged = strings.Replace(w.evil, ` Id="`+DefaultID+`"`, "", 1)
	return w
}

// body returns the envelope with inner as the whole content of soapenv:Body.
func (w *wrapParts) body(t testing.TB, inner string) string {
	t.Helper()
	old := between(t, w.signed, "<soapenv:Body>", "</soapenv:Body>")
	return strings.Replace(w.signed, old, "<soapenv:Body>"+inner+"</soapenv:Body>", 1)
}

// headerAndBody also appends extra to soapenv:Header.
func (w *wrapParts) headerAndBody(t testing.TB, extra, inner string) string {
	t.Helper()
	return strings.Replace(w.body(t, inner), "</soapenv:Header>", extra+"</soapenv:Header>", 1)
}

// resign edits the References in SignedInfo and signs SignedInfo again with the right key,
// as an attacker holding a valid signature cannot but a buggy or hostile signer can: the
// signature value holds, so only the reference rules can refuse the result.
func resign(t testing.TB, doc string, kp *KeyPair, edit func(refs []*etree.Element)) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	var sig *etree.Element
	walk(d.Root(), func(e *etree.Element) {
		if e.Space == "ds" && e.Tag == "Signature" {
			sig = e
		}
	})
	si := sig.SelectElement("SignedInfo")
	edit(si.SelectElements("Reference"))
	method := si.SelectElement("CanonicalizationMethod").SelectAttrValue("Algorithm", "")
	canonSI, err := canonicalize(si, method, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var digest []byte
	switch kp.alg {
	case SignatureRSASHA256:
		h := sha256.Sum256(canonSI)
		digest = h[:]
	case SignatureGOST512:
		digest, _ = digestOf(DigestGOST512, canonSI)
	default:
		digest, _ = digestOf(DigestGOST256, canonSI)
	}
	raw, err := kp.Signer.Sign(seededRand(9), digest, kp.alg)
	if err != nil {
		t.Fatal(err)
	}
	sig.SelectElement("SignatureValue").SetText(base64.StdEncoding.EncodeToString(raw))
	out, err := d.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func setURI(uri string) func(refs []*etree.Element) {
	return func(refs []*etree.Element) { refs[0].SelectAttr("URI").Value = uri }
}

const wsuNS = `xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"`

// wrapVariants are the attacks of issue 14 point 1, and the valid message they start from.
func wrapVariants() []wrapVariant {
	return []wrapVariant{
		{"valid", func(_ testing.TB, w *wrapParts) string { return w.signed }, nil},

		{"body-in-header", func(t testing.TB, w *wrapParts) string {
			return w.headerAndBody(t, w.signedEl, w.forged)
		}, ErrNotBody},
		{"body-in-header-wrapper", func(t testing.TB, w *wrapParts) string {
			return w.headerAndBody(t, `<w:Wrapper xmlns:w="urn:evil">`+w.signedEl+`</w:Wrapper>`, w.forged)
		}, ErrNotBody},
		{"sibling-after-forged", func(t testing.TB, w *wrapParts) string {
			return w.body(t, w.forged+w.signedEl)
		}, ErrNotBody},
		{"sibling-before-forged", func(t testing.TB, w *wrapParts) string {
			return w.body(t, w.signedEl+w.forged)
		}, ErrNotBody},
		{"inside-forged-body", func(t testing.TB, w *wrapParts) string {
			i := strings.LastIndex(w.forged, "</drs:importDSRResponsesRequest>")
			return w.body(t, w.forged[:i]+w.signedEl+w.forged[i:])
		}, ErrNotBody},
		{"inside-wrapper-in-body", func(t testing.TB, w *wrapParts) string {
			return w.body(t, `<w:Wrapper xmlns:w="urn:evil">`+w.signedEl+`</w:Wrapper>`)
		}, ErrNotBody},

		{"duplicate-id-signed-in-header", func(t testing.TB, w *wrapParts) string {
			return w.headerAndBody(t, w.signedEl, w.evil)
		}, ErrDuplicateID},
		{"duplicate-id-evil-in-header", func(t testing.TB, w *wrapParts) string {
			return w.headerAndBody(t, w.evil, w.signedEl)
		}, ErrDuplicateID},
		{"duplicate-id-evil-first-in-body", func(t testing.TB, w *wrapParts) string {
			return w.body(t, w.evil+w.signedEl)
		}, ErrDuplicateID},
		{"duplicate-id-evil-last-in-body", func(t testing.TB, w *wrapParts) string {
			return w.body(t, w.signedEl+w.evil)
		}, ErrDuplicateID},
		{"duplicate-id-wsu-spelling", func(t testing.TB, w *wrapParts) string {
			wsu := strings.Replace(w.evil, `Id="`+DefaultID+`"`, wsuNS+` wsu:Id="`+DefaultID+`"`, 1)
			return w.headerAndBody(t, wsu, w.signedEl)
		}, ErrDuplicateID},
		{"duplicate-id-upper-spelling", func(t testing.TB, w *wrapParts) string {
			return w.headerAndBody(t, strings.Replace(w.evil, `Id="`, `ID="`, 1), w.signedEl)
		}, ErrDuplicateID},

		{"reference-to-nothing", func(t testing.TB, w *wrapParts) string {
			return resign(t, w.signed, w.kp, setURI("#nothing"))
		}, ErrStructure},
		{"reference-empty-uri", func(t testing.TB, w *wrapParts) string {
			return resign(t, w.signed, w.kp, setURI(""))
		}, ErrStructure},
		{"reference-no-uri", func(t testing.TB, w *wrapParts) string {
			return resign(t, w.signed, w.kp, func(refs []*etree.Element) { refs[0].RemoveAttr("URI") })
		}, ErrStructure},
		{"reference-xpointer", func(t testing.TB, w *wrapParts) string {
			return resign(t, w.signed, w.kp, setURI("#xpointer(id('"+DefaultID+"'))"))
		}, ErrStructure},
		{"reference-xpointer-root", func(t testing.TB, w *wrapParts) string {
			return resign(t, w.signed, w.kp, setURI("#xpointer(/)"))
		}, ErrStructure},
		{"signed-properties-outside-object", func(t testing.TB, w *wrapParts) string {
			props := between(t, w.signed, "<xades:SignedProperties ", "</xades:SignedProperties>")
			copied := regexp.MustCompile(`Id="[^"]*"`).ReplaceAllString(props, `Id="evil-props"`)
			copied = strings.Replace(copied, "<xades:SignedProperties ", `<xades:SignedProperties xmlns:xades="`+NSXAdES+`" xmlns:ds="`+NSDSig+`" `, 1)
			doc := strings.Replace(w.signed, "</soapenv:Header>", copied+"</soapenv:Header>", 1)
			return resign(t, doc, w.kp, func(refs []*etree.Element) { refs[1].SelectAttr("URI").Value = "#evil-props" })
		}, ErrStructure},
	}
}

func TestVerifyEnvelopeRefusesWrapping(t *testing.T) {
	t.Parallel()
	rsaKey, rsaCert := rsaKeyPair(t, fixedClock().Add(24*time.Hour))
	rsa, err := LoadKeyPair(rsaKey, rsaCert, "")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]*KeyPair{"GOST": fixedKeyPair(t), "RSA": rsa}
	for alg, kp := range keys {
		s := newTestSigner(t, kp, Options{Clock: fixedClock, Rand: seededRand(7)})
		w := newWrapParts(t, string(mustSign(t, s, readFile(t, "testdata/envelope.xml"), "")), kp)
		for _, v := range wrapVariants() {
			t.Run(alg+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				doc := []byte(v.make(t, w))
				res, err := VerifyEnvelope(doc, VerifyOptions{Now: fixedClock})
				wantErr(t, err, v.want)
				if v.want == nil {
					if res.SignedID != DefaultID || !strings.HasPrefix(string(res.SignedXML), bodyStart) || !strings.Contains(string(res.SignedXML), "<drs:hasDebt>true") {
						t.Fatalf("the verified element is not the signed body: %+v", res)
					}
					return
				}
				if !errors.Is(err, ErrStructure) {
					t.Fatalf("%v does not wrap ErrStructure", err)
				}
			})
		}
	}
}

// TestVerifyBindsOnlyEnvelopes: plain Verify keeps accepting a signed element anywhere (it
// does not know the receiver), VerifyEnvelope wants a SOAP envelope; both refuse duplicates.
func TestVerifyBindsOnlyEnvelopes(t *testing.T) {
	t.Parallel()
	kp := fixedKeyPair(t)
	s := newTestSigner(t, kp, Options{Clock: fixedClock})
	signed, _ := signedFixture(t)
	w := newWrapParts(t, signed, kp)
	tests := []struct {
		name              string
		doc               string
		plain, onEnvelope error
	}{
		{"bare document", string(mustSign(t, s, []byte(`<r xmlns="urn:r"><a Id="x">text</a></r>`), "x")), nil, ErrNotBody},
		{"signed document element", string(mustSign(t, s, []byte(`<r xmlns="urn:r" Id="x"><a>text</a></r>`), "x")), nil, ErrNotBody},
		{"SOAP 1.2 envelope", strings.ReplaceAll(signed, "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"), nil, ErrNotBody},
		{"envelope without Body", strings.Replace(strings.Replace(signed, "<soapenv:Body>", "<soapenv:Header>", 1), "</soapenv:Body>", "</soapenv:Header>", 1), nil, ErrNotBody},
		{"element after Body", strings.Replace(signed, "</soapenv:Body>", "</soapenv:Body><soapenv:Body/>", 1), nil, ErrNotBody},
		{"body moved to the header", w.headerAndBody(t, w.signedEl, w.forged), nil, ErrNotBody},
		{"duplicate Id", w.headerAndBody(t, w.evil, w.signedEl), ErrDuplicateID, ErrDuplicateID},
		{"duplicate Id on unsigned elements", strings.Replace(signed, "<base:RequestHeader>", `<base:RequestHeader><a Id="z"/><b id="z"/>`, 1), ErrDuplicateID, ErrDuplicateID},
		{"two Id spellings on one element", strings.Replace(signed, "<base:RequestHeader>", `<base:RequestHeader Id="h" ID="h">`, 1), nil, nil},
		{"namespace declaration named id", strings.Replace(signed, "<base:RequestHeader>", `<base:RequestHeader xmlns:id="`+DefaultID+`">`, 1), nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Verify([]byte(tc.doc), VerifyOptions{Now: fixedClock})
			wantErr(t, err, tc.plain)
			_, err = VerifyEnvelope([]byte(tc.doc), VerifyOptions{Now: fixedClock})
			wantErr(t, err, tc.onEnvelope)
		})
	}
}

// TestWrappedGolden keeps testdata/wrapped/*.xml, the inputs the gisgw verify and gissim
// tests replay, refused for the reason they were made for; `-update` rewrites them. The GOST
// nonce may change between Go releases, so the files are inputs, not byte-for-byte goldens.
func TestWrappedGolden(t *testing.T) {
	t.Parallel()
	signed, kp := signedFixture(t)
	w := newWrapParts(t, signed, kp)
	for _, v := range wrapVariants() {
		path := filepath.Join("testdata", "wrapped", v.name+".xml")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(v.make(t, w)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := VerifyEnvelope(readFile(t, path), VerifyOptions{Now: fixedClock})
		if v.want == nil && err != nil || v.want != nil && !errors.Is(err, v.want) {
			t.Errorf("%s: %v, want %v", path, err, v.want)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "wrapped", "*.xml"))
	if len(files) != len(wrapVariants()) {
		t.Errorf("testdata/wrapped holds %d files, want %d (one per variant; run with -update)", len(files), len(wrapVariants()))
	}
}
