package builder

import (
	"context"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/event"
)

// Driver builds a Dockerfile somewhere other than in this process: a BuildKit
// daemon. Build hands it the request its options describe and returns its
// Result unchanged, so everything after the build (push, SBOM, signing)
// reads the same kind of value whichever builder made it.
type Driver interface {
	Build(ctx context.Context, req Request) (*Result, error)
}

// Request is a build's inputs with Build's defaults applied.
type Request struct {
	ContextDir string
	Dockerfile string
	Target     string
	BuildArgs  map[string]string
	Platforms  []v1.Platform
	Named      map[string]NamedContext
	// Epoch is the build time (SOURCE_DATE_EPOCH); file times are clamped to it.
	Epoch   time.Time
	Secrets map[string]string
	// SSH maps RUN --mount=type=ssh ids to agent sockets.
	SSH     map[string]string
	NoCache bool
	// Exclude are paths (relative to ContextDir) that never enter the
	// context, whatever .dockerignore says: stevedore's own outputs.
	Exclude   []string
	CacheFrom []name.Reference
	CacheTo   name.Reference
	// LocalCacheFrom and LocalCacheTo are type=local caches: directories.
	LocalCacheFrom []string
	LocalCacheTo   string
	// GHACacheFrom and GHACacheTo are type=gha caches (GitHub Actions' cache service).
	GHACacheFrom []GHACache
	GHACacheTo   *GHACache
	// CacheDir holds the image store the result's blobs are read from.
	CacheDir string
	Progress event.Sink
	Output   io.Writer
}

// WithDriver builds through d instead of the embedded builder.
func WithDriver(d Driver) Option { return func(o *options) { o.driver = d } }

func (o *options) request(exclude []string) Request {
	return Request{
		ContextDir: o.contextDir, Dockerfile: o.dockerfile, Target: o.target, BuildArgs: o.buildArgs,
		Platforms: o.platforms, Named: o.named, Epoch: o.epoch, Secrets: o.secrets, SSH: o.sshAgents, NoCache: o.noCache,
		Exclude: exclude, CacheFrom: o.cacheFrom, CacheTo: o.cacheTo, CacheDir: o.cacheDir,
		LocalCacheFrom: o.localCacheFrom, LocalCacheTo: o.localCacheTo,
		GHACacheFrom: o.ghaCacheFrom, GHACacheTo: o.ghaCacheTo,
		Progress: o.progress, Output: o.output,
	}
}
