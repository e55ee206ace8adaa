// Package filestore is the client of the GIS ZhKKh file store (ext-bus-file-store-service),
// where the court-act documents of debt answers are uploaded before an answer references
// them by AttachmentGUID and AttachmentHASH (DRS-PROTOCOL.md §6).
//
// A file of at most PartSize bytes is sent with one PUT; a larger one as a multipart upload
// (POST ?upload, one PUT per part, POST ?completed). Every request carries the
// organization's X-Upload-OrgPPAGUID and a Content-MD5 of its body. The file is streamed:
// each part is read once to compute its MD5 (and the whole-file GOST hash), then once more
// while it is sent, so memory use does not grow with the file.
//
// Failures are *Error values: an X-Upload-Error code from GIS with an explanation, or an
// HTTP or connection failure. HTTP 5xx, connection failures and the maintenance code are
// retried within the call with exponential backoff; everything else fails at once.
package filestore

import (
	"cmp"
	"context"
	"crypto/md5" //nolint:gosec // Content-MD5 is what the GIS file store checks, not a security measure
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v4"

	"github.com/gisgw/gisgw/soap/gost94"
	"github.com/gisgw/gisgw/wsdl"
)

// Context is the file-store context of debt requests.
const Context = "debtreq"

// PartSize is the largest body of one PUT: a file up to this size is sent whole, a larger one
// in parts of this size (the last one shorter).
const PartSize = 5 << 20 // 5 242 880 bytes

// basePath is the file-store service path on the GIS host.
const basePath = "/ext-bus-file-store-service/rest/"

const (
	copyBuffer   = 64 << 10
	maxErrorBody = 4 << 10
	maxNameRunes = 1024 // base:AttachmentType/Name
)

// Retry bounds the in-call retries of transient failures. Zero fields take the defaults.
type Retry struct {
	InitialInterval time.Duration // first wait; default 1 s
	MaxInterval     time.Duration // cap of one wait; default 30 s
	MaxElapsedTime  time.Duration // give up after this long in one request; default 3 min
	MaxRetries      int           // retries after the first attempt; default 5; negative = none
}

// Options configure a Client. Endpoint and OrgPPAGUID are required.
type Options struct {
	// Endpoint is the GIS base URL, e.g. https://api.dom.gosuslugi.ru or http://127.0.0.1:8080
	// for a local GOST TLS tunnel; basePath and the context are appended.
	Endpoint   string
	OrgPPAGUID string
	// Context overrides the file-store context; empty = Context ("debtreq").
	Context string
	// BasicUser and BasicPassword, when BasicUser is set, add HTTP basic auth (SIT stands).
	BasicUser, BasicPassword string
	Retry                    Retry
	Logger                   *slog.Logger // nil discards
}

// Client uploads files to one organization's file-store context. It is safe for concurrent use.
type Client struct {
	http      *http.Client
	base      string // {endpoint}/ext-bus-file-store-service/rest/{context}
	org       string
	user, pwd string
	retry     Retry
	log       *slog.Logger
}

// New checks opts and builds a Client that sends its requests with hc (nil =
// http.DefaultClient; pass the same TLS client as the SOAP calls use). Whatever hc's
// CheckRedirect, the Client never follows a redirect: the file store never sends one, and
// following it would carry the credentials and the file to another host.
func New(hc *http.Client, opts Options) (*Client, error) {
	u, err := url.Parse(opts.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("filestore: endpoint %q is not an http(s) base URL such as https://api.dom.gosuslugi.ru", clip(opts.Endpoint, 100))
	}
	if !wsdl.IsGUID(opts.OrgPPAGUID) {
		return nil, fmt.Errorf("filestore: OrgPPAGUID %q is not a GUID (the organization's orgPPAGUID from its GIS ZhKKh profile)", clip(opts.OrgPPAGUID, 60))
	}
	ctxName := cmp.Or(opts.Context, Context)
	if strings.ContainsAny(ctxName, "/?#%") {
		return nil, fmt.Errorf("filestore: context %q must be one path segment", clip(ctxName, 60))
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	// A copy, so the caller's client keeps its own redirect policy.
	cp := *hc
	cp.CheckRedirect = refuseRedirect
	hc = &cp
	r := opts.Retry
	r.InitialInterval = cmp.Or(r.InitialInterval, time.Second)
	r.MaxInterval = cmp.Or(r.MaxInterval, 30*time.Second)
	r.MaxElapsedTime = cmp.Or(r.MaxElapsedTime, 3*time.Minute)
	r.MaxRetries = cmp.Or(r.MaxRetries, 5)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		http: hc, base: strings.TrimRight(u.String(), "/") + basePath + ctxName,
		org: strings.ToLower(opts.OrgPPAGUID), user: opts.BasicUser, pwd: opts.BasicPassword,
		retry: r, log: log,
	}, nil
}

// Uploaded is a file the file store holds.
type Uploaded struct {
	AttachmentGUID string // X-Upload-UploadID
	Hash           string // AttachmentHASH: GOST R 34.11-94 (CryptoPro), lowercase hex
	Size           int64
}

// UploadFile uploads the file at path under the given name (the file's base name when empty).
func (c *Client) UploadFile(ctx context.Context, path, name string) (Uploaded, error) {
	f, err := os.Open(path)
	if err != nil {
		return Uploaded{}, fmt.Errorf("filestore: upload: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Uploaded{}, fmt.Errorf("filestore: upload: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Uploaded{}, fmt.Errorf("filestore: upload %s: not a regular file", path)
	}
	if name == "" {
		name = fi.Name()
	}
	return c.Upload(ctx, name, f, fi.Size())
}

// Upload uploads size bytes of r under the given file name and returns the AttachmentGUID
// and the AttachmentHASH to reference it with.
func (c *Client) Upload(ctx context.Context, name string, r io.ReaderAt, size int64) (Uploaded, error) {
	if err := checkName(name); err != nil {
		return Uploaded{}, fmt.Errorf("filestore: upload: %w", err)
	}
	if size < 0 {
		return Uploaded{}, fmt.Errorf("filestore: upload %s: negative size %d", name, size)
	}
	filename := mime.BEncoding.Encode("UTF-8", name)
	gost := gost94.New()
	up := Uploaded{Size: size}
	start := time.Now()
	if size <= PartSize {
		sum, err := digest(r, 0, size, gost)
		if err != nil {
			return Uploaded{}, fmt.Errorf("filestore: upload %s: %w", name, err)
		}
		op := "upload " + name
		h, err := c.do(ctx, op, func() (*http.Request, error) {
			req, err := c.request(ctx, http.MethodPut, c.base, r, 0, size)
			if err == nil {
				req.Header.Set("X-Upload-Filename", filename)
				req.Header.Set("Content-MD5", sum)
			}
			return req, err
		})
		if err != nil {
			return Uploaded{}, err
		}
		if up.AttachmentGUID, err = uploadID(op, h); err != nil {
			return Uploaded{}, err
		}
	} else {
		parts := (size + PartSize - 1) / PartSize
		op := "start the upload of " + name
		h, err := c.do(ctx, op, func() (*http.Request, error) {
			req, err := c.request(ctx, http.MethodPost, c.base+"/?upload", nil, 0, 0)
			if err == nil {
				req.Header.Set("X-Upload-Filename", filename)
				req.Header.Set("X-Upload-Length", strconv.FormatInt(size, 10))
				req.Header.Set("X-Upload-Part-Count", strconv.FormatInt(parts, 10))
			}
			return req, err
		})
		if err != nil {
			return Uploaded{}, err
		}
		id, err := uploadID(op, h)
		if err != nil {
			return Uploaded{}, err
		}
		for p := int64(1); p <= parts; p++ {
			off := (p - 1) * PartSize
			n := min(PartSize, size-off)
			sum, err := digest(r, off, n, gost)
			if err != nil {
				return Uploaded{}, fmt.Errorf("filestore: upload %s: %w", name, err)
			}
			_, err = c.do(ctx, fmt.Sprintf("upload part %d/%d of %s", p, parts, name), func() (*http.Request, error) {
				req, err := c.request(ctx, http.MethodPut, c.base+"/"+id, r, off, n)
				if err == nil {
					req.Header.Set("X-Upload-Partnumber", strconv.FormatInt(p, 10))
					req.Header.Set("Content-MD5", sum)
				}
				return req, err
			})
			if err != nil {
				return Uploaded{}, err
			}
		}
		if err := c.complete(ctx, id, name); err != nil {
			return Uploaded{}, err
		}
		up.AttachmentGUID = id
	}
	up.Hash = sumHex(gost)
	c.log.Info("file uploaded", "name", name, "size", size, "attachment_guid", up.AttachmentGUID,
		"elapsed", time.Since(start).Round(time.Millisecond))
	return up, nil
}

// complete finishes a multipart upload. A retry after a lost answer may find the upload
// completed already: a HEAD tells that apart from a real InvalidStatusException.
func (c *Client) complete(ctx context.Context, id, name string) error {
	op := "complete the upload of " + name
	tried := false
	_, err := c.do(ctx, op, func() (*http.Request, error) {
		if tried {
			if done, herr := c.completed(ctx, id); herr == nil && done {
				return nil, errAlreadyDone
			}
		}
		tried = true
		return c.request(ctx, http.MethodPost, c.base+"/"+id+"?completed", nil, 0, 0)
	})
	if errors.Is(err, errAlreadyDone) {
		return nil
	}
	return err
}

var errAlreadyDone = errors.New("upload already completed")

// completed asks (HEAD) whether an upload is completed.
func (c *Client) completed(ctx context.Context, id string) (bool, error) {
	req, err := c.request(ctx, http.MethodHead, c.base+"/"+id, nil, 0, 0)
	if err != nil {
		return false, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.StatusCode/100 == 2 && strings.EqualFold(resp.Header.Get("X-Upload-Completed"), "true"), nil
}

// request builds one request; body, when not nil, is n bytes of r from off.
func (c *Client) request(ctx context.Context, method, u string, r io.ReaderAt, off, n int64) (*http.Request, error) {
	var body io.Reader = http.NoBody
	if r != nil && n > 0 {
		body = io.NewSectionReader(r, off, n)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if r != nil && n > 0 {
		req.ContentLength = n
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(r, off, n)), nil }
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	req.Header.Set("X-Upload-OrgPPAGUID", c.org)
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pwd)
	}
	return req, nil
}

// do sends the request build makes, retrying transient failures, and returns the response
// headers of a success.
func (c *Client) do(ctx context.Context, op string, build func() (*http.Request, error)) (http.Header, error) {
	var out http.Header
	attempt := func() error {
		req, err := build()
		if err != nil {
			if errors.Is(err, errAlreadyDone) {
				return backoff.Permanent(err)
			}
			return backoff.Permanent(fmt.Errorf("filestore: %s: %w", op, err))
		}
		resp, err := c.http.Do(req)
		if err != nil {
			var re *redirectError
			if errors.As(err, &re) {
				return backoff.Permanent(&Error{Op: op, HTTPStatus: re.status, Message: re.Error()})
			}
			if ctx.Err() != nil {
				return backoff.Permanent(fmt.Errorf("filestore: %s: %w", op, context.Cause(ctx)))
			}
			return &Error{Op: op, Message: "connection failed", Transient: true, Err: err}
		}
		detail, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode/100 != 2 || resp.Header.Get("X-Upload-Error") != "" {
			e := responseError(op, resp.StatusCode, resp.Header, clip(strings.TrimSpace(string(detail)), 200))
			if !e.Transient {
				return backoff.Permanent(e)
			}
			return e
		}
		out = resp.Header
		return nil
	}
	r := c.retry
	eb := backoff.NewExponentialBackOff(backoff.WithInitialInterval(r.InitialInterval),
		backoff.WithMaxInterval(r.MaxInterval), backoff.WithMaxElapsedTime(r.MaxElapsedTime))
	var b backoff.BackOff = eb
	if r.MaxRetries < 0 {
		b = &backoff.StopBackOff{}
	} else {
		b = backoff.WithMaxRetries(eb, uint64(r.MaxRetries))
	}
	err := backoff.RetryNotify(attempt, backoff.WithContext(b, ctx), func(err error, d time.Duration) {
		c.log.Warn("file store: transient failure, retrying", "op", op, "err", err, "wait", d)
	})
	if err != nil {
		var e *Error
		if ctx.Err() != nil && !errors.As(err, &e) {
			return nil, fmt.Errorf("filestore: %s: %w", op, err)
		}
		return nil, err
	}
	return out, nil
}

// uploadID reads X-Upload-UploadID from a successful answer.
func uploadID(op string, h http.Header) (string, error) {
	id := strings.TrimSpace(h.Get("X-Upload-UploadID"))
	if !wsdl.IsGUID(id) {
		return "", &Error{Op: op, Message: fmt.Sprintf("the answer's X-Upload-UploadID %q is not a GUID", clip(id, 60))}
	}
	return strings.ToLower(id), nil
}

// digest reads n bytes of r from off and returns their Content-MD5, feeding them to also.
func digest(r io.ReaderAt, off, n int64, also hash.Hash) (string, error) {
	m := md5.New() //nolint:gosec // see the import
	got, err := io.CopyBuffer(io.MultiWriter(m, also), io.NewSectionReader(r, off, n), make([]byte, copyBuffer))
	if err != nil {
		return "", fmt.Errorf("read bytes %d-%d: %w", off, off+n, err)
	}
	if got != n {
		return "", fmt.Errorf("read bytes %d-%d: the file ended after %d bytes (did it change?)", off, off+n, off+got)
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// checkName accepts a file name GIS can show: 1..1024 characters of valid UTF-8 without
// control characters or path separators.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty file name")
	case !utf8.ValidString(name):
		return fmt.Errorf("file name %q is not valid UTF-8", name)
	case utf8.RuneCountInString(name) > maxNameRunes:
		return fmt.Errorf("file name %q… is longer than %d characters", clip(name, 40), maxNameRunes)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("file name %q holds a path separator; give the base name only", name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("file name %q holds a control character", name)
	}
	return nil
}
