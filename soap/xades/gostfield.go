package xades

import (
	"math/big"
	"math/bits"
)

// The fixed-base multiplications of signing and verifying spend most of their time in field
// arithmetic mod the curve's p. With math/big each product is followed by a general division
// (Mod), about 180 ns for 256 bits; Montgomery multiplication over four 64-bit words needs
// no division. Used for the curves whose p fits 256 bits (all of GOST R 34.10-2012's 256-bit
// sets); the 512-bit sets keep math/big. Like the rest of this code it is not constant time.

// fe is a field element in Montgomery form (x·2^256 mod p), least significant word first.
type fe [4]uint64

// field256 is arithmetic mod an odd prime p < 2^256.
type field256 struct {
	p   fe
	n0  uint64 // −p⁻¹ mod 2^64
	r2  fe     // 2^512 mod p, to convert into Montgomery form
	one fe     // 1 in Montgomery form
}

// newField256 returns the arithmetic mod p, or nil when p is even or longer than 256 bits.
func newField256(p *big.Int) *field256 {
	if p.BitLen() > 256 || p.Bit(0) == 0 {
		return nil
	}
	f := &field256{p: feFromBig(p)}
	inv := f.p[0] // Newton's iteration for p[0]⁻¹ mod 2^64: each step doubles the good bits
	for range 6 {
		inv *= 2 - f.p[0]*inv
	}
	f.n0 = -inv
	r2 := new(big.Int).Lsh(big.NewInt(1), 512)
	f.r2 = feFromBig(r2.Mod(r2, p))
	f.one = f.toMont(big.NewInt(1))
	return f
}

// feFromBig returns the four words of 0 ≤ x < 2^256 (not converted).
func feFromBig(x *big.Int) fe {
	var b [32]byte
	x.FillBytes(b[:])
	var z fe
	for i := range z {
		for j := range 8 {
			z[i] |= uint64(b[31-8*i-j]) << (8 * j)
		}
	}
	return z
}

// toMont returns x (0 ≤ x < p) in Montgomery form.
func (f *field256) toMont(x *big.Int) fe {
	var z fe
	raw := feFromBig(x)
	f.mul(&z, &raw, &f.r2)
	return z
}

// fromMont sets z to the number x stands for.
func (f *field256) fromMont(z *big.Int, x *fe) {
	one := fe{1}
	var v fe
	f.mul(&v, x, &one)
	var b [32]byte
	for i := range v {
		for j := range 8 {
			b[31-8*i-j] = byte(v[i] >> (8 * j))
		}
	}
	z.SetBytes(b[:])
}

// mul sets z = x·y·2^-256 mod p (coarsely integrated operand scanning).
func (f *field256) mul(z, x, y *fe) {
	var t0, t1, t2, t3, t4 uint64
	for i := range 4 {
		// t += x·y[i]
		yi := y[i]
		var c, t5 uint64
		t0, c = mulAdd(x[0], yi, t0, 0)
		t1, c = mulAdd(x[1], yi, t1, c)
		t2, c = mulAdd(x[2], yi, t2, c)
		t3, c = mulAdd(x[3], yi, t3, c)
		t4, t5 = bits.Add64(t4, c, 0)
		// t = (t + m·p) / 2^64, with m chosen so that the low word becomes zero
		m := t0 * f.n0
		_, c = mulAdd(m, f.p[0], t0, 0)
		t0, c = mulAdd(m, f.p[1], t1, c)
		t1, c = mulAdd(m, f.p[2], t2, c)
		t2, c = mulAdd(m, f.p[3], t3, c)
		var carry uint64
		t3, carry = bits.Add64(t4, c, 0)
		t4 = t5 + carry
	}
	f.reduce(z, t0, t1, t2, t3, t4)
}

// mulAdd returns the low and high words of a·b + c + d (which cannot overflow 128 bits).
func mulAdd(a, b, c, d uint64) (lo, hi uint64) {
	hi, lo = bits.Mul64(a, b)
	var cc uint64
	lo, cc = bits.Add64(lo, c, 0)
	hi += cc
	lo, cc = bits.Add64(lo, d, 0)
	hi += cc
	return lo, hi
}

// reduce sets z to t mod p for t = t4·2^256 + (t3..t0) < 2p.
func (f *field256) reduce(z *fe, t0, t1, t2, t3, t4 uint64) {
	d0, b := bits.Sub64(t0, f.p[0], 0)
	d1, b := bits.Sub64(t1, f.p[1], b)
	d2, b := bits.Sub64(t2, f.p[2], b)
	d3, b := bits.Sub64(t3, f.p[3], b)
	if t4 != 0 || b == 0 {
		*z = fe{d0, d1, d2, d3}
		return
	}
	*z = fe{t0, t1, t2, t3}
}

// add sets z = x + y mod p.
func (f *field256) add(z, x, y *fe) {
	t0, c := bits.Add64(x[0], y[0], 0)
	t1, c := bits.Add64(x[1], y[1], c)
	t2, c := bits.Add64(x[2], y[2], c)
	t3, c := bits.Add64(x[3], y[3], c)
	f.reduce(z, t0, t1, t2, t3, c)
}

// sub sets z = x − y mod p.
func (f *field256) sub(z, x, y *fe) {
	t0, b := bits.Sub64(x[0], y[0], 0)
	t1, b := bits.Sub64(x[1], y[1], b)
	t2, b := bits.Sub64(x[2], y[2], b)
	t3, b := bits.Sub64(x[3], y[3], b)
	if b != 0 { // went below zero: add p back
		var c uint64
		t0, c = bits.Add64(t0, f.p[0], 0)
		t1, c = bits.Add64(t1, f.p[1], c)
		t2, c = bits.Add64(t2, f.p[2], c)
		t3, _ = bits.Add64(t3, f.p[3], c)
	}
	*z = fe{t0, t1, t2, t3}
}

func (x *fe) isZero() bool { return x[0]|x[1]|x[2]|x[3] == 0 }
