package sign

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/internal/ocilayout"
)

// Referrers in an OCI layout are kept as ORAS (oras cp --recursive to an
// OCI layout) and regclient's ocidir keep them: the referrer manifest is a
// blob, listed in index.json by a descriptor without a ref name that
// carries the manifest's artifactType and annotations, and the referrers of
// a digest are the listed manifests whose subject it is. oras discover
// --oci-layout lists them so.

func (l *layoutTarget) describe(_ context.Context, h v1.Hash) (v1.Descriptor, error) {
	ii, err := l.path.ImageIndex()
	if err != nil {
		return v1.Descriptor{}, err
	}
	d, err := find(ii, h, 0)
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest}, nil
}

func (l *layoutTarget) referrers(_ context.Context, h v1.Hash) ([]v1.Descriptor, error) {
	ii, err := l.path.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []v1.Descriptor
	seen := map[v1.Hash]bool{}
	for _, d := range im.Manifests {
		if d.MediaType != types.OCIManifestSchema1 || seen[d.Digest] {
			continue
		}
		seen[d.Digest] = true
		raw, err := l.path.Bytes(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading manifest %s listed in index.json: %w", d.Digest, err)
		}
		var m struct {
			Subject *v1.Descriptor `json:"subject"`
		}
		if json.Unmarshal(raw, &m) == nil && m.Subject != nil && m.Subject.Digest == h {
			out = append(out, d)
		}
	}
	return out, nil
}

func (l *layoutTarget) manifest(_ context.Context, h v1.Hash) (v1.Image, error) {
	return l.path.Image(h)
}

// putReferrer writes ref's blobs and manifest and lists the manifest in
// index.json, unless it already is (a copy run again writes nothing). The
// listing is one change under the layout's lock (ocilayout.Update), so
// processes adding referrers to one layout at once each keep theirs.
func (l *layoutTarget) putReferrer(ctx context.Context, h v1.Hash, ref referrer) error {
	desc, err := ref.descriptor()
	if err != nil {
		return err
	}
	listed, err := l.referrers(ctx, h)
	if err != nil {
		return err
	}
	for _, d := range listed {
		if d.Digest == desc.Digest {
			return nil
		}
	}
	for _, b := range ref.blobs {
		bh, err := b.Digest()
		if err != nil {
			return err
		}
		rc, err := b.Compressed()
		if err != nil {
			return err
		}
		err = l.path.WriteBlob(bh, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("writing %s: %w", l, err)
		}
	}
	if err := l.path.WriteBlob(desc.Digest, io.NopCloser(bytesReader(ref.raw))); err != nil {
		return fmt.Errorf("writing %s: %w", l, err)
	}
	err = ocilayout.Update(string(l.path), func(im *v1.IndexManifest) error {
		for _, d := range im.Manifests {
			if d.Digest == desc.Digest {
				return nil
			}
		}
		im.Manifests = append(im.Manifests, desc)
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing the referrer in %s/index.json: %w", l.path, err)
	}
	return nil
}
