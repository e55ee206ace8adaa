package xades

import (
	"crypto/rand"
	"math/big"
	"testing"
)

// TestField256 pins the Montgomery arithmetic to math/big mod every 256-bit set's p, for
// random and edge values, and checks that the 512-bit sets' primes are left to math/big.
func TestField256(t *testing.T) {
	t.Parallel()
	for name, c := range gostCurves() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := c.P
			f := newField256(p)
			if p.BitLen() > 256 {
				if f != nil {
					t.Errorf("a %d-bit p got the 256-bit arithmetic", p.BitLen())
				}
				return
			}
			if f == nil {
				t.Fatalf("no 256-bit arithmetic for p = %x", p)
			}
			pm1 := new(big.Int).Sub(p, big.NewInt(1))
			vals := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), pm1, new(big.Int).Rsh(p, 1)}
			for range 60 {
				v, err := rand.Int(rand.Reader, p)
				if err != nil {
					t.Fatal(err)
				}
				vals = append(vals, v)
			}
			var got big.Int
			for i, a := range vals {
				b := vals[(i*7+3)%len(vals)]
				ma, mb := f.toMont(a), f.toMont(b)
				var z fe
				for _, op := range []struct {
					name string
					do   func(z, x, y *fe)
					want *big.Int
				}{
					{"·", f.mul, new(big.Int).Mul(a, b)},
					{"+", f.add, new(big.Int).Add(a, b)},
					{"−", f.sub, new(big.Int).Sub(a, b)},
				} {
					op.do(&z, &ma, &mb)
					f.fromMont(&got, &z)
					if op.want.Mod(op.want, p); got.Cmp(op.want) != 0 {
						t.Fatalf("%x %s %x = %x; want %x", a, op.name, b, &got, op.want)
					}
				}
				if f.fromMont(&got, &ma); got.Cmp(a) != 0 {
					t.Fatalf("%x does not come back from Montgomery form: %x", a, &got)
				}
			}
		})
	}
}
