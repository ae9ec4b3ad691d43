package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/builder/buildcontext"
	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/lint"
	"github.com/sreevishnu07/stevedore/builder/store"
)

// Checker is a Driver that runs the build checks where it builds: a
// BuildKit daemon's own lint.
type Checker interface {
	Check(ctx context.Context, req Request) (*lint.Report, error)
}

// Check runs BuildKit's build checks on the Dockerfile without building, as
// `docker buildx build --check` does: on the driver when it is a Checker,
// else here, reading base images' configs (not their layers) through the
// store in the cache directory.
func Check(ctx context.Context, opts ...Option) (*lint.Report, error) {
	o := newOptions(opts)
	if c, ok := o.driver.(Checker); ok {
		return c.Check(ctx, o.request(nil))
	}
	dt, err := os.ReadFile(o.dockerfile)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w: %w", o.dockerfile, ErrNoDockerfile, err)
	}
	st, cleanup, err := o.openStore()
	if err != nil {
		return nil, err
	}
	defer cleanup()
	lo, err := o.lintOptions(st)
	if err != nil {
		return nil, err
	}
	return lint.Check(ctx, dt, lo)
}

// lintOptions are the build's inputs as the checks see them.
func (o *options) lintOptions(st *store.Store) (lint.Options, error) {
	_, ignore, err := buildcontext.IgnoreFile(o.contextDir, o.dockerfile+".dockerignore")
	if err != nil {
		return lint.Options{}, err
	}
	return lint.Options{
		Filename: o.dockerfile, Target: o.target, BuildArgs: o.buildArgs,
		Platform: o.platforms[0], Resolver: &baseResolver{o: o, st: st}, DockerIgnore: ignore,
	}, nil
}

// baseResolver reads base images for the checks as the build reads them:
// named contexts first, then the registry through the store.
type baseResolver struct {
	o  *options
	st *store.Store
}

func (r *baseResolver) ImageConfig(ctx context.Context, ref string, p v1.Platform) (string, []byte, error) {
	want, err := name.ParseReference(ref)
	if err != nil {
		return "", nil, fmt.Errorf("parsing image reference %q: %w", ref, err)
	}
	for k, nc := range r.o.named {
		if kr, err := name.ParseReference(k); err != nil || kr.Name() != want.Name() {
			continue
		}
		var img v1.Image
		switch {
		case nc.Image != nil:
			img = nc.Image
		case nc.Index != nil:
			if img, err = imageForPlatform(nc.Index, p); err != nil {
				return "", nil, err
			}
		case nc.Ref != nil:
			want = nc.Ref
		default:
			// A directory: BuildKit gives the stage an empty image.
			cfg, err := json.Marshal(v1.ConfigFile{OS: p.OS, Architecture: p.Architecture, RootFS: v1.RootFS{Type: "layers"}})
			return "", cfg, err
		}
		if img != nil {
			cfg, err := img.RawConfigFile()
			return "", cfg, err
		}
		break
	}
	h, cfg, err := r.st.Config(ctx, want, p, r.o.remote...)
	if err != nil {
		return "", nil, err
	}
	return h.String(), cfg, nil
}

// runChecks adds the build checks' findings for the build's target to res,
// and fails the build when the check configuration says error=true.
func runChecks(ctx context.Context, dt []byte, df *dockerfile.Dockerfile, o *options, st *store.Store, res *Result) error {
	if n := instructions(df); n > maxCheckedInstructions {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: the build checks were skipped: %d instructions is more than the %d a build checks (BuildKit's checks take time that grows with the square of the length); run them with stevedore build --check",
			o.dockerfile, n, maxCheckedInstructions))
		return nil
	}
	lo, err := o.lintOptions(st)
	if err != nil {
		return err
	}
	rep, err := lint.Build(ctx, dt, lo)
	if errors.Is(err, lint.ErrInternal) {
		res.Warnings = append(res.Warnings, err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	res.Checks = rep.Findings
	if rep.Error != nil {
		return rep.Error
	}
	return nil
}

// maxCheckedInstructions bounds the Dockerfiles a build checks: BuildKit's
// front end takes 25-40 ms for 1,000 instructions but 0.4-1.3 s for 4,000
// and 10 s for 10,000 (go test -bench Build ./builder/lint). build --check
// checks any length.
const maxCheckedInstructions = 1000

func instructions(df *dockerfile.Dockerfile) int {
	n := len(df.MetaArgs)
	for _, s := range df.Stages {
		n += 1 + len(s.Instructions)
	}
	return n
}
