package xades

import (
	"math/big"
	"sync"

	"github.com/deatil/go-cryptobin/pubkey/gost"
)

// Verifying a GOST signature needs z1·G + z2·Q. go-cryptobin computes both multiples in affine
// coordinates, a modular inversion per step, which was a third of the time to verify a
// 100-action message. Here z1·G uses the base point table signing uses, z2·Q the key's own
// table when it has one (keyTables) or else a 4-bit window over 15 multiples of Q in Jacobian
// coordinates, and only the sum is converted back (one inversion). The acceptance rules are go-cryptobin's (TestGOSTVerifyMatchesCryptobin).

// keyTables holds window tables of the public keys that verify often — in practice GIS's own
// key, which signs every response — so that z2·Q costs 64 additions and no doubling, like z1·G.
// A key gets a table the second time it is seen (building one costs about as much as a few
// verifications); there are at most maxKeyTables, and a new one replaces an arbitrary old one,
// so a stream of hostile keys costs memory only within that bound and slows no one down more
// than the table-less path would.
var keyTables = &tableCache{seen: map[keyID]bool{}, tables: map[keyID]*baseTable{}}

const (
	maxKeyTables = 16
	maxKeysSeen  = 1024
)

type keyID struct {
	curve *gost.Curve
	x, y  string
}

type tableCache struct {
	mu     sync.Mutex
	seen   map[keyID]bool
	tables map[keyID]*baseTable
}

// lookup returns pub's table, building it on the key's second sighting; nil means use the
// table-less path.
func (c *tableCache) lookup(pub *gost.PublicKey) *baseTable {
	id := keyID{pub.Curve, string(pub.X.Bytes()), string(pub.Y.Bytes())}
	c.mu.Lock()
	if t, ok := c.tables[id]; ok {
		c.mu.Unlock()
		return t
	}
	again := c.seen[id]
	if !again {
		if len(c.seen) >= maxKeysSeen {
			clear(c.seen)
		}
		c.seen[id] = true
	}
	c.mu.Unlock()
	if !again {
		return nil
	}
	// Built outside the lock; two verifications racing on a new key both build, one wins.
	// A hostile point may make the curve code panic: verifyGOST recovers, nothing is stored.
	t := newPointTable(pub.Curve, pub.X, pub.Y)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tables) >= maxKeyTables {
		for k := range c.tables {
			delete(c.tables, k)
			break
		}
	}
	c.tables[id] = t
	delete(c.seen, id)
	return t
}

// verifyGOSTRaw reports whether raw (s‖r, each PointSize bytes big-endian, as OpenSSL writes
// it) is a valid signature of digest (the hash bytes as Streebog writes them) under pub.
func verifyGOSTRaw(pub *gost.PublicKey, digest, raw []byte) bool {
	c := pub.Curve
	size := c.PointSize()
	if len(raw) != 2*size {
		return false
	}
	s := new(big.Int).SetBytes(raw[:size])
	r := new(big.Int).SetBytes(raw[size:])
	if r.Sign() <= 0 || r.Cmp(c.Q) >= 0 || s.Sign() <= 0 || s.Cmp(c.Q) >= 0 {
		return false
	}
	// e is the digest read as a little-endian number, reduced mod q (GOST R 34.10-2012 §7.1).
	le := make([]byte, len(digest))
	for i, b := range digest {
		le[len(digest)-1-i] = b
	}
	e := new(big.Int).SetBytes(le)
	e.Mod(e, c.Q)
	if e.Sign() == 0 {
		e.SetInt64(1)
	}
	v := new(big.Int).ModInverse(e, c.Q)
	if v == nil {
		return false
	}
	z1 := new(big.Int).Mul(s, v)
	z1.Mod(z1, c.Q)
	z2 := new(big.Int).Mul(r, v)
	z2.Mod(z2, c.Q)
	z2.Sub(c.Q, z2)

	sum := baseTableFor(c).scalarBaseMultJacobian(z1)
	var q *jacobian
	if t := keyTables.lookup(pub); t != nil {
		q = t.scalarBaseMultJacobian(z2)
	} else {
		q = scalarMultJacobian(c, pub.X, pub.Y, z2)
	}
	jacobianAdd(c, sum, q)
	if sum.z.Sign() == 0 {
		return false
	}
	x, _ := sum.affine(c.P)
	return x.Mod(x, c.Q).Cmp(r) == 0
}

// scalarMultJacobian returns k·(x, y) for k ≥ 0: a left-to-right 4-bit window.
func scalarMultJacobian(c *gost.Curve, x, y, k *big.Int) *jacobian {
	var tab [15]jacobian // tab[i] = (i+1)·P
	tab[0].x.Set(x)
	tab[0].y.Set(y)
	tab[0].z.SetInt64(1)
	for i := 1; i < len(tab); i++ {
		tab[i] = jacobianCopy(&tab[i-1])
		jacobianAdd(c, &tab[i], &tab[0])
	}
	acc := new(jacobian)
	windows := (k.BitLen() + windowBits - 1) / windowBits
	for i := windows - 1; i >= 0; i-- {
		for range windowBits {
			if acc.z.Sign() != 0 {
				jacobianDouble(c, acc)
			}
		}
		w := 0
		for b := range windowBits {
			w |= int(k.Bit(i*windowBits+b)) << b
		}
		if w != 0 {
			jacobianAdd(c, acc, &tab[w-1])
		}
	}
	return acc
}

func jacobianCopy(j *jacobian) jacobian {
	var out jacobian
	out.x.Set(&j.x)
	out.y.Set(&j.y)
	out.z.Set(&j.z)
	return out
}

// jacobianAdd sets a to a + b ("add-2007-bl"), handling the point at infinity and a = ±b.
func jacobianAdd(c *gost.Curve, a, b *jacobian) {
	p := c.P
	if b.z.Sign() == 0 {
		return
	}
	if a.z.Sign() == 0 {
		*a = jacobianCopy(b)
		return
	}
	var z1z1, z2z2, u1, u2, s1, s2, h, r, hh, hhh, v, tmp big.Int
	z1z1.Mul(&a.z, &a.z).Mod(&z1z1, p)
	z2z2.Mul(&b.z, &b.z).Mod(&z2z2, p)
	u1.Mul(&a.x, &z2z2).Mod(&u1, p)
	u2.Mul(&b.x, &z1z1).Mod(&u2, p)
	s1.Mul(&a.y, &b.z).Mul(&s1, &z2z2).Mod(&s1, p)
	s2.Mul(&b.y, &a.z).Mul(&s2, &z1z1).Mod(&s2, p)
	h.Sub(&u2, &u1).Mod(&h, p)
	r.Sub(&s2, &s1).Mod(&r, p)
	if h.Sign() == 0 {
		if r.Sign() == 0 {
			jacobianDouble(c, a)
			return
		}
		a.z.SetInt64(0)
		return
	}
	hh.Mul(&h, &h).Mod(&hh, p)
	hhh.Mul(&h, &hh).Mod(&hhh, p)
	v.Mul(&u1, &hh).Mod(&v, p)
	a.x.Mul(&r, &r).Sub(&a.x, &hhh).Sub(&a.x, &v).Sub(&a.x, &v).Mod(&a.x, p) // X3 = R² − H³ − 2V
	tmp.Sub(&v, &a.x).Mul(&tmp, &r)
	s1.Mul(&s1, &hhh)
	a.y.Sub(&tmp, &s1).Mod(&a.y, p)                // Y3 = R(V − X3) − S1·H³
	a.z.Mul(&a.z, &b.z).Mul(&a.z, &h).Mod(&a.z, p) // Z3 = Z1·Z2·H
}
