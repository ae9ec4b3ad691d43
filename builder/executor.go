package builder

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/builder/buildcontext"
	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/isolate"
	"github.com/sreevishnu07/stevedore/builder/layer"
	"github.com/sreevishnu07/stevedore/builder/store"
)

// executor is step execution with no cache: it prepares a layer step
// (what its cache key is made of) and makes its layer, a RUN isolated on
// an overlay of the stage's filesystem (run.go), a COPY or ADD (copy.go),
// WORKDIR's directory. It reads finished stages from the stage set and
// everything else from sources; it never reaches the stage runner or the
// cache above it.
type executor struct {
	stages    *stageSet
	src       *sources
	layers    layerWriter
	hasher    *buildcontext.Hasher // sums of context files, for keys
	cacheDir  string               // holds RUN --mount=type=cache directories
	work      string               // the platform's scratch directory
	secrets   map[string]string    // RUN --mount=type=secret id → file
	sshAgents map[string]string    // RUN --mount=type=ssh id → agent socket
	output    io.Writer            // what RUN commands print
	isolation isolate.Isolation
	forceCopy bool // capture RUN changes by copying and scanning instead of overlayfs
}

// execute makes a layer step's layer (stepExecutor).
func (ex *executor) execute(ctx context.Context, s *stage, st dockerfile.Step, p *prepared) (v1.Layer, error) {
	switch {
	case st.Run != nil:
		return ex.run(ctx, s, st.Run, p)
	case st.Copy != nil:
		return ex.copy(ctx, s, st.Copy, p)
	}
	return ex.mkdir(ctx, s, st.Mkdir)
}

// layerWriter turns a step's changes into a layer stored in the store,
// with the build's epoch and compression.
type layerWriter struct {
	st          *store.Store
	epoch       time.Time
	compression layer.Compression
}

// files writes a layer holding files.
func (w layerWriter) files(ctx context.Context, files []layer.File) (v1.Layer, error) {
	changes, err := layer.FromFiles(ctx, files)
	if err != nil {
		return nil, err
	}
	return w.changes(ctx, changes)
}

// changes writes a layer holding changes.
func (w layerWriter) changes(ctx context.Context, changes *layer.Changes) (v1.Layer, error) {
	return layer.Write(ctx, changes, filepath.Dir(w.st.Path(v1.Hash{Algorithm: "sha256", Hex: "x"})),
		layer.WithEpoch(w.epoch), layer.WithCompression(w.compression))
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

// prepare works out what a layer step depends on (stepExecutor).
func (ex *executor) prepare(ctx context.Context, s *stage, st dockerfile.Step) (*prepared, error) {
	switch {
	case st.Run != nil:
		return ex.prepareRun(ctx, s, st.Run)
	case st.Copy != nil:
		return ex.prepareCopy(ctx, s, st.Copy)
	}
	return &prepared{text: fmt.Sprintf("WORKDIR mkdir %q user %q", st.Mkdir, s.state.Config.User)}, nil
}

// sourceKey is the cache key standing for a stage's or image's whole
// content, worked out without unpacking anything; "" for the build context
// and directories, whose selected files must be fingerprinted instead.
func (ex *executor) sourceKey(ctx context.Context, ref *dockerfile.Source, p v1.Platform) (string, error) {
	if ref == nil {
		return "", nil
	}
	switch ref.Kind {
	case dockerfile.FromStage:
		other, err := ex.stages.finished(ref.Stage)
		if err != nil {
			return "", err
		}
		return "stage:" + other.key, nil
	case dockerfile.FromContext:
		if _, ok := ex.src.contextDir(ref.Name); ok {
			return "", nil
		}
	}
	img, err := ex.src.sourceImage(ctx, *ref, p)
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
func (ex *executor) sourceTree(ctx context.Context, ref *dockerfile.Source, p v1.Platform) (*buildcontext.Tree, string, error) {
	if ref == nil {
		return ex.src.ctxTree, "", nil
	}
	switch ref.Kind {
	case dockerfile.FromStage:
		dir, other, err := ex.stages.root(ctx, ref.Stage)
		if err != nil {
			return nil, "", err
		}
		return buildcontext.OpenDir(dir), "stage:" + other.key, nil
	case dockerfile.FromContext:
		if dir, ok := ex.src.contextDir(ref.Name); ok {
			t, err := buildcontext.OpenContext(dir, "")
			return t, "", err
		}
	}
	dir, key, err := ex.src.imageRoot(ctx, *ref, p)
	if err != nil {
		return nil, "", err
	}
	return buildcontext.OpenDir(dir), key, nil
}
