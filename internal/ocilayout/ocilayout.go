// Package ocilayout owns the one read-modify-write of an OCI image layout's
// index.json that every stevedore writer goes through (publish writing and
// tagging images, sign attaching signature tags and bundle referrers), so
// processes writing one layout at once each keep their entry.
package ocilayout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
	"github.com/sreevishnu07/stevedore/internal/filelock"
)

// LockName is the file in the layout's root that writers lock around
// their change of index.json. It is a file of its own, not index.json:
// index.json is replaced by rename, so a lock on it would be held on the
// replaced file while the next writer locks the new one. A dot name beside
// index.json, oci-layout and blobs/ is one that readers of the layout
// (ORAS, cosign, skopeo, go-containerregistry) never open: they read only
// the files the image layout specification names.
const LockName = ".stevedore.lock"

const ociLayoutFile = `{"imageLayoutVersion":"1.0.0"}`

// Init makes dir an OCI layout if it is not one yet: blobs/sha256, the
// oci-layout file and an empty index.json. index.json is created under the
// lock, so a writer that has already listed an entry never sees its index
// replaced by another process's empty one.
func Init(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return fmt.Errorf("creating OCI layout %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); errors.Is(err, fs.ErrNotExist) {
		if err := atomicfile.WriteFile(filepath.Join(dir, "oci-layout"), []byte(ociLayoutFile), 0o644); err != nil {
			return fmt.Errorf("creating OCI layout %s: %w", dir, err)
		}
	}
	index := filepath.Join(dir, "index.json")
	if _, err := os.Stat(index); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	unlock, err := filelock.Lock(filepath.Join(dir, LockName))
	if err != nil {
		return fmt.Errorf("creating OCI layout %s: %w", dir, err)
	}
	defer unlock()
	if _, err := os.Stat(index); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	raw, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}})
	if err := atomicfile.WriteFile(index, raw, 0o644); err != nil {
		return fmt.Errorf("creating OCI layout %s: %w", dir, err)
	}
	return nil
}

// Update changes the index.json of the layout at dir: it takes an
// exclusive lock on dir/.stevedore.lock (waiting for other writers), reads
// index.json, calls change with it, and writes the result through a
// temporary file and rename, so readers (which take no lock) see the old
// index or the new one, never a torn one. A change that leaves the index
// as it was writes nothing. change runs under the lock: it may read what
// the index lists (the signature image a tag holds now) and write blobs
// before listing them. An error from change leaves index.json untouched.
func Update(dir string, change func(*v1.IndexManifest) error) error {
	// Not a layout: fail before leaving a lock file in the directory.
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		return fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	unlock, err := filelock.Lock(filepath.Join(dir, LockName))
	if err != nil {
		return fmt.Errorf("updating %s/index.json: %w", dir, err)
	}
	defer unlock()
	im, before, err := read(dir)
	if err != nil {
		return err
	}
	if err := change(im); err != nil {
		return err
	}
	if im.Manifests == nil {
		im.Manifests = []v1.Descriptor{}
	}
	raw, err := json.MarshalIndent(im, "", "  ")
	if err != nil {
		return fmt.Errorf("writing %s/index.json: %w", dir, err)
	}
	if bytes.Equal(raw, before) {
		return nil
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "index.json"), raw, 0o644); err != nil {
		return fmt.Errorf("writing %s/index.json: %w", dir, err)
	}
	return nil
}

// read returns index.json parsed, and re-encoded as Update would write it
// unchanged.
func read(dir string) (*v1.IndexManifest, []byte, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("reading OCI layout %s: index.json: %w", dir, err)
	}
	if im.Manifests == nil {
		im.Manifests = []v1.Descriptor{}
	}
	before, err := json.MarshalIndent(im, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("reading OCI layout %s: index.json: %w", dir, err)
	}
	return im, before, nil
}
