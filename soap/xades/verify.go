package xades

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// VerifyOptions configure Verify. The zero value accepts any certificate.
type VerifyOptions struct {
	// Trusted lists the certificates to accept: the signer's own certificate, or the
	// certificate that directly issued it. Nil accepts any certificate (the signature is still
	// checked against the certificate in KeyInfo); an empty non-nil slice accepts none.
	Trusted []*x509.Certificate
	// Now is the time validity is judged at. Nil means time.Now.
	Now func() time.Time
	// MaxSize caps the document size; 0 means DefaultMaxSize.
	MaxSize int64
}

// Result describes a verified signature. Verify returns it, with what it could learn, even
// when it also returns an error, so the certificate can be reported next to the failure.
type Result struct {
	Algorithm   string    // SignatureMethod URI
	SignedID    string    // Id of the signed element
	SigningTime time.Time // xades:SigningTime; zero when absent or unreadable
	Certificate CertificateInfo
	// SignedXML is the signed element in the canonical form that was digested (signature
	// removed). Read the signed data from these bytes, not from the document, so nothing
	// unsigned can be slipped in beside it.
	SignedXML []byte
}

// CertificateInfo is what Verify reports about the signer's certificate. Validity is reported
// here and does not make Verify fail.
type CertificateInfo struct {
	Subject     string // RFC 2253 style, with OGRN/INN/SNILS named
	Issuer      string
	Serial      string // decimal
	NotBefore   time.Time
	NotAfter    time.Time
	Expired     bool // NotAfter is before the verification time
	NotYetValid bool // NotBefore is after the verification time
	Certificate *x509.Certificate
}

// Verify checks the single enveloped XAdES signature in doc: the SignatureValue over SignedInfo
// with the KeyInfo certificate, both references (the element holding the signature and its
// SignedProperties), and the SigningCertificate digest and serial. Errors wrap ErrNotSigned,
// ErrStructure, ErrDigestMismatch, ErrBadSignature, ErrUntrusted and the parsing errors.
//
// Verify does not know which element the receiver will read; a SOAP receiver must use
// VerifyEnvelope, which also binds the signature to the Body's operation element.
func Verify(doc []byte, opts VerifyOptions) (*Result, error) {
	return verify(doc, opts, false)
}

// VerifyEnvelope is Verify for a SOAP 1.1 message, bound to what a receiver processes: the
// signed element must be the only element in soapenv:Body (the operation element), so a
// signed element moved into the Header, beside the body or deeper inside it, with an unsigned
// body in its place, is refused (ErrNotBody). Read the message from Result.SignedXML, the
// bytes that were verified, and nothing else.
func VerifyEnvelope(doc []byte, opts VerifyOptions) (*Result, error) {
	return verify(doc, opts, true)
}

func verify(doc []byte, opts VerifyOptions, envelope bool) (*Result, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	tree, err := parseDocument(doc, opts.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("xades: verify: %w", err)
	}
	v := &verifier{root: tree.Root(), res: &Result{}, ns: namespaces(tree.Root()), envelope: envelope, docLen: len(doc)}
	if err := v.run(now()); err != nil {
		return v.resultOrNil(), fmt.Errorf("xades: verify: %w", err)
	}
	if err := checkTrust(v.cert, opts.Trusted); err != nil {
		return v.res, fmt.Errorf("xades: verify: %w", err)
	}
	return v.res, nil
}

type verifier struct {
	root *etree.Element
	res  *Result
	cert *x509.Certificate
	ns   map[*etree.Element]string // namespace URI of every element read
	// envelope requires the signed element to be the SOAP Body's operation element.
	envelope bool
	docLen   int // size of the document, about that of the canonical signed element
}

// is reports whether el is ns:local.
func (v *verifier) is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && v.ns[el] == ns
}

// firstChild returns el's first ns:local child.
func (v *verifier) firstChild(el *etree.Element, ns, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if v.is(c, ns, local) {
			return c
		}
	}
	return nil
}

func (v *verifier) resultOrNil() *Result {
	if v.cert == nil {
		return nil
	}
	return v.res
}

func structuref(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrStructure, fmt.Sprintf(format, args...))
}

func (v *verifier) run(now time.Time) error {
	var sigs []*etree.Element
	walk(v.root, func(e *etree.Element) {
		if v.is(e, NSDSig, "Signature") {
			sigs = append(sigs, e)
		}
	})
	switch {
	case len(sigs) == 0:
		return ErrNotSigned
	case len(sigs) > 1:
		return structuref("%d ds:Signature elements; exactly one is accepted", len(sigs))
	}
	sig := sigs[0]
	signed := sig.Parent()
	if signed == nil || signed.Tag == "" {
		return structuref("ds:Signature is the document element")
	}
	signedID := idOf(signed)
	if signedID == "" {
		return structuref("the element holding ds:Signature has no Id attribute")
	}
	if first := signed.ChildElements()[0]; first != sig {
		return structuref("ds:Signature is not the first child of the element Id=%q", signedID)
	}
	if err := uniqueIDs(v.root); err != nil {
		return err
	}
	if v.envelope {
		if err := v.checkBody(signed); err != nil {
			return err
		}
	}
	v.res.SignedID = signedID
	sigID := idOf(sig)
	if sigID == "" {
		return structuref("ds:Signature has no Id (XAdES QualifyingProperties must target it)")
	}

	// Shape: SignedInfo, SignatureValue, KeyInfo, Object — each once, in this order.
	parts := sig.ChildElements()
	want := []string{"SignedInfo", "SignatureValue", "KeyInfo", "Object"}
	if len(parts) != len(want) {
		return structuref("ds:Signature has %d children, want SignedInfo, SignatureValue, KeyInfo, Object", len(parts))
	}
	for i, p := range parts {
		if !v.is(p, NSDSig, want[i]) {
			return structuref("child %d of ds:Signature is %s, want ds:%s", i+1, p.FullTag(), want[i])
		}
	}
	signedInfo, sigValueEl, keyInfo, object := parts[0], parts[1], parts[2], parts[3]

	if err := v.readCertificate(keyInfo, now); err != nil {
		return err
	}
	pub, keyAlg, err := certificatePublicKey(v.cert)
	if err != nil {
		return err
	}

	// SignedInfo: canonicalize by its own method, check the signature, then read the
	// references only from the bytes that were verified.
	siParts := signedInfo.ChildElements()
	if len(siParts) < 3 || !v.is(siParts[0], NSDSig, "CanonicalizationMethod") || !v.is(siParts[1], NSDSig, "SignatureMethod") {
		return structuref("SignedInfo must start with CanonicalizationMethod and SignatureMethod and hold References")
	}
	c14n := siParts[0].SelectAttrValue("Algorithm", "")
	canonSI, err := canonicalize(signedInfo, c14n, v.inclusivePrefixes(siParts[0]), nil)
	if err != nil {
		return fmt.Errorf("SignedInfo: %w", err)
	}
	method := siParts[1].SelectAttrValue("Algorithm", "")
	v.res.Algorithm = method
	if method != string(keyAlg) {
		return fmt.Errorf("%w: SignatureMethod %q does not fit the certificate's key (%s)", ErrUnsupportedAlgorithm, method, keyAlg)
	}
	sigBytes, err := decodeBase64(sigValueEl.Text())
	if err != nil {
		return fmt.Errorf("%w: SignatureValue is not base64", ErrBadSignature)
	}
	if err := verifySignedInfo(pub, keyAlg, canonSI, sigBytes); err != nil {
		return err
	}

	verified := etree.NewDocument()
	if err := verified.ReadFromBytes(canonSI); err != nil {
		return fmt.Errorf("%w: canonical SignedInfo: %v", ErrMalformed, err)
	}
	maps.Copy(v.ns, namespaces(verified.Root()))
	refs := verified.Root().ChildElements()
	if len(refs) >= 2 {
		refs = refs[2:]
	}
	if len(refs) != 2 {
		return structuref("SignedInfo has %d References, want 2 (the signed element and SignedProperties)", len(refs))
	}
	props, err := v.signedProperties(object, sigID)
	if err != nil {
		return err
	}
	var sawData, sawProps bool
	for i, ref := range refs {
		if !v.is(ref, NSDSig, "Reference") {
			return structuref("SignedInfo child %d is %s, want ds:Reference", i+3, ref.FullTag())
		}
		uri, err := sameDocumentID(ref)
		if err != nil {
			return err
		}
		targets := elementsWithID(v.root, uri[1:])
		if len(targets) != 1 {
			return structuref("Reference URI %q matches %d elements, want exactly 1", uri, len(targets))
		}
		var canon []byte
		switch target := targets[0]; {
		case target == signed && !sawData:
			sawData = true
			canon, err = v.referenceBytes(ref, target, sig)
			v.res.SignedXML = canon
		case target == props && !sawProps:
			sawProps = true
			if typ := ref.SelectAttr("Type"); typ != nil && typ.Value != TypeSignedProperties {
				return structuref("Reference to SignedProperties has Type %q", typ.Value)
			}
			canon, err = v.referenceBytes(ref, target, nil)
		default:
			return structuref("Reference URI %q points neither at the element holding the signature nor at its SignedProperties", uri)
		}
		if err != nil {
			return fmt.Errorf("reference %s: %w", uri, err)
		}
		if err := v.checkDigest(ref, canon); err != nil {
			return fmt.Errorf("reference %s: %w", uri, err)
		}
	}
	if !sawData || !sawProps {
		return structuref("the References must cover both the signed element and SignedProperties")
	}
	return v.checkSignedProperties(props)
}

// sameDocumentID returns a Reference's URI when it is a bare same-document reference "#Id".
// An absent or empty URI (the whole document) and XPointers are refused: they select more, or
// other, than the one element the Id names.
func sameDocumentID(ref *etree.Element) (string, error) {
	attr := ref.SelectAttr("URI")
	switch {
	case attr == nil:
		return "", structuref("a Reference has no URI; only a same-document #Id reference is accepted")
	case attr.Value == "":
		return "", structuref(`Reference URI "" (the whole document) is not accepted; only a same-document #Id reference is`)
	case strings.HasPrefix(attr.Value, "#xpointer("):
		return "", structuref("Reference URI %q is an XPointer; only a same-document #Id reference is accepted", attr.Value)
	case len(attr.Value) < 2 || attr.Value[0] != '#' || strings.ContainsAny(attr.Value[1:], "#()/ \t\r\n"):
		return "", structuref("Reference URI %q is not a same-document #Id reference", attr.Value)
	}
	return attr.Value, nil
}

// uniqueIDs refuses a document in which two elements carry the same Id value, in any of the
// spellings isIDAttr counts: with a duplicate, which element a "#Id" names depends on the
// processor, and a signature-wrapping attack lives in that gap.
func uniqueIDs(root *etree.Element) error {
	seen := map[string]*etree.Element{}
	var err error
	walk(root, func(e *etree.Element) {
		for _, a := range e.Attr {
			if err != nil || !isIDAttr(a) {
				continue
			}
			if prev, ok := seen[a.Value]; ok && prev != e {
				err = fmt.Errorf("%w: %w: Id=%q is on %s and on %s", ErrStructure, ErrDuplicateID, a.Value, place(prev), place(e))
				return
			}
			seen[a.Value] = e
		}
	})
	return err
}

// place names an element and its parent, enough to find it in a message.
func place(e *etree.Element) string {
	if p := e.Parent(); p != nil && p.Tag != "" {
		return e.FullTag() + " in " + p.FullTag()
	}
	return e.FullTag()
}

// checkBody binds the signature to what a SOAP receiver reads: the document is a SOAP 1.1
// Envelope holding an optional Header and one Body, and the signed element is the Body's
// only element.
func (v *verifier) checkBody(signed *etree.Element) error {
	if !v.is(v.root, nsSOAP, "Envelope") {
		return fmt.Errorf("%w: %w: the document element is %s, not soapenv:Envelope", ErrStructure, ErrNotBody, v.root.FullTag())
	}
	var body *etree.Element
	for i, c := range v.root.ChildElements() {
		switch {
		case i == 0 && v.is(c, nsSOAP, "Header"):
		case body == nil && v.is(c, nsSOAP, "Body"):
			body = c
		default:
			return fmt.Errorf("%w: %w: unexpected %s in soapenv:Envelope", ErrStructure, ErrNotBody, c.FullTag())
		}
	}
	if body == nil {
		return fmt.Errorf("%w: %w: soapenv:Envelope has no Body", ErrStructure, ErrNotBody)
	}
	kids := body.ChildElements()
	if len(kids) != 1 {
		return fmt.Errorf("%w: %w: soapenv:Body holds %d elements, want only the signed one", ErrStructure, ErrNotBody, len(kids))
	}
	if kids[0] != signed {
		return fmt.Errorf("%w: %w: the signed element %s is not the body element %s", ErrStructure, ErrNotBody, place(signed), kids[0].FullTag())
	}
	return nil
}

// readCertificate takes the certificate from KeyInfo/X509Data/X509Certificate (the first one;
// the signature check binds it).
func (v *verifier) readCertificate(keyInfo *etree.Element, now time.Time) error {
	var certEl *etree.Element
	for _, x := range keyInfo.ChildElements() {
		if !v.is(x, NSDSig, "X509Data") {
			continue
		}
		for _, c := range x.ChildElements() {
			if v.is(c, NSDSig, "X509Certificate") {
				certEl = c
				break
			}
		}
		break
	}
	if certEl == nil {
		return structuref("KeyInfo has no X509Data/X509Certificate")
	}
	der, err := decodeBase64(certEl.Text())
	if err != nil {
		return structuref("X509Certificate is not base64")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("%w: X509Certificate: %v", ErrStructure, err)
	}
	v.cert = cert
	v.res.Certificate = CertificateInfo{
		Subject:     formatName(cert.RawSubject, true),
		Issuer:      formatName(cert.RawIssuer, true),
		Serial:      cert.SerialNumber.String(),
		NotBefore:   cert.NotBefore,
		NotAfter:    cert.NotAfter,
		Expired:     now.After(cert.NotAfter),
		NotYetValid: now.Before(cert.NotBefore),
		Certificate: cert,
	}
	return nil
}

// signedProperties finds Object/QualifyingProperties/SignedProperties and checks that the
// QualifyingProperties target this signature.
func (v *verifier) signedProperties(object *etree.Element, sigID string) (*etree.Element, error) {
	kids := object.ChildElements()
	if len(kids) != 1 || !v.is(kids[0], NSXAdES, "QualifyingProperties") {
		return nil, structuref("ds:Object must hold exactly one xades:QualifyingProperties (namespace %s)", NSXAdES)
	}
	qp := kids[0]
	if t := qp.SelectAttrValue("Target", ""); t != "#"+sigID {
		return nil, structuref("QualifyingProperties Target is %q, want %q", t, "#"+sigID)
	}
	var props *etree.Element
	for _, c := range qp.ChildElements() {
		if v.is(c, NSXAdES, "SignedProperties") {
			if props != nil {
				return nil, structuref("more than one SignedProperties")
			}
			props = c
		}
	}
	if props == nil || idOf(props) == "" {
		return nil, structuref("QualifyingProperties has no SignedProperties with an Id")
	}
	return props, nil
}

// referenceBytes applies a Reference's transforms to target: an optional enveloped-signature
// transform (required, and only allowed, for the element holding the signature) followed by at
// most one canonicalization; without one, inclusive C14N 1.0 applies (XML-DSig 4.3.3.2).
func (v *verifier) referenceBytes(ref, target, sig *etree.Element) ([]byte, error) {
	enveloping := sig != nil
	var transforms []*etree.Element
	for _, c := range ref.ChildElements() {
		if v.is(c, NSDSig, "Transforms") {
			transforms = c.ChildElements()
		}
	}
	if len(transforms) > 2 {
		return nil, structuref("%d transforms; at most enveloped-signature and one canonicalization are accepted", len(transforms))
	}
	method, prefixes := C14NInclusive, ""
	enveloped := false
	for i, t := range transforms {
		if !v.is(t, NSDSig, "Transform") {
			return nil, structuref("Transforms holds %s", t.FullTag())
		}
		switch alg := t.SelectAttrValue("Algorithm", ""); {
		case alg == TransformEnveloped && i == 0:
			enveloped = true
		case (alg == C14NExclusive || alg == C14NInclusive) && i == len(transforms)-1:
			method, prefixes = alg, v.inclusivePrefixes(t)
		default:
			return nil, fmt.Errorf("%w: transform %q at position %d", ErrUnsupportedAlgorithm, alg, i+1)
		}
	}
	if enveloped != enveloping {
		if enveloping {
			return nil, structuref("the reference to the element holding the signature lacks the enveloped-signature transform")
		}
		return nil, structuref("enveloped-signature transform on a reference to SignedProperties")
	}
	hint := 4096
	if enveloping {
		hint = v.docLen // the signed element is most of the document
	}
	return canonicalizeSized(target, method, prefixes, sig, hint)
}

// inclusivePrefixes reads ec:InclusiveNamespaces/@PrefixList under an exclusive c14n method.
func (v *verifier) inclusivePrefixes(method *etree.Element) string {
	for _, c := range method.ChildElements() {
		if v.is(c, C14NExclusive, "InclusiveNamespaces") {
			return c.SelectAttrValue("PrefixList", "")
		}
	}
	return ""
}

func (v *verifier) checkDigest(ref *etree.Element, canon []byte) error {
	var method, value *etree.Element
	for _, c := range ref.ChildElements() {
		switch {
		case v.is(c, NSDSig, "DigestMethod"):
			method = c
		case v.is(c, NSDSig, "DigestValue"):
			value = c
		}
	}
	if method == nil || value == nil {
		return structuref("Reference lacks DigestMethod or DigestValue")
	}
	want, err := decodeBase64(value.Text())
	if err != nil {
		return structuref("DigestValue is not base64")
	}
	got, err := digestOf(method.SelectAttrValue("Algorithm", ""), canon)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return ErrDigestMismatch
	}
	return nil
}

// checkSignedProperties checks SigningCertificate against the KeyInfo certificate and reads
// SigningTime. SignedProperties is covered by a verified reference by now.
func (v *verifier) checkSignedProperties(props *etree.Element) error {
	ssp := v.firstChild(props, NSXAdES, "SignedSignatureProperties")
	if ssp == nil {
		return structuref("SignedProperties lacks SignedSignatureProperties")
	}
	if st := v.firstChild(ssp, NSXAdES, "SigningTime"); st != nil {
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(st.Text())); err == nil {
			v.res.SigningTime = t
		}
	}
	cert := v.firstChild(v.firstChild(ssp, NSXAdES, "SigningCertificate"), NSXAdES, "Cert")
	digest := v.firstChild(cert, NSXAdES, "CertDigest")
	method, value := v.firstChild(digest, NSDSig, "DigestMethod"), v.firstChild(digest, NSDSig, "DigestValue")
	if method == nil || value == nil {
		return structuref("SignedProperties lacks SigningCertificate/Cert/CertDigest")
	}
	want, err := decodeBase64(value.Text())
	if err != nil {
		return structuref("CertDigest DigestValue is not base64")
	}
	got, err := digestOf(method.SelectAttrValue("Algorithm", ""), v.cert.Raw)
	if err != nil {
		return fmt.Errorf("CertDigest: %w", err)
	}
	if !bytes.Equal(got, want) {
		return structuref("SigningCertificate digest does not match the KeyInfo certificate")
	}
	// The issuer name is not compared: each toolkit spells it differently; the digest above
	// already binds the certificate.
	serialEl := v.firstChild(v.firstChild(cert, NSXAdES, "IssuerSerial"), NSDSig, "X509SerialNumber")
	if serialEl == nil {
		return structuref("SigningCertificate lacks IssuerSerial/X509SerialNumber")
	}
	serial, ok := new(big.Int).SetString(strings.TrimSpace(serialEl.Text()), 10)
	if !ok || serial.Cmp(v.cert.SerialNumber) != 0 {
		return structuref("SigningCertificate serial %q is not the certificate's %s", strings.TrimSpace(serialEl.Text()), v.cert.SerialNumber)
	}
	return nil
}

// verifySignedInfo checks raw (as SignatureValue carries it) over the canonical SignedInfo.
func verifySignedInfo(pub crypto.PublicKey, alg SignatureAlgorithm, canonSI, raw []byte) (err error) {
	switch k := pub.(type) {
	case *gost.PublicKey:
		uri := DigestGOST256
		if alg == SignatureGOST512 {
			uri = DigestGOST512
		}
		d, _ := digestOf(uri, canonSI)
		return verifyGOST(k, d, raw)
	case *rsa.PublicKey:
		d := sha256.Sum256(canonSI)
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], raw) != nil {
			return ErrBadSignature
		}
		return nil
	}
	return fmt.Errorf("%w: key type %T", ErrUnsupportedAlgorithm, pub)
}

// verifyGOST checks s‖r over digest. A hostile signature or key must only ever fail, never
// panic, whatever the curve arithmetic makes of it.
func verifyGOST(pub *gost.PublicKey, digest, raw []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = ErrBadSignature
		}
	}()
	if len(raw) != 2*pub.Curve.PointSize() {
		return fmt.Errorf("%w: %d bytes, want %d", ErrBadSignature, len(raw), 2*pub.Curve.PointSize())
	}
	if !verifyGOSTRaw(pub, digest, raw) {
		return ErrBadSignature
	}
	return nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r':
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}

// OIDs of the certificate signature algorithms checkTrust can verify.
var (
	oidSigGOST256 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 3, 2}
	oidSigGOST512 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 3, 3}
)

// checkTrust accepts cert when trusted is nil, when cert is one of trusted, or when a trusted CA
// certificate directly issued it (its signature checked). There is no path building and no
// revocation check.
func checkTrust(cert *x509.Certificate, trusted []*x509.Certificate) error {
	if trusted == nil {
		return nil
	}
	for _, t := range trusted {
		if t.Equal(cert) {
			return nil
		}
	}
	for _, t := range trusted {
		if t.IsCA && bytes.Equal(cert.RawIssuer, t.RawSubject) && issuedBy(cert, t) == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: serial %s, issuer %s is neither trusted nor issued by a trusted certificate",
		ErrUntrusted, cert.SerialNumber, formatName(cert.RawIssuer, true))
}

// issuedBy checks cert's signature with issuer's key.
func issuedBy(cert, issuer *x509.Certificate) error {
	var outer struct {
		TBS    asn1.RawValue
		Algo   struct{ OID asn1.ObjectIdentifier }
		Signed asn1.BitString
	}
	if _, err := asn1.Unmarshal(cert.Raw, &outer); err != nil {
		return err
	}
	oid := outer.Algo.OID
	if !oid.Equal(oidSigGOST256) && !oid.Equal(oidSigGOST512) {
		return cert.CheckSignatureFrom(issuer)
	}
	pub, _, err := certificatePublicKey(issuer)
	if err != nil {
		return err
	}
	gpub, ok := pub.(*gost.PublicKey)
	if !ok {
		return errors.New("GOST-signed certificate from a non-GOST issuer")
	}
	uri := DigestGOST256
	if oid.Equal(oidSigGOST512) {
		uri = DigestGOST512
	}
	d, _ := digestOf(uri, cert.RawTBSCertificate)
	return verifyGOST(gpub, d, outer.Signed.Bytes)
}
