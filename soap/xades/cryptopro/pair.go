package cryptopro

import (
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/deatil/go-cryptobin/pkcs12"

	"github.com/gisgw/gisgw/soap/xades"
)

// ErrWrongPassword is ReadPFX's error when the password does not open the file.
var ErrWrongPassword = errors.New("wrong PFX password")

// ErrNoCertificate is returned when no certificate was found for the key.
var ErrNoCertificate = errors.New("no certificate for the key")

// ReadPFX reads a PKCS #12 file with a GOST key as OpenSSL's GOST engine writes it (`openssl
// pkcs12 -export -keypbe gost89 -certpbe gost89 -macalg md_gost12_256`): PBES2 with GOST
// 28147-89 and HMAC-Streebog, or the usual AES. It returns the key and the certificate that
// goes with it (nil when the file holds none).
func ReadPFX(data []byte, password string) (*Key, *x509.Certificate, error) {
	p, err := pkcs12.LoadFromBytes(data, password)
	if err != nil {
		// A wrong password shows as a MAC or decryption failure; a damaged file as a parse
		// failure. Both are told apart by the library only in its texts.
		return nil, nil, fmt.Errorf("%w, or the file is damaged or uses a protection this tool cannot read (%v)", ErrWrongPassword, err)
	}
	der, _, err := p.GetPrivateKeyBytes()
	if err != nil || len(der) == 0 {
		return nil, nil, fmt.Errorf("%w: the PFX holds no readable private key (%v)", ErrDamaged, err)
	}
	cert, _, err := p.GetCert()
	if err != nil {
		cert = nil
	}
	return &Key{der: der}, cert, nil
}

// KeyPair checks that key belongs to cert and returns the pair the signer uses. A key of
// another certificate fails with xades.ErrKeyMismatch, a retired or unknown algorithm with
// xades.ErrUnsupportedAlgorithm.
func KeyPair(key *Key, cert *x509.Certificate) (*xades.KeyPair, error) {
	if cert == nil {
		return nil, ErrNoCertificate
	}
	keyPEM, err := key.PEM("")
	if err != nil {
		return nil, err
	}
	return xades.LoadKeyPair(keyPEM, cert.Raw, "")
}

// Pair picks the container's key that belongs to cert (nil: the certificate in the
// header) and returns it with the certificate.
func (c *Container) Pair(cert *x509.Certificate) (*Key, *x509.Certificate, *xades.KeyPair, error) {
	if cert == nil {
		cert = c.Certificate
	}
	if cert == nil {
		return nil, nil, nil, fmt.Errorf("%w: the container carries no certificate; give the certificate file", ErrNoCertificate)
	}
	var firstErr error
	for _, k := range []*Key{c.Primary, c.Secondary} {
		if k == nil {
			continue
		}
		kp, err := KeyPair(k, cert)
		if err == nil {
			return k, cert, kp, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, nil, nil, firstErr
}

// LoadKeyPair reads the container folder dir with pin and pairs its key with the
// certificate in certBytes (PEM or DER), or with the header's certificate when certBytes is
// empty. The daemon's signing.container goes through it.
func LoadKeyPair(dir string, certBytes []byte, pin string) (*xades.KeyPair, error) {
	c, err := ReadDir(dir, pin)
	if err != nil {
		return nil, fmt.Errorf("key container %s: %w", dir, err)
	}
	var cert *x509.Certificate
	if len(certBytes) > 0 {
		if cert, err = xades.ParseCertificate(certBytes); err != nil {
			return nil, err
		}
	}
	_, _, kp, err := c.Pair(cert)
	if err != nil {
		return nil, fmt.Errorf("key container %s: %w", dir, err)
	}
	return kp, nil
}
