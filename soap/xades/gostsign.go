package xades

import (
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// Signing needs one multiplication of the curve's base point by the nonce. go-cryptobin does
// it in affine coordinates, with a modular inversion in every step, which made it about a
// quarter of the time to sign a 100-action message. Here the multiple is computed in Jacobian
// coordinates (no inversion until the end) with a fixed 4-bit window over a table of the base
// point's multiples built once per curve. The arithmetic is Montgomery's over four words for
// the 256-bit sets (gostfield.go) and math/big for the 512-bit ones; neither is constant
// time — nor is go-cryptobin's; the key never leaves the process.

const windowBits = 4

// baseTable holds, for every 4-bit window position i, the affine points j·16^i·G for
// j = 1..15, so that k·G is a sum of one table point per nonzero window: no doubling at all.
type baseTable struct {
	curve *gost.Curve
	pts   [][15][2]*big.Int
	f     *field256   // nil when p is longer than 256 bits
	mpts  [][15][2]fe // pts in Montgomery form, when f is set
}

var baseTables sync.Map // *gost.Curve → *baseTable (the curves are the package's singletons)

func baseTableFor(c *gost.Curve) *baseTable {
	if t, ok := baseTables.Load(c); ok {
		return t.(*baseTable)
	}
	actual, _ := baseTables.LoadOrStore(c, newPointTable(c, c.X, c.Y))
	return actual.(*baseTable)
}

// newPointTable builds the window table of the point (x, y): for every 4-bit window position
// i, j·16^i·(x, y) for j = 1..15, in affine coordinates.
func newPointTable(c *gost.Curve, x0, y0 *big.Int) *baseTable {
	bits := c.Q.BitLen()
	windows := (bits + windowBits - 1) / windowBits
	t := &baseTable{curve: c, pts: make([][15][2]*big.Int, windows)}
	px, py := new(big.Int).Set(x0), new(big.Int).Set(y0) // 16^i·P
	for i := range windows {
		x, y := new(big.Int).Set(px), new(big.Int).Set(py)
		t.pts[i][0] = [2]*big.Int{x, y}
		for j := 1; j < 15; j++ {
			x, y = c.Add(x, y, px, py)
			t.pts[i][j] = [2]*big.Int{x, y}
		}
		px, py = c.Add(x, y, px, py) // 16·(16^i·P)
	}
	if t.f = newField256(c.P); t.f != nil {
		t.mpts = make([][15][2]fe, windows)
		for i := range t.pts {
			for j, q := range t.pts[i] {
				t.mpts[i][j] = [2]fe{t.f.toMont(q[0]), t.f.toMont(q[1])}
			}
		}
	}
	return t
}

// jacobian is a point (X/Z², Y/Z³); Z = 0 is the point at infinity.
type jacobian struct{ x, y, z big.Int }

// scalarBaseMult returns the affine coordinates of k·G for 0 < k < q.
func (t *baseTable) scalarBaseMult(k *big.Int) (x, y *big.Int) {
	acc := t.scalarBaseMultJacobian(k)
	return acc.affine(t.curve.P)
}

// scalarBaseMultJacobian returns k·G in Jacobian coordinates.
func (t *baseTable) scalarBaseMultJacobian(k *big.Int) *jacobian {
	if t.f != nil {
		return t.scalarBaseMultMont(k)
	}
	p := t.curve.P
	acc := new(jacobian)
	var u2, s2, h, r, hh, hhh, v, tmp big.Int
	for i := range t.pts {
		w := 0
		for b := range windowBits {
			w |= int(k.Bit(i*windowBits+b)) << b
		}
		if w == 0 {
			continue
		}
		q := t.pts[i][w-1]
		if acc.z.Sign() == 0 {
			acc.x.Set(q[0])
			acc.y.Set(q[1])
			acc.z.SetInt64(1)
			continue
		}
		// Mixed addition acc + q (q affine), "madd-2007-bl" without the doubling shortcut:
		// the windows are distinct multiples, so acc ≠ ±q except with negligible chance,
		// which is handled below.
		tmp.Mul(&acc.z, &acc.z).Mod(&tmp, p) // Z1²
		u2.Mul(q[0], &tmp).Mod(&u2, p)       // U2 = x2·Z1²
		s2.Mul(q[1], &tmp).Mul(&s2, &acc.z)  // S2 = y2·Z1³
		s2.Mod(&s2, p)                       //
		h.Sub(&u2, &acc.x).Mod(&h, p)        // H = U2 − X1
		r.Sub(&s2, &acc.y).Mod(&r, p)        // R = S2 − Y1
		if h.Sign() == 0 {
			if r.Sign() == 0 { // acc = q: double it
				jacobianDouble(t.curve, acc)
				continue
			}
			acc.z.SetInt64(0) // acc = −q
			continue
		}
		hh.Mul(&h, &h).Mod(&hh, p)
		hhh.Mul(&h, &hh).Mod(&hhh, p)
		v.Mul(&acc.x, &hh).Mod(&v, p)
		acc.x.Mul(&r, &r).Sub(&acc.x, &hhh).Sub(&acc.x, &v).Sub(&acc.x, &v).Mod(&acc.x, p) // X3 = R² − H³ − 2V
		tmp.Sub(&v, &acc.x).Mul(&tmp, &r)
		acc.y.Mul(&acc.y, &hhh).Sub(&tmp, &acc.y).Mod(&acc.y, p) // Y3 = R(V − X3) − Y1·H³
		acc.z.Mul(&acc.z, &h).Mod(&acc.z, p)                     // Z3 = Z1·H
	}
	return acc
}

// scalarBaseMultMont is scalarBaseMultJacobian in Montgomery arithmetic (the same formulas).
func (t *baseTable) scalarBaseMultMont(k *big.Int) *jacobian {
	f := t.f
	var x, y, z fe // acc; z = 0 is the point at infinity
	var zz, u2, s2, h, r, hh, hhh, v, tmp fe
	for i := range t.mpts {
		w := 0
		for b := range windowBits {
			w |= int(k.Bit(i*windowBits+b)) << b
		}
		if w == 0 {
			continue
		}
		q := &t.mpts[i][w-1]
		if z.isZero() {
			x, y, z = q[0], q[1], f.one
			continue
		}
		f.mul(&zz, &z, &z)     // Z1²
		f.mul(&u2, &q[0], &zz) // U2 = x2·Z1²
		f.mul(&s2, &q[1], &zz)
		f.mul(&s2, &s2, &z) // S2 = y2·Z1³
		f.sub(&h, &u2, &x)  // H = U2 − X1
		f.sub(&r, &s2, &y)  // R = S2 − Y1
		if h.isZero() {
			if r.isZero() { // acc = q: double it, rarely enough for math/big
				j := t.fromMont(&x, &y, &z)
				jacobianDouble(t.curve, j)
				x, y, z = f.toMont(&j.x), f.toMont(&j.y), f.toMont(&j.z)
				continue
			}
			z = fe{} // acc = −q
			continue
		}
		f.mul(&hh, &h, &h)
		f.mul(&hhh, &h, &hh)
		f.mul(&v, &x, &hh)
		f.mul(&x, &r, &r) // X3 = R² − H³ − 2V
		f.sub(&x, &x, &hhh)
		f.sub(&x, &x, &v)
		f.sub(&x, &x, &v)
		f.sub(&tmp, &v, &x) // Y3 = R(V − X3) − Y1·H³
		f.mul(&tmp, &tmp, &r)
		f.mul(&y, &y, &hhh)
		f.sub(&y, &tmp, &y)
		f.mul(&z, &z, &h) // Z3 = Z1·H
	}
	return t.fromMont(&x, &y, &z)
}

// fromMont returns the Jacobian point (x, y, z) given in Montgomery form.
func (t *baseTable) fromMont(x, y, z *fe) *jacobian {
	j := new(jacobian)
	t.f.fromMont(&j.x, x)
	t.f.fromMont(&j.y, y)
	t.f.fromMont(&j.z, z)
	return j
}

// affine returns j's affine coordinates; (0, 0) for the point at infinity.
func (j *jacobian) affine(p *big.Int) (x, y *big.Int) {
	if j.z.Sign() == 0 {
		return new(big.Int), new(big.Int)
	}
	zinv := new(big.Int).ModInverse(&j.z, p)
	z2 := new(big.Int).Mul(zinv, zinv)
	z2.Mod(z2, p)
	x = new(big.Int).Mul(&j.x, z2)
	x.Mod(x, p)
	y = z2.Mul(z2, zinv).Mul(z2, &j.y)
	y.Mod(y, p)
	return x, y
}

// jacobianDouble sets j to 2·j ("dbl-2007-bl" for a general a).
func jacobianDouble(c *gost.Curve, j *jacobian) {
	p, a := c.P, c.A
	if j.y.Sign() == 0 {
		j.z.SetInt64(0)
		return
	}
	var xx, yy, yyyy, zz, s, m, tmp big.Int
	xx.Mul(&j.x, &j.x).Mod(&xx, p)
	yy.Mul(&j.y, &j.y).Mod(&yy, p)
	yyyy.Mul(&yy, &yy).Mod(&yyyy, p)
	zz.Mul(&j.z, &j.z).Mod(&zz, p)
	s.Mul(&j.x, &yy).Lsh(&s, 2).Mod(&s, p) // S = 4·X·Y²
	tmp.Mul(&zz, &zz).Mul(&tmp, a)
	m.Mul(&xx, big.NewInt(3)).Add(&m, &tmp).Mod(&m, p) // M = 3X² + a·Z⁴
	j.z.Mul(&j.y, &j.z).Lsh(&j.z, 1).Mod(&j.z, p)      // Z3 = 2·Y·Z
	j.x.Mul(&m, &m).Sub(&j.x, &s).Sub(&j.x, &s).Mod(&j.x, p)
	tmp.Sub(&s, &j.x).Mul(&tmp, &m)
	j.y.Lsh(&yyyy, 3).Sub(&tmp, &j.y).Mod(&j.y, p) // Y3 = M(S − X3) − 8Y⁴
}

// signGOST makes a GOST R 34.10-2012 signature of digest (the hash bytes as Streebog writes
// them) as s‖r, each PointSize bytes big-endian, as OpenSSL's gost engine writes it.
func signGOST(rand io.Reader, priv *gost.PrivateKey, digest []byte) ([]byte, error) {
	c := priv.Curve
	t := baseTableFor(c)
	// e is the digest read as a little-endian number, reduced mod q (GOST R 34.10-2012 §6.1).
	le := make([]byte, len(digest))
	for i, b := range digest {
		le[len(digest)-1-i] = b
	}
	e := new(big.Int).SetBytes(le)
	e.Mod(e, c.Q)
	if e.Sign() == 0 {
		e.SetInt64(1)
	}
	qm1 := new(big.Int).Sub(c.Q, big.NewInt(1))
	for range 64 {
		k, err := cryptorand.Int(rand, qm1) // uniform in [0, q−2]
		if err != nil {
			return nil, fmt.Errorf("xades: GOST nonce: %w", err)
		}
		k.Add(k, big.NewInt(1))
		x, _ := t.scalarBaseMult(k)
		r := x.Mod(x, c.Q)
		if r.Sign() == 0 {
			continue
		}
		s := new(big.Int).Mul(priv.D, r)
		s.Add(s, k.Mul(k, e))
		s.Mod(s, c.Q)
		if s.Sign() == 0 {
			continue
		}
		size := c.PointSize()
		out := make([]byte, 2*size)
		s.FillBytes(out[:size])
		r.FillBytes(out[size:])
		return out, nil
	}
	return nil, errors.New("xades: GOST signature: no usable nonce after 64 tries (broken randomness?)")
}
