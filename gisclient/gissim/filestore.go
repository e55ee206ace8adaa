package gissim

import (
	"bytes"
	"crypto/md5" //nolint:gosec // Content-MD5 is what the GIS file store checks
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gisgw/gisgw/soap/gost94"
	"github.com/gisgw/gisgw/wsdl"
)

// FileStorePath is where GIS serves the file-store REST service; the context follows, e.g.
// FileStorePath + "debtreq".
const FileStorePath = "/ext-bus-file-store-service/rest/"

// FileStoreContext is the only context the simulated file store has: the debt requests'.
const FileStoreContext = "debtreq"

// File-store limits. PartSize is GIS's; the others are the simulator's own bounds.
const (
	PartSize          = 5 << 20   // the largest body of one PUT
	maxUploadSize     = 64 << 20  // the largest file the simulator takes
	maxPendingBytes   = 256 << 20 // parts held for uncompleted uploads, all together
	maxUploadNameRune = 1024      // base:AttachmentType/Name
)

// The X-Upload-Error values the simulated file store answers with.
const (
	uploadFieldValidation = "FieldValidationException"
	uploadFileNotFound    = "FileNotFoundException"
	uploadInvalidStatus   = "InvalidStatusException"
	uploadInvalidSize     = "InvalidSizeException"
	uploadPermission      = "FilePermissionException"
	uploadHashConflict    = "HashConflictException"
	uploadPartNumber      = "InvalidPartNumberException"
	uploadContextNotFound = "ContextNotFoundException"
	uploadExtension       = "ExtensionException"
)

// FileStoreStats counts the file store's work (part of Stats).
type FileStoreStats struct {
	Files   int   `json:"files"`   // files stored (single PUTs and completed multipart uploads)
	Single  int   `json:"single"`  // single-PUT uploads stored
	Started int   `json:"started"` // multipart uploads started
	Parts   int   `json:"parts"`   // parts received, repeats included
	Bytes   int64 `json:"bytes"`   // bytes of the stored files
	Refused int   `json:"refused"` // requests answered with X-Upload-Error
}

// storedFile is one upload: parts until it completes, then only its hash.
type storedFile struct {
	org       string // lower-case orgPPAGUID of the uploader
	name      string
	length    int64 // X-Upload-Length (multipart) or the body size
	partCount int
	parts     map[int][]byte
	completed bool
	hash      string
	at        time.Time
}

// blockedExtensions are refused with ExtensionException (the simulator's own list of
// executable types; GIS publishes its allowed list in the integration album).
var blockedExtensions = map[string]bool{
	".exe": true, ".bat": true, ".cmd": true, ".com": true, ".js": true, ".vbs": true,
	".scr": true, ".dll": true, ".msi": true, ".ps1": true, ".sh": true, ".jar": true,
}

// uploadError is a refusal with X-Upload-Error, or an injected internal failure.
type uploadError struct {
	status   int
	code     string
	msg      string
	internal bool // an injected HTTP 500 without X-Upload-Error
}

// failUploadLocked decides whether an upload request for the file called name fails
// (Options.UploadFailNames, Faults.UploadFail). Callers hold s.mu.
func (s *Sim) failUploadLocked(name string) *uploadError {
	if !slices.Contains(s.opts.UploadFailNames, name) && !s.chance(s.opts.Faults.UploadFail) {
		return nil
	}
	s.stats.Faults.UploadFail++
	return &uploadError{status: http.StatusInternalServerError, internal: true, msg: "upload of " + truncate(name, 80) + " failed (injected)"}
}

func (s *Sim) failUpload(name string) *uploadError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failUploadLocked(name)
}

func upErr(status int, code, format string, args ...any) *uploadError {
	return &uploadError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// FileHash returns the AttachmentHASH of a file the simulated file store holds (completed).
func (s *Sim) FileHash(attachmentGUID string) (hash string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fileHashLocked(attachmentGUID)
}

func (s *Sim) fileHashLocked(guid string) (string, bool) {
	f := s.files[strings.ToLower(guid)]
	if f == nil || !f.completed {
		return "", false
	}
	return f.hash, true
}

// serveFileStore serves PUT {context} (a whole file), POST {context}/?upload (start a
// multipart upload), PUT {context}/{id} (a part), POST {context}/{id}?completed and
// HEAD {context}/{id}.
func (s *Sim) serveFileStore(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	fault := s.drawFault()
	s.mu.Unlock()
	if d := s.opts.Faults.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if fault != faultNone {
		if fault == faultEXP { // no SOAP here: the file store's transfer error is an HTTP 500
			fault = fault500
		}
		s.injectFault(w, fault, "filestore")
		return
	}
	if err := s.fileStore(w, r); err != nil {
		if err.internal {
			s.log.Info("injecting a fault", "op", "filestore", "kind", "upload_fail", "method", r.Method, "path", r.URL.Path)
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		s.mu.Lock()
		s.stats.FileStore.Refused++
		s.mu.Unlock()
		s.log.Info("file-store request refused", "method", r.Method, "path", r.URL.Path, "code", err.code, "reason", err.msg)
		w.Header().Set("X-Upload-Error", err.code)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(err.status)
		_, _ = io.WriteString(w, err.code+": "+err.msg+"\n")
	}
}

func (s *Sim) fileStore(w http.ResponseWriter, r *http.Request) *uploadError {
	rest := strings.TrimPrefix(r.URL.Path, FileStorePath)
	ctxName, id, _ := strings.Cut(rest, "/")
	if ctxName != FileStoreContext {
		return upErr(http.StatusNotFound, uploadContextNotFound, "context %q does not exist (want %q)", truncate(ctxName, 40), FileStoreContext)
	}
	org := strings.TrimSpace(r.Header.Get("X-Upload-OrgPPAGUID"))
	if !wsdl.IsGUID(org) {
		return upErr(http.StatusBadRequest, uploadFieldValidation, "X-Upload-OrgPPAGUID %q is missing or not a GUID", truncate(org, 60))
	}
	org = strings.ToLower(org)
	q := r.URL.Query()
	switch {
	case id == "" && r.Method == http.MethodPut && len(q) == 0:
		return s.putWhole(w, r, org)
	case id == "" && r.Method == http.MethodPost && q.Has("upload"):
		return s.startUpload(w, r, org)
	case id != "" && !strings.Contains(id, "/") && r.Method == http.MethodPut && len(q) == 0:
		return s.putPart(w, r, org, id)
	case id != "" && !strings.Contains(id, "/") && r.Method == http.MethodPost && q.Has("completed"):
		return s.completeUpload(w, org, id)
	case id != "" && !strings.Contains(id, "/") && r.Method == http.MethodHead:
		return s.headUpload(w, org, id)
	}
	return upErr(http.StatusBadRequest, uploadFieldValidation, "%s %s is not a file-store operation (PUT %s%s, POST …/?upload, PUT …/{UploadID}, POST …/{UploadID}?completed, HEAD …/{UploadID})",
		r.Method, truncate(r.URL.RequestURI(), 100), FileStorePath, FileStoreContext)
}

// fileName decodes X-Upload-Filename (RFC 2047 encoded-words allowed) and checks it.
func fileName(h http.Header) (string, *uploadError) {
	raw := h.Get("X-Upload-Filename")
	name, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil {
		return "", upErr(http.StatusBadRequest, uploadFieldValidation, "X-Upload-Filename %q is not a valid RFC 2047 value: %v", truncate(raw, 80), err)
	}
	name = strings.TrimSpace(name)
	if strings.Contains(name, "=?") && strings.Contains(name, "?=") {
		return "", upErr(http.StatusBadRequest, uploadFieldValidation, "X-Upload-Filename %q holds a malformed RFC 2047 encoded-word", truncate(raw, 80))
	}
	if name == "" || len([]rune(name)) > maxUploadNameRune {
		return "", upErr(http.StatusBadRequest, uploadFieldValidation, "X-Upload-Filename must hold a name of 1 to %d characters", maxUploadNameRune)
	}
	if blockedExtensions[strings.ToLower(path.Ext(name))] {
		return "", upErr(http.StatusBadRequest, uploadExtension, "files of type %s are not accepted", strings.ToLower(path.Ext(name)))
	}
	return name, nil
}

// readBody reads a body of 1..PartSize bytes and checks its Content-MD5.
func readBody(r *http.Request) ([]byte, *uploadError) {
	want, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.Header.Get("Content-MD5")))
	if err != nil || len(want) != md5.Size {
		return nil, upErr(http.StatusBadRequest, uploadFieldValidation, "Content-MD5 is missing or not the base64 of 16 bytes")
	}
	if r.ContentLength > PartSize {
		return nil, upErr(http.StatusBadRequest, uploadInvalidSize, "a request body may hold at most %d bytes, this one has %d", PartSize, r.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, PartSize+1))
	if err != nil {
		return nil, upErr(http.StatusBadRequest, uploadFieldValidation, "reading the body: %v", err)
	}
	if len(body) > PartSize {
		return nil, upErr(http.StatusBadRequest, uploadInvalidSize, "a request body may hold at most %d bytes", PartSize)
	}
	if len(body) == 0 {
		return nil, upErr(http.StatusBadRequest, uploadInvalidSize, "the body is empty")
	}
	if got := md5.Sum(body); !bytes.Equal(got[:], want) { //nolint:gosec // see the import
		return nil, upErr(http.StatusBadRequest, uploadHashConflict, "Content-MD5 %s does not match the body received (%s)",
			base64.StdEncoding.EncodeToString(want), base64.StdEncoding.EncodeToString(got[:]))
	}
	return body, nil
}

func gost94Hex(parts ...[]byte) string {
	h := gost94.New()
	for _, p := range parts {
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (s *Sim) putWhole(w http.ResponseWriter, r *http.Request, org string) *uploadError {
	name, uerr := fileName(r.Header)
	if uerr != nil {
		return uerr
	}
	body, uerr := readBody(r)
	if uerr != nil {
		return uerr
	}
	if uerr := s.failUpload(name); uerr != nil {
		return uerr
	}
	f := &storedFile{org: org, name: name, length: int64(len(body)), partCount: 1, completed: true, hash: gost94Hex(body)}
	id := newGUID()
	s.mu.Lock()
	f.at = s.now()
	s.files[id] = f
	s.stats.FileStore.Files++
	s.stats.FileStore.Single++
	s.stats.FileStore.Bytes += f.length
	s.mu.Unlock()
	s.log.Info("file stored", "attachment_guid", id, "size", f.length)
	w.Header().Set("X-Upload-UploadID", id)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Sim) startUpload(w http.ResponseWriter, r *http.Request, org string) *uploadError {
	name, uerr := fileName(r.Header)
	if uerr != nil {
		return uerr
	}
	length, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get("X-Upload-Length")), 10, 64)
	if err != nil || length < 1 {
		return upErr(http.StatusBadRequest, uploadFieldValidation, "X-Upload-Length must be a positive number of bytes")
	}
	if length > maxUploadSize {
		return upErr(http.StatusBadRequest, uploadInvalidSize, "the simulator takes files of at most %d bytes, not %d", maxUploadSize, length)
	}
	count, err := strconv.Atoi(strings.TrimSpace(r.Header.Get("X-Upload-Part-Count")))
	if err != nil || count < 1 {
		return upErr(http.StatusBadRequest, uploadFieldValidation, "X-Upload-Part-Count must be a positive number")
	}
	if need := (length + PartSize - 1) / PartSize; int64(count) < need || int64(count) > length {
		return upErr(http.StatusBadRequest, uploadInvalidSize, "%d parts cannot carry %d bytes in parts of 1 to %d bytes", count, length, PartSize)
	}
	if uerr := s.failUpload(name); uerr != nil {
		return uerr
	}
	id := newGUID()
	s.mu.Lock()
	s.files[id] = &storedFile{org: org, name: name, length: length, partCount: count, parts: map[int][]byte{}, at: s.now()}
	s.stats.FileStore.Started++
	s.mu.Unlock()
	w.Header().Set("X-Upload-UploadID", id)
	w.WriteHeader(http.StatusOK)
	return nil
}

// uploadOf finds an upload of org. Callers hold s.mu.
func (s *Sim) uploadOf(org, id string) (*storedFile, *uploadError) {
	f := s.files[strings.ToLower(id)]
	if f == nil {
		return nil, upErr(http.StatusNotFound, uploadFileNotFound, "no upload %s", truncate(id, 60))
	}
	if f.org != org {
		return nil, upErr(http.StatusForbidden, uploadPermission, "upload %s belongs to another organization", truncate(id, 60))
	}
	return f, nil
}

func (s *Sim) putPart(w http.ResponseWriter, r *http.Request, org, id string) *uploadError {
	n, err := strconv.Atoi(strings.TrimSpace(r.Header.Get("X-Upload-Partnumber")))
	s.mu.Lock()
	f, uerr := s.uploadOf(org, id)
	var count int
	if f != nil {
		count = f.partCount
		if f.completed {
			uerr = upErr(http.StatusBadRequest, uploadInvalidStatus, "upload %s is completed already", id)
		}
	}
	s.mu.Unlock()
	if uerr != nil {
		return uerr
	}
	if err != nil || n < 1 || n > count {
		return upErr(http.StatusBadRequest, uploadPartNumber, "X-Upload-Partnumber must be 1 to %d", count)
	}
	body, uerr := readBody(r)
	if uerr != nil {
		return uerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.completed {
		return upErr(http.StatusBadRequest, uploadInvalidStatus, "upload %s is completed already", id)
	}
	if uerr := s.failUploadLocked(f.name); uerr != nil {
		return uerr
	}
	if s.pendingBytes-int64(len(f.parts[n]))+int64(len(body)) > maxPendingBytes {
		return upErr(http.StatusServiceUnavailable, uploadInvalidSize, "the simulator holds too many uncompleted uploads; complete them first")
	}
	s.pendingBytes += int64(len(body)) - int64(len(f.parts[n]))
	f.parts[n] = body
	s.stats.FileStore.Parts++
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Sim) completeUpload(w http.ResponseWriter, org, id string) *uploadError {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, uerr := s.uploadOf(org, id)
	if uerr != nil {
		return uerr
	}
	if f.completed {
		return upErr(http.StatusBadRequest, uploadInvalidStatus, "upload %s is completed already", id)
	}
	if uerr := s.failUploadLocked(f.name); uerr != nil {
		return uerr
	}
	var missing []string
	parts := make([][]byte, 0, f.partCount)
	var total int64
	for n := 1; n <= f.partCount; n++ {
		p, ok := f.parts[n]
		if !ok {
			missing = append(missing, strconv.Itoa(n))
		}
		parts = append(parts, p)
		total += int64(len(p))
	}
	if len(missing) > 0 {
		return upErr(http.StatusBadRequest, uploadInvalidStatus, "parts %s of %d are missing", truncate(strings.Join(missing, ","), 80), f.partCount)
	}
	if total != f.length {
		return upErr(http.StatusBadRequest, uploadInvalidSize, "the parts hold %d bytes, X-Upload-Length was %d", total, f.length)
	}
	f.hash = gost94Hex(parts...)
	f.completed, f.parts = true, nil
	s.pendingBytes -= total
	s.stats.FileStore.Files++
	s.stats.FileStore.Bytes += total
	s.log.Info("file stored", "attachment_guid", id, "size", total, "parts", f.partCount)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Sim) headUpload(w http.ResponseWriter, org, id string) *uploadError {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, uerr := s.uploadOf(org, id)
	if uerr != nil {
		return uerr
	}
	w.Header().Set("X-Upload-Length", strconv.FormatInt(f.length, 10))
	w.Header().Set("X-Upload-Completed", strconv.FormatBool(f.completed))
	w.WriteHeader(http.StatusOK)
	return nil
}

// attachmentHash looks an attachment up in Options.AttachmentHash, then (with
// Options.CheckAttachments) in the simulator's own file store. Callers hold s.mu.
func (s *Sim) attachmentHash(guid string) (string, bool) {
	if s.opts.AttachmentHash != nil {
		if h, ok := s.opts.AttachmentHash(guid); ok {
			return h, true
		}
	}
	if s.opts.CheckAttachments {
		return s.fileHashLocked(guid)
	}
	return "", false
}
