package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sreevishnu07/stevedore/builder/platform"

	"github.com/sreevishnu07/stevedore/builder/buildcontext"
	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/isolate"
	"github.com/sreevishnu07/stevedore/builder/layer"
	"github.com/sreevishnu07/stevedore/builder/lint"
	"github.com/sreevishnu07/stevedore/builder/store"
	"github.com/sreevishnu07/stevedore/event"
)

// NamedContext is what a --build-context NAME=VALUE stands for: a directory
// of files, an image already in hand (from an oci: layout), or an image
// reference to pull. Exactly one is set.
type NamedContext struct {
	Dir   string
	Image v1.Image
	Index v1.ImageIndex
	Ref   name.Reference
}

// Option configures Build.
type Option func(*options)

type options struct {
	contextDir  string
	dockerfile  string
	target      string
	buildArgs   map[string]string
	platforms   []v1.Platform
	platformSet bool // platforms were asked for, not this machine's default
	named       map[string]NamedContext
	cacheDir    string
	remote      []remote.Option
	epoch       time.Time
	isolation   isolate.Isolation
	secrets     map[string]string
	sshAgents   map[string]string   // RUN --mount=type=ssh id → agent socket
	sshKeys     map[string][]string // id → key files, served by agents of this process
	noCache     bool
	compression layer.Compression
	progress    event.Sink
	output      io.Writer
	exclude     []string
	cacheFrom   []name.Reference
	cacheTo     name.Reference
	// type=local caches (OCI layout directories), remotecache.go.
	localCacheFrom []string
	localCacheTo   string
	// type=gha caches, ghacache.go.
	ghaCacheFrom []GHACache
	ghaCacheTo   *GHACache
	forceCopy    bool // tests: capture RUN changes by copying and scanning instead of overlayfs
	driver       Driver
}

// WithContextDir sets the build context directory. Default ".".
func WithContextDir(dir string) Option { return func(o *options) { o.contextDir = dir } }

// WithDockerfile sets the Dockerfile. Default CONTEXT/Dockerfile.
func WithDockerfile(path string) Option { return func(o *options) { o.dockerfile = path } }

// WithTarget builds the named stage. Default: the last stage.
func WithTarget(stage string) Option { return func(o *options) { o.target = stage } }

// WithBuildArgs sets --build-arg values.
func WithBuildArgs(args map[string]string) Option { return func(o *options) { o.buildArgs = args } }

// WithPlatforms builds an image per platform and an index over them.
// Default: this machine's platform.
// Each is normalised as BuildKit does (linux/arm64/v8 builds linux/arm64).
func WithPlatforms(p ...v1.Platform) Option {
	return func(o *options) {
		o.platforms = make([]v1.Platform, len(p))
		for i := range p {
			o.platforms[i] = platform.Normalize(p[i])
		}
	}
}

// WithNamedContext overrides a stage, FROM image or --from name, as
// --build-context NAME=VALUE does.
func WithNamedContext(name string, c NamedContext) Option {
	return func(o *options) {
		if o.named == nil {
			o.named = map[string]NamedContext{}
		}
		o.named[name] = c
	}
}

// WithCacheDir keeps the image store, the step cache, cache mounts and
// file sums in dir, so later builds reuse them. Default: a temporary
// directory removed after the build (nothing is cached).
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithContextExclude keeps these paths (files or directories, absolute or
// relative to the working directory) out of the build context whatever
// .dockerignore says: outputs written inside the context, such as the image
// layout, SBOMs or signing keys, must never be copied into an image.
func WithContextExclude(paths ...string) Option {
	return func(o *options) { o.exclude = append(o.exclude, paths...) }
}

// WithCacheFrom reads step results shared by earlier builds (--cache-to)
// from these registry references, so a fresh CI machine reuses them.
func WithCacheFrom(refs ...name.Reference) Option {
	return func(o *options) { o.cacheFrom = append(o.cacheFrom, refs...) }
}

// WithCacheTo pushes this build's step results to a registry reference
// after a successful build, for WithCacheFrom in later builds. A build has
// one cache-to: this replaces an earlier WithLocalCacheTo.
func WithCacheTo(ref name.Reference) Option {
	return func(o *options) { o.cacheTo, o.localCacheTo, o.ghaCacheTo = ref, "", nil }
}

// WithRemoteOptions sets how base images are pulled (credentials, transport).
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(o *options) { o.remote = append(o.remote, opts...) }
}

// WithEpoch sets the build epoch: image and history creation times, and the
// clamp for file times in layers. Default: the Unix epoch (1970).
func WithEpoch(t time.Time) Option { return func(o *options) { o.epoch = t.UTC() } }

// WithIsolation chooses how RUN steps run. Default: namespaces as root,
// a user namespace otherwise.
func WithIsolation(i isolate.Isolation) Option { return func(o *options) { o.isolation = i } }

// WithSecrets makes files available to RUN --mount=type=secret,id=ID.
// Their contents never reach a layer, the cache key or any log. Given more
// than once, the maps add up (a later file wins on the same id): the
// configuration's secrets and the command line's are both used.
func WithSecrets(idToFile map[string]string) Option {
	return func(o *options) {
		merged := make(map[string]string, len(o.secrets)+len(idToFile))
		maps.Copy(merged, o.secrets)
		maps.Copy(merged, idToFile)
		o.secrets = merged
	}
}

// WithNoCache rebuilds every step (the results still refresh the cache).
func WithNoCache(b bool) Option { return func(o *options) { o.noCache = b } }

// WithCompression sets the layer compression. Default gzip.
func WithCompression(c layer.Compression) Option { return func(o *options) { o.compression = c } }

// WithProgress receives an event.Step per step.
func WithProgress(p event.Sink) Option { return func(o *options) { o.progress = p } }

// WithOutput receives what RUN commands print. Default: discarded (the
// tail of a failing command's output is in its error either way).
func WithOutput(w io.Writer) Option { return func(o *options) { o.output = w } }

// Result is what Build made.
type Result struct {
	// Image is the image when one platform was built, Index when several.
	Image v1.Image
	Index v1.ImageIndex
	// Platforms lists each platform's image (also when there is one).
	Platforms []PlatformImage
	// Steps reports every step of every platform, in order of completion.
	Steps []StepReport
	// Bases are the images pulled for FROM, COPY --from and mounts.
	Bases []Base
	// Warnings are docker's non-fatal complaints (unused build args, ...).
	Warnings []string
	// Checks are what BuildKit's build checks found (JSONArgsRecommended,
	// SecretsUsedInArgOrEnv, ...), as docker build prints them as warnings.
	Checks []lint.Finding
}

// Manifest is a built image or index as publishing sees it: a manifest
// with its digest, media type and size (both v1.Image and v1.ImageIndex
// are one), as ko's build.Result.
type Manifest interface {
	partial.Describable
	partial.WithRawManifest
}

// Artifact is the built index when several platforms were built, else the
// image.
func (r *Result) Artifact() Manifest {
	if r.Index != nil {
		return r.Index
	}
	return r.Image
}

// PlatformImage is one platform's image.
type PlatformImage struct {
	Platform v1.Platform
	Image    v1.Image
}

// Base is an image a build read, by digest.
type Base struct {
	Ref      string
	Digest   v1.Hash
	Platform v1.Platform
}

// ErrNoDockerfile means the Dockerfile could not be read.
var ErrNoDockerfile = errors.New("no Dockerfile")

// Build builds the Dockerfile in the context for every platform.
func Build(ctx context.Context, opts ...Option) (*Result, error) {
	o := newOptions(opts)
	stopAgents, err := o.serveSSHKeys()
	if err != nil {
		return nil, err
	}
	defer stopAgents()
	if o.driver != nil {
		exclude := o.exclude
		if o.cacheDir != "" {
			exclude = append(exclude[:len(exclude):len(exclude)], o.cacheDir)
		}
		return o.driver.Build(ctx, o.request(contextRelative(o.contextDir, exclude)))
	}
	dt, err := os.ReadFile(o.dockerfile)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w: %w", o.dockerfile, ErrNoDockerfile, err)
	}
	df, err := dockerfile.ParseContext(ctx, bytes.NewReader(dt), o.dockerfile)
	if err != nil {
		return nil, err
	}
	st, cleanup, err := o.openStore()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res := &Result{}
	if err := runChecks(ctx, dt, df, o, st, res); err != nil {
		return nil, err
	}
	ctxTree, err := openContext(o)
	if err != nil {
		return nil, err
	}
	sums := filepath.Join(o.cacheDir, "sums", keyOf(absPath(o.contextDir)))
	st.Lease().Use(sums)
	hasher := buildcontext.LoadHasher(sums)
	defer hasher.Save()

	rec := &recorder{res: res, progress: o.progress}
	env := &buildEnv{o: o, st: st, df: df, ctxTree: ctxTree, hasher: hasher, rec: rec,
		local: &stepCache{dir: o.cacheDir, noCache: o.noCache}, shared: loadSharedCache(ctx, o, st, rec.warn)}
	for _, p := range o.platforms {
		img, err := env.buildPlatform(ctx, p)
		if err != nil {
			return nil, err
		}
		res.Platforms = append(res.Platforms, PlatformImage{Platform: p, Image: img})
	}
	shared := env.shared
	if o.cacheTo != nil {
		if err := exportCache(ctx, o.cacheTo, shared.used, o.remote); err != nil {
			return nil, err
		}
	}
	if o.localCacheTo != "" {
		if err := exportLocalCache(o.localCacheTo, shared.used); err != nil {
			return nil, err
		}
	}
	if o.ghaCacheTo != nil {
		if err := exportGHACache(ctx, *o.ghaCacheTo, shared.used, res); err != nil {
			return nil, err
		}
	}
	if len(res.Platforms) == 1 {
		res.Image = res.Platforms[0].Image
		return res, nil
	}
	res.Index = IndexOf(res.Platforms)
	return res, nil
}

// buildEnv is what the builds of every platform share.
type buildEnv struct {
	o       *options
	st      *store.Store
	df      *dockerfile.Dockerfile
	ctxTree *buildcontext.Tree
	hasher  *buildcontext.Hasher
	rec     *recorder
	local   *stepCache
	shared  *sharedCache
}

// buildPlatform plans the stage graph for p and builds its target, with
// the parts wired one way: stage runner → cache → executor → stages and
// sources.
func (e *buildEnv) buildPlatform(ctx context.Context, p v1.Platform) (v1.Image, error) {
	o := e.o
	g, err := planStages(e.df, o, p)
	if err != nil {
		return nil, err
	}
	for _, w := range g.Warnings {
		e.rec.warn(w.String())
	}
	work, err := e.st.NewWorkDir()
	if err != nil {
		return nil, err
	}
	defer work.Remove()

	stages := newStageSet(g, work.Path)
	src := &sources{st: e.st, remote: o.remote, named: o.named, ctxTree: e.ctxTree, secrets: o.secrets,
		sshAgent: o.sshAgents["default"], cacheDir: o.cacheDir, work: work.Path, rec: e.rec,
		images: map[string]*imageTree{}, pulled: map[string]*pulledImage{}}
	ex := &executor{stages: stages, src: src, layers: layerWriter{st: e.st, epoch: o.epoch, compression: o.compression},
		hasher: e.hasher, cacheDir: o.cacheDir, work: work.Path, secrets: o.secrets, sshAgents: o.sshAgents,
		output: o.output, isolation: o.isolation, forceCopy: o.forceCopy}
	r := &stageRunner{g: g, stages: stages, src: src, rec: e.rec, platform: p, platformSet: o.platformSet, epoch: o.epoch,
		exec: &cachingExecutor{next: ex, local: e.local, shared: e.shared, st: e.st, file: g.File,
			platform: p, epoch: o.epoch, compression: o.compression, warn: e.rec.warn}}
	return r.run(ctx)
}

func newOptions(opts []Option) *options {
	o := &options{contextDir: "."}
	for _, opt := range opts {
		opt(o)
	}
	if o.dockerfile == "" {
		o.dockerfile = filepath.Join(o.contextDir, "Dockerfile")
	}
	o.platformSet = len(o.platforms) > 0
	if !o.platformSet {
		o.platforms = []v1.Platform{HostPlatform()}
	}
	if o.progress == nil {
		o.progress = event.Discard
	}
	if o.output == nil {
		o.output = io.Discard
	}
	return o
}

// openStore opens the image store in the cache directory, or in a
// temporary one (removed by cleanup) when there is none.
func (o *options) openStore() (st *store.Store, cleanup func(), err error) {
	cleanup = func() {}
	if o.cacheDir == "" {
		tmp, err := os.MkdirTemp("", "stevedore-build-")
		if err != nil {
			return nil, nil, fmt.Errorf("creating build directory: %w", err)
		}
		cleanup = func() { os.RemoveAll(tmp) }
		o.cacheDir = tmp
	}
	st, err = store.Open(o.cacheDir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	// Held for the whole build: `stevedore cache prune` keeps what it uses.
	lease, err := store.Acquire(o.cacheDir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	st.SetLease(lease)
	removeTemp := cleanup
	return st, func() { lease.Release(); removeTemp() }, nil
}

// IndexOf is the OCI index over platform images, in their order: what a
// multi-platform build returns, also when its platforms were built apart.
func IndexOf(platforms []PlatformImage) v1.ImageIndex {
	var ii v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pi := range platforms {
		p := pi.Platform
		ii = mutate.AppendManifests(ii, mutate.IndexAddendum{Add: pi.Image, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return ii
}

// HostPlatform is the platform of this machine, normalised as BuildKit
// names it (linux/arm64, with no v8 variant).
func HostPlatform() v1.Platform {
	return platform.Normalize(v1.Platform{OS: "linux", Architecture: runtime.GOARCH})
}

// openContext opens the build context as the build reads it.
func openContext(o *options) (*buildcontext.Tree, error) {
	// The cache is stevedore's own output too, when it lives in the context.
	always := contextRelative(o.contextDir, append(o.exclude, o.cacheDir))
	return buildcontext.OpenContext(o.contextDir, o.dockerfile+".dockerignore", always...)
}

// ContextExcluded returns what a build with opts leaves out of its context:
// a path (slash-separated, relative to the context directory) excluded by
// .dockerignore (or the Dockerfile's NAME.dockerignore), WithContextExclude
// or WithCacheDir. Such a path can never change the image.
func ContextExcluded(opts ...Option) (func(rel string) bool, error) {
	o := &options{contextDir: "."}
	for _, opt := range opts {
		opt(o)
	}
	if o.dockerfile == "" {
		o.dockerfile = filepath.Join(o.contextDir, "Dockerfile")
	}
	t, err := openContext(o)
	if err != nil {
		return nil, err
	}
	return t.Excluded, nil
}

// contextRelative turns paths into paths relative to the context directory.
func contextRelative(contextDir string, paths []string) []string {
	out := []string{}
	for _, p := range paths {
		if rel, err := filepath.Rel(absPath(contextDir), absPath(p)); p != "" && err == nil {
			out = append(out, rel)
		}
	}
	return out
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
