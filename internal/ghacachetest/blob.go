package ghacachetest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// blobContainer is where the signed URLs point, under an account path as
// Azure's emulator addresses accounts on an IP host.
const blobContainer = "/devstoreaccount1/actions-cache/"

// blobStore is the Azure Blob Storage side of the v2 service: the REST
// calls azblob's block blob client sends on a SAS URL — Put Blob, Put
// Block and Put Block List for uploads, Get Blob (whole or ranged) for
// downloads — with Azure's status codes and XML errors.
type blobStore struct {
	secret []byte
	base   string

	mu    sync.Mutex
	epoch int // bumped by expire: older signatures stop verifying
	blobs map[string]*blob
	reqID int
}

type blob struct {
	data        []byte
	committed   bool
	sealed      bool
	modified    time.Time
	etag        string
	blocks      int
	uncommitted map[string][]byte
	committedBl map[string][]byte
	served      int64
}

type blobStat struct {
	size, served int64
	blocks       int
}

func newBlobStore(secret []byte) *blobStore {
	return &blobStore{secret: secret, blobs: map[string]*blob{}}
}

// sign returns a SAS URL for a blob granting perms (r: read, c: create,
// w: write) for an hour.
func (b *blobStore) sign(name, perms string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	expiry := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	q := url.Values{"sv": {"2024-11-04"}, "sr": {"b"}, "sp": {perms}, "se": {expiry}, "sig": {b.signature(name, perms, expiry)}}
	return b.base + blobContainer + name + "?" + q.Encode()
}

func (b *blobStore) signature(name, perms, expiry string) string {
	m := hmac.New(sha256.New, b.secret)
	fmt.Fprintf(m, "%s\n%s\n%s\n%d", name, perms, expiry, b.epoch)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (b *blobStore) expire() {
	b.mu.Lock()
	b.epoch++
	b.mu.Unlock()
}

// seal makes a blob read-only once its entry is finalized, and returns
// its size.
func (b *blobStore) seal(name string) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bl := b.blobs[name]
	if bl == nil || !bl.committed {
		return 0, errors.New("nothing was uploaded to the cache entry's upload URL (or its block list was not committed)")
	}
	bl.sealed = true
	return int64(len(bl.data)), nil
}

func (b *blobStore) unseal(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bl := b.blobs[name]; bl != nil {
		bl.sealed = false
	}
}

func (b *blobStore) stat(name string) blobStat {
	b.mu.Lock()
	defer b.mu.Unlock()
	bl := b.blobs[name]
	if bl == nil {
		return blobStat{}
	}
	return blobStat{size: int64(len(bl.data)), served: bl.served, blocks: bl.blocks}
}

func azureError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("x-ms-error-code", code)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>%s</Code><Message>%s\nTime:%s</Message></Error>",
		code, msg, time.Now().UTC().Format(time.RFC3339Nano))
}

func (b *blobStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reqID++
	w.Header().Set("x-ms-request-id", fmt.Sprintf("00000000-0000-0000-0000-%012d", b.reqID))
	w.Header().Set("x-ms-version", "2024-11-04")
	if id := r.Header.Get("x-ms-client-request-id"); id != "" {
		w.Header().Set("x-ms-client-request-id", id)
	}

	name, ok := strings.CutPrefix(r.URL.Path, blobContainer)
	q := r.URL.Query()
	if !ok || name == "" || !b.verify(name, q) {
		azureError(w, http.StatusForbidden, "AuthenticationFailed",
			"Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.")
		return
	}
	perms := q.Get("sp")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if !strings.Contains(perms, "r") {
			azureError(w, http.StatusForbidden, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.")
			return
		}
		b.get(w, r, name)
	case http.MethodPut:
		if !strings.ContainsAny(perms, "cw") {
			azureError(w, http.StatusForbidden, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.")
			return
		}
		bl := b.blobs[name]
		if bl == nil {
			bl = &blob{uncommitted: map[string][]byte{}, committedBl: map[string][]byte{}}
			b.blobs[name] = bl
		}
		if bl.sealed {
			azureError(w, http.StatusForbidden, "AuthorizationFailure", "This request is not authorized to perform this operation.")
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			azureError(w, http.StatusBadRequest, "InvalidInput", "reading the request body: "+err.Error())
			return
		}
		switch q.Get("comp") {
		case "":
			b.putBlob(w, r, bl, body)
		case "block":
			b.putBlock(w, q.Get("blockid"), bl, body)
		case "blocklist":
			b.putBlockList(w, bl, body)
		default:
			azureError(w, http.StatusBadRequest, "InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid.")
		}
	default:
		azureError(w, http.StatusMethodNotAllowed, "UnsupportedHttpVerb", "The resource doesn't support specified Http Verb.")
	}
}

func (b *blobStore) verify(name string, q url.Values) bool {
	expiry, err := time.Parse(time.RFC3339, q.Get("se"))
	if err != nil || time.Now().After(expiry) {
		return false
	}
	want := b.signature(name, q.Get("sp"), q.Get("se"))
	return hmac.Equal([]byte(want), []byte(q.Get("sig")))
}

func (bl *blob) commit(data []byte, blocks int) {
	bl.data, bl.committed, bl.blocks = data, true, blocks
	bl.modified = time.Now().UTC()
	bl.etag = fmt.Sprintf("\"0x%X\"", bl.modified.UnixNano())
	bl.uncommitted = map[string][]byte{}
}

func writtenHeaders(w http.ResponseWriter, bl *blob) {
	w.Header().Set("ETag", bl.etag)
	w.Header().Set("Last-Modified", bl.modified.Format(http.TimeFormat))
	w.Header().Set("x-ms-request-server-encrypted", "true")
}

func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func (b *blobStore) putBlob(w http.ResponseWriter, r *http.Request, bl *blob, body []byte) {
	if t := r.Header.Get("x-ms-blob-type"); t != "BlockBlob" {
		if t == "" {
			azureError(w, http.StatusBadRequest, "MissingRequiredHeader", "An HTTP header that's mandatory for this request is not specified: x-ms-blob-type.")
		} else {
			azureError(w, http.StatusBadRequest, "InvalidHeaderValue", "The value for one of the HTTP headers is not in the correct format: x-ms-blob-type.")
		}
		return
	}
	bl.commit(body, 0)
	bl.committedBl = map[string][]byte{}
	writtenHeaders(w, bl)
	w.Header().Set("Content-MD5", md5Base64(body))
	w.WriteHeader(http.StatusCreated)
}

func (b *blobStore) putBlock(w http.ResponseWriter, id string, bl *blob, body []byte) {
	raw, err := base64.StdEncoding.DecodeString(id)
	if err != nil || len(raw) == 0 || len(raw) > 64 {
		azureError(w, http.StatusBadRequest, "InvalidQueryParameterValue", "Value for one of the query parameters specified in the request URI is invalid: blockid.")
		return
	}
	// Azure requires every block ID of a blob to have the same length.
	for other := range bl.uncommitted {
		if len(other) != len(id) {
			azureError(w, http.StatusBadRequest, "InvalidBlobOrBlock", "The specified blob or block content is invalid.")
			return
		}
	}
	bl.uncommitted[id] = body
	w.Header().Set("Content-MD5", md5Base64(body))
	w.Header().Set("x-ms-request-server-encrypted", "true")
	w.WriteHeader(http.StatusCreated)
}

// blockList is Put Block List's body: block IDs in order, each looked up
// among the committed blocks, the uncommitted ones, or uncommitted first
// (Latest).
type blockList struct {
	Items []struct {
		XMLName xml.Name
		ID      string `xml:",chardata"`
	} `xml:",any"`
}

func (b *blobStore) putBlockList(w http.ResponseWriter, bl *blob, body []byte) {
	var list blockList
	if err := xml.Unmarshal(body, &list); err != nil {
		azureError(w, http.StatusBadRequest, "InvalidXmlDocument", "XML specified is not syntactically valid.")
		return
	}
	var data []byte
	blocks := map[string][]byte{}
	for _, it := range list.Items {
		id := strings.TrimSpace(it.ID)
		var (
			blk []byte
			ok  bool
		)
		switch it.XMLName.Local {
		case "Committed":
			blk, ok = bl.committedBl[id]
		case "Uncommitted":
			blk, ok = bl.uncommitted[id]
		case "Latest":
			if blk, ok = bl.uncommitted[id]; !ok {
				blk, ok = bl.committedBl[id]
			}
		}
		if !ok {
			azureError(w, http.StatusBadRequest, "InvalidBlockList", "The specified block list is invalid.")
			return
		}
		data = append(data, blk...)
		blocks[id] = blk
	}
	bl.commit(data, len(list.Items))
	bl.committedBl = blocks
	writtenHeaders(w, bl)
	w.WriteHeader(http.StatusCreated)
}

func (b *blobStore) get(w http.ResponseWriter, r *http.Request, name string) {
	bl := b.blobs[name]
	if bl == nil || !bl.committed {
		azureError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
		return
	}
	size := int64(len(bl.data))
	start, end, ranged, ok := parseRange(r, size)
	if !ok {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		azureError(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The range specified is invalid for the current size of the resource.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(end-start, 10))
	h.Set("ETag", bl.etag)
	h.Set("Last-Modified", bl.modified.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("x-ms-blob-type", "BlockBlob")
	h.Set("x-ms-creation-time", bl.modified.Format(http.TimeFormat))
	h.Set("x-ms-lease-status", "unlocked")
	h.Set("x-ms-lease-state", "available")
	h.Set("x-ms-server-encrypted", "true")
	status := http.StatusOK
	if ranged {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end-1, size))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		n, _ := w.Write(bl.data[start:end])
		bl.served += int64(n)
	}
}

// parseRange reads x-ms-range, else Range: "bytes=N-" or "bytes=N-M"
// (inclusive), as [start, end).
func parseRange(r *http.Request, size int64) (start, end int64, ranged, ok bool) {
	v := r.Header.Get("x-ms-range")
	if v == "" {
		v = r.Header.Get("Range")
	}
	if v == "" {
		return 0, size, false, true
	}
	spec, found := strings.CutPrefix(v, "bytes=")
	from, to, dash := strings.Cut(spec, "-")
	if !found || !dash {
		return 0, 0, false, false
	}
	start, err := strconv.ParseInt(from, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false, false
	}
	end = size
	if to != "" {
		last, err := strconv.ParseInt(to, 10, 64)
		if err != nil || last < start {
			return 0, 0, false, false
		}
		end = min(last+1, size)
	}
	return start, end, true, true
}
