package sbom

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func encodeEvery(t testing.TB, s *SBOM) map[Format][]byte {
	t.Helper()
	out := map[Format][]byte{}
	for _, f := range Formats() {
		var b bytes.Buffer
		if err := s.Encode(&b, f); err != nil {
			t.Fatal(err)
		}
		out[f] = b.Bytes()
	}
	return out
}

func sameDocs(t *testing.T, what string, got, want map[Format][]byte) {
	t.Helper()
	for _, f := range Formats() {
		if !bytes.Equal(got[f], want[f]) {
			t.Errorf("%s: %s differs (%d bytes, want %d)", what, f, len(got[f]), len(want[f]))
		}
	}
}

func opened(c countingImage) int32 {
	var n int32
	for _, o := range c.opens {
		n += o.Load()
	}
	return n
}

// A second Generate of the same image reads no layer and gives the same
// bytes in every format as cataloging does, with or without a cache; a
// different image, or the same one named otherwise, is cataloged.
func TestGenerateCache(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	img := viaLayout(t, fixtureImage(t))
	uncached, err := Generate(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	want := encodeEvery(t, uncached)

	first := countingImage{Image: img, opens: map[v1.Hash]*atomic.Int32{}}
	s1, err := Generate(ctx, first, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if s1.FromCache || opened(first) == 0 {
		t.Fatalf("first Generate: FromCache = %v, %d layer reads; want a catalog", s1.FromCache, opened(first))
	}
	sameDocs(t, "first, cached", encodeEvery(t, s1), want)

	again := countingImage{Image: img, opens: map[v1.Hash]*atomic.Int32{}}
	s2, err := Generate(ctx, again, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if !s2.FromCache || opened(again) != 0 {
		t.Fatalf("second Generate: FromCache = %v, %d layer reads; want a cache hit reading nothing", s2.FromCache, opened(again))
	}
	sameDocs(t, "from cache", encodeEvery(t, s2), want)
	if !reflect.DeepEqual(s2.Packages(), uncached.Packages()) || s2.Distro() != uncached.Distro() {
		t.Errorf("from cache: packages %v, distro %q; want %v, %q", s2.Packages(), s2.Distro(), uncached.Packages(), uncached.Distro())
	}
	if s2.Digest != uncached.Digest || s2.Config != uncached.Config || !s2.Created.Equal(uncached.Created) {
		t.Errorf("from cache: %s %s %v; want %s %s %v", s2.Digest, s2.Config, s2.Created, uncached.Digest, uncached.Config, uncached.Created)
	}

	goImg, _ := goImage(t)
	other, err := Generate(ctx, viaLayout(t, goImg), WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if other.FromCache {
		t.Error("a different image was served from the cache")
	}
	named, err := Generate(ctx, img, WithCacheDir(cache), WithRepository(fixtureRepository(t)))
	if err != nil {
		t.Fatal(err)
	}
	if named.FromCache {
		t.Error("the image under another name was served from the cache")
	}
	tool, err := Generate(ctx, img, WithCacheDir(cache), WithTool("stevedore", "9.9.9"))
	if err != nil {
		t.Fatal(err)
	}
	if tool.FromCache {
		t.Error("the image recorded with another tool was served from the cache")
	}
}

// A cached document changed on disk is not served: the image is cataloged
// again and the entry rewritten.
func TestGenerateCacheDamaged(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	img := viaLayout(t, fixtureImage(t))
	s1, err := Generate(ctx, img, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	want := encodeEvery(t, s1)
	docs, err := filepath.Glob(filepath.Join(cache, "sbom", "*", SPDXJSON.String()+".json"))
	if err != nil || len(docs) != 1 {
		t.Fatalf("cached SPDX documents: %v %v, want one", docs, err)
	}
	if err := os.WriteFile(docs[0], []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := Generate(ctx, img, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if s2.FromCache {
		t.Fatal("damaged entry served")
	}
	sameDocs(t, "after damage", encodeEvery(t, s2), want)
	s3, err := Generate(ctx, img, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if !s3.FromCache {
		t.Error("entry not rewritten after damage")
	}
	sameDocs(t, "rewritten", encodeEvery(t, s3), want)
}

// A cache directory that cannot be written fails Generate, naming the
// directory and the flag that moves it.
func TestGenerateCacheUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Generate(context.Background(), viaLayout(t, fixtureImage(t)), WithCacheDir(file))
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "--cache-dir") {
		t.Errorf("err = %v, want one naming %s and --cache-dir", err, file)
	}
}

// A stevedore linking another syft catalogs again, even when the documents
// name another tool (so syft's version appears nowhere in them).
func TestGenerateCacheSyftVersion(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	img := viaLayout(t, fixtureImage(t))
	opts := []Option{WithCacheDir(cache), WithTool("stevedore", "1.0.0")}
	if _, err := Generate(ctx, img, opts...); err != nil {
		t.Fatal(err)
	}
	if s, err := Generate(ctx, img, opts...); err != nil || !s.FromCache {
		t.Fatalf("same syft: FromCache = %v, %v; want a hit", s != nil && s.FromCache, err)
	}
	defer func(f func() string) { cachedSyftVersion = f }(cachedSyftVersion)
	cachedSyftVersion = func() string { return "v9.99.0" }
	s, err := Generate(ctx, img, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if s.FromCache {
		t.Error("a document cataloged by another syft version was served from the cache")
	}
}

// Serving an SBOM from the cache is a use of the entry: its time moves,
// so `stevedore cache prune --filter until=…` keeps what is read.
func TestGenerateCacheHitMarksTheEntryUsed(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	img := viaLayout(t, fixtureImage(t))
	if _, err := Generate(ctx, img, WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	entries, err := filepath.Glob(filepath.Join(cache, "sbom", "*"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("SBOM cache entries: %v %v, want one", entries, err)
	}
	long := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(entries[0], long, long); err != nil {
		t.Fatal(err)
	}
	s, err := Generate(ctx, img, WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if !s.FromCache {
		t.Fatal("not served from the cache")
	}
	fi, err := os.Stat(entries[0])
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().After(long.Add(time.Hour)) {
		t.Errorf("the entry read was last modified %s, still as old as before the read", fi.ModTime())
	}
}
