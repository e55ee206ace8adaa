package storecore

import (
	"errors"
	"fmt"
)

// AttachmentActor is the audit actor of file-store uploads.
const AttachmentActor = "filestore"

// CheckAttachment validates the arguments of SetDocumentAttachment: an act id, a GOST R
// 34.11-94 hash (64 lowercase hex digits) and a non-empty AttachmentGUID.
func CheckAttachment(actID, hash, attachmentGUID string) error {
	if actID == "" {
		return errors.New("the act id is empty")
	}
	if len(hash) != 64 {
		return fmt.Errorf("hash %q is not a GOST R 34.11-94 digest (64 hex digits)", clipArg(hash, 80))
	}
	for i := 0; i < len(hash); i++ {
		if c := hash[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("hash %q is not lowercase hex", clipArg(hash, 80))
		}
	}
	if attachmentGUID == "" || len(attachmentGUID) > 64 {
		return fmt.Errorf("attachment GUID %q is empty or too long", clipArg(attachmentGUID, 80))
	}
	return nil
}

func clipArg(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
