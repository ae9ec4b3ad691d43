package buildkit

import (
	"bytes"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/store"
)

// exportResult fills res with the image or index the OCI exporter wrote
// into the store: the exporter names its top manifest by digest.
func exportResult(st *store.Store, resp map[string]string, res *builder.Result, want []v1.Platform) error {
	h, err := v1.NewHash(resp["containerimage.digest"])
	if err != nil {
		return fmt.Errorf("the daemon named no exported image (containerimage.digest %q): %w", resp["containerimage.digest"], err)
	}
	raw, err := st.ReadBlob(h)
	if err != nil {
		return err
	}
	var top struct {
		MediaType types.MediaType `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return fmt.Errorf("parsing the exported manifest %s: %w", h, err)
	}
	if !top.MediaType.IsIndex() && top.Manifests == nil {
		img, err := st.Image(h)
		if err != nil {
			return err
		}
		p, err := imagePlatform(img, nil)
		if err != nil {
			return err
		}
		res.Image = img
		res.Platforms = []builder.PlatformImage{{Platform: p, Image: img}}
		return nil
	}
	idx, err := loadIndex(st, h)
	if err != nil {
		return err
	}
	children, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range children.Manifests {
		// Attestation manifests (unknown/unknown) describe images; they
		// are not one.
		if !d.MediaType.IsImage() || (d.Platform != nil && d.Platform.OS == "unknown") {
			continue
		}
		img, err := st.Image(d.Digest)
		if err != nil {
			return err
		}
		p, err := imagePlatform(img, d.Platform)
		if err != nil {
			return err
		}
		res.Platforms = append(res.Platforms, builder.PlatformImage{Platform: p, Image: img})
	}
	if len(res.Platforms) == 1 && len(want) <= 1 {
		res.Image = res.Platforms[0].Image
		return nil
	}
	res.Index = idx
	return nil
}

func imagePlatform(img v1.Image, d *v1.Platform) (v1.Platform, error) {
	if d != nil {
		return *d, nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return v1.Platform{}, fmt.Errorf("reading the exported image's config: %w", err)
	}
	return v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}, nil
}

// storedIndex is an image index whose manifest and children are blobs in
// the store, with the daemon's bytes unchanged: its digest is BuildKit's.
type storedIndex struct {
	st  *store.Store
	h   v1.Hash
	raw []byte
}

func loadIndex(st *store.Store, h v1.Hash) (*storedIndex, error) {
	raw, err := st.ReadBlob(h)
	if err != nil {
		return nil, err
	}
	return &storedIndex{st: st, h: h, raw: raw}, nil
}

func (x *storedIndex) MediaType() (types.MediaType, error) {
	im, err := x.IndexManifest()
	if err != nil {
		return "", err
	}
	if im.MediaType == "" {
		return types.OCIImageIndex, nil
	}
	return im.MediaType, nil
}
func (x *storedIndex) Digest() (v1.Hash, error)          { return x.h, nil }
func (x *storedIndex) Size() (int64, error)              { return int64(len(x.raw)), nil }
func (x *storedIndex) RawManifest() ([]byte, error)      { return x.raw, nil }
func (x *storedIndex) Image(h v1.Hash) (v1.Image, error) { return x.st.Image(h) }
func (x *storedIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	return loadIndex(x.st, h)
}
func (x *storedIndex) IndexManifest() (*v1.IndexManifest, error) {
	return v1.ParseIndexManifest(bytes.NewReader(x.raw))
}
