// Package cryptopro reads GOST R 34.10-2012 private keys from the places organizations hold
// them: a CryptoPro CSP key container folder (header.key, masks.key, primary.key, …, as copied
// from a flash drive or exported from a token) and a PFX (PKCS #12) file with GOST algorithms.
//
// The container format is publicly described: the key that protects primary.key is derived
// from the PIN and the salt in masks.key by iterated GOST R 34.11-2012 hashing, primary.key is
// encrypted with GOST 28147-89 (ECB, the tc26 "Z" S-box), and the decrypted value is the
// private key multiplied by the mask in masks.key modulo the curve order q. The header carries
// the key's algorithm, a fingerprint of the public key (which is how a wrong PIN is told from
// a right one) and usually the certificate.
package cryptopro

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// Errors a caller can tell apart (errors.Is); every returned error wraps one of them with
// details.
var (
	ErrWrongPIN             = errors.New("wrong PIN (password) for the key container")
	ErrDamaged              = errors.New("the key container is damaged or incomplete")
	ErrUnsupportedAlgorithm = errors.New("unsupported key algorithm")
	ErrNotExportable        = errors.New("the key is marked non-exportable")
)

// OIDs of the algorithms a container names.
var (
	oidDH2012_256   = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 6, 1}
	oidDH2012_512   = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 6, 2}
	oidSign2012_256 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 1}
	oidSign2012_512 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 2}
	oidDH2001       = asn1.ObjectIdentifier{1, 2, 643, 2, 2, 98}
	oidSign2001     = asn1.ObjectIdentifier{1, 2, 643, 2, 2, 19}
)

// Key is one private key read from a container or a PFX, as PKCS #8 DER.
type Key struct {
	der []byte
}

// Container is what a CryptoPro container folder holds.
type Container struct {
	// Name is the container's name (name.key), empty when the file is absent.
	Name string
	// Primary is the container's main key (primary.key); for a key made for signing this
	// is the signature key.
	Primary *Key
	// Secondary is the second key (primary2.key) when the header describes one, else nil.
	Secondary *Key
	// Certificate is the certificate stored in the header, or nil.
	Certificate *x509.Certificate
	// SecondaryCertificate is the second key's certificate, or nil.
	SecondaryCertificate *x509.Certificate
}

// files of a container folder; only header, masks and primary are required.
type files struct {
	header, masks, primary, masks2, primary2, name []byte
}

// ReadDir reads the container folder dir and decrypts its keys with pin ("" is the empty PIN).
func ReadDir(dir, pin string) (*Container, error) {
	var f files
	for _, x := range []struct {
		name     string
		dst      *[]byte
		required bool
	}{
		{"header.key", &f.header, true}, {"masks.key", &f.masks, true}, {"primary.key", &f.primary, true},
		{"masks2.key", &f.masks2, false}, {"primary2.key", &f.primary2, false}, {"name.key", &f.name, false},
	} {
		b, err := os.ReadFile(filepath.Join(dir, x.name))
		switch {
		case err == nil:
			*x.dst = b
		case errors.Is(err, fs.ErrNotExist) && !x.required:
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%w: %s has no %s (is it a CryptoPro container folder such as srv.000?)", ErrDamaged, dir, x.name)
		default:
			return nil, fmt.Errorf("read key container: %w", err)
		}
	}
	return parse(f, pin)
}

// header is the part of header.key this package uses.
type header struct {
	primary, secondary     *keyParams
	primaryFP, secondaryFP []byte
	cert, cert2            []byte
}

type keyParams struct {
	exportable bool
	dh         asn1.ObjectIdentifier
	curve      asn1.ObjectIdentifier
	params     []byte
}

func parse(f files, pin string) (*Container, error) {
	h, err := parseHeader(f.header)
	if err != nil {
		return nil, err
	}
	c := &Container{}
	if len(f.name) > 0 {
		var name struct {
			Name string `asn1:"ia5"`
		}
		if _, err := asn1.Unmarshal(f.name, &name); err == nil {
			c.Name = name.Name
		}
	}
	if h.cert != nil {
		if c.Certificate, err = x509.ParseCertificate(h.cert); err != nil {
			return nil, fmt.Errorf("%w: the certificate in header.key does not parse: %v", ErrDamaged, err)
		}
	}
	if h.cert2 != nil {
		if c.SecondaryCertificate, err = x509.ParseCertificate(h.cert2); err != nil {
			return nil, fmt.Errorf("%w: the second certificate in header.key does not parse: %v", ErrDamaged, err)
		}
	}
	if c.Primary, err = unwrap(h.primary, h.primaryFP, f.masks, f.primary, pin, "primary.key", "masks.key"); err != nil {
		return nil, err
	}
	if h.secondary != nil && f.primary2 != nil && f.masks2 != nil {
		if c.Secondary, err = unwrap(h.secondary, h.secondaryFP, f.masks2, f.primary2, pin, "primary2.key", "masks2.key"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func parseHeader(b []byte) (*header, error) {
	var outer struct {
		Content asn1.RawValue
		HMAC    []byte
	}
	if rest, err := asn1.Unmarshal(b, &outer); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: header.key is not a container header (%d bytes)", ErrDamaged, len(b))
	}
	h := &header{}
	rest := outer.Content.Bytes
	seenSeq := false
	for len(rest) > 0 {
		var v asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &v); err != nil {
			return nil, fmt.Errorf("%w: header.key: %v", ErrDamaged, err)
		}
		switch {
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagSequence && !seenSeq:
			seenSeq = true
			if h.primary, err = parseKeyParams(v.Bytes); err != nil {
				return nil, err
			}
		case v.Class == asn1.ClassContextSpecific && v.Tag == 4:
			if h.secondary, err = parseKeyParams(v.Bytes); err != nil {
				return nil, err
			}
		case v.Class == asn1.ClassContextSpecific && v.Tag == 5:
			h.cert = certBytes(v)
		case v.Class == asn1.ClassContextSpecific && v.Tag == 6:
			h.cert2 = certBytes(v)
		case v.Class == asn1.ClassContextSpecific && v.Tag == 10:
			h.primaryFP = v.Bytes
		case v.Class == asn1.ClassContextSpecific && v.Tag == 11:
			h.secondaryFP = v.Bytes
		}
	}
	if h.primary == nil || len(h.primaryFP) == 0 {
		return nil, fmt.Errorf("%w: header.key names no primary key", ErrDamaged)
	}
	return h, nil
}

// certBytes returns a certificate tagged [5] or [6]: CryptoPro writes the certificate's DER
// as the tagged value's content; an explicitly tagged form is read as well.
func certBytes(v asn1.RawValue) []byte {
	if v.IsCompound {
		var inner asn1.RawValue
		if _, err := asn1.Unmarshal(v.Bytes, &inner); err == nil && inner.Tag == asn1.TagSequence {
			return inner.FullBytes
		}
	}
	// The content is the certificate SEQUENCE's content when the tag replaced SEQUENCE's,
	// and the whole DER otherwise.
	if len(v.Bytes) > 0 && v.Bytes[0] == 0x30 {
		if _, err := asn1.Unmarshal(v.Bytes, new(asn1.RawValue)); err == nil {
			return v.Bytes
		}
	}
	return sequence(v.Bytes)
}

// sequence re-tags implicitly tagged content as a SEQUENCE so encoding/asn1 can read it.
func sequence(content []byte) []byte {
	full, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: content})
	if err != nil {
		return nil
	}
	return full
}

// parseKeyParams reads GostPrivateKeyParameters: the key's attribute bits and, tagged [0],
// its algorithm (the key-agreement OID) with the curve and digest.
func parseKeyParams(b []byte) (*keyParams, error) {
	var p struct {
		Attributes asn1.BitString
		Algorithm  asn1.RawValue `asn1:"tag:0"`
	}
	if _, err := asn1.Unmarshal(sequence(b), &p); err != nil {
		return nil, fmt.Errorf("%w: key parameters in header.key: %v", ErrDamaged, err)
	}
	var alg struct {
		DH     asn1.ObjectIdentifier
		Params asn1.RawValue
	}
	if _, err := asn1.Unmarshal(sequence(p.Algorithm.Bytes), &alg); err != nil {
		return nil, fmt.Errorf("%w: key algorithm in header.key: %v", ErrDamaged, err)
	}
	var params struct {
		Curve asn1.ObjectIdentifier
	}
	if _, err := asn1.Unmarshal(alg.Params.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("%w: key parameters in header.key: %v", ErrDamaged, err)
	}
	return &keyParams{
		exportable: p.Attributes.At(0) == 1,
		dh:         alg.DH,
		curve:      params.Curve,
		params:     alg.Params.FullBytes,
	}, nil
}

// unwrap decrypts one key of the container and checks it against the header's fingerprint.
func unwrap(p *keyParams, fp, masksDER, primaryDER []byte, pin, primaryName, masksName string) (*Key, error) {
	var signOID asn1.ObjectIdentifier
	switch {
	case p.dh.Equal(oidDH2012_256), p.dh.Equal(oidSign2012_256):
		signOID = oidSign2012_256
	case p.dh.Equal(oidDH2012_512), p.dh.Equal(oidSign2012_512):
		signOID = oidSign2012_512
	case p.dh.Equal(oidDH2001), p.dh.Equal(oidSign2001):
		return nil, fmt.Errorf("%w: the container holds a GOST R 34.10-2001 key, retired in 2019; ask the CA for a GOST R 34.10-2012 key", ErrUnsupportedAlgorithm)
	default:
		return nil, fmt.Errorf("%w: key algorithm %s in the container (want GOST R 34.10-2012)", ErrUnsupportedAlgorithm, p.dh)
	}
	if !p.exportable {
		return nil, fmt.Errorf("%w: CryptoPro created it without permission to export it; ask the CA for an exportable key or keep signing with CryptoPro", ErrNotExportable)
	}
	curve := gost.NamedCurveFromOid(p.curve)
	if curve == nil {
		return nil, fmt.Errorf("%w: GOST curve %s", ErrUnsupportedAlgorithm, p.curve)
	}
	var masks struct {
		Mask, Salt, HMAC []byte
	}
	if rest, err := asn1.Unmarshal(masksDER, &masks); err != nil || len(rest) != 0 || len(masks.Salt) != 12 || len(masks.Mask) != curve.PointSize() {
		return nil, fmt.Errorf("%w: %s is not a masks file of a %d-bit key (%d bytes)", ErrDamaged, masksName, curve.PointSize()*8, len(masksDER))
	}
	var primary struct{ Key []byte }
	if rest, err := asn1.Unmarshal(primaryDER, &primary); err != nil || len(rest) != 0 || len(primary.Key) != curve.PointSize() {
		return nil, fmt.Errorf("%w: %s is not an encrypted %d-bit key (%d bytes)", ErrDamaged, primaryName, curve.PointSize()*8, len(primaryDER))
	}
	kek := deriveKEK(masks.Salt, []byte(pin))
	masked, err := decryptECB(kek, primary.Key)
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w", primaryName, err)
	}
	// Both values are little-endian; the key is masked·d mod q, so d = masked·mask⁻¹ mod q.
	q := curve.Q
	m := new(big.Int).SetBytes(reversed(masks.Mask))
	inv := new(big.Int).ModInverse(m, q)
	if inv == nil {
		return nil, fmt.Errorf("%w: the mask in %s is not invertible", ErrDamaged, masksName)
	}
	d := new(big.Int).SetBytes(reversed(masked))
	d.Mul(d, inv).Mod(d, q)
	if d.Sign() == 0 {
		return nil, fmt.Errorf("%w: %s unmasks to zero", ErrDamaged, primaryName)
	}
	le := make([]byte, curve.PointSize())
	d.FillBytes(le)
	priv, err := gost.NewPrivateKey(curve, reversed(le))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDamaged, primaryName, err)
	}
	// The fingerprint is the first bytes of the public key's X, little-endian.
	x := make([]byte, curve.PointSize())
	priv.X.FillBytes(x)
	x = reversed(x)
	if len(fp) > len(x) || string(x[:len(fp)]) != string(fp) {
		return nil, fmt.Errorf("%w: the key decrypted with it does not match the container's public key fingerprint (or %s/%s are damaged)", ErrWrongPIN, primaryName, masksName)
	}
	der, err := marshalPKCS8(priv, signOID, p.params)
	if err != nil {
		return nil, err
	}
	return &Key{der: der}, nil
}

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}
