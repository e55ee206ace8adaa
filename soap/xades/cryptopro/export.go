package cryptopro

import (
	"crypto/rand"
	"encoding/asn1"
	"encoding/pem"
	"fmt"

	"github.com/deatil/go-cryptobin/pkcs8"
	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// marshalPKCS8 writes the key as OpenSSL's GOST engine does: the algorithm with its curve
// and digest parameters, and the private scalar as 32 (64) little-endian bytes.
func marshalPKCS8(priv *gost.PrivateKey, alg asn1.ObjectIdentifier, params []byte) ([]byte, error) {
	le := make([]byte, priv.Curve.PointSize())
	priv.D.FillBytes(le)
	info := struct {
		Version int
		Algo    struct {
			OID    asn1.ObjectIdentifier
			Params asn1.RawValue
		}
		PrivateKey []byte
	}{}
	info.Algo.OID = alg
	info.Algo.Params = asn1.RawValue{FullBytes: params}
	info.PrivateKey = reversed(le)
	der, err := asn1.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("encode PKCS #8 key: %w", err)
	}
	return der, nil
}

// PEM returns the key as "PRIVATE KEY", or, when password is not empty, as "ENCRYPTED
// PRIVATE KEY" (PBES2: PBKDF2 with HMAC-SHA256 and AES-256-CBC, which `gisgw run`/`sign`
// and `openssl pkcs8` read).
func (k *Key) PEM(password string) ([]byte, error) {
	if password == "" {
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k.der}), nil
	}
	blk, err := pkcs8.EncryptPEMBlock(rand.Reader, "ENCRYPTED PRIVATE KEY", k.der, []byte(password), pkcs8.DefaultOpts)
	if err != nil {
		return nil, fmt.Errorf("encrypt private key: %w", err)
	}
	return pem.EncodeToMemory(blk), nil
}
