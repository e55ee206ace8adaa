package xades

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
)

// Options configure a Signer. The zero value works.
type Options struct {
	// Clock gives the signing time (with the zone GIS should see). Nil means time.Now.
	Clock func() time.Time
	// RefuseExpired makes Sign fail when the certificate is outside its validity period at the
	// signing time. By default the Signer logs a warning and signs anyway.
	RefuseExpired bool
	// Logger receives that warning (nil discards it). Only the certificate's serial number and
	// dates are logged, never its subject, which may hold a person's name and SNILS.
	Logger *slog.Logger
	// Rand is the randomness for the GOST nonce and the signature's UUID. Nil means
	// crypto/rand; tests pass a fixed stream to get reproducible output.
	Rand io.Reader
	// SignedInfoC14N is the CanonicalizationMethod of SignedInfo: C14NExclusive (the default,
	// when empty) or C14NInclusive.
	SignedInfoC14N string
	// MaxSize caps the document size; 0 means DefaultMaxSize.
	MaxSize int64
}

// Signer signs documents with one key pair. It is safe for concurrent use.
type Signer struct {
	kp         *KeyPair
	opts       Options
	digestURI  string
	certB64    string
	certDigest string
	issuer     string
	serial     string
	warned     atomic.Bool
}

// NewSigner prepares a Signer. It fails with ErrCertificateExpired when opts.RefuseExpired is set
// and the certificate is not valid now; otherwise an invalid certificate is logged as a warning.
func NewSigner(kp *KeyPair, opts Options) (*Signer, error) {
	if kp == nil || kp.Signer == nil || kp.Certificate == nil {
		return nil, errors.New("xades: NewSigner needs a key pair from LoadKeyPair or NewKeyPair")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	switch opts.SignedInfoC14N {
	case "":
		opts.SignedInfoC14N = C14NExclusive
	case C14NExclusive, C14NInclusive:
	default:
		return nil, fmt.Errorf("%w: SignedInfo canonicalization %q (want %s or %s)", ErrUnsupportedAlgorithm, opts.SignedInfoC14N, C14NExclusive, C14NInclusive)
	}
	s := &Signer{kp: kp, opts: opts}
	switch kp.alg {
	case SignatureGOST256:
		s.digestURI = DigestGOST256
	case SignatureGOST512:
		s.digestURI = DigestGOST512
	case SignatureRSASHA256:
		s.digestURI = DigestSHA256
	default:
		return nil, fmt.Errorf("%w: key pair algorithm %q", ErrUnsupportedAlgorithm, kp.alg)
	}
	cert := kp.Certificate
	s.certB64 = base64.StdEncoding.EncodeToString(cert.Raw)
	d, err := digestOf(s.digestURI, cert.Raw)
	if err != nil {
		return nil, err
	}
	s.certDigest = base64.StdEncoding.EncodeToString(d)
	s.issuer = formatName(cert.RawIssuer, false)
	s.serial = cert.SerialNumber.String()
	if err := s.checkValidity(opts.Clock()); err != nil {
		return nil, err
	}
	return s, nil
}

// Algorithm is the SignatureMethod this Signer writes.
func (s *Signer) Algorithm() SignatureAlgorithm { return s.kp.alg }

// checkValidity refuses or warns (once per Signer) about a certificate outside its validity.
func (s *Signer) checkValidity(now time.Time) error {
	c := s.kp.Certificate
	if !now.Before(c.NotBefore) && !now.After(c.NotAfter) {
		return nil
	}
	if s.opts.RefuseExpired {
		return fmt.Errorf("%w: serial %s is valid from %s to %s, now is %s", ErrCertificateExpired, s.serial,
			c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if s.warned.CompareAndSwap(false, true) {
		s.opts.Logger.Warn("signing certificate is not valid at this time; GIS will likely reject the signature",
			"serial", s.serial, "not_before", c.NotBefore, "not_after", c.NotAfter)
	}
	return nil
}

// Sign signs the element of doc whose Id attribute equals id (DefaultID when id is empty) and
// returns the document with the ds:Signature inserted as that element's first child. doc is a
// whole serialized XML document, for example a SOAP envelope; no byte outside the inserted
// signature changes. Exactly one element must carry the Id.
func (s *Signer) Sign(doc []byte, id string) ([]byte, error) {
	if id == "" {
		id = DefaultID
	}
	now := s.opts.Clock()
	if err := s.checkValidity(now); err != nil {
		return nil, err
	}
	// The document is only scanned, not built into a tree: the signed element is most of it,
	// and canonicalizing it from the node list saves building and walking a tree of it.
	r, err := scan(doc, s.opts.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("xades: sign: %w", err)
	}
	defer r.release()
	idx, n := r.elementWithID(id)
	switch {
	case n == 0:
		return nil, fmt.Errorf("xades: sign: %w: Id=%q", ErrIDNotFound, id)
	case n > 1:
		return nil, fmt.Errorf("xades: sign: %w: %d elements have Id=%q", ErrDuplicateID, n, id)
	}
	signedNode := &r.nodes[idx]
	// The signature is spliced in after the start tag, which must carry the Id itself
	// (Id="…", not another spelling isIDAttr also counts).
	if r.idOf(idx) != id {
		return nil, fmt.Errorf("xades: sign: %w: Id=%q", ErrIDNotFound, id)
	}
	// The nodes of the element's subtree follow it and have a parent at or after it.
	for j := idx + 1; int(j) < len(r.nodes) && r.nodes[j].parent >= idx; j++ {
		if c := &r.nodes[j]; c.kind == kElement && c.parent == idx && c.b == "Signature" && r.namespaceOf(j) == NSDSig {
			return nil, fmt.Errorf("xades: sign: %w: Id=%q already holds a ds:Signature", ErrAlreadySigned, id)
		}
	}

	// Reference 1: the element as it is now equals the element with the signature inserted
	// and removed again by the enveloped-signature transform.
	canonEl, err := canonicalizeScanned(r, idx)
	if err != nil {
		return nil, fmt.Errorf("xades: sign: canonicalize Id=%q: %w", id, err)
	}
	elDigest, err := digestOf(s.digestURI, canonEl)
	if err != nil {
		return nil, err
	}
	// The signature's own references are canonicalized in the context of the signed element:
	// a copy of it and its ancestors with their attributes (namespace declarations, xml:*)
	// and nothing else.
	el := r.ancestorChain(idx)

	u, err := uuid.NewRandomFromReader(s.opts.Rand)
	if err != nil {
		return nil, fmt.Errorf("xades: sign: signature id: %w", err)
	}
	sigID := "xmldsig-" + u.String()
	sig, signedInfo, propsRef, sigValue, props := s.skeleton(sigID, id, elDigest, now)
	el.InsertChildAt(0, sig)

	// Reference 2: SignedProperties, canonicalized where it now sits.
	canonProps, err := canonicalize(props, C14NExclusive, "", nil)
	if err != nil {
		return nil, fmt.Errorf("xades: sign: canonicalize SignedProperties: %w", err)
	}
	propsDigest, err := digestOf(s.digestURI, canonProps)
	if err != nil {
		return nil, err
	}
	propsRef.SetText(base64.StdEncoding.EncodeToString(propsDigest))

	canonSI, err := canonicalize(signedInfo, s.opts.SignedInfoC14N, "", nil)
	if err != nil {
		return nil, fmt.Errorf("xades: sign: canonicalize SignedInfo: %w", err)
	}
	raw, err := s.signBytes(canonSI)
	if err != nil {
		return nil, err
	}
	sigValue.SetText(base64.StdEncoding.EncodeToString(raw))

	var sigXML bytes.Buffer
	sig.WriteTo(&sigXML, &etree.WriteSettings{})
	end := signedNode.tagEnd
	out := make([]byte, 0, len(doc)+sigXML.Len()+len(signedNode.raw)+3)
	if signedNode.selfClosing {
		out = append(out, doc[:end-2]...)
		out = append(out, '>')
		out = append(out, sigXML.Bytes()...)
		out = append(out, "</"+signedNode.raw+">"...)
	} else {
		out = append(out, doc[:end]...)
		out = append(out, sigXML.Bytes()...)
	}
	out = append(out, doc[end:]...)
	return out, nil
}

// signBytes hashes the canonical SignedInfo and signs the digest through the KeySigner.
func (s *Signer) signBytes(canonSI []byte) ([]byte, error) {
	d, err := digestOf(s.digestURI, canonSI)
	if err != nil {
		return nil, err
	}
	raw, err := s.kp.Signer.Sign(s.opts.Rand, d, s.kp.alg)
	if err != nil {
		return nil, fmt.Errorf("xades: sign: key: %w", err)
	}
	return raw, nil
}

// skeleton builds the ds:Signature element with everything but the SignedProperties digest
// and the SignatureValue, and returns the elements still to fill in.
func (s *Signer) skeleton(sigID, id string, elDigest []byte, now time.Time) (sig, signedInfo, propsDigest, sigValue, props *etree.Element) {
	ds := func(parent *etree.Element, tag string) *etree.Element {
		e := parent.CreateElement(tag)
		e.Space = "ds"
		return e
	}
	xa := func(parent *etree.Element, tag string) *etree.Element {
		e := parent.CreateElement(tag)
		e.Space = "xades"
		return e
	}
	alg := func(e *etree.Element, uri string) *etree.Element {
		e.CreateAttr("Algorithm", uri)
		return e
	}
	sig = etree.NewElement("Signature")
	sig.Space = "ds"
	sig.CreateAttr("xmlns:ds", NSDSig)
	sig.CreateAttr("Id", sigID)

	signedInfo = ds(sig, "SignedInfo")
	alg(ds(signedInfo, "CanonicalizationMethod"), s.opts.SignedInfoC14N)
	alg(ds(signedInfo, "SignatureMethod"), string(s.kp.alg))

	ref := ds(signedInfo, "Reference")
	ref.CreateAttr("Id", sigID+"-ref0")
	ref.CreateAttr("URI", "#"+id)
	tr := ds(ref, "Transforms")
	alg(ds(tr, "Transform"), TransformEnveloped)
	alg(ds(tr, "Transform"), C14NExclusive)
	alg(ds(ref, "DigestMethod"), s.digestURI)
	ds(ref, "DigestValue").SetText(base64.StdEncoding.EncodeToString(elDigest))

	propsID := sigID + "-signedprops"
	ref = ds(signedInfo, "Reference")
	ref.CreateAttr("Type", TypeSignedProperties)
	ref.CreateAttr("URI", "#"+propsID)
	tr = ds(ref, "Transforms")
	alg(ds(tr, "Transform"), C14NExclusive)
	alg(ds(ref, "DigestMethod"), s.digestURI)
	propsDigest = ds(ref, "DigestValue")

	sigValue = ds(sig, "SignatureValue")
	ds(ds(ds(sig, "KeyInfo"), "X509Data"), "X509Certificate").SetText(s.certB64)

	qp := xa(ds(sig, "Object"), "QualifyingProperties")
	qp.CreateAttr("xmlns:xades", NSXAdES)
	qp.CreateAttr("Target", "#"+sigID)
	props = xa(qp, "SignedProperties")
	props.CreateAttr("Id", propsID)
	ssp := xa(props, "SignedSignatureProperties")
	xa(ssp, "SigningTime").SetText(now.Format("2006-01-02T15:04:05-07:00"))
	cert := xa(xa(ssp, "SigningCertificate"), "Cert")
	cd := xa(cert, "CertDigest")
	alg(ds(cd, "DigestMethod"), s.digestURI)
	ds(cd, "DigestValue").SetText(s.certDigest)
	is := xa(cert, "IssuerSerial")
	ds(is, "X509IssuerName").SetText(s.issuer)
	ds(is, "X509SerialNumber").SetText(s.serial)
	return sig, signedInfo, propsDigest, sigValue, props
}
