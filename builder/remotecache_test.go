package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// A type=local cache (an OCI layout directory, what actions/cache keeps
// between runs): a second build on a fresh machine hits every step from it.
func TestSharedCacheInALocalDirectory(t *testing.T) {
	f := newFixture(t, multiStage, map[string]string{"greeting.txt": "hi\n"})
	dir := filepath.Join(t.TempDir(), "buildcache")
	first := f.build(t, WithLocalCacheFrom(dir), WithLocalCacheTo(dir))
	if len(first.Warnings) == 0 || !strings.Contains(first.Warnings[0], "building without it") {
		t.Errorf("a first run without the cache directory: warnings = %q, want one saying it builds without it", first.Warnings)
	}
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		t.Fatalf("the cache directory is not an OCI layout: %v", err)
	}

	f.cache = t.TempDir() // a fresh machine: only the cache directory is kept
	second := f.build(t, WithLocalCacheFrom(dir), WithLocalCacheTo(dir))
	checkAllCached(t, first, second, "local")
	// Re-exporting replaces the cache: one image, no leftover directories.
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("next to the cache: %v, want only the cache directory", entries)
	}
	m, err := readLocalCache(dir)
	if err != nil || !strings.Contains(string(m), cacheAnnotation) {
		t.Errorf("the exported cache: %v\n%s", err, m)
	}

	// A directory that is not a stevedore cache is a warning.
	f.cache = t.TempDir()
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "index.json"), []byte(`{"schemaVersion":2,"manifests":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	third := f.build(t, WithLocalCacheFrom(other))
	if len(third.Warnings) == 0 || !strings.Contains(third.Warnings[0], "no stevedore cache") {
		t.Errorf("warnings = %q", third.Warnings)
	}
}

// buildx's cache syntax, as build-push-action passes it.
func TestParseCache(t *testing.T) {
	tests := []struct {
		spec   string
		export bool
		want   Cache
		err    string
	}{
		{"ghcr.io/o/app:cache", false, Cache{Ref: "ghcr.io/o/app:cache"}, ""},
		{"type=registry,ref=ghcr.io/o/app:cache", false, Cache{Ref: "ghcr.io/o/app:cache"}, ""},
		{"type=registry,ref=ghcr.io/o/app:cache,mode=max,image-manifest=true,oci-mediatypes=true", true, Cache{Ref: "ghcr.io/o/app:cache"}, ""},
		{"ref=ghcr.io/o/app:cache", false, Cache{Ref: "ghcr.io/o/app:cache"}, ""},
		{"type=local,src=/tmp/.buildx-cache", false, Cache{Dir: "/tmp/.buildx-cache"}, ""},
		{"type=local,dest=/tmp/.buildx-cache-new,mode=max", true, Cache{Dir: "/tmp/.buildx-cache-new"}, ""},
		{"type=local,dest=/tmp/c", false, Cache{}, "read from src=DIR"},
		{"type=local,src=/tmp/c", true, Cache{}, "type=local with src="},
		{"type=local", false, Cache{}, "type=local needs src=DIR"},
		{"type=gha,scope=web,refx=1", false, Cache{}, `unknown attribute "refx" for type=gha`},
		{"type=gha,timeout=x", true, Cache{}, "type=gha: timeout=x"},
		{"type=s3,region=eu", false, Cache{}, "type=s3 is not supported"},
		{"type=registry", false, Cache{}, "needs ref=REF"},
		{"type=registry,ref=r/a:c,mode=all", true, Cache{}, "mode=all"},
		{"type=registry,ref=r/a:c,refx=1", false, Cache{}, `unknown attribute "refx"`},
		{"", false, Cache{}, "empty cache"},
	}
	for _, tt := range tests {
		got, err := ParseCache(tt.spec, tt.export)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseCache(%q, %v) = %+v, %v; want an error with %q", tt.spec, tt.export, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseCache(%q, %v) = %+v, %v; want %+v", tt.spec, tt.export, got, err, tt.want)
		}
	}
	got, err := ParseCache("type=gha,mode=max,scope=web,ignore-error=true", true)
	if err != nil || got.GHA == nil || got.GHA.Scope != "web" || !got.GHA.IgnoreError || got.Ref != "" || got.Dir != "" {
		t.Errorf("ParseCache(type=gha,…) = %+v, %v", got, err)
	}
}

// A build has one cache-to: the command line's (given last) replaces
// stevedore.yaml's, whatever their types.
func TestOneCacheTo(t *testing.T) {
	ref, _ := name.ParseReference("r.example/c:1")
	o := &options{}
	for _, opt := range []Option{WithLocalCacheTo("dir"), WithCacheTo(ref)} {
		opt(o)
	}
	if o.localCacheTo != "" || o.cacheTo == nil {
		t.Errorf("local then registry: %q %v", o.localCacheTo, o.cacheTo)
	}
	WithLocalCacheTo("dir")(o)
	if o.localCacheTo != "dir" || o.cacheTo != nil {
		t.Errorf("registry then local: %q %v", o.localCacheTo, o.cacheTo)
	}
	WithGHACacheTo(GHACache{Scope: "s"})(o)
	if o.localCacheTo != "" || o.cacheTo != nil || o.ghaCacheTo == nil {
		t.Errorf("local then gha: %q %v %v", o.localCacheTo, o.cacheTo, o.ghaCacheTo)
	}
	WithCacheTo(ref)(o)
	if o.ghaCacheTo != nil || o.cacheTo == nil {
		t.Errorf("gha then registry: %v %v", o.ghaCacheTo, o.cacheTo)
	}
}

// checkAllCached checks that second, built from first's shared cache on a
// fresh machine, ran no step and gave the same image.
func checkAllCached(t *testing.T, first, second *Result, kind string) {
	t.Helper()
	if digestOf(t, first.Image) != digestOf(t, second.Image) {
		t.Fatalf("building from the %s cache gave another image", kind)
	}
	for _, s := range second.Steps {
		if s.Status != StatusCached {
			t.Errorf("%s ran although the %s cache has it (%s)", s.Instruction, kind, s.Reason)
		}
	}
	if len(second.Warnings) != 0 {
		t.Errorf("warnings = %q", second.Warnings)
	}
}
