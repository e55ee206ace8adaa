package filestore

import (
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/gisgw/gisgw/soap/xades"
)

// emptyHash is what OpenSSL's gost engine prints for an empty input: it runs one extra
// compression step when nothing was hashed, where go-cryptobin (and the published test
// vector 981e5f3c…) does not. GIS refuses empty files, so this only keeps Hash equal to the
// openssl oracle everywhere.
const emptyHash = "3f25bc1fbbce27ca10fb1958f319473ae7e17482c3b53ecf47a7e2de8aabe4c8"

// Hash returns the AttachmentHASH of everything r yields: GOST R 34.11-94 with the
// CryptoPro parameter set over the whole file, lowercase hex, as
// `openssl dgst -engine gost -md_gost94` prints it.
func Hash(r io.Reader) (string, error) {
	h := xades.NewGOST94()
	n, err := io.CopyBuffer(h, r, make([]byte, copyBuffer))
	if err != nil {
		return "", fmt.Errorf("filestore: hash: %w", err)
	}
	return sumHex(h, n), nil
}

// sumHex is the lowercase hex AttachmentHASH of a GOST94 hash fed n bytes.
func sumHex(h hash.Hash, n int64) string {
	if n == 0 {
		return emptyHash
	}
	return hex.EncodeToString(h.Sum(nil))
}

// HashFile returns the AttachmentHASH of the file at path.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("filestore: hash: %w", err)
	}
	defer f.Close()
	sum, err := Hash(f)
	if err != nil {
		return "", fmt.Errorf("%w (%s)", err, path)
	}
	return sum, nil
}
