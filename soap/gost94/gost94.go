// Package gost94 is the hash function GOST R 34.11-94 (RFC 5831) with the CryptoPro
// parameter set id-GostR3411-94-CryptoProParamSet (RFC 4357 §11.2) and the zero starting
// vector: GIS ZhKKh's AttachmentHASH and the XML-DSig digest
// http://www.w3.org/2001/04/xmldsig-more#gostr3411. The output equals
// `openssl dgst -engine gost -md_gost94` for every input, the empty one included.
//
// soap/xades (the digest) and gisclient/filestore (the file hash) share this one
// implementation; its surface is New alone.
//
// Bit and byte order follow the usual byte encoding of the standard: a 256-bit block is
// 32 bytes, least significant byte first; here it is four little-endian uint64 words
// y1..y4 (index 0 = y1), which also makes the 16-bit words of ψ and the 32-bit halves of
// the GOST 28147-89 blocks plain shifts.
package gost94

import (
	"encoding/binary"
	"hash"
	"math/bits"
)

const (
	// Size is the length of the hash in bytes.
	Size = 32
	// BlockSize is the length of a message block in bytes.
	BlockSize = 32
)

// sbox is a GOST 28147-89 substitution: row i (K_{i+1} of the standard) replaces the i-th
// 4-bit group of the 32-bit word, counting from the least significant.
type sbox [8][16]uint8

// cryptoProSbox is id-GostR3411-94-CryptoProParamSet, RFC 4357 §11.2.
var cryptoProSbox = sbox{
	{10, 4, 5, 6, 8, 1, 3, 7, 13, 12, 14, 0, 9, 2, 11, 15},
	{5, 15, 4, 0, 2, 13, 11, 9, 1, 7, 6, 3, 12, 14, 10, 8},
	{7, 15, 12, 14, 9, 4, 1, 0, 3, 11, 5, 2, 6, 10, 8, 13},
	{4, 10, 7, 12, 0, 15, 2, 8, 14, 1, 6, 5, 13, 11, 9, 3},
	{7, 6, 4, 11, 9, 12, 2, 10, 1, 8, 0, 14, 15, 13, 3, 5},
	{7, 6, 2, 4, 13, 9, 15, 0, 10, 1, 5, 11, 8, 14, 12, 3},
	{13, 14, 4, 1, 7, 0, 5, 10, 3, 12, 8, 15, 6, 2, 9, 11},
	{1, 3, 10, 9, 5, 11, 4, 15, 8, 6, 7, 14, 13, 0, 2, 12},
}

// table is the round function of GOST 28147-89 (substitution, then rotation left by 11)
// split by input byte: f(x) = t[0][x&255] | t[1][x>>8&255] | t[2][x>>16&255] | t[3][x>>24].
// The rotation is linear, so it distributes over the four bytes; the parts never overlap.
type table [4][256]uint32

var cryptoPro = expand(&cryptoProSbox)

func expand(s *sbox) *table {
	t := new(table)
	for i := range 4 {
		for b := range 256 {
			v := uint32(s[2*i][b&15]) | uint32(s[2*i+1][b>>4])<<4
			t[i][b] = bits.RotateLeft32(v<<(8*i), 11)
		}
	}
	return t
}

func (t *table) f(x uint32) uint32 {
	return t[0][uint8(x)] | t[1][uint8(x>>8)] | t[2][uint8(x>>16)] | t[3][uint8(x>>24)]
}

// keyOrder is the order GOST 28147-89 encryption uses the key words: k1..k8 three times,
// then k8..k1.
var keyOrder = [32]uint8{0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 2, 1, 0}

// encrypt4 is GOST 28147-89 in simple substitution mode on the four 64-bit words of H,
// word i under key i; each block's low half is N1, its high half N2. The four encryptions
// are independent, so they run interleaved: one round is a chain of dependent table
// look-ups, and four chains at once keep the CPU busy instead of waiting on each.
func (t *table) encrypt4(k *[4][8]uint32, h *[4]uint64) [4]uint64 {
	a1, a2 := uint32(h[0]), uint32(h[0]>>32)
	b1, b2 := uint32(h[1]), uint32(h[1]>>32)
	c1, c2 := uint32(h[2]), uint32(h[2]>>32)
	d1, d2 := uint32(h[3]), uint32(h[3]>>32)
	for r := 0; r < 32; r += 2 {
		i, j := keyOrder[r]&7, keyOrder[r+1]&7
		a2 ^= t.f(a1 + k[0][i])
		b2 ^= t.f(b1 + k[1][i])
		c2 ^= t.f(c1 + k[2][i])
		d2 ^= t.f(d1 + k[3][i])
		a1 ^= t.f(a2 + k[0][j])
		b1 ^= t.f(b2 + k[1][j])
		c1 ^= t.f(c2 + k[2][j])
		d1 ^= t.f(d2 + k[3][j])
	}
	// The last round does not swap the halves, hence N2 ends up in the low half.
	return [4]uint64{
		uint64(a2) | uint64(a1)<<32, uint64(b2) | uint64(b1)<<32,
		uint64(c2) | uint64(c1)<<32, uint64(d2) | uint64(d1)<<32,
	}
}

// c3 is the constant C_3 of the key generation (C_2 = C_4 = 0), least significant word first.
const (
	c30 = 0xff00ff00ff00ff00
	c31 = 0x00ff00ff00ff00ff
	c32 = 0xff0000ff00ffff00
	c33 = 0xff00ffff000000ff
)

// transP is the byte permutation P that turns W into a key: byte 4k+i of the key is byte
// 8i+k of W, so key word k gathers byte k of each 64-bit word of W.
func transP(w0, w1, w2, w3 uint64, k *[8]uint32) {
	for j := range 8 {
		s := 8 * j
		k[j] = uint32(uint8(w0>>s)) | uint32(uint8(w1>>s))<<8 |
			uint32(uint8(w2>>s))<<16 | uint32(uint8(w3>>s))<<24
	}
}

// psi is ψ: the 256-bit value moves down by one 16-bit word and the new top word is
// γ1⊕γ2⊕γ3⊕γ4⊕γ13⊕γ16.
func psi(x0, x1, x2, x3 uint64) (uint64, uint64, uint64, uint64) {
	top := (x0 ^ x0>>16 ^ x0>>32 ^ x0>>48 ^ x3 ^ x3>>48) & 0xffff
	return x0>>16 | x1<<48, x1>>16 | x2<<48, x2>>16 | x3<<48, x3>>16 | top<<48
}

// psi4 is ψ applied four times, one 64-bit word at a time, because the step needs ψ^74 per
// block. New word n (n = 0..3) is e_n ⊕ new word n-1 with e_n = γ(n+1)⊕…⊕γ(n+4)⊕γ(n+13)
// (and γ16 in place of the missing previous word for n = 0): e for all four lanes at once,
// then a prefix XOR across the lanes.
func psi4(x0, x1, x2, x3 uint64) (uint64, uint64, uint64, uint64) {
	e := x0 ^ (x0>>16 | x1<<48) ^ (x0>>32 | x1<<32) ^ (x0>>48 | x1<<16) ^ x3 ^ x3>>48
	e ^= e << 16
	e ^= e << 32
	return x1, x2, x3, e
}

// step is the step hash function χ(M, H) of the standard: key generation, encryption of
// the four 64-bit words of H, and the mixing H' = ψ^61(H ⊕ ψ(M ⊕ ψ^12(S))). Words are
// kept in scalars so that they stay in registers.
func (t *table) step(h *[4]uint64, m *[4]uint64) {
	var k [4][8]uint32
	u0, u1, u2, u3 := h[0], h[1], h[2], h[3]
	v0, v1, v2, v3 := m[0], m[1], m[2], m[3]
	transP(u0^v0, u1^v1, u2^v2, u3^v3, &k[0])
	// U := A(U) ⊕ C_j, V := A(A(V)), with A(y4‖y3‖y2‖y1) = (y1⊕y2)‖y4‖y3‖y2.
	u0, u1, u2, u3 = u1, u2, u3, u0^u1
	v0, v1, v2, v3 = v2, v3, v0^v1, v1^v2
	transP(u0^v0, u1^v1, u2^v2, u3^v3, &k[1])
	u0, u1, u2, u3 = u1^c30, u2^c31, u3^c32, u0^u1^c33
	v0, v1, v2, v3 = v2, v3, v0^v1, v1^v2
	transP(u0^v0, u1^v1, u2^v2, u3^v3, &k[2])
	u0, u1, u2, u3 = u1, u2, u3, u0^u1
	v0, v1, v2, v3 = v2, v3, v0^v1, v1^v2
	transP(u0^v0, u1^v1, u2^v2, u3^v3, &k[3])

	s := t.encrypt4(&k, h)
	x0, x1, x2, x3 := psi4(s[0], s[1], s[2], s[3])
	x0, x1, x2, x3 = psi4(x0, x1, x2, x3)
	x0, x1, x2, x3 = psi4(x0, x1, x2, x3)
	x0, x1, x2, x3 = psi(x0^m[0], x1^m[1], x2^m[2], x3^m[3])
	x0, x1, x2, x3 = x0^h[0], x1^h[1], x2^h[2], x3^h[3]
	for range 15 {
		x0, x1, x2, x3 = psi4(x0, x1, x2, x3)
	}
	h[0], h[1], h[2], h[3] = psi(x0, x1, x2, x3)
}

// digest is the running state: H, the checksum Σ (sum of the blocks modulo 2^256), the
// length in bytes (L is eight times it, modulo 2^256) and a partial block.
type digest struct {
	t     *table
	h     [4]uint64
	sigma [4]uint64
	n     uint64
	buf   [BlockSize]byte
	nbuf  int
}

// New returns GOST R 34.11-94 with the CryptoPro parameter set and zero starting vector.
func New() hash.Hash { return newWith(cryptoPro) }

func newWith(t *table) *digest { return &digest{t: t} }

func (d *digest) Size() int      { return Size }
func (d *digest) BlockSize() int { return BlockSize }

func (d *digest) Reset() { *d = digest{t: d.t} }

func load(b []byte) [4]uint64 {
	_ = b[31]
	return [4]uint64{
		binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]),
		binary.LittleEndian.Uint64(b[16:]), binary.LittleEndian.Uint64(b[24:]),
	}
}

// block hashes one full 32-byte block. Full blocks are hashed as soon as they are complete
// rather than when more input follows (as the standard phrases it): for a message whose
// length is a positive multiple of 32 the last block gets no padding either way.
func (d *digest) block(b []byte) {
	m := load(b)
	var c uint64
	d.sigma[0], c = bits.Add64(d.sigma[0], m[0], 0)
	d.sigma[1], c = bits.Add64(d.sigma[1], m[1], c)
	d.sigma[2], c = bits.Add64(d.sigma[2], m[2], c)
	d.sigma[3], _ = bits.Add64(d.sigma[3], m[3], c)
	d.t.step(&d.h, &m)
}

func (d *digest) Write(p []byte) (int, error) {
	n := len(p)
	d.n += uint64(n)
	if d.nbuf > 0 {
		c := copy(d.buf[d.nbuf:], p)
		d.nbuf += c
		p = p[c:]
		if d.nbuf < BlockSize {
			return n, nil
		}
		d.block(d.buf[:])
		d.nbuf = 0
	}
	for len(p) >= BlockSize {
		d.block(p[:BlockSize])
		p = p[BlockSize:]
	}
	d.nbuf = copy(d.buf[:], p)
	return n, nil
}

// Sum appends the hash of everything written so far; d itself is unchanged.
func (d *digest) Sum(b []byte) []byte {
	f := *d
	// The last block M' (the message tail, zero-padded at the high end) is hashed
	// unconditionally by the standard (RFC 5831 §7, steps 2.2-2.5), so for an empty
	// message it is the all-zero block. OpenSSL's gost engine does this; implementations
	// that skip it print 981e5f3c… for the empty string instead of 3f25bc1f….
	if f.nbuf > 0 || f.n == 0 {
		clear(f.buf[f.nbuf:])
		f.block(f.buf[:])
	}
	f.t.step(&f.h, &[4]uint64{f.n << 3, f.n >> 61, 0, 0})
	f.t.step(&f.h, &f.sigma)
	for _, w := range f.h {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b
}
