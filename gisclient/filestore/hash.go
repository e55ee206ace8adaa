package filestore

import (
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/gisgw/gisgw/soap/gost94"
)

// Hash returns the AttachmentHASH of everything r yields: GOST R 34.11-94 with the
// CryptoPro parameter set over the whole file, lowercase hex, as
// `openssl dgst -engine gost -md_gost94` prints it (for an empty input too: gost94 hashes
// the zero-padded last block even when it is empty, as the standard and OpenSSL do).
func Hash(r io.Reader) (string, error) {
	h := gost94.New()
	_, err := io.CopyBuffer(h, r, make([]byte, copyBuffer))
	if err != nil {
		return "", fmt.Errorf("filestore: hash: %w", err)
	}
	return sumHex(h), nil
}

// sumHex is the lowercase hex AttachmentHASH of a GOST94 hash.
func sumHex(h hash.Hash) string {
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
