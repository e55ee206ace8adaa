package xades

import (
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// gostCurves are the curves GOST R 34.10-2012 keys use, by name.
func gostCurves() map[string]*gost.Curve {
	return map[string]*gost.Curve{
		"256A": gost.CurveIdtc26gost34102012256paramSetA(), "256B": gost.CurveIdtc26gost34102012256paramSetB(),
		"256C": gost.CurveIdtc26gost34102012256paramSetC(), "256D": gost.CurveIdtc26gost34102012256paramSetD(),
		"512A": gost.CurveIdtc26gost34102012512paramSetA(), "512B": gost.CurveIdtc26gost34102012512paramSetB(),
		"512C": gost.CurveIdtc26gost34102012512paramSetC(),
	}
}

// TestGOSTScalarBaseMult pins the fast fixed-base multiplication to go-cryptobin's generic
// one on every curve GOST R 34.10-2012 keys use, for random and edge scalars, and checks that
// the signatures it makes verify with go-cryptobin (OpenSSL checks them in interop_test.go).
func TestGOSTScalarBaseMult(t *testing.T) {
	t.Parallel()
	for name, c := range gostCurves() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tab := baseTableFor(c)
			qm1 := new(big.Int).Sub(c.Q, big.NewInt(1))
			ks := []*big.Int{big.NewInt(1), big.NewInt(2), big.NewInt(15), big.NewInt(16), big.NewInt(17), qm1}
			for range 40 {
				k, err := rand.Int(rand.Reader, qm1)
				if err != nil {
					t.Fatal(err)
				}
				ks = append(ks, k.Add(k, big.NewInt(1)))
			}
			for _, k := range ks {
				x, y := tab.scalarBaseMult(k)
				wx, wy := c.ScalarBaseMult(k.Bytes())
				if x.Cmp(wx) != 0 || y.Cmp(wy) != 0 {
					t.Fatalf("k=%x: got (%x, %x); go-cryptobin (%x, %x)", k, x, y, wx, wy)
				}
			}
			priv, err := gost.GenerateKey(rand.Reader, c)
			if err != nil {
				t.Fatal(err)
			}
			digest := make([]byte, c.PointSize())
			for range 5 {
				if _, err := rand.Read(digest); err != nil {
					t.Fatal(err)
				}
				sig, err := signGOST(rand.Reader, priv, digest)
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := priv.PublicKey.Verify(digest, sig); !ok || err != nil {
					t.Fatalf("go-cryptobin does not verify the signature: %v", err)
				}
				sig[len(sig)-1] ^= 1
				if ok, _ := priv.PublicKey.Verify(digest, sig); ok {
					t.Fatal("a changed signature verifies")
				}
			}
		})
	}
}

// TestGOSTVerifyMatchesCryptobin pins the fast verification to go-cryptobin's on every curve:
// valid signatures, changed ones, out-of-range r and s, and digests that reduce to zero.
func TestGOSTVerifyMatchesCryptobin(t *testing.T) {
	t.Parallel()
	for name, c := range gostCurves() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			priv, err := gost.GenerateKey(rand.Reader, c)
			if err != nil {
				t.Fatal(err)
			}
			other, err := gost.GenerateKey(rand.Reader, c)
			if err != nil {
				t.Fatal(err)
			}
			size := c.PointSize()
			digest := make([]byte, size)
			var valid int
			for i := range 6 {
				if _, err := rand.Read(digest); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					clear(digest) // e = 0 is taken as 1
				}
				sig, err := signGOST(rand.Reader, priv, digest)
				if err != nil {
					t.Fatal(err)
				}
				q := make([]byte, size)
				c.Q.FillBytes(q)
				variants := [][]byte{sig, append([]byte{}, sig...), append([]byte{}, sig...), append(append([]byte{}, sig[:size]...), q...),
					append(append([]byte{}, q...), sig[size:]...), make([]byte, 2*size)}
				variants[1][i%len(sig)] ^= 1 << (i % 8)
				variants[2][size] ^= 0x80
				for j, v := range variants {
					for _, pub := range []*gost.PublicKey{&priv.PublicKey, &other.PublicKey} {
						want, _ := pub.Verify(digest, v)
						got := verifyGOSTRaw(pub, digest, v)
						if got != want {
							t.Fatalf("digest %d variant %d: got %v, go-cryptobin %v", i, j, got, want)
						}
						if got {
							valid++
						}
					}
				}
			}
			if valid != 6 {
				t.Fatalf("%d signatures verified, want exactly the 6 unchanged ones", valid)
			}
			// The key was seen again and again: after the first checks the table path ran.
			id := keyID{c, string(priv.X.Bytes()), string(priv.Y.Bytes())}
			keyTables.mu.Lock()
			_, cached := keyTables.tables[id]
			keyTables.mu.Unlock()
			if !cached {
				t.Fatal("the key checked 36 times has no window table")
			}
		})
	}
}
