package filestore_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/filestore"
)

// TestHashMatchesOpenSSL: Hash and HashFile equal `openssl dgst -engine gost -md_gost94` on
// files around the 5 MiB part boundary (GIS once hashed only the first part).
func TestHashMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	needOpenSSL(t)
	for i, n := range []int{0, 1, filestore.PartSize, filestore.PartSize + 1, 12 << 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			data := content(n, byte(i))
			path := writeFile(t, t.TempDir(), "f.bin", data)
			want := opensslGOST94(t, path)
			start := time.Now()
			got, err := filestore.HashFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); n >= 1<<20 {
				t.Logf("HashFile of %d bytes: %v (%.2f MB/s)", n, d.Round(time.Millisecond), float64(n)/1e6/d.Seconds())
			}
			if got != want {
				t.Fatalf("HashFile = %s, openssl %s", got, want)
			}
			if n > 1<<20 {
				return // the reader variant shares the code; one large file is enough
			}
			if got, err := filestore.Hash(bytes.NewReader(data)); err != nil || got != want {
				t.Fatalf("Hash = %s, %v; openssl %s", got, err, want)
			}
		})
	}
}

func TestHashFileMissing(t *testing.T) {
	t.Parallel()
	if _, err := filestore.HashFile(t.TempDir() + "/nope.pdf"); err == nil {
		t.Fatal("HashFile of a missing file: no error")
	}
}
