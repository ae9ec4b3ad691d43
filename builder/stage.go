package builder

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/sreevishnu07/stevedore/builder/dockerfile"
)

// planStages plans the Dockerfile's stage graph for one platform.
func planStages(df *dockerfile.Dockerfile, o *options, p v1.Platform) (*dockerfile.Graph, error) {
	named := map[string]string{}
	for k, nc := range o.named {
		switch {
		case nc.Dir != "":
			named[k] = nc.Dir
		case nc.Ref != nil:
			named[k] = "docker-image://" + nc.Ref.String()
		default:
			named[k] = "image"
		}
	}
	return df.Plan(dockerfile.PlanOptions{
		Target: o.target, BuildArgs: o.buildArgs,
		BuildPlatform: HostPlatform(), TargetPlatform: p, NamedContexts: named,
	})
}

// stageRunner builds one platform's stage graph: it walks the graph's
// levels (the stages of a level in parallel), starts each stage from its
// base, applies each instruction to the stage's config and hands the steps
// that make a layer to the cache-wrapped executor.
type stageRunner struct {
	g        *dockerfile.Graph
	stages   *stageSet
	src      *sources // FROM images
	exec     *cachingExecutor
	rec      *recorder
	platform v1.Platform
	// platformSet: the platform was asked for (--platform), so it names
	// the image's OS and architecture whatever the target stage's base.
	platformSet bool
	epoch       time.Time
}

// run builds the stages the target needs and assembles the target's image.
func (r *stageRunner) run(ctx context.Context) (v1.Image, error) {
	for _, level := range r.g.Levels {
		eg, ectx := errgroup.WithContext(ctx)
		for _, i := range level {
			s := r.stages.get(i)
			eg.Go(func() error {
				defer close(s.done)
				return r.buildStage(ectx, s)
			})
		}
		if err := eg.Wait(); err != nil {
			return nil, err
		}
	}
	t := r.stages.get(r.g.Target)
	return assemble(t.fs, t.state, imagePlatform(t.state.Platform, r.platform, r.platformSet), r.epoch)
}

func (r *stageRunner) report(rep StepReport) {
	rep.Platform = platformString(r.platform)
	rep.File = r.g.File
	rep.Instruction = redactURL(rep.Instruction)
	r.rec.step(rep)
}

// buildStage sets up the base, then applies the base's ONBUILD triggers and
// the stage's instructions in order.
func (r *stageRunner) buildStage(ctx context.Context, s *stage) error {
	if err := r.startStage(ctx, s); err != nil {
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
		if err := r.step(ctx, s, n, in); err != nil {
			return err
		}
	}
	return nil
}

func (r *stageRunner) startStage(ctx context.Context, s *stage) error {
	base := s.ps.Base
	var err error
	switch base.Kind {
	case dockerfile.FromScratch:
		s.key = keyOf("scratch", platformString(s.ps.Platform))
		s.state, err = r.g.NewState(s.ps.Index, nil)
	case dockerfile.FromStage:
		var parent *stage
		if parent, err = r.stages.finished(base.Stage); err != nil {
			break
		}
		s.fs = parent.fs.clone()
		s.key = parent.key
		s.state, err = r.g.NewStateFromStage(s.ps.Index, parent.state)
	case dockerfile.FromImage, dockerfile.FromContext:
		var img v1.Image
		img, err = r.src.baseImage(ctx, base, s.ps.Platform)
		if err != nil {
			return fmt.Errorf("%s:%d: FROM %s: %w", r.g.File, s.ps.Line, base.Name, err)
		}
		if s.fs, err = baseState(img); err != nil {
			return err
		}
		d, _ := img.Digest()
		s.key = keyOf("image", d.String())
		s.state, err = r.g.NewState(s.ps.Index, s.fs.base)
	default:
		err = fmt.Errorf("unknown base kind %v", base.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s:%d: starting stage %s: %w", r.g.File, s.ps.Line, s.ps.DisplayName(), err)
	}
	return nil
}

// step applies one instruction: metadata only, or a layer from the cache or
// built now.
func (r *stageRunner) step(ctx context.Context, s *stage, n int, in dockerfile.Instruction) error {
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
	h.Created = v1.Time{Time: r.epoch}
	if st.Run == nil && st.Copy == nil && st.Mkdir == "" {
		s.fs.history = append(s.fs.history, h)
		return nil
	}

	res, err := r.exec.step(ctx, s, layerStep{Step: st, in: in, n: n}, func(reason string) {
		rep.Reason = reason
		r.report(StepReport{Stage: rep.Stage, Line: rep.Line, Instruction: rep.Instruction, Status: StatusStarted, Reason: reason})
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
	r.report(rep)
	return nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
