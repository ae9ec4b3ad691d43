package builder

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/sreevishnu07/stevedore/builder/buildcontext"
	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/rootfs"
	"github.com/sreevishnu07/stevedore/builder/store"
)

// builder builds one platform.
type builder struct {
	o        *options
	st       *store.Store
	df       *dockerfile.Dockerfile
	g        *dockerfile.Graph
	platform v1.Platform
	ctxTree  *buildcontext.Tree
	hasher   *buildcontext.Hasher
	exec     *cachingExecutor
	res      *Result
	work     string

	mu     sync.Mutex
	stages map[int]*stage
	images map[string]*imageTree   // pulled images materialized for COPY --from and mounts
	pulled map[string]*pulledImage // images resolved for COPY --from and mounts
}

// stage is a stage being built or finished.
type stage struct {
	ps    *dockerfile.PlannedStage
	state *dockerfile.State
	fs    fsState
	key   string // cache key of the filesystem so far
	// root is the materialized filesystem ("" until a step needs it) and
	// applied how many of fs.layers it holds.
	root    string
	applied int
	rebuilt bool // a step of this stage missed the cache
	done    chan struct{}
}

func (b *builder) build(ctx context.Context) (v1.Image, error) {
	named := map[string]string{}
	for k, nc := range b.o.named {
		switch {
		case nc.Dir != "":
			named[k] = nc.Dir
		case nc.Ref != nil:
			named[k] = "docker-image://" + nc.Ref.String()
		default:
			named[k] = "image"
		}
	}
	g, err := b.df.Plan(dockerfile.PlanOptions{
		Target: b.o.target, BuildArgs: b.o.buildArgs,
		BuildPlatform: HostPlatform(), TargetPlatform: b.platform, NamedContexts: named,
	})
	if err != nil {
		return nil, err
	}
	b.g = g
	for _, w := range g.Warnings {
		b.addWarning(w.String())
	}
	work, err := b.st.NewWorkDir()
	if err != nil {
		return nil, err
	}
	b.work = work.Path
	defer work.Remove()

	b.stages = map[int]*stage{}
	b.images = map[string]*imageTree{}
	b.pulled = map[string]*pulledImage{}
	for _, ps := range g.Stages {
		b.stages[ps.Index] = &stage{ps: ps, done: make(chan struct{})}
	}
	for _, level := range g.Levels {
		eg, ectx := errgroup.WithContext(ctx)
		for _, i := range level {
			s := b.stages[i]
			eg.Go(func() error {
				defer close(s.done)
				return b.buildStage(ectx, s)
			})
		}
		if err := eg.Wait(); err != nil {
			return nil, err
		}
	}
	t := b.stages[g.Target]
	return assemble(t.fs, t.state, t.state.Platform, b.o.epoch)
}

func (b *builder) addWarning(w string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.res.Warnings = append(b.res.Warnings, w)
}

func (b *builder) report(r StepReport) {
	r.Platform = platformString(b.platform)
	r.File = b.g.File
	r.Instruction = redactURL(r.Instruction)
	b.o.progress.Emit(r)
	if r.Status == StatusStarted {
		return
	}
	b.mu.Lock()
	b.res.Steps = append(b.res.Steps, r)
	b.mu.Unlock()
}

// buildStage sets up the base, then applies the base's ONBUILD triggers and
// the stage's instructions in order.
func (b *builder) buildStage(ctx context.Context, s *stage) error {
	if err := b.startStage(ctx, s); err != nil {
		return err
	}
	if s.ps.Overridden {
		return nil
	}
	instrs := append(append([]dockerfile.Instruction(nil), s.state.Triggers...), s.ps.Instructions...)
	for n, in := range instrs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := b.step(ctx, s, n, in); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) startStage(ctx context.Context, s *stage) error {
	base := s.ps.Base
	var err error
	switch base.Kind {
	case dockerfile.FromScratch:
		s.key = keyOf("scratch", platformString(s.ps.Platform))
		s.state, err = b.g.NewState(s.ps.Index, nil)
	case dockerfile.FromStage:
		parent := b.stages[base.Stage]
		<-parent.done
		s.fs = parent.fs.clone()
		s.key = parent.key
		s.state, err = b.g.NewStateFromStage(s.ps.Index, parent.state)
	case dockerfile.FromImage, dockerfile.FromContext:
		var img v1.Image
		img, err = b.baseImage(ctx, base, s.ps.Platform)
		if err != nil {
			return fmt.Errorf("%s:%d: FROM %s: %w", b.g.File, s.ps.Line, base.Name, err)
		}
		if s.fs, err = baseState(img); err != nil {
			return err
		}
		d, _ := img.Digest()
		s.key = keyOf("image", d.String())
		s.state, err = b.g.NewState(s.ps.Index, s.fs.base)
	default:
		err = fmt.Errorf("unknown base kind %v", base.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s:%d: starting stage %s: %w", b.g.File, s.ps.Line, s.ps.DisplayName(), err)
	}
	return nil
}

// baseImage resolves an image reference or a named context to an image for
// the platform, pulling what the store lacks.
func (b *builder) baseImage(ctx context.Context, src dockerfile.Source, p v1.Platform) (v1.Image, error) {
	if src.Kind == dockerfile.FromContext {
		nc, ok := b.o.named[src.Name]
		if !ok {
			return nil, fmt.Errorf("named context %q was not given", src.Name)
		}
		switch {
		case nc.Image != nil:
			return nc.Image, nil
		case nc.Index != nil:
			return imageForPlatform(nc.Index, p)
		case nc.Ref != nil:
			return b.pull(ctx, nc.Ref, p)
		default:
			return nil, fmt.Errorf("named context %q is a directory; FROM needs an image (oci:PATH or docker-image://REF)", src.Name)
		}
	}
	ref, err := name.ParseReference(src.Ref)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", src.Ref, err)
	}
	return b.pull(ctx, ref, p)
}

func (b *builder) pull(ctx context.Context, ref name.Reference, p v1.Platform) (v1.Image, error) {
	img, err := b.st.Pull(ctx, ref, p, b.o.remote...)
	if err != nil {
		return nil, err
	}
	d, _ := img.Digest()
	b.mu.Lock()
	b.res.Bases = append(b.res.Bases, Base{Ref: ref.String(), Digest: d, Platform: p})
	b.mu.Unlock()
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

// step applies one instruction: metadata only, or a layer from the cache or
// built now.
func (b *builder) step(ctx context.Context, s *stage, n int, in dockerfile.Instruction) error {
	start := time.Now()
	st, err := s.state.Apply(in)
	if err != nil {
		return err
	}
	rep := StepReport{Stage: s.ps.DisplayName(), Line: in.Line, Instruction: in.Source}
	if st.History == nil { // ONBUILD registers a trigger and writes nothing
		return nil
	}
	h := *st.History
	h.Created = v1.Time{Time: b.o.epoch}
	if st.Run == nil && st.Copy == nil && st.Mkdir == "" {
		s.fs.history = append(s.fs.history, h)
		return nil
	}

	res, err := b.exec.step(ctx, s, layerStep{Step: st, in: in, n: n}, func(reason string) {
		rep.Reason = reason
		b.report(StepReport{Stage: rep.Stage, Line: rep.Line, Instruction: rep.Instruction, Status: StatusStarted, Reason: reason})
	})
	if err != nil {
		return err
	}
	rep.Status = StatusCached
	if !res.cached {
		s.rebuilt = true
		rep.Status = StatusDone
	}
	l := res.layer
	s.fs.layers = append(s.fs.layers, l)
	s.fs.history = append(s.fs.history, h)
	s.key = res.key
	d, _ := l.Digest()
	rep.Layer = d.String()
	rep.Duration = time.Since(start)
	b.report(rep)
	return nil
}

// execute makes a layer step's layer: the builder is the step executor
// the cache wraps.
func (b *builder) execute(ctx context.Context, s *stage, st dockerfile.Step, p *prepared) (v1.Layer, error) {
	switch {
	case st.Run != nil:
		return b.run(ctx, s, st.Run, p)
	case st.Copy != nil:
		return b.copy(ctx, s, st.Copy, p)
	}
	return b.mkdir(ctx, s, st.Mkdir)
}

// ensureRoot brings the stage's materialized filesystem up to date with its
// layers, creating it on first use. Only steps that miss the cache need it,
// so a fully cached build extracts nothing.
func (b *builder) ensureRoot(ctx context.Context, s *stage) (string, error) {
	if s.root == "" {
		dir, err := os.MkdirTemp(b.work, "rootfs-")
		if err != nil {
			return "", err
		}
		s.root, s.applied = dir, 0
	}
	for ; s.applied < len(s.fs.layers); s.applied++ {
		if _, err := rootfs.Apply(ctx, s.root, s.fs.layers[s.applied]); err != nil {
			return "", fmt.Errorf("materializing the root filesystem: %w", err)
		}
	}
	return s.root, nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
