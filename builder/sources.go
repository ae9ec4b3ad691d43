package builder

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/builder/buildcontext"
	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/rootfs"
	"github.com/sreevishnu07/stevedore/builder/store"
)

// sources is where a platform's steps read from other than its stages: the
// build context, named contexts, images (pulled once, unpacked once), git
// repositories (gitsource.go, through the git cache) and ADD URLs
// (download.go). It knows nothing of stages: COPY --from=STAGE is the
// executor's to resolve.
type sources struct {
	st       *store.Store
	remote   []remote.Option
	named    map[string]NamedContext
	ctxTree  *buildcontext.Tree
	secrets  map[string]string // GIT_AUTH_TOKEN and GIT_AUTH_HEADER, for git remotes
	sshAgent string            // the "default" agent, for git@ remotes
	cacheDir string            // holds the git cache
	work     string            // where downloads, checkouts and unpacked images go
	rec      *recorder         // the images pulled

	mu     sync.Mutex
	images map[string]*imageTree   // pulled images materialized for COPY --from and mounts
	pulled map[string]*pulledImage // images resolved for COPY --from and mounts
}

type imageTree struct {
	once sync.Once
	dir  string
	key  string
	err  error
}

type pulledImage struct {
	once sync.Once
	img  v1.Image
	err  error
}

// contextDir is the directory a named context stands for, if it is one.
func (sr *sources) contextDir(name string) (string, bool) {
	nc, ok := sr.named[name]
	return nc.Dir, ok && nc.Dir != ""
}

// baseImage resolves an image reference or a named context to an image for
// the platform, pulling what the store lacks.
func (sr *sources) baseImage(ctx context.Context, src dockerfile.Source, p v1.Platform) (v1.Image, error) {
	if src.Kind == dockerfile.FromContext {
		nc, ok := sr.named[src.Name]
		if !ok {
			return nil, fmt.Errorf("named context %q was not given", src.Name)
		}
		switch {
		case nc.Image != nil:
			return nc.Image, nil
		case nc.Index != nil:
			return imageForPlatform(nc.Index, p)
		case nc.Ref != nil:
			return sr.pull(ctx, nc.Ref, p)
		default:
			return nil, fmt.Errorf("named context %q is a directory; FROM needs an image (oci:PATH or docker-image://REF)", src.Name)
		}
	}
	ref, err := name.ParseReference(src.Ref)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", src.Ref, err)
	}
	return sr.pull(ctx, ref, p)
}

func (sr *sources) pull(ctx context.Context, ref name.Reference, p v1.Platform) (v1.Image, error) {
	img, err := sr.st.Pull(ctx, ref, p, sr.remote...)
	if err != nil {
		return nil, err
	}
	d, _ := img.Digest()
	sr.rec.base(Base{Ref: ref.String(), Digest: d, Platform: p})
	return img, nil
}

func imageForPlatform(ii v1.ImageIndex, p v1.Platform) (v1.Image, error) {
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.Satisfies(v1.Platform{OS: p.OS, Architecture: p.Architecture}) {
			return ii.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("the index has no image for %s", platformString(p))
}

// sourceImage resolves COPY --from=IMAGE or a mount's image once per build
// (pulling what the store lacks), without unpacking it.
func (sr *sources) sourceImage(ctx context.Context, src dockerfile.Source, p v1.Platform) (v1.Image, error) {
	k := src.Kind.String() + ":" + src.Name + "@" + platformString(p)
	sr.mu.Lock()
	e, ok := sr.pulled[k]
	if !ok {
		e = &pulledImage{}
		sr.pulled[k] = e
	}
	sr.mu.Unlock()
	e.once.Do(func() { e.img, e.err = sr.baseImage(ctx, src, p) })
	return e.img, e.err
}

// imageRoot pulls and materializes an image for COPY --from=IMAGE and
// RUN --mount=from=IMAGE, once per build.
func (sr *sources) imageRoot(ctx context.Context, src dockerfile.Source, p v1.Platform) (string, string, error) {
	k := src.Kind.String() + ":" + src.Name
	sr.mu.Lock()
	it, ok := sr.images[k]
	if !ok {
		it = &imageTree{}
		sr.images[k] = it
	}
	sr.mu.Unlock()
	it.once.Do(func() {
		img, err := sr.sourceImage(ctx, src, p)
		if err != nil {
			it.err = err
			return
		}
		d, _ := img.Digest()
		it.key = keyOf("image", d.String())
		dir, err := os.MkdirTemp(sr.work, "image-")
		if err != nil {
			it.err = err
			return
		}
		layers, err := img.Layers()
		if err != nil {
			it.err = err
			return
		}
		for _, l := range layers {
			if _, err := rootfs.Apply(ctx, dir, l); err != nil {
				it.err = err
				return
			}
		}
		it.dir = dir
	})
	return it.dir, it.key, it.err
}
