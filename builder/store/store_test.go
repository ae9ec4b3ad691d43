package store

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func TestPullPlatformThenNothingTwice(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.InProcess(t)
	proxy := faultproxy.New(t, "http://"+reg, nil)
	ii := registrytest.Index(t, 3, 2, 256)
	ref, err := name.ParseReference(proxy.Host + "/base/img:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, ii); err != nil {
		t.Fatal(err)
	}
	im, _ := ii.IndexManifest()
	var want v1.Hash
	for _, d := range im.Manifests {
		if d.Platform.Architecture == "arm64" {
			want = d.Digest
		}
	}

	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	proxy.Reset()
	img, err := s.Pull(ctx, ref, v1.Platform{OS: "linux", Architecture: "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := img.Digest(); got != want {
		t.Fatalf("pulled %s, want the arm64 child %s", got, want)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("stored image is not valid: %v", err)
	}
	if n := proxy.Count(http.MethodGet, faultproxy.KindBlob); n != 3 {
		t.Errorf("first pull fetched %d blobs, want 3 (config and two layers)", n)
	}

	// The second pull by tag only asks what the tag points at.
	proxy.Reset()
	if _, err := s.Pull(ctx, ref, v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}); err != nil {
		t.Fatal(err)
	}
	if got := len(proxy.Entries()); got > 2 || proxy.Count(http.MethodGet, faultproxy.KindBlob) != 0 || proxy.Count(http.MethodGet, faultproxy.KindManifest) != 0 {
		t.Errorf("second pull made requests %+v, want only a ping and a HEAD", proxy.Entries())
	}

	// By digest, the store needs no registry at all.
	offline, err := name.NewDigest("127.0.0.1:1/base/img@" + want.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(ctx, offline, v1.Platform{OS: "linux", Architecture: "arm64"}); err != nil {
		t.Fatalf("pull by stored digest touched the network: %v", err)
	}

	// An unknown platform names what the index has.
	_, err = s.Pull(ctx, ref, v1.Platform{OS: "linux", Architecture: "s390x"})
	if !errors.Is(err, ErrNoPlatform) || !strings.Contains(err.Error(), "linux/arm/v7") {
		t.Errorf("err = %v, want ErrNoPlatform listing the index's platforms", err)
	}
}

func TestWriteBlobVerifiesDigest(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := v1.SHA256(strings.NewReader("right"))
	err = s.WriteBlob(h, strings.NewReader("wrong"))
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("err = %v, want ErrDigestMismatch", err)
	}
	if s.Has(h) {
		t.Fatal("a blob that failed verification is visible")
	}
	left, _ := os.ReadDir(filepath.Dir(s.Path(h)))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	if err := s.WriteBlob(h, strings.NewReader("right")); err != nil || !s.Has(h) {
		t.Fatalf("writing the right content: %v", err)
	}
}

// A build killed while storing a blob or a cache record leaves a temporary
// file; the next Open removes it once it is stale, and keeps blobs, fresh
// temporaries (another build writing now) and RUN cache mounts.
func TestOpenSweepsWhatAKilledRunLeft(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := v1.SHA256(strings.NewReader("kept"))
	if err := s.WriteBlob(h, strings.NewReader("kept")); err != nil {
		t.Fatal(err)
	}
	hex := filepath.Base(s.Path(h))
	old := time.Now().Add(-2 * StaleAfter)
	files := map[string]bool{ // path → swept
		"blobs/sha256/." + hex + ".tmp-123": true,
		"blobs/sha256/.tmp-0123456789ab-55": true, // an earlier version's name
		"blobs/sha256/.layer-8812.tmp":      true, // a layer being compressed
		"sums/.sums-991":                    true,
		"steps/ab/.abcd.json.tmp-77":        true,
		"last/.k.json.tmp-1":                true,
		"sums/.k.tmp-2":                     true,
		"blobs/sha256/.fresh.tmp-9":         false,
		"mounts/k/.user.tmp-3":              false, // build content
	}
	for p, swept := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if swept || p == "mounts/k/.user.tmp-3" {
			if err := os.Chtimes(full, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	for p, swept := range files {
		_, err := os.Stat(filepath.Join(dir, p))
		if gone := os.IsNotExist(err); gone != swept {
			t.Errorf("%s: removed = %v, want %v", p, gone, swept)
		}
	}
	if !s.Has(h) {
		t.Error("a finished blob was removed")
	}
}

// A lease is live while its build holds it; one left by a killed build
// (no lock) is removed the next time the cache is locked for pruning.
func TestLeases(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	oldest, unlock, err := Exclusive(dir)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if !oldest.IsZero() {
		t.Fatalf("no build runs, yet the oldest live one started %s", oldest)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(dir, LeaseDir, "build-killed")
	if err := os.WriteFile(dead, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	oldest, unlock, err = Exclusive(dir)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if oldest.IsZero() {
		t.Error("a held lease is not live")
	}
	if _, err := os.Stat(dead); err == nil {
		t.Error("the lease of a killed build is still there")
	}
	blob := filepath.Join(dir, "blobs", "sha256", "x")
	if err := os.WriteFile(blob, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-48 * time.Hour)
	os.Chtimes(blob, long, long)
	if !l.Use(blob) {
		t.Error("Use of a present entry reports it missing")
	}
	if fi, _ := os.Stat(blob); fi.ModTime().Before(oldest) {
		t.Errorf("a used entry's time %s is before its build's start %s", fi.ModTime(), oldest)
	}
	if l.Use(filepath.Join(dir, "blobs", "sha256", "gone")) {
		t.Error("Use of a missing entry reports it present")
	}
	l.Release()
	oldest, unlock, err = Exclusive(dir)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	if !oldest.IsZero() {
		t.Error("a released lease is still live")
	}
}

// A lease on a cache directory that did not exist leaves nothing behind
// when nothing used it (a command refused before building), and keeps the
// directory once something is in it.
func TestLeaseLeavesNoEmptyCache(t *testing.T) {
	unused := filepath.Join(t.TempDir(), "cache")
	l, err := Acquire(unused)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	if _, err := os.Stat(unused); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("an unused cache directory is left behind (%v)", err)
	}

	used := filepath.Join(t.TempDir(), "cache")
	l, err = Acquire(used)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(used, "entry"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	l.Release()
	if _, err := os.Stat(filepath.Join(used, "entry")); err != nil {
		t.Errorf("a used cache directory lost its entry: %v", err)
	}

	// A directory that was there before is never removed.
	before := t.TempDir()
	if l, err = Acquire(before); err != nil {
		t.Fatal(err)
	}
	l.Release()
	if _, err := os.Stat(before); err != nil {
		t.Errorf("an existing cache directory was removed: %v", err)
	}
}
