package builder

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/layer"
	"github.com/sreevishnu07/stevedore/builder/store"
)

// stepExecutor makes the layer of a step that has one (RUN, COPY or ADD,
// WORKDIR's directory) on a stage. It knows nothing of the cache: the
// cachingExecutor around it decides whether it runs at all.
type stepExecutor interface {
	// prepare works out what the step depends on without building
	// anything: what its cache key is made of, and what building it then
	// reuses.
	prepare(ctx context.Context, s *stage, st dockerfile.Step) (*prepared, error)
	// execute makes the step's layer on the stage's filesystem.
	execute(ctx context.Context, s *stage, st dockerfile.Step, p *prepared) (v1.Layer, error)
}

// layerStep is a step with a layer, as the stage runner hands it down.
type layerStep struct {
	dockerfile.Step
	in dockerfile.Instruction
	n  int // its position among the stage's instructions (ONBUILD triggers first)
}

// stepResult is what became of a layer step.
type stepResult struct {
	layer  v1.Layer
	key    string // the stage's key once the step is applied
	cached bool   // the layer came from a cache, local or shared
}

// cachingExecutor wraps step execution with the build cache: it keys each
// step by what it depends on, serves the layer from the step cache or a
// --cache-from cache when either has it, and otherwise executes the step,
// records its layer and says why it missed. Every layer it hands back,
// cached or built, is marked used for --cache-to.
type cachingExecutor struct {
	next        stepExecutor
	local       *stepCache
	shared      *sharedCache
	st          *store.Store
	file        string // the Dockerfile, for errors and each step's place in the cache
	platform    v1.Platform
	epoch       time.Time
	compression layer.Compression
	warn        func(string)
}

// step applies the cache around one layer step of s. started is told why
// the cache missed, before the step is executed.
func (c *cachingExecutor) step(ctx context.Context, s *stage, ls layerStep, started func(reason string)) (stepResult, error) {
	in := ls.in
	prep, err := c.next.prepare(ctx, s, ls.Step)
	if err != nil {
		return stepResult{}, fmt.Errorf("%s:%d: %s: %w", c.file, in.Line, oneLine(in.Source), err)
	}
	// A --link layer does not depend on the layers below, so neither does
	// its key (a new base reuses it); the stage's key still chains it.
	parent := s.key
	if ls.Copy != nil && linked(ls.Copy) && !chownByName(ls.Copy.Chown) {
		parent = "link"
	}
	key := keyOf(layerSemantics, parent, prep.text, prep.source, c.epoch.UTC().Format(time.RFC3339), c.compression.String())
	scope := keyOf(absPath(c.file), platformString(c.platform), s.ps.DisplayName(), fmt.Sprint(ls.n), in.Keyword)
	record := inputs{Key: key, Parent: s.key, Text: prep.text, Source: prep.source, Files: prep.files}

	l, hit := c.local.lookup(c.st, key)
	if e, ok := c.shared.entry(key); !hit && ok && !c.local.noCache {
		if l, err = c.shared.fetch(ctx, e); err == nil {
			err = c.local.record(key, l)
		}
		if err == nil {
			hit = true
		} else {
			c.warn(fmt.Sprintf("fetching cached layer for %s:%d from %s: %v", c.file, in.Line, e.repo, err))
		}
	}
	if !hit {
		started(c.local.explain(scope, record, s.rebuilt))
		if l, err = c.next.execute(ctx, s, ls.Step, prep); err != nil {
			return stepResult{}, fmt.Errorf("%s:%d: %s: %w", c.file, in.Line, oneLine(in.Source), err)
		}
		if err := c.local.record(key, l); err != nil {
			return stepResult{}, fmt.Errorf("recording build cache: %w", err)
		}
	}
	c.local.remember(scope, record)
	c.shared.use(key, l)
	if parent != s.key {
		key = keyOf(s.key, key)
	}
	return stepResult{layer: l, key: key, cached: hit}, nil
}
