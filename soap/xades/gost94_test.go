package xades

import (
	"bytes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"

	gostcipher "github.com/deatil/go-cryptobin/cipher/gost"
	"github.com/deatil/go-cryptobin/hash/gost/gost341194"
)

// TestCryptoProBlockMatchesCryptobin: the fast block cipher behind NewGOST94 encrypts and
// decrypts exactly as go-cryptobin's GOST 28147-89 with the same S-box, and the hash built
// on it equals the hash built on go-cryptobin's cipher.
func TestCryptoProBlockMatchesCryptobin(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	ref := func(key []byte) cipher.Block {
		c, err := gostcipher.NewCipher(key, gostcipher.SboxGostR341194CryptoProParamSet)
		if err != nil {
			panic(err)
		}
		return c
	}
	for i := range 2000 {
		key, block := make([]byte, 32), make([]byte, 8)
		for j := range key {
			key[j] = byte(rnd.Uint32())
		}
		for j := range block {
			block[j] = byte(rnd.Uint32())
		}
		want, got := make([]byte, 8), make([]byte, 8)
		ref(key).Encrypt(want, block)
		newCryptoProBlock(key).Encrypt(got, block)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: Encrypt = %x, want %x", i, got, want)
		}
		ref(key).Decrypt(want, block)
		newCryptoProBlock(key).Decrypt(got, block)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: Decrypt = %x, want %x", i, got, want)
		}
	}
	for _, n := range []int{0, 1, 31, 32, 33, 1000, 70000} {
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rnd.Uint32())
		}
		slow := gost341194.New(ref)
		slow.Write(data)
		fast := NewGOST94()
		fast.Write(data)
		if got, want := fast.Sum(nil), slow.Sum(nil); !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: NewGOST94 = %x, with go-cryptobin's cipher %x", n, got, want)
		}
	}
}

func BenchmarkGOST94(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	h := NewGOST94()
	for b.Loop() {
		h.Write(buf)
	}
}
