package ghacachetest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TwirpPrefix is the path of the v2 cache service's methods under
// ACTIONS_RESULTS_URL.
const TwirpPrefix = "/twirp/github.actions.results.api.v1.CacheService/"

// V2Server is the cache service API v2: twirp JSON methods under
// TwirpPrefix, and a blob store reached through the signed URLs they hand
// out. It behaves as GitHub's service does for what clients rely on:
//
//   - every call needs "Authorization: Bearer TOKEN" with a token this
//     server signed and that has not expired, else 401 (twirp code
//     unauthenticated);
//   - an entry is (scope, key, version); the scope is the token's writable
//     ref, lookups search the token's readable refs in order;
//   - GetCacheEntryDownloadURL matches the key exactly, then each restore
//     key as a prefix, the newest finalized entry first; a miss is
//     {"ok": false} with 200;
//   - a second CreateCacheEntry of the same entry, pending or finalized, is
//     409 with twirp code already_exists;
//   - a finalized entry is immutable: its upload URL no longer writes.
//
// Requests and responses are protobuf JSON: snake_case names are sent,
// both snake_case and lowerCamelCase are read, int64 fields are strings
// (numbers are read too). The protobuf content type is not served.
type V2Server struct {
	Server
	svc   *service
	blobs *blobStore
}

// StartV2 serves an empty cache until the test ends. Token can read and
// write scope refs/heads/main.
func StartV2(t testing.TB) *V2Server {
	t.Helper()
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	// Blob storage is another host, as Azure's is: clients must use the
	// URLs they are given, not paths under the results URL.
	blobs := newBlobStore(secret)
	bsrv := httptest.NewServer(blobs)
	t.Cleanup(bsrv.Close)
	blobs.base = bsrv.URL

	svc := &service{secret: secret, blobs: blobs}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	s := &V2Server{svc: svc, blobs: blobs}
	s.URL = srv.URL + "/"
	s.Token = s.TokenFor(t, Scope{Scope: "refs/heads/main", Permission: PermissionRead | PermissionWrite})
	return s
}

// TokenFor is a runtime token this server accepts, with the given scopes
// in the order GitHub lists them (the job's ref, then the refs it may
// restore from, such as the default branch).
func (s *V2Server) TokenFor(t testing.TB, scopes ...Scope) string {
	t.Helper()
	return signToken(t, s.svc.secret, scopes)
}

// Entry is a cache entry as the service holds it.
type Entry struct {
	Scope, Key, Version string
	Size                int64
	Finalized           bool
	// Blocks is how many blocks the blob was committed from by Put Block
	// List; 0 when it was written by one Put Blob.
	Blocks int
	// Downloaded is how many bytes of the blob Get Blob has served.
	Downloaded int64
}

// Entries lists the service's entries in the order they were created.
func (s *V2Server) Entries() []Entry {
	s.svc.mu.Lock()
	defer s.svc.mu.Unlock()
	out := make([]Entry, 0, len(s.svc.entries))
	for _, e := range s.svc.entries {
		b := s.blobs.stat(e.blob)
		out = append(out, Entry{Scope: e.scope, Key: e.key, Version: e.version, Size: b.size,
			Finalized: e.finalized, Blocks: b.blocks, Downloaded: b.served})
	}
	return out
}

// ExpireURLs makes every signed URL handed out so far fail with 403, as
// Azure answers once a SAS has expired.
func (s *V2Server) ExpireURLs() { s.blobs.expire() }

// service is the twirp side.
type service struct {
	secret []byte
	blobs  *blobStore

	mu      sync.Mutex
	entries []*entry
	nextID  int64
}

type entry struct {
	id                  int64
	scope, key, version string
	blob                string
	finalized           bool
}

// request holds the fields of the three methods' requests.
type request struct {
	Key         string
	Version     string
	RestoreKeys []string
	SizeBytes   int64
}

// twirpError is twirp's error body; code decides the HTTP status.
type twirpError struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
}

var twirpStatus = map[string]int{
	"bad_route": http.StatusNotFound, "malformed": http.StatusBadRequest, "invalid_argument": http.StatusBadRequest,
	"unauthenticated": http.StatusUnauthorized, "permission_denied": http.StatusForbidden,
	"not_found": http.StatusNotFound, "already_exists": http.StatusConflict,
	"failed_precondition": http.StatusPreconditionFailed, "internal": http.StatusInternalServerError,
}

func writeTwirpError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(twirpStatus[code])
	json.NewEncoder(w).Encode(twirpError{Code: code, Msg: msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (s *service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, TwirpPrefix)
	if !ok || strings.Contains(method, "/") {
		writeTwirpError(w, "bad_route", "no handler for path "+strconv.Quote(r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		writeTwirpError(w, "bad_route", "unsupported method "+r.Method+" (only POST is allowed)")
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		writeTwirpError(w, "bad_route", "unexpected Content-Type: "+strconv.Quote(r.Header.Get("Content-Type")))
		return
	}
	scopes, err := s.authenticate(r.Header.Get("Authorization"))
	if err != nil {
		writeTwirpError(w, "unauthenticated", err.Error())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeTwirpError(w, "malformed", "reading the request: "+err.Error())
		return
	}
	req, err := decodeRequest(body)
	if err != nil {
		writeTwirpError(w, "malformed", "the json request could not be decoded: "+err.Error())
		return
	}
	switch method {
	case "CreateCacheEntry":
		s.create(w, scopes, req)
	case "FinalizeCacheEntryUpload":
		s.finalize(w, scopes, req)
	case "GetCacheEntryDownloadURL":
		s.lookup(w, scopes, req)
	default:
		writeTwirpError(w, "bad_route", "no handler for path "+strconv.Quote(r.URL.Path))
	}
}

// authenticate checks a bearer token and returns its scopes.
func (s *service) authenticate(header string) ([]Scope, error) {
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || raw == "" {
		return nil, errors.New("no bearer token in the Authorization header")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	if err != nil {
		return nil, errors.New("the runtime token is not valid for this service")
	}
	ac, _ := claims["ac"].(string)
	var scopes []Scope
	if err := json.Unmarshal([]byte(ac), &scopes); err != nil {
		return nil, errors.New("the runtime token has no access controls")
	}
	return scopes, nil
}

func decodeRequest(body []byte) (request, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return request{}, err
	}
	var req request
	for k, v := range fields {
		var err error
		switch k {
		case "key":
			err = json.Unmarshal(v, &req.Key)
		case "version":
			err = json.Unmarshal(v, &req.Version)
		case "restore_keys", "restoreKeys":
			err = json.Unmarshal(v, &req.RestoreKeys)
		case "size_bytes", "sizeBytes":
			req.SizeBytes, err = decodeInt64(v)
		}
		if err != nil {
			return request{}, fmt.Errorf("field %s: %w", k, err)
		}
	}
	return req, nil
}

// decodeInt64 reads an int64 as protobuf JSON writes it (a string) or as
// a number.
func decodeInt64(v json.RawMessage) (int64, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return strconv.ParseInt(s, 10, 64)
	}
	var n int64
	err := json.Unmarshal(v, &n)
	return n, err
}

func writeScope(scopes []Scope) (string, bool) {
	for _, sc := range scopes {
		if sc.Permission&PermissionWrite != 0 {
			return sc.Scope, true
		}
	}
	return "", false
}

func validate(req request) (code, msg string) {
	switch {
	case req.Key == "":
		return "invalid_argument", "key is required"
	case len(req.Key) > 512:
		return "invalid_argument", "key is longer than 512 characters"
	case req.Version == "":
		return "invalid_argument", "version is required"
	}
	return "", ""
}

// writable checks a create or finalize request and picks the scope it
// writes to, answering the twirp error itself when there is none.
func writable(w http.ResponseWriter, scopes []Scope, req request) (string, bool) {
	if code, msg := validate(req); code != "" {
		writeTwirpError(w, code, msg)
		return "", false
	}
	scope, ok := writeScope(scopes)
	if !ok {
		writeTwirpError(w, "permission_denied", "the runtime token grants no scope to write cache entries to")
		return "", false
	}
	return scope, true
}

func (s *service) create(w http.ResponseWriter, scopes []Scope, req request) {
	scope, ok := writable(w, scopes, req)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(scope, req.Key, req.Version) != nil {
		writeTwirpError(w, "already_exists", "cache entry with the same key, version, and scope already exists")
		return
	}
	s.nextID++
	e := &entry{id: s.nextID, scope: scope, key: req.Key, version: req.Version, blob: fmt.Sprintf("%016x", s.nextID)}
	s.entries = append(s.entries, e)
	writeJSON(w, map[string]any{"ok": true, "signed_upload_url": s.blobs.sign(e.blob, "cw"), "message": ""})
}

func (s *service) finalize(w http.ResponseWriter, scopes []Scope, req request) {
	scope, ok := writable(w, scopes, req)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.find(scope, req.Key, req.Version)
	switch {
	case e == nil:
		writeTwirpError(w, "not_found", "no cache entry with this key and version was created in the scope")
		return
	case e.finalized:
		writeTwirpError(w, "already_exists", "the cache entry is already finalized")
		return
	}
	size, err := s.blobs.seal(e.blob)
	if err != nil {
		writeTwirpError(w, "failed_precondition", err.Error())
		return
	}
	if size != req.SizeBytes {
		s.blobs.unseal(e.blob)
		writeTwirpError(w, "invalid_argument", fmt.Sprintf("size_bytes is %d, the uploaded blob holds %d bytes", req.SizeBytes, size))
		return
	}
	e.finalized = true
	writeJSON(w, map[string]any{"ok": true, "entry_id": strconv.FormatInt(e.id, 10)})
}

func (s *service) lookup(w http.ResponseWriter, scopes []Scope, req request) {
	if req.Key == "" || req.Version == "" {
		writeTwirpError(w, "invalid_argument", "key and version are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sc := range scopes {
		if sc.Permission&PermissionRead == 0 {
			continue
		}
		if e := s.match(sc.Scope, req); e != nil {
			writeJSON(w, map[string]any{"ok": true, "signed_download_url": s.blobs.sign(e.blob, "r"), "matched_key": e.key})
			return
		}
	}
	writeJSON(w, map[string]any{"ok": false, "signed_download_url": "", "matched_key": ""})
}

// match finds the entry GitHub restores in one scope: the key itself,
// else the newest entry under the first restore key that has one.
func (s *service) match(scope string, req request) *entry {
	if e := s.find(scope, req.Key, req.Version); e != nil && e.finalized {
		return e
	}
	for _, prefix := range req.RestoreKeys {
		for i := len(s.entries) - 1; i >= 0; i-- {
			e := s.entries[i]
			if e.finalized && e.scope == scope && e.version == req.Version && strings.HasPrefix(e.key, prefix) {
				return e
			}
		}
	}
	return nil
}

func (s *service) find(scope, key, version string) *entry {
	for _, e := range s.entries {
		if e.scope == scope && e.key == key && e.version == version {
			return e
		}
	}
	return nil
}
