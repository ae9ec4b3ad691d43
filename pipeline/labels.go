package pipeline

import (
	"context"
	"fmt"
	"maps"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/version"
)

// ociMetadata is what one image gets: the org.opencontainers.image.* keys
// computed from the repository and the release, then stevedore.yaml's
// labels/annotations, then the command line's (later wins).
func (r *releaser) ociMetadata(ctx context.Context, ir *imageRun) (labels, annotations map[string]string) {
	main := ""
	if len(ir.p.Tags) > 0 {
		main = ir.p.Tags[0]
	}
	created := r.o.created
	if created.IsZero() {
		created, _ = version.CommitTime(ctx, r.o.dir) // no git: no created key
	}
	base := version.OCIAnnotations(r.o.repoInfo, main, r.plan_.Commit, created)
	labels, annotations = maps.Clone(base), maps.Clone(base)
	for _, m := range []map[string]string{r.cfg.Labels, ir.p.img.Labels, r.o.labels} {
		maps.Copy(labels, m)
	}
	for _, m := range []map[string]string{r.cfg.Annotations, ir.p.img.Annotations, r.o.annotations} {
		maps.Copy(annotations, m)
	}
	return labels, annotations
}

// withOCIMetadata puts labels into every platform image's config and
// annotations on every manifest and on the index, as build-push-action does
// with metadata-action's outputs. The images are rebuilt around the same
// layers, so nothing is rebuilt or re-compressed.
func withOCIMetadata(res *builder.Result, labels, annotations map[string]string) (*builder.Result, error) {
	if len(labels) == 0 && len(annotations) == 0 {
		return res, nil
	}
	out := *res
	out.Platforms = make([]builder.PlatformImage, len(res.Platforms))
	for i, pi := range res.Platforms {
		img, err := labelImage(pi.Image, labels, annotations)
		if err != nil {
			return nil, fmt.Errorf("labelling %s image: %w", pi.Platform.String(), err)
		}
		out.Platforms[i] = builder.PlatformImage{Platform: pi.Platform, Image: img}
	}
	if res.Index == nil {
		if res.Image != nil {
			img, err := labelImage(res.Image, labels, annotations)
			if err != nil {
				return nil, fmt.Errorf("labelling image: %w", err)
			}
			out.Image = img
		}
		return &out, nil
	}
	mt, err := res.Index.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading index media type: %w", err)
	}
	idx := mutate.IndexMediaType(empty.Index, mt)
	for _, pi := range out.Platforms {
		p := pi.Platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: pi.Image, Descriptor: v1.Descriptor{Platform: &p}})
	}
	if mt == types.OCIImageIndex {
		idx = mutate.Annotations(idx, annotations).(v1.ImageIndex)
	}
	out.Index = idx
	return &out, nil
}

func labelImage(img v1.Image, labels, annotations map[string]string) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	c := cf.Config
	c.Labels = maps.Clone(c.Labels)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	maps.Copy(c.Labels, labels)
	img, err = mutate.Config(img, c)
	if err != nil {
		return nil, err
	}
	if mt, err := img.MediaType(); err == nil && mt == types.OCIManifestSchema1 && len(annotations) > 0 {
		img = mutate.Annotations(img, annotations).(v1.Image)
	}
	return img, nil
}
