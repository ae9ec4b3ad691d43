package ocilayout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

func TestUpdate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "image")
	if err := Init(dir); err != nil {
		t.Fatal(err)
	}
	d := v1.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 2, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("a", 64)}}
	if err := Update(dir, func(im *v1.IndexManifest) error { im.Manifests = append(im.Manifests, d); return nil }); err != nil {
		t.Fatal(err)
	}
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if im, err := ii.IndexManifest(); err != nil || len(im.Manifests) != 1 || im.Manifests[0].Digest != d.Digest {
		t.Fatalf("index after Update: %+v, %v", im, err)
	}
	// Init of an existing layout keeps its index.
	if err := Init(dir); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(dir, "index.json")
	before, _ := os.ReadFile(index)
	st, _ := os.Stat(index)

	// A failed change writes nothing; nor does one that changes nothing.
	boom := errors.New("boom")
	if err := Update(dir, func(im *v1.IndexManifest) error { im.Manifests = nil; return boom }); !errors.Is(err, boom) {
		t.Fatalf("a failing change: %v", err)
	}
	if err := Update(dir, func(*v1.IndexManifest) error { return nil }); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(index)
	if st2, _ := os.Stat(index); string(after) != string(before) || !os.SameFile(st, st2) {
		t.Errorf("index.json rewritten by a failed or empty change:\n%s\n%s", before, after)
	}
	if _, err := os.Stat(filepath.Join(dir, LockName)); err != nil {
		t.Errorf("no lock file: %v", err)
	}

	// Not a layout: the error names the directory.
	other := t.TempDir()
	if err := Update(other, func(*v1.IndexManifest) error { return nil }); err == nil || !strings.Contains(err.Error(), other) {
		t.Errorf("Update of a directory with no index.json: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, LockName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Update of a directory with no index.json left a lock file: %v", err)
	}
}

// Changes made at once each keep their entry (the flock is taken per open
// file, so goroutines of one process exclude each other as processes do).
func TestUpdateAtOnce(t *testing.T) {
	dir := t.TempDir()
	if err := Init(dir); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			d := v1.Descriptor{MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 2, Digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", i)}}
			errs[i] = Update(dir, func(im *v1.IndexManifest) error { im.Manifests = append(im.Manifests, d); return nil })
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if im, err := ii.IndexManifest(); err != nil || len(im.Manifests) != n {
		t.Fatalf("index.json lists %d entries, want %d (%v)", len(im.Manifests), n, err)
	}
}
