package builder

import (
	"context"
	"fmt"
	"os"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sreevishnu07/stevedore/builder/buildcontext"
	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/rootfs"
)

// Where a step's inputs come from (the build context, a finished stage, a
// named context or an image) and what stands for them in the cache key.

type imageTree struct {
	once sync.Once
	dir  string
	key  string
	err  error
}

// sourceImage resolves COPY --from=IMAGE or a mount's image once per build
// (pulling what the store lacks), without unpacking it.
func (b *builder) sourceImage(ctx context.Context, src dockerfile.Source, p v1.Platform) (v1.Image, error) {
	k := src.Kind.String() + ":" + src.Name + "@" + platformString(p)
	b.mu.Lock()
	e, ok := b.pulled[k]
	if !ok {
		e = &pulledImage{}
		b.pulled[k] = e
	}
	b.mu.Unlock()
	e.once.Do(func() { e.img, e.err = b.baseImage(ctx, src, p) })
	return e.img, e.err
}

type pulledImage struct {
	once sync.Once
	img  v1.Image
	err  error
}

// stageRoot waits for another stage and returns its materialized
// filesystem, for COPY --from and RUN --mount=from.
func (b *builder) stageRoot(ctx context.Context, i int) (string, *stage, error) {
	other, ok := b.stages[i]
	if !ok {
		return "", nil, fmt.Errorf("stage %d is not part of this build", i)
	}
	<-other.done
	// Materializing mutates the other stage's bookkeeping; stages that
	// read the same finished stage in parallel take turns.
	b.mu.Lock()
	defer b.mu.Unlock()
	dir, err := b.ensureRoot(ctx, other)
	return dir, other, err
}

// imageRoot pulls and materializes an image for COPY --from=IMAGE and
// RUN --mount=from=IMAGE, once per build.
func (b *builder) imageRoot(ctx context.Context, src dockerfile.Source, p v1.Platform) (string, string, error) {
	k := src.Kind.String() + ":" + src.Name
	b.mu.Lock()
	it, ok := b.images[k]
	if !ok {
		it = &imageTree{}
		b.images[k] = it
	}
	b.mu.Unlock()
	it.once.Do(func() {
		img, err := b.sourceImage(ctx, src, p)
		if err != nil {
			it.err = err
			return
		}
		d, _ := img.Digest()
		it.key = keyOf("image", d.String())
		dir, err := os.MkdirTemp(b.work, "image-")
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

// prepared is what a layer step depends on, worked out before the cache
// lookup and reused by the step if it has to run.
type prepared struct {
	text   string                 // canonical description of the step, for the cache key
	source string                 // what its input files are (content digest, stage key, URL sums)
	files  []buildcontext.FileSum // context files it reads, to explain misses
	// COPY/ADD
	tree      *buildcontext.Tree
	matches   []buildcontext.Match
	downloads []download
	gits      []*gitSource
	local     []string // the sources read from the context, a stage or an image
	// RUN
	binds []preparedBind
	env   []string // set for the step only (SSH_AUTH_SOCK)
}

func (b *builder) prepare(ctx context.Context, s *stage, st dockerfile.Step) (*prepared, error) {
	switch {
	case st.Run != nil:
		return b.prepareRun(ctx, s, st.Run)
	case st.Copy != nil:
		return b.prepareCopy(ctx, s, st.Copy)
	}
	return &prepared{text: fmt.Sprintf("WORKDIR mkdir %q user %q", st.Mkdir, s.state.Config.User)}, nil
}

// sourceKey is the cache key standing for a stage's or image's whole
// content, worked out without unpacking anything; "" for the build context
// and directories, whose selected files must be fingerprinted instead.
func (b *builder) sourceKey(ctx context.Context, ref *dockerfile.Source, p v1.Platform) (string, error) {
	if ref == nil {
		return "", nil
	}
	switch ref.Kind {
	case dockerfile.FromStage:
		other, ok := b.stages[ref.Stage]
		if !ok {
			return "", fmt.Errorf("stage %d is not part of this build", ref.Stage)
		}
		<-other.done
		return "stage:" + other.key, nil
	case dockerfile.FromContext:
		if nc, ok := b.o.named[ref.Name]; ok && nc.Dir != "" {
			return "", nil
		}
	}
	img, err := b.sourceImage(ctx, *ref, p)
	if err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return keyOf("image", d.String()), nil
}

// sourceTree resolves where COPY --from or RUN --mount=from reads: the build
// context, a finished stage, a named context or an image. It returns the
// tree and, for stages and images, a key standing for their whole content
// (their files need no hashing: their cache keys already say what they are).
func (b *builder) sourceTree(ctx context.Context, ref *dockerfile.Source, p v1.Platform) (*buildcontext.Tree, string, error) {
	if ref == nil {
		return b.ctxTree, "", nil
	}
	switch ref.Kind {
	case dockerfile.FromStage:
		dir, other, err := b.stageRoot(ctx, ref.Stage)
		if err != nil {
			return nil, "", err
		}
		return buildcontext.OpenDir(dir), "stage:" + other.key, nil
	case dockerfile.FromContext:
		if nc, ok := b.o.named[ref.Name]; ok && nc.Dir != "" {
			t, err := buildcontext.OpenContext(nc.Dir, "")
			return t, "", err
		}
	}
	dir, key, err := b.imageRoot(ctx, *ref, p)
	if err != nil {
		return nil, "", err
	}
	return buildcontext.OpenDir(dir), key, nil
}
