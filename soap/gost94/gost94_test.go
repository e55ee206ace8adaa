package gost94

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func sumHex(data []byte) string {
	h := New()
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// TestVectors: the published CryptoPro-parameter vectors, each also printed by
// `openssl dgst -engine gost -md_gost94`. The empty string is OpenSSL's value (see Sum).
func TestVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", "3f25bc1fbbce27ca10fb1958f319473ae7e17482c3b53ecf47a7e2de8aabe4c8"},
		{"a", "e74c52dd282183bf37af0079c9f78055715a103f17e3133ceff1aacf2f403011"},
		{"abc", "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c"},
		{"message digest", "bc6041dd2aa401ebfa6e9886734174febdb4729aa972d60f549ac39b29721ba0"},
		{"This is message, length=32 bytes", "2cefc2f7b7bdc514e18ea57fa74ff357e7fa17d652c75f69cb1be7893ede48eb"},
		{"Suppose the original message has length = 50 bytes", "c3730c5cbccacf915ac292676f21e8bd4ef75331d9405e5f1a61dc3130a65011"},
		{strings.Repeat("U", 128), "1c4ac7614691bbf427fa2316216be8f10d92edfd37cd1027514c1008f649c4e8"},
		{strings.Repeat("a", 1000000), "8693287aa62f9478f7cb312ec0866b6c4e4a0f11160441e8f4ffcd2715dd554f"},
	} {
		if got := sumHex([]byte(tc.in)); got != tc.want {
			t.Errorf("%.20q (%d bytes) = %s, want %s", tc.in, len(tc.in), got, tc.want)
		}
	}
}

// TestRFC5831Examples: the two worked examples of RFC 5831 §10, which use the test
// parameter set of GOST R 34.11-94 (RFC 4357 §11.2, id-GostR3411-94-TestParamSet); they check
// the step function independently of the CryptoPro S-box.
func TestRFC5831Examples(t *testing.T) {
	t.Parallel()
	testParams := expand(&sbox{
		{4, 10, 9, 2, 13, 8, 0, 14, 6, 11, 1, 12, 7, 15, 5, 3},
		{14, 11, 4, 12, 6, 13, 15, 10, 2, 3, 8, 1, 0, 7, 5, 9},
		{5, 8, 1, 13, 10, 3, 4, 2, 14, 15, 12, 7, 6, 0, 9, 11},
		{7, 13, 10, 1, 0, 8, 9, 15, 14, 4, 6, 12, 11, 2, 5, 3},
		{6, 12, 7, 1, 5, 15, 13, 8, 4, 10, 9, 14, 0, 3, 11, 2},
		{4, 11, 10, 0, 7, 2, 1, 13, 3, 6, 8, 5, 9, 12, 15, 14},
		{13, 11, 4, 1, 3, 15, 5, 9, 0, 10, 14, 7, 6, 8, 2, 12},
		{1, 15, 13, 0, 5, 7, 10, 4, 9, 2, 3, 14, 6, 11, 8, 12},
	})
	for _, tc := range []struct{ in, want string }{
		{"This is message, length=32 bytes", "b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa"},
		{"Suppose the original message has length = 50 bytes", "471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208"},
	} {
		h := newWith(testParams)
		h.Write([]byte(tc.in))
		if got := hex.EncodeToString(h.Sum(nil)); got != tc.want {
			t.Errorf("%q = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestMatchesOpenSSL: random inputs of every length 0..200 and around larger block and
// buffer boundaries equal `openssl dgst -engine gost -md_gost94`, all in one openssl run.
func TestMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	path, err := exec.LookPath("openssl")
	if err == nil {
		err = exec.Command(path, "engine", "gost", "-t").Run()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("openssl with the GOST engine is required in CI (%v)", err)
		}
		t.Skipf("openssl with the GOST engine not available: %v", err)
	}
	var lengths []int
	for n := range 201 {
		lengths = append(lengths, n)
	}
	for _, b := range []int{255, 256, 1024, 4096, 32768, 65536} {
		lengths = append(lengths, b-1, b, b+1)
	}
	rnd := rand.New(rand.NewPCG(94, uint64(len(lengths))))
	dir := t.TempDir()
	args := []string{"dgst", "-engine", "gost", "-md_gost94", "-r"}
	want := make(map[string]string)
	for _, n := range lengths {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rnd.Uint32())
		}
		p := filepath.Join(dir, fmt.Sprintf("f%d", n))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
		want[p] = sumHex(data)
	}
	out, err := exec.Command(path, args...).Output()
	if err != nil {
		t.Fatalf("openssl dgst: %v", err)
	}
	seen := 0
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		sum, file, ok := strings.Cut(sc.Text(), " ")
		file = strings.TrimPrefix(file, "*")
		if !ok || want[file] == "" {
			continue // engine banner lines
		}
		seen++
		if sum != want[file] {
			t.Errorf("%s: %s, openssl %s", filepath.Base(file), want[file], sum)
		}
	}
	if seen != len(lengths) {
		t.Fatalf("openssl printed %d digests for %d files:\n%s", seen, len(lengths), out)
	}
}

// TestStreaming: writes in odd chunks equal one write, Sum leaves the state alone, and
// Reset starts over.
func TestStreaming(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(rnd.Uint32())
	}
	for _, n := range []int{0, 1, 31, 32, 33, 64, 100, 1000, 5000} {
		want := sumHex(data[:n])
		for _, chunk := range []int{1, 3, 7, 31, 33, 65} {
			h := New()
			for p := data[:n]; len(p) > 0; {
				c := min(chunk, len(p))
				h.Write(p[:c])
				p = p[c:]
				if c%2 == 1 {
					h.Sum(nil) // must not disturb the state
				}
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != want {
				t.Fatalf("%d bytes in chunks of %d: %s, one write %s", n, chunk, got, want)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != want {
				t.Fatalf("%d bytes: second Sum %s, want %s", n, got, want)
			}
			h.Write([]byte("junk"))
			h.Reset()
			h.Write(data[:n])
			if got := hex.EncodeToString(h.Sum([]byte{0xaa})); got != "aa"+want {
				t.Fatalf("%d bytes after Reset: %s, want aa%s", n, got, want)
			}
		}
	}
	h := New()
	if h.Size() != Size || h.BlockSize() != BlockSize || Size != 32 || BlockSize != 32 {
		t.Fatalf("Size %d, BlockSize %d", h.Size(), h.BlockSize())
	}
}

// TestPsi4: the word-at-a-time ψ^4 equals ψ applied four times.
func TestPsi4(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		var x, y [4]uint64
		for i := range x {
			x[i] = rnd.Uint64()
		}
		y = x
		for range 4 {
			y[0], y[1], y[2], y[3] = psi(y[0], y[1], y[2], y[3])
		}
		x[0], x[1], x[2], x[3] = psi4(x[0], x[1], x[2], x[3])
		if x != y {
			t.Fatalf("psi4 = %x, psi×4 = %x", x, y)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	h := New()
	buf := make([]byte, 1000)
	out := make([]byte, 0, Size)
	if n := testing.AllocsPerRun(100, func() {
		h.Write(buf[:333])
		h.Sum(out[:0])
	}); n != 0 {
		t.Fatalf("%v allocations per Write+Sum", n)
	}
}

func BenchmarkWrite(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	h := New()
	for b.Loop() {
		h.Write(buf)
	}
}

func BenchmarkSmall(b *testing.B) {
	buf := make([]byte, 100)
	b.SetBytes(int64(len(buf)))
	h := New()
	out := make([]byte, 0, Size)
	for b.Loop() {
		h.Reset()
		h.Write(buf)
		h.Sum(out[:0])
	}
}
