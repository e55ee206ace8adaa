package xades

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/deatil/go-cryptobin/pkcs8"
	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// KeySigner is the seam between the XML signer and the key: a private key in memory today, a
// hardware token or an external signing service later. It is crypto.Signer's method set, so
// *rsa.PrivateKey fits as is.
//
// Sign gets the digest of the canonical SignedInfo and opts, which is the SignatureAlgorithm
// being produced (type-assert it to know which). For GOST R 34.10-2012 the digest is the GOST R
// 34.11-2012 digest in the byte order `openssl dgst -md_gost12_256 -binary` prints, and the
// result must be exactly what `openssl dgst -sign` writes: s‖r, each half big-endian, 64 bytes
// (128 for 512-bit keys). For RSA, opts.HashFunc() is crypto.SHA256 and the result is a PKCS #1
// v1.5 signature.
type KeySigner interface {
	Public() crypto.PublicKey
	Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error)
}

// SignatureAlgorithm is a SignatureMethod URI. It is passed to KeySigner.Sign as opts.
type SignatureAlgorithm string

// HashFunc reports crypto.SHA256 for RSA-SHA256 and 0 for GOST (the standard library has no
// identifier for GOST R 34.11-2012).
func (a SignatureAlgorithm) HashFunc() crypto.Hash {
	if a == SignatureRSASHA256 {
		return crypto.SHA256
	}
	return 0
}

// KeyPair is a signing key with its certificate.
type KeyPair struct {
	Signer      KeySigner
	Certificate *x509.Certificate
	alg         SignatureAlgorithm
}

// Algorithm is the SignatureMethod the pair signs with.
func (kp *KeyPair) Algorithm() SignatureAlgorithm { return kp.alg }

// OIDs of the key algorithms GIS certificates carry.
var (
	oidGOST2012_256 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 1}
	oidGOST2012_512 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 2}
	oidGOST2001     = asn1.ObjectIdentifier{1, 2, 643, 2, 2, 19}
	oidRSA          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
)

// NewKeyPair pairs any KeySigner (for example a token) with its certificate. It fails with
// ErrKeyMismatch when the signer's public key is not the certificate's.
func NewKeyPair(signer KeySigner, cert *x509.Certificate) (*KeyPair, error) {
	if signer == nil || cert == nil {
		return nil, errors.New("xades: a signer and a certificate are both required")
	}
	certKey, alg, err := certificatePublicKey(cert)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(signer.Public(), certKey) {
		return nil, fmt.Errorf("%w (certificate serial %s)", ErrKeyMismatch, cert.SerialNumber)
	}
	return &KeyPair{Signer: signer, Certificate: cert, alg: alg}, nil
}

// LoadKeyPair reads a private key in PEM and its certificate in PEM or DER.
//
// Keys: PKCS #8 ("PRIVATE KEY") as `openssl genpkey -engine gost -algorithm gost2012_256|512`
// writes it, or encrypted PKCS #8 ("ENCRYPTED PRIVATE KEY", PBES2 as `openssl pkcs8 -topk8`
// writes it, both the default AES-256-CBC/HMAC-SHA256 and `-v2 gost89` with HMAC-Streebog), or
// for test stands an RSA key (PKCS #8 or PKCS #1 "RSA PRIVATE KEY"). password is used only for
// encrypted keys.
func LoadKeyPair(keyPEM, certBytes []byte, password string) (*KeyPair, error) {
	cert, err := ParseCertificate(certBytes)
	if err != nil {
		return nil, err
	}
	signer, err := parsePrivateKey(keyPEM, password)
	if err != nil {
		return nil, err
	}
	return NewKeyPair(signer, cert)
}

// ParseCertificate reads one certificate in PEM (the first CERTIFICATE block) or DER. GOST
// certificates parse with crypto/x509 (their key algorithm shows as unknown); this package
// reads their key from RawSubjectPublicKeyInfo.
func ParseCertificate(b []byte) (*x509.Certificate, error) {
	der := b
	if bytes.Contains(b, []byte("-----BEGIN")) {
		der = nil
		rest := b
		for {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				break
			}
			if blk.Type == "CERTIFICATE" {
				der = blk.Bytes
				break
			}
		}
		if der == nil {
			return nil, errors.New("xades: no CERTIFICATE block in the PEM certificate file")
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("xades: parse certificate: %w", err)
	}
	return cert, nil
}

// ParseCertificates reads every certificate of a PEM bundle, or one DER certificate.
func ParseCertificates(b []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		c, err := ParseCertificate(b)
		if err != nil {
			return nil, err
		}
		return []*x509.Certificate{c}, nil
	}
	var out []*x509.Certificate
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("xades: parse certificate %d of the bundle: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("xades: no CERTIFICATE block in the PEM file")
	}
	return out, nil
}

// certificatePublicKey returns the certificate's key (*gost.PublicKey or *rsa.PublicKey) and the
// signature method that goes with it.
func certificatePublicKey(cert *x509.Certificate) (crypto.PublicKey, SignatureAlgorithm, error) {
	var spki struct {
		Algorithm struct {
			OID asn1.ObjectIdentifier
		}
	}
	if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil, "", fmt.Errorf("xades: certificate public key: %w", err)
	}
	switch oid := spki.Algorithm.OID; {
	case oid.Equal(oidGOST2012_256), oid.Equal(oidGOST2012_512):
		pub, err := gost.ParsePublicKey(cert.RawSubjectPublicKeyInfo)
		if err != nil {
			return nil, "", fmt.Errorf("xades: certificate GOST public key: %w", err)
		}
		alg, err := gostAlgorithm(pub)
		if err != nil {
			return nil, "", err
		}
		return pub, alg, nil
	case oid.Equal(oidRSA):
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, "", errors.New("xades: certificate RSA public key did not parse")
		}
		return pub, SignatureRSASHA256, nil
	case oid.Equal(oidGOST2001):
		return nil, "", fmt.Errorf("%w: GOST R 34.10-2001 keys (retired in 2019); use a GOST R 34.10-2012 certificate", ErrUnsupportedAlgorithm)
	default:
		return nil, "", fmt.Errorf("%w: certificate key algorithm %s (want GOST R 34.10-2012 or RSA)", ErrUnsupportedAlgorithm, spki.Algorithm.OID)
	}
}

func gostAlgorithm(pub *gost.PublicKey) (SignatureAlgorithm, error) {
	switch pub.Curve.PointSize() {
	case 32:
		return SignatureGOST256, nil
	case 64:
		return SignatureGOST512, nil
	}
	return "", fmt.Errorf("%w: GOST curve of %d bytes", ErrUnsupportedAlgorithm, pub.Curve.PointSize())
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	switch a := a.(type) {
	case *gost.PublicKey:
		bb, ok := b.(*gost.PublicKey)
		return ok && a.X.Cmp(bb.X) == 0 && a.Y.Cmp(bb.Y) == 0 && a.Curve.Equal(bb.Curve)
	case *rsa.PublicKey:
		return a.Equal(b)
	}
	return false
}

func parsePrivateKey(keyPEM []byte, password string) (KeySigner, error) {
	blk, _ := pem.Decode(keyPEM)
	if blk == nil {
		return nil, errors.New("xades: the key file is not PEM (want -----BEGIN PRIVATE KEY-----)")
	}
	der := blk.Bytes
	switch {
	case blk.Type == "ENCRYPTED PRIVATE KEY":
		if password == "" {
			return nil, ErrPasswordRequired
		}
		plain, err := pkcs8.DecryptPEMBlock(blk, []byte(password))
		if err != nil {
			return nil, fmt.Errorf("xades: decrypt private key: %w (supported: PBES2 with PBKDF2 and AES or GOST 28147-89)", err)
		}
		// The decryptor does not check padding, so a wrong password shows up as bytes that are
		// not a PKCS #8 structure.
		s, err := parsePKCS8(plain)
		if err != nil {
			return nil, fmt.Errorf("%w (%v)", ErrWrongPassword, err)
		}
		return s, nil
	case blk.Headers["Proc-Type"] != "":
		return nil, errors.New("xades: legacy encrypted PEM keys are not supported; convert with `openssl pkcs8 -topk8`")
	case blk.Type == "PRIVATE KEY":
		return parsePKCS8(der)
	case blk.Type == "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("xades: parse RSA private key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("xades: unsupported key PEM type %q (want PRIVATE KEY or ENCRYPTED PRIVATE KEY)", blk.Type)
}

type pkcs8Info struct {
	Version int
	Algo    struct {
		OID    asn1.ObjectIdentifier
		Params asn1.RawValue `asn1:"optional"`
	}
	PrivateKey []byte
	Attributes asn1.RawValue `asn1:"optional,tag:0"`
}

func parsePKCS8(der []byte) (KeySigner, error) {
	var info pkcs8Info
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil {
		return nil, fmt.Errorf("xades: parse PKCS #8 private key: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("xades: parse PKCS #8 private key: trailing data")
	}
	switch oid := info.Algo.OID; {
	case oid.Equal(oidGOST2012_256), oid.Equal(oidGOST2012_512):
		return parseGOSTKey(info)
	case oid.Equal(oidRSA):
		k, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("xades: parse RSA private key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("xades: RSA private key did not parse")
		}
		return rk, nil
	case oid.Equal(oidGOST2001):
		return nil, fmt.Errorf("%w: GOST R 34.10-2001 key", ErrUnsupportedAlgorithm)
	}
	return nil, fmt.Errorf("%w: private key algorithm %s", ErrUnsupportedAlgorithm, info.Algo.OID)
}

// parseGOSTKey reads the key the way OpenSSL's gost engine writes it: the curve in the
// algorithm parameters and the private scalar as little-endian bytes in the OCTET STRING.
// Other writers wrap the scalar in an inner OCTET STRING or INTEGER (big-endian); those are
// read too, but only when the wrapper spans the whole value, so a raw key that happens to
// start with a tag byte is never misread.
func parseGOSTKey(info pkcs8Info) (KeySigner, error) {
	var params struct {
		Curve  asn1.ObjectIdentifier
		Digest asn1.ObjectIdentifier `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(info.Algo.Params.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("xades: GOST key parameters: %w", err)
	}
	curve := gost.NamedCurveFromOid(params.Curve)
	if curve == nil {
		return nil, fmt.Errorf("%w: GOST curve %s", ErrUnsupportedAlgorithm, params.Curve)
	}
	size := curve.PointSize()
	raw := info.PrivateKey
	var priv *gost.PrivateKey
	var err error
	switch {
	case len(raw) == size:
		priv, err = gost.NewPrivateKey(curve, raw)
	default:
		var inner asn1.RawValue
		rest, uerr := asn1.Unmarshal(raw, &inner)
		switch {
		case uerr != nil || len(rest) != 0:
			return nil, fmt.Errorf("xades: GOST private key of %d bytes, want %d", len(raw), size)
		case inner.Tag == asn1.TagOctetString && len(inner.Bytes) == size:
			priv, err = gost.NewPrivateKey(curve, inner.Bytes)
		case inner.Tag == asn1.TagInteger:
			d := new(big.Int).SetBytes(inner.Bytes)
			le := make([]byte, size)
			d.FillBytes(le)
			priv, err = gost.NewPrivateKey(curve, gost.Reverse(le))
		default:
			return nil, errors.New("xades: GOST private key in an unknown encoding")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("xades: GOST private key: %w", err)
	}
	if priv.D.Cmp(curve.Q) >= 0 {
		return nil, errors.New("xades: GOST private key out of range")
	}
	return &gostSigner{priv: priv}, nil
}

// gostSigner signs with an in-memory GOST R 34.10-2012 key through go-cryptobin.
type gostSigner struct {
	priv *gost.PrivateKey
}

func (s *gostSigner) Public() crypto.PublicKey { return &s.priv.PublicKey }

// Sign returns s‖r as OpenSSL writes it. The nonce is uniform in [1, q−1]: go-cryptobin's own
// Sign reduces PointSize random bytes modulo q, which is visibly biased on curves whose q is
// well below 2^(8·PointSize) (the tc26 256-bit set A has q ≈ 2^254), and biased nonces leak
// the key; signGOST also computes the nonce's multiple of the base point much faster.
func (s *gostSigner) Sign(r io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	if len(digest) != s.priv.Curve.PointSize() {
		return nil, fmt.Errorf("xades: GOST digest of %d bytes for a %d-byte key", len(digest), s.priv.Curve.PointSize())
	}
	return signGOST(r, s.priv, digest)
}
