package builder

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sreevishnu07/stevedore/internal/ghacachetest"
)

// type=gha through a real cache service (act's): a build on a fresh
// machine hits every step from it, and scopes are kept apart.
func TestSharedCacheInGitHubActionsCache(t *testing.T) {
	srv := ghacachetest.Start(t)
	g := GHACache{Scope: "app", URL: srv.URL, Token: srv.Token, Timeout: time.Minute}
	f := newFixture(t, multiStage, map[string]string{"greeting.txt": "hi\n"})

	first := f.build(t, WithGHACacheFrom(g), WithGHACacheTo(g))
	if len(first.Warnings) != 1 || !strings.Contains(first.Warnings[0], "no entries yet") {
		t.Errorf("a first run: warnings = %q, want one saying the scope has no entries yet", first.Warnings)
	}

	f.cache = t.TempDir() // a fresh runner: only GitHub's cache is kept
	second := f.build(t, WithGHACacheFrom(g), WithGHACacheTo(g))
	checkAllCached(t, first, second, "gha")

	// Another scope sees none of app's entries.
	f.cache = t.TempDir()
	other := g
	other.Scope = "other"
	third := f.build(t, WithGHACacheFrom(other))
	if len(third.Warnings) != 1 || !strings.Contains(third.Warnings[0], "type=gha,scope=other: no entries yet") {
		t.Errorf("another scope: warnings = %q", third.Warnings)
	}
	ran := 0
	for _, s := range third.Steps {
		if s.Status != StatusCached {
			ran++
		}
	}
	if ran == 0 {
		t.Error("a build with another scope was all cached: scopes are not separate")
	}
}

// A token the service refuses: cache-to fails naming the cache and the
// fix, unless ignore-error=true; cache-from only warns. The token is in
// no message.
func TestGitHubActionsCacheWrongToken(t *testing.T) {
	srv := ghacachetest.Start(t)
	wrong := ghacachetest.NewToken(t)
	g := GHACache{Scope: "app", URL: srv.URL, Token: wrong, Timeout: time.Minute}
	f := newFixture(t, multiStage, map[string]string{"greeting.txt": "hi\n"})

	_, err := f.tryBuild(WithGHACacheTo(g))
	if err == nil || !strings.Contains(err.Error(), "exporting build cache to type=gha,scope=app") || !strings.Contains(err.Error(), "not authorized") {
		t.Errorf("cache-to with a wrong token: %v, want an error naming the cache and the service's answer", err)
	}
	if err != nil && strings.Contains(err.Error(), wrong) {
		t.Error("the error holds the token")
	}

	g.IgnoreError = true
	res, err := f.tryBuild(WithGHACacheFrom(g), WithGHACacheTo(g))
	if err != nil {
		t.Fatalf("ignore-error=true: %v", err)
	}
	if len(res.Warnings) != 2 || !strings.Contains(res.Warnings[0], "building without it") || !strings.Contains(res.Warnings[1], "ignore-error=true") {
		t.Errorf("warnings = %q, want cache-from's and cache-to's", res.Warnings)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, wrong) {
			t.Error("a warning holds the token")
		}
	}

	g.Token, g.IgnoreError = "not-a-jwt", false
	if _, err := f.tryBuild(WithGHACacheTo(g)); err == nil || !strings.Contains(err.Error(), "not a GitHub Actions runtime token") || strings.Contains(err.Error(), "not-a-jwt") {
		t.Errorf("a malformed token: %v", err)
	}
	g.Token = ""
	if _, err := f.tryBuild(WithGHACacheTo(g)); err == nil || !strings.Contains(err.Error(), "ACTIONS_RUNTIME_TOKEN") {
		t.Errorf("no token: %v", err)
	}
}

// type=gha's attributes are BuildKit's; url and token come from the
// runner's variables unless given.
func TestParseGHACache(t *testing.T) {
	env := map[string]string{"ACTIONS_CACHE_URL": "https://cache.example/v1/", "ACTIONS_RESULTS_URL": "https://results.example/", "ACTIONS_RUNTIME_TOKEN": "tok"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		attrs map[string]string
		v2env bool
		want  GHACache
		err   string
	}{
		{map[string]string{}, false, GHACache{Scope: "buildkit", URL: "https://cache.example/v1/", Token: "tok", Timeout: 10 * time.Minute}, ""},
		{map[string]string{}, true, GHACache{Scope: "buildkit", URL: "https://results.example/", V2: true, Token: "tok", Timeout: 10 * time.Minute}, ""},
		{map[string]string{"version": "1"}, true, GHACache{Scope: "buildkit", URL: "https://cache.example/v1/", Token: "tok", Timeout: 10 * time.Minute}, ""},
		{map[string]string{"scope": "web", "url": "http://u/", "token": "t2", "timeout": "30s", "ignore-error": "true"}, false,
			GHACache{Scope: "web", URL: "http://u/", Token: "t2", Timeout: 30 * time.Second, IgnoreError: true}, ""},
		{map[string]string{"url_v2": "http://v2/"}, false, GHACache{Scope: "buildkit", URL: "http://v2/", V2: true, Token: "tok", Timeout: 10 * time.Minute}, ""},
		{map[string]string{"timeout": "soon"}, false, GHACache{}, "timeout=soon"},
		{map[string]string{"version": "3"}, false, GHACache{}, "version=3"},
		{map[string]string{"ignore-error": "maybe"}, false, GHACache{}, "ignore-error=maybe"},
	}
	for _, tt := range tests {
		env["ACTIONS_CACHE_SERVICE_V2"] = map[bool]string{true: "true"}[tt.v2env]
		got, err := parseGHA(tt.attrs, getenv)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseGHA(%v) = %+v, %v; want an error with %q", tt.attrs, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseGHA(%v, v2=%v) = %+v, %v; want %+v", tt.attrs, tt.v2env, got, err, tt.want)
		}
	}
	if s := (GHACache{Scope: "a", Token: "secret"}).String(); strings.Contains(s, "secret") {
		t.Errorf("String() = %q holds the token", s)
	}
	if s := RedactCacheSpec("type=gha,Token=secret,scope=web"); s != "type=gha,Token=***,scope=web" {
		t.Errorf("RedactCacheSpec = %q", s)
	}
}

// ghaV2 is a type=gha cache on the v2 test service, read from a
// --cache-from / --cache-to value as the CLI gets it.
func ghaV2(t *testing.T, srv *ghacachetest.V2Server, token, scope string, export bool) GHACache {
	t.Helper()
	spec := "type=gha,version=2,url_v2=" + srv.URL + ",token=" + token + ",scope=" + scope + ",timeout=1m"
	c, err := ParseCache(spec, export)
	if err != nil || c.GHA == nil || !c.GHA.V2 || c.GHA.URL != srv.URL {
		t.Fatalf("ParseCache(%s) = %+v, %v", RedactCacheSpec(spec), c, err)
	}
	return *c.GHA
}

// type=gha,version=2 through the cache service API v2 (twirp methods and
// Azure Blob uploads and downloads on signed URLs): a build on a fresh
// machine hits every step, downloading each layer from the service, and
// scopes are kept apart.
func TestSharedCacheInGitHubActionsCacheV2(t *testing.T) {
	srv := ghacachetest.StartV2(t)
	big := make([]byte, 2<<20+100) // over azblob's 1 MiB block: Put Block + Put Block List
	rand.NewChaCha8([32]byte{1}).Read(big)
	f := newFixture(t, multiStage, map[string]string{"greeting.txt": "hi\n", "big.bin": string(big)})

	first := f.build(t, WithGHACacheFrom(ghaV2(t, srv, srv.Token, "app", false)), WithGHACacheTo(ghaV2(t, srv, srv.Token, "app", true)))
	if len(first.Warnings) != 1 || !strings.Contains(first.Warnings[0], "type=gha,scope=app: no entries yet") {
		t.Errorf("a first run: warnings = %q, want one saying the scope has no entries yet", first.Warnings)
	}
	blobs := map[string]ghacachetest.Entry{}
	blocks := 0
	for _, e := range srv.Entries() {
		if !e.Finalized {
			t.Errorf("entry %s was left unfinalized", e.Key)
		}
		if strings.HasPrefix(e.Key, "stevedore-1-blob-") {
			blobs[e.Key] = e
			blocks = max(blocks, e.Blocks)
		}
	}
	if len(blobs) == 0 || blocks < 3 {
		t.Fatalf("entries after cache-to = %+v; want layer blobs, the COPY of big.bin staged in blocks", srv.Entries())
	}

	f.cache = t.TempDir() // a fresh runner: only GitHub's cache is kept
	second := f.build(t, WithGHACacheFrom(ghaV2(t, srv, srv.Token, "app", false)), WithGHACacheTo(ghaV2(t, srv, srv.Token, "app", true)))
	checkAllCached(t, first, second, "gha v2")
	downloaded := 0
	for _, e := range srv.Entries() {
		if _, ok := blobs[e.Key]; ok && e.Downloaded >= e.Size && e.Size > 0 {
			downloaded++
		}
	}
	if downloaded != len(blobs) {
		t.Errorf("%d of %d layer blobs were downloaded from the service: %+v", downloaded, len(blobs), srv.Entries())
	}
	// The second cache-to wrote a newer index (SaveMutable's #2) and no
	// blob again: entries are immutable, and known layers are not re-sent.
	var index []string
	for _, e := range srv.Entries() {
		if strings.HasPrefix(e.Key, "stevedore-1-index-app#") {
			index = append(index, e.Key)
		} else if _, ok := blobs[e.Key]; !ok {
			t.Errorf("the second build stored %s", e.Key)
		}
	}
	if len(index) != 2 {
		t.Errorf("index entries = %q, want one per cache-to", index)
	}

	// Another scope sees none of app's entries.
	f.cache = t.TempDir()
	third := f.build(t, WithGHACacheFrom(ghaV2(t, srv, srv.Token, "other", false)))
	if len(third.Warnings) != 1 || !strings.Contains(third.Warnings[0], "type=gha,scope=other: no entries yet") {
		t.Errorf("another scope: warnings = %q", third.Warnings)
	}
	for _, s := range third.Steps {
		if s.Status == StatusCached {
			t.Errorf("%s was cached in a build with another scope: scopes are not separate", s.Instruction)
		}
	}
}

// A token the v2 service refuses (401): cache-to fails naming the cache,
// the refusal and the fix; cache-from only warns. The token is in no
// message.
func TestGitHubActionsCacheV2WrongToken(t *testing.T) {
	srv := ghacachetest.StartV2(t)
	wrong := ghacachetest.NewToken(t)
	f := newFixture(t, multiStage, map[string]string{"greeting.txt": "hi\n"})

	_, err := f.tryBuild(WithGHACacheTo(ghaV2(t, srv, wrong, "app", true)))
	t.Logf("cache-to with a wrong token: %v", err)
	if err == nil || !strings.Contains(err.Error(), "exporting build cache to type=gha,scope=app") ||
		!strings.Contains(err.Error(), "refused the token") || !strings.Contains(err.Error(), "ACTIONS_RUNTIME_TOKEN") {
		t.Errorf("cache-to with a wrong token: %v, want an error naming the cache, the refusal and the fix", err)
	}
	if err != nil && strings.Contains(err.Error(), wrong) {
		t.Error("the error holds the token")
	}
	res, err := f.tryBuild(WithGHACacheFrom(ghaV2(t, srv, wrong, "app", false)))
	if err != nil {
		t.Fatalf("cache-from with a wrong token: %v", err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "refused the token") || !strings.Contains(res.Warnings[0], "building without it") ||
		strings.Contains(res.Warnings[0], wrong) {
		t.Errorf("cache-from with a wrong token: warnings = %q", res.Warnings)
	}
	if n := len(srv.Entries()); n != 0 {
		t.Errorf("the service holds %d entries after refused calls", n)
	}
}
