package cryptopro

import (
	"fmt"

	"github.com/deatil/go-cryptobin/cipher/gost"
	"github.com/gisgw/gisgw/soap/xades/internal/streebog"
)

// kdfSeed is the constant CryptoPro starts the PIN key derivation from.
const kdfSeed = "DENEFH028.760246785.IUEFHWUIO.EF"

// deriveKEK turns the PIN and the 12-byte salt of masks.key into the GOST 28147-89 key that
// protects primary.key (containers of GOST R 34.10-2012 keys hash with GOST R 34.11-2012
// 256). Each PIN byte is widened to four bytes; an empty PIN takes 2 rounds instead of 2000.
func deriveKEK(salt, pin []byte) []byte {
	pin4 := make([]byte, 4*len(pin))
	for i, c := range pin {
		pin4[4*i] = c
	}
	h := streebog.New256()
	h.Write(salt)
	h.Write(pin4)
	start := h.Sum(nil)

	// current is a 64-byte block: the seed, later the previous digest, zero-padded.
	current := make([]byte, 64)
	copy(current, kdfSeed)
	in, out := make([]byte, 64), make([]byte, 64)
	pads := func() {
		for i, c := range current {
			in[i], out[i] = c^0x36, c^0x5c
		}
	}
	rounds := 2000
	if len(pin) == 0 {
		rounds = 2
	}
	for range rounds {
		pads()
		h.Reset()
		h.Write(in)
		h.Write(start)
		h.Write(out)
		h.Write(start)
		copy(current, h.Sum(nil))
	}
	pads()
	h.Reset()
	h.Write(in[:32])
	h.Write(salt)
	h.Write(out[:32])
	h.Write(pin4)
	mid := h.Sum(nil)
	h.Reset()
	h.Write(mid)
	return h.Sum(nil)
}

// decryptECB decrypts whole 8-byte blocks with GOST 28147-89 and the tc26 "Z" S-box.
func decryptECB(key, src []byte) ([]byte, error) {
	b, err := gost.NewCipher(key, gost.SboxTC26gost28147paramZ)
	if err != nil {
		return nil, fmt.Errorf("GOST 28147-89 key: %w", err)
	}
	if len(src)%b.BlockSize() != 0 {
		return nil, fmt.Errorf("encrypted key of %d bytes is not whole blocks", len(src))
	}
	dst := make([]byte, len(src))
	for i := 0; i < len(src); i += b.BlockSize() {
		b.Decrypt(dst[i:], src[i:])
	}
	return dst, nil
}
