package ghacachetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	actionscache "github.com/tonistiigi/go-actions-cache"
)

func client(t *testing.T, s *V2Server, token string) *actionscache.Cache {
	t.Helper()
	c, err := actionscache.New(token, s.URL, true, actionscache.Opt{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func load(t *testing.T, c *actionscache.Cache, keys ...string) (string, []byte) {
	t.Helper()
	e, err := c.Load(context.Background(), keys...)
	if err != nil {
		t.Fatalf("Load(%q): %v", keys, err)
	}
	if e == nil {
		return "", nil
	}
	var buf bytes.Buffer
	if err := e.WriteTo(context.Background(), &buf); err != nil {
		t.Fatalf("downloading %s: %v", e.Key, err)
	}
	return e.Key, buf.Bytes()
}

func entryOf(t *testing.T, s *V2Server, key string) Entry {
	t.Helper()
	for _, e := range s.Entries() {
		if e.Key == key {
			return e
		}
	}
	t.Fatalf("no entry %q in %+v", key, s.Entries())
	return Entry{}
}

// go-actions-cache, BuildKit's client, saves and loads through the
// service: a small blob with one Put Blob, a large one in blocks, each
// downloaded whole and from an offset.
func TestGHAV2GoActionsCacheRoundTrip(t *testing.T) {
	s := StartV2(t)
	c := client(t, s, s.Token)
	ctx := context.Background()

	if key, _ := load(t, c, "small"); key != "" {
		t.Fatalf("an empty cache has %q", key)
	}
	small := []byte("hello cache\n")
	large := make([]byte, 3<<20+5) // azblob stages 1 MiB blocks above 1 MiB
	rand.Read(large)
	if err := c.Save(ctx, "small", actionscache.NewBlob(small)); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx, "large", actionscache.NewBlob(large)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key    string
		data   []byte
		blocks int
	}{{"small", small, 0}, {"large", large, 4}} {
		key, got := load(t, c, tc.key)
		if key != tc.key || !bytes.Equal(got, tc.data) {
			t.Errorf("Load(%s) = %s, %d bytes; want %d bytes", tc.key, key, len(got), len(tc.data))
		}
		e := entryOf(t, s, tc.key)
		if !e.Finalized || e.Size != int64(len(tc.data)) || e.Blocks != tc.blocks || e.Downloaded != e.Size {
			t.Errorf("entry %s = %+v; want finalized, %d bytes from %d blocks, all downloaded", tc.key, e, len(tc.data), tc.blocks)
		}
		if e.Scope != "refs/heads/main" {
			t.Errorf("entry %s is in scope %q, want the token's refs/heads/main", tc.key, e.Scope)
		}
	}

	// A ranged read: Get Blob with x-ms-range, answered 206.
	e, err := c.Load(ctx, "large")
	if err != nil || e == nil {
		t.Fatal(e, err)
	}
	ra := e.Download(ctx)
	buf := make([]byte, 100)
	if n, err := ra.ReadAt(buf, 2<<20); err != nil || n != 100 || !bytes.Equal(buf, large[2<<20:2<<20+100]) {
		t.Errorf("ReadAt(2 MiB) = %d, %v", n, err)
	}
	ra.Close()
}

// An entry is immutable: saving the same key again is already_exists,
// which go-actions-cache reads as os.ErrExist, and the first content stays.
func TestGHAV2SaveTwiceConflicts(t *testing.T) {
	s := StartV2(t)
	c := client(t, s, s.Token)
	ctx := context.Background()
	if err := c.Save(ctx, "k", actionscache.NewBlob([]byte("one"))); err != nil {
		t.Fatal(err)
	}
	err := c.Save(ctx, "k", actionscache.NewBlob([]byte("two")))
	var he actionscache.HTTPError
	if !errors.Is(err, os.ErrExist) || !errors.As(err, &he) || he.StatusCode != http.StatusConflict {
		t.Errorf("a second Save = %v; want 409 already_exists", err)
	}
	if _, got := load(t, c, "k"); string(got) != "one" {
		t.Errorf("after a refused second save the entry holds %q", got)
	}
}

// Restore keys match by prefix, the newest entry first: what
// SaveMutable's numbered index keys rely on.
func TestGHAV2RestoreKeysNewestFirst(t *testing.T) {
	s := StartV2(t)
	c := client(t, s, s.Token)
	ctx := context.Background()
	for _, v := range []string{"first", "second"} {
		if err := c.SaveMutable(ctx, "index", time.Second, func(*actionscache.Entry) (actionscache.Blob, error) {
			return actionscache.NewBlob([]byte(v)), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if key, got := load(t, c, "index#"); key != "index#2" || string(got) != "second" {
		t.Errorf("Load(index#) = %s %q; want index#2 \"second\"", key, got)
	}
	if key, got := load(t, c, "index#1"); key != "index#1" || string(got) != "first" {
		t.Errorf("Load(index#1) = %s %q; want the exact key", key, got)
	}
	if key, _ := load(t, c, "nomatch", "other"); key != "" {
		t.Errorf("Load(nomatch, other) = %s; want a miss", key)
	}
}

// twirp calls a test makes by hand, to check what go-actions-cache does
// not send: camelCase fields, other versions, misuse.
func call(t *testing.T, s *V2Server, token, method string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, strings.TrimSuffix(s.URL, "/")+TwirpPrefix+method, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: decoding the answer: %v", method, err)
	}
	return resp.StatusCode, out
}

func put(t *testing.T, url string, body []byte, headers map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The protocol as @actions/cache speaks it (protobuf JSON in camelCase,
// int64 as strings), and the service's answers to misuse.
func TestGHAV2TwirpProtocol(t *testing.T) {
	s := StartV2(t)
	tok := s.Token
	status, out := call(t, s, tok, "CreateCacheEntry", map[string]any{"key": "npm-linux-abc", "version": "v1"})
	url, _ := out["signed_upload_url"].(string)
	if status != 200 || out["ok"] != true || url == "" {
		t.Fatalf("CreateCacheEntry = %d %v", status, out)
	}
	if status, out := call(t, s, tok, "FinalizeCacheEntryUpload", map[string]any{"key": "npm-linux-abc", "version": "v1", "sizeBytes": "4"}); status != 412 || out["code"] != "failed_precondition" {
		t.Errorf("finalizing before an upload = %d %v; want 412 failed_precondition", status, out)
	}
	if got := put(t, url, []byte("data"), nil); got != 400 {
		t.Errorf("Put Blob without x-ms-blob-type = %d, want 400", got)
	}
	if got := put(t, strings.Replace(url, "sig=", "sig=x", 1), []byte("data"), map[string]string{"x-ms-blob-type": "BlockBlob"}); got != 403 {
		t.Errorf("Put Blob with a forged signature = %d, want 403", got)
	}
	if got := put(t, url, []byte("data"), map[string]string{"x-ms-blob-type": "BlockBlob"}); got != 201 {
		t.Fatalf("Put Blob = %d, want 201", got)
	}
	if status, out := call(t, s, tok, "FinalizeCacheEntryUpload", map[string]any{"key": "npm-linux-abc", "version": "v1", "sizeBytes": "5"}); status != 400 || out["code"] != "invalid_argument" {
		t.Errorf("finalizing with the wrong size = %d %v; want 400", status, out)
	}
	if status, out := call(t, s, tok, "FinalizeCacheEntryUpload", map[string]any{"key": "npm-linux-abc", "version": "v1", "sizeBytes": "4"}); status != 200 || out["ok"] != true || out["entry_id"] != "1" {
		t.Fatalf("FinalizeCacheEntryUpload = %d %v", status, out)
	}
	if got := put(t, url, []byte("evil"), map[string]string{"x-ms-blob-type": "BlockBlob"}); got != 403 {
		t.Errorf("writing a finalized entry through its upload URL = %d, want 403", got)
	}
	if status, out := call(t, s, tok, "CreateCacheEntry", map[string]any{"key": "npm-linux-abc", "version": "v1"}); status != 409 || out["code"] != "already_exists" {
		t.Errorf("creating the entry again = %d %v; want 409 already_exists", status, out)
	}
	// The same key under another version is another entry.
	if status, out := call(t, s, tok, "GetCacheEntryDownloadURL", map[string]any{"key": "npm-linux-abc", "version": "v2"}); status != 200 || out["ok"] != false {
		t.Errorf("lookup with another version = %d %v; want ok=false", status, out)
	}
	status, out = call(t, s, tok, "GetCacheEntryDownloadURL", map[string]any{"key": "npm-linux-def", "restoreKeys": []string{"npm-linux-"}, "version": "v1"})
	dl, _ := out["signed_download_url"].(string)
	if status != 200 || out["ok"] != true || out["matched_key"] != "npm-linux-abc" || dl == "" {
		t.Fatalf("lookup by restore key = %d %v", status, out)
	}
	resp, err := http.Get(dl)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "data" || resp.Header.Get("x-ms-blob-type") != "BlockBlob" {
		t.Errorf("Get Blob = %d %q %v", resp.StatusCode, b, resp.Header)
	}
	if got := put(t, dl, []byte("x"), map[string]string{"x-ms-blob-type": "BlockBlob"}); got != 403 {
		t.Errorf("writing through a download URL = %d, want 403", got)
	}

	for _, tc := range []struct {
		token, method string
		body          any
		status        int
		code          string
	}{
		{"", "GetCacheEntryDownloadURL", map[string]any{"key": "k", "version": "v"}, 401, "unauthenticated"},
		{NewToken(t), "CreateCacheEntry", map[string]any{"key": "k", "version": "v"}, 401, "unauthenticated"},
		{tok, "CreateCacheEntry", map[string]any{"key": "", "version": "v"}, 400, "invalid_argument"},
		{tok, "CreateCacheEntry", map[string]any{"key": "k"}, 400, "invalid_argument"},
		{tok, "FinalizeCacheEntryUpload", map[string]any{"key": "never", "version": "v", "size_bytes": 1}, 404, "not_found"},
		{tok, "DeleteEverything", map[string]any{}, 404, "bad_route"},
		{s.TokenFor(t, Scope{Scope: "refs/heads/main", Permission: PermissionRead}), "CreateCacheEntry", map[string]any{"key": "k", "version": "v"}, 403, "permission_denied"},
	} {
		if status, out := call(t, s, tc.token, tc.method, tc.body); status != tc.status || out["code"] != tc.code {
			t.Errorf("%s %v = %d %v; want %d %s", tc.method, tc.body, status, out, tc.status, tc.code)
		}
	}
}

// A wrong token is refused with 401, and go-actions-cache says so.
func TestGHAV2WrongToken(t *testing.T) {
	s := StartV2(t)
	_, err := client(t, s, NewToken(t)).Load(context.Background(), "k")
	var he actionscache.HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Errorf("Load with a token the service did not sign = %v; want a 401", err)
	}
}

// Scopes are git refs: a job on a feature branch restores what main
// saved and saves into its own ref, which main does not see.
func TestGHAV2ScopesAreRefs(t *testing.T) {
	s := StartV2(t)
	ctx := context.Background()
	main := client(t, s, s.Token)
	feature := client(t, s, s.TokenFor(t,
		Scope{Scope: "refs/heads/feature", Permission: PermissionRead | PermissionWrite},
		Scope{Scope: "refs/heads/main", Permission: PermissionRead}))
	if err := main.Save(ctx, "deps", actionscache.NewBlob([]byte("main"))); err != nil {
		t.Fatal(err)
	}
	if _, got := load(t, feature, "deps"); string(got) != "main" {
		t.Errorf("feature restores %q, want main's entry", got)
	}
	// The same key saved on the feature branch is a new entry there, and
	// from then on the feature branch restores its own.
	if err := feature.Save(ctx, "deps", actionscache.NewBlob([]byte("feature"))); err != nil {
		t.Fatalf("saving a key main has, on another ref: %v", err)
	}
	if _, got := load(t, feature, "deps"); string(got) != "feature" {
		t.Errorf("feature restores %q, want its own entry", got)
	}
	if _, got := load(t, main, "deps"); string(got) != "main" {
		t.Errorf("main restores %q, want its own entry", got)
	}
}

// An expired download URL is 403; go-actions-cache asks for a new one and
// the download goes on.
func TestGHAV2ExpiredDownloadURL(t *testing.T) {
	s := StartV2(t)
	c := client(t, s, s.Token)
	ctx := context.Background()
	if err := c.Save(ctx, "k", actionscache.NewBlob([]byte("content"))); err != nil {
		t.Fatal(err)
	}
	e, err := c.Load(ctx, "k")
	if err != nil || e == nil {
		t.Fatal(e, err)
	}
	s.ExpireURLs()
	resp, err := http.Get(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-ms-error-code") != "AuthenticationFailed" {
		t.Errorf("an expired URL = %d %s; want 403 AuthenticationFailed", resp.StatusCode, resp.Header.Get("x-ms-error-code"))
	}
	var buf bytes.Buffer
	if err := e.WriteTo(ctx, &buf); err != nil || buf.String() != "content" {
		t.Errorf("downloading after the URL expired = %q, %v; want the client to reload it", buf.String(), err)
	}
}

// An entry another job has created but not finalized yet blocks its key
// (409) and is not restored; SaveMutable, which stevedore and BuildKit
// write their indexes with, waits, then moves on to the next number.
func TestGHAV2PendingEntryBlocksKey(t *testing.T) {
	s := StartV2(t)
	c := client(t, s, s.Token)
	ctx := context.Background()
	if status, out := call(t, s, s.Token, "CreateCacheEntry", map[string]any{"key": "index#1", "version": versionOf(t, s)}); status != 200 || out["ok"] != true {
		t.Fatalf("CreateCacheEntry = %d %v", status, out)
	}
	if key, _ := load(t, c, "index#"); key != "" {
		t.Errorf("a pending entry was restored: %s", key)
	}
	if err := c.SaveMutable(ctx, "index", 0, func(*actionscache.Entry) (actionscache.Blob, error) {
		return actionscache.NewBlob([]byte("mine")), nil
	}); err != nil {
		t.Fatal(err)
	}
	if key, got := load(t, c, "index#"); key != "index#2" || string(got) != "mine" {
		t.Errorf("Load(index#) = %s %q; want index#2, past the pending #1", key, got)
	}
}

// versionOf is the version go-actions-cache sends (the same for every
// key), read from an entry it created.
func versionOf(t *testing.T, s *V2Server) string {
	t.Helper()
	if err := client(t, s, s.Token).Save(context.Background(), "probe", actionscache.NewBlob([]byte("p"))); err != nil {
		t.Fatal(err)
	}
	return entryOf(t, s, "probe").Version
}
