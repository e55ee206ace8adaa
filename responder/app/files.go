package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gisgw/gisgw/gisclient/filestore"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store"
)

// files uploads court-act files once: a document that already has an AttachmentGUID is not
// uploaded, an upload is recorded for its act in the store (decisions made later carry it),
// and within the process a file uploaded for one answer is reused by the next.
type files struct {
	st      store.Store
	clients map[string]*filestore.Client // by lower-case orgPPAGUID
	path    func(string) string          // where a recorded document path is read from (documents_dir)

	mu   sync.Mutex
	seen map[string]domain.Document // by org|act org|act id|path
}

func newFiles(cfg config.Config, hc *http.Client, st store.Store) (*files, error) {
	f := &files{st: st, clients: map[string]*filestore.Client{}, path: cfg.DocumentPath, seen: map[string]domain.Document{}}
	for _, o := range cfg.Organizations {
		c, err := filestore.New(hc, filestore.Options{
			Endpoint: cfg.GIS.Endpoint, OrgPPAGUID: o.OrgPPAGUID,
			BasicUser: cfg.GIS.BasicUser, BasicPassword: cfg.GIS.BasicPassword.Reveal(),
			Retry: filestore.Retry{
				InitialInterval: time.Duration(cfg.GIS.Retry.Initial), MaxInterval: time.Duration(cfg.GIS.Retry.Max),
				MaxElapsedTime: time.Duration(cfg.GIS.Retry.MaxElapsed), MaxRetries: cfg.GIS.Retry.MaxRetries,
			},
		})
		if err != nil {
			return nil, fmt.Errorf("file store for %s: %w", o.OrgPPAGUID, err)
		}
		f.clients[strings.ToLower(o.OrgPPAGUID)] = c
	}
	return f, nil
}

func (f *files) Upload(ctx context.Context, org string, doc domain.Document) (domain.Document, error) {
	if doc.AttachmentGUID != "" && doc.Hash != "" {
		return doc, nil
	}
	c, ok := f.clients[strings.ToLower(org)]
	if !ok {
		return doc, fmt.Errorf("no file store client for organization %s", org)
	}
	key := strings.ToLower(org) + "|" + doc.ActOrg + "|" + doc.ActID + "|" + doc.Path
	f.mu.Lock()
	if d, ok := f.seen[key]; ok {
		f.mu.Unlock()
		return d, nil
	}
	f.mu.Unlock()
	var record func(ctx context.Context, hash, guid string) error
	if doc.ActID != "" {
		// Another replica, or this one before a restart, may have uploaded it already.
		hash, guid, err := f.st.DocumentAttachment(ctx, doc.ActOrg, doc.ActID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return doc, err
		}
		if guid != "" && hash != "" {
			doc.Hash, doc.AttachmentGUID = hash, guid
			f.remember(key, doc)
			return doc, nil
		}
		record = func(ctx context.Context, hash, guid string) error {
			return f.st.SetDocumentAttachment(ctx, doc.ActOrg, doc.ActID, hash, guid)
		}
	}
	up, err := c.Ensure(ctx, filestore.Document{Name: doc.Name, Path: f.path(doc.Path), Hash: doc.Hash, AttachmentGUID: doc.AttachmentGUID}, record)
	if err != nil {
		return doc, err
	}
	doc.Hash, doc.AttachmentGUID = up.Hash, up.AttachmentGUID
	f.remember(key, doc)
	return doc, nil
}

func (f *files) remember(key string, doc domain.Document) {
	f.mu.Lock()
	f.seen[key] = doc
	f.mu.Unlock()
}
