package filestore

import (
	"context"
	"errors"
	"fmt"
)

// Document is a file to attach to an answer and what the file store knows of it.
type Document struct {
	Name           string // the name GIS shows; the base name of Path when empty
	Path           string // the local file
	Hash           string // AttachmentHASH; empty until uploaded
	AttachmentGUID string // empty until uploaded
}

// Ensure makes sure doc is in the file store. A document with an AttachmentGUID and a Hash
// is returned as it is, without any request. Otherwise the file is uploaded, record is called
// with its hash and AttachmentGUID (the caller persists them, e.g. with the store's
// SetDocumentAttachment, so that the file is never uploaded twice), and doc is returned with
// both set. When record fails the error says so and the upload is lost to the cache.
func (c *Client) Ensure(ctx context.Context, doc Document, record func(ctx context.Context, hash, attachmentGUID string) error) (Document, error) {
	if doc.AttachmentGUID != "" && doc.Hash != "" {
		return doc, nil
	}
	if doc.Path == "" {
		return doc, errors.New("filestore: ensure: the document has no file path")
	}
	up, err := c.UploadFile(ctx, doc.Path, doc.Name)
	if err != nil {
		return doc, err
	}
	if record != nil {
		if err := record(ctx, up.Hash, up.AttachmentGUID); err != nil {
			return doc, fmt.Errorf("filestore: uploaded %s as %s but could not record it: %w", doc.Path, up.AttachmentGUID, err)
		}
	}
	doc.Hash, doc.AttachmentGUID = up.Hash, up.AttachmentGUID
	return doc, nil
}
