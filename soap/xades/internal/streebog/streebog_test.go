package streebog

import (
	"bytes"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"testing"

	"github.com/deatil/go-cryptobin/hash/gost/gost34112012256"
	"github.com/deatil/go-cryptobin/hash/gost/gost34112012512"
)

// RFC 6986 section 10 examples. The RFC prints vectors most significant byte first; the
// digests below are in output (OpenSSL) byte order, i.e. the RFC's strings reversed.
func TestRFC6986Examples(t *testing.T) {
	m1 := []byte("012345678901234567890123456789012345678901234567890123456789012")
	m2, _ := hex.DecodeString("d1e520e2e5f2f0e82c20d1f2f0e8e1eee6e820e2edf3f6e82c20e2e5fef2fa20f120eceef0ff20f1f2f0e5ebe0ece820ede020f5f0e0e1f0fbff20efebfaeafb20c8e3eef0e5e2fb")
	tests := []struct {
		name string
		h    func() hash.Hash
		msg  []byte
		want string
	}{
		{"M1/512", New512, m1, "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"},
		{"M1/256", New256, m1, "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"},
		{"M2/512", New512, m2, "1e88e62226bfca6f9994f1f2d51569e0daf8475a3b0fe61a5300eee46d961376035fe83549ada2b8620fcd7c496ce5b33f0cb9dddc2b6460143b03dabac9fb28"},
		{"M2/256", New256, m2, "9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50"},
	}
	for _, tc := range tests {
		h := tc.h()
		h.Write(tc.msg)
		if got := hex.EncodeToString(h.Sum(nil)); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestMatchesGoCryptobin compares with go-cryptobin's reference implementation over lengths
// around every block boundary and writes split at random points.
func TestMatchesGoCryptobin(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(r.IntN(256))
	}
	for n := 0; n <= len(data); n++ {
		for _, pair := range []struct {
			mine, ref func() hash.Hash
		}{{New256, gost34112012256.New}, {New512, gost34112012512.New}} {
			ref := pair.ref()
			ref.Write(data[:n])
			mine := pair.mine()
			split := 0
			if n > 0 {
				split = r.IntN(n)
			}
			mine.Write(data[:split])
			mine.Write(data[split:n])
			if got, want := mine.Sum(nil), ref.Sum(nil); !bytes.Equal(got, want) {
				t.Fatalf("len %d (split %d, size %d): got %x, want %x", n, split, mine.Size(), got, want)
			}
		}
	}
}

func BenchmarkStreebog256(b *testing.B) {
	data := make([]byte, 64<<10)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		h := New256()
		h.Write(data)
		h.Sum(nil)
	}
}
