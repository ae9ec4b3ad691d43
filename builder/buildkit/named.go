package buildkit

import (
	"bytes"

	"github.com/containerd/containerd/v2/core/content"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client"

	"github.com/sreevishnu07/stevedore/builder/store"
)

// ociStoreID names stevedore's image store in the build session: BuildKit
// reads images in hand (--build-context NAME=oci:PATH) from it as
// oci-layout:// contexts, so they are never pushed anywhere first.
const ociStoreID = "stevedore"

// namedImage puts an image or index into the store and returns the
// oci-layout:// source that names it for the frontend.
func namedImage(st *store.Store, opt *client.SolveOpt, img v1.Image, idx v1.ImageIndex) (string, error) {
	var h v1.Hash
	var err error
	if idx != nil {
		h, err = putIndex(st, idx)
	} else {
		h, err = putImage(st, img)
	}
	if err != nil {
		return "", err
	}
	if opt.OCIStores == nil {
		opt.OCIStores = map[string]content.Store{ociStoreID: contentStore{st: st}}
	}
	return "oci-layout://" + ociStoreID + "@" + h.String(), nil
}

func putIndex(st *store.Store, idx v1.ImageIndex) (v1.Hash, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	for _, d := range im.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return v1.Hash{}, err
			}
			if _, err := putIndex(st, child); err != nil {
				return v1.Hash{}, err
			}
		case d.MediaType.IsImage():
			img, err := idx.Image(d.Digest)
			if err != nil {
				return v1.Hash{}, err
			}
			if _, err := putImage(st, img); err != nil {
				return v1.Hash{}, err
			}
		}
	}
	return putRaw(st, idx)
}

func putImage(st *store.Store, img v1.Image) (v1.Hash, error) {
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, err
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return v1.Hash{}, err
		}
		if st.Has(d) {
			continue
		}
		rc, err := l.Compressed()
		if err != nil {
			return v1.Hash{}, err
		}
		err = st.WriteBlob(d, rc)
		rc.Close()
		if err != nil {
			return v1.Hash{}, err
		}
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return v1.Hash{}, err
	}
	cd, err := img.ConfigName()
	if err != nil {
		return v1.Hash{}, err
	}
	if err := st.WriteBlob(cd, bytes.NewReader(cfg)); err != nil {
		return v1.Hash{}, err
	}
	return putRaw(st, img)
}

type rawManifest interface {
	RawManifest() ([]byte, error)
	Digest() (v1.Hash, error)
}

func putRaw(st *store.Store, m rawManifest) (v1.Hash, error) {
	raw, err := m.RawManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	h, err := m.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	return h, st.WriteBlob(h, bytes.NewReader(raw))
}
