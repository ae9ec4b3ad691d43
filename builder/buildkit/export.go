package buildkit

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/store"
)

// importer receives the OCI exporter's tar stream and writes its blobs
// straight into the image store as they arrive (each checked against its
// digest), keeping only index.json in memory: nothing is unpacked twice
// and the export never lands on disk as a tar.
type importer struct {
	st    *store.Store
	once  sync.Once
	done  chan struct{}
	err   error
	index []byte
}

func newImporter(st *store.Store) *importer {
	return &importer{st: st, done: make(chan struct{})}
}

// output is the exporter's client.ExportEntry Output function.
func (i *importer) output(map[string]string) (io.WriteCloser, error) {
	pr, pw := io.Pipe()
	started := false
	i.once.Do(func() {
		started = true
		go func() {
			defer close(i.done)
			i.err = i.read(pr)
			if i.err == nil {
				_, i.err = io.Copy(io.Discard, pr) // the tar's end padding
			}
			pr.CloseWithError(i.err)
		}()
	})
	if !started {
		return nil, errors.New("the OCI exporter opened its output twice")
	}
	return pw, nil
}

func (i *importer) read(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the OCI export: %w", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(hdr.Name)
		switch {
		case name == "index.json":
			if i.index, err = io.ReadAll(tr); err != nil {
				return fmt.Errorf("reading the OCI export's index.json: %w", err)
			}
		case strings.HasPrefix(name, "blobs/"):
			alg, hex, ok := strings.Cut(strings.TrimPrefix(name, "blobs/"), "/")
			if !ok {
				continue
			}
			h, err := v1.NewHash(alg + ":" + hex)
			if err != nil {
				return fmt.Errorf("reading the OCI export: blob %s: %w", name, err)
			}
			if err := i.st.WriteBlob(h, tr); err != nil {
				return err
			}
		}
	}
}

// wait returns once the export stream was read (at once if it never began).
func (i *importer) wait() error {
	began := true
	i.once.Do(func() { began = false })
	if !began {
		return nil
	}
	<-i.done
	return i.err
}

// result fills res with the exported image or index, read from the store.
func (i *importer) result(res *builder.Result, want []v1.Platform) error {
	if i.index == nil {
		return errors.New("the daemon exported no index.json")
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(i.index))
	if err != nil {
		return fmt.Errorf("parsing index.json: %w", err)
	}
	if len(im.Manifests) != 1 {
		return fmt.Errorf("index.json lists %d manifests; want the one build result", len(im.Manifests))
	}
	top := im.Manifests[0]
	if !top.MediaType.IsIndex() {
		img, err := i.st.Image(top.Digest)
		if err != nil {
			return err
		}
		p, err := imagePlatform(img, top.Platform)
		if err != nil {
			return err
		}
		res.Image = img
		res.Platforms = []builder.PlatformImage{{Platform: p, Image: img}}
		return nil
	}
	idx, err := loadIndex(i.st, top.Digest)
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
		img, err := i.st.Image(d.Digest)
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
