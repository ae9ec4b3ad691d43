package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/buildkit"
)

// builderCheckTimeout bounds the plan step's call to a BuildKit daemon: an
// address that does not answer fails the release before anything is built.
const builderCheckTimeout = 15 * time.Second

// ErrBuilderTLSUnused: mTLS files were given but no image builds on a
// tcp:// daemon, so they would be silently ignored.
var ErrBuilderTLSUnused = errors.New("--builder-tls-* apply only to a tcp:// builder, and no image builds on one")

// WithBuilder builds every image on this builder, over stevedore.yaml's
// builder: keys: "embedded" or a BuildKit address. tls (may be nil) holds
// the mTLS files for tcp://, over builder-tls:. An empty address keeps the
// configuration's choice.
func WithBuilder(address string, tls *buildkit.TLS) Option {
	return func(o *options) { o.builderAddr, o.builderTLS = address, tls }
}

// builderFor is the image's builder and where the choice was made, for
// error messages that name the setting to fix.
func (r *releaser) builderFor(img Image) (addr, from string) {
	switch {
	case r.o.builderAddr != "":
		return r.o.builderAddr, "--builder"
	case img.Builder != "":
		return img.Builder, fmt.Sprintf("builder: of image %s in stevedore.yaml", img.Name)
	case r.cfg.Builder != "":
		return r.cfg.Builder, "builder: in stevedore.yaml"
	}
	return buildkit.Embedded, ""
}

func (r *releaser) builderTLS() *buildkit.TLS {
	if r.o.builderTLS != nil {
		return r.o.builderTLS
	}
	if t := r.cfg.BuilderTLS; t != nil {
		return &buildkit.TLS{CA: r.path(t.CA), Cert: r.path(t.Cert), Key: r.path(t.Key), ServerName: t.ServerName}
	}
	return nil
}

// planBuilders connects to every BuildKit daemon the images use, once per
// address, so a wrong address, scheme or certificate fails the plan step.
func (r *releaser) planBuilders(ctx context.Context, p *Plan) error {
	for i := range p.Images {
		pi := &p.Images[i]
		raw, from := r.builderFor(pi.img)
		a, err := r.connect(ctx, raw, from)
		if err != nil {
			return fmt.Errorf("image %s: %w", pi.Name, err)
		}
		pi.Builder = a
		for _, plat := range pi.Platforms {
			raw, ok := pi.img.PlatformBuilders[plat]
			if !ok {
				continue
			}
			a, err := r.connect(ctx, raw, fmt.Sprintf("platform-builders: %s of image %s in stevedore.yaml", plat, pi.Name))
			if err != nil {
				return fmt.Errorf("image %s: %w", pi.Name, err)
			}
			if pi.PlatformBuilders == nil {
				pi.PlatformBuilders = map[string]string{}
			}
			pi.PlatformBuilders[plat] = a
		}
	}
	if r.o.builderTLS != nil && !usesTCP(p) {
		return fmt.Errorf("%w: set --builder tcp://HOST:PORT (or builder: in stevedore.yaml), or drop the --builder-tls-* flags", ErrBuilderTLSUnused)
	}
	return nil
}

// usesTCP reports whether any image or platform of p builds on a tcp://
// daemon, the only kind the mTLS files are for.
func usesTCP(p *Plan) bool {
	for _, pi := range p.Images {
		if strings.HasPrefix(pi.Builder, "tcp://") {
			return true
		}
		for _, a := range pi.PlatformBuilders {
			if strings.HasPrefix(a, "tcp://") {
				return true
			}
		}
	}
	return false
}

// connect checks a builder address and, for a daemon, dials it once.
func (r *releaser) connect(ctx context.Context, raw, from string) (string, error) {
	a, err := buildkit.ParseAddress(raw)
	if err != nil {
		return "", fmt.Errorf("%w%s", err, setBy(from))
	}
	if a.IsEmbedded() || r.drivers[a.Raw] != nil {
		return a.Raw, nil
	}
	c, err := buildkit.Check(ctx, a, r.builderTLS(), builderCheckTimeout)
	if err != nil {
		return "", fmt.Errorf("%w%s", err, setBy(from))
	}
	if r.drivers == nil {
		r.drivers = map[string]*buildkit.Driver{}
	}
	r.clients = append(r.clients, c)
	r.drivers[a.Raw] = buildkit.NewDriver(a, r.builderTLS(), c)
	return a.Raw, nil
}

// setBy names a stevedore.yaml setting the error text does not already
// name (it names --builder).
func setBy(from string) string {
	if from == "--builder" {
		return ""
	}
	return " (set by " + from + ")"
}

// driverOption is the option that sends a build to its daemon (none for
// the embedded builder).
func (r *releaser) driverOption(addr string) []builder.Option {
	if d := r.drivers[addr]; d != nil {
		return []builder.Option{builder.WithDriver(d)}
	}
	return nil
}

// buildPlatforms builds an image whose platforms go to different builders:
// one build per builder, at the same time, merged into one index. A failed
// builder fails the whole image (and so the release, before any tag moves).
func (r *releaser) buildPlatforms(ctx context.Context, pi *PlannedImage, opts []builder.Option, platforms []v1.Platform) (*builder.Result, error) {
	var order []string
	groups := map[string][]v1.Platform{}
	for i, p := range platforms {
		addr := pi.Builder
		if b, ok := pi.PlatformBuilders[pi.Platforms[i]]; ok {
			addr = b
		}
		if groups[addr] == nil {
			order = append(order, addr)
		}
		groups[addr] = append(groups[addr], p)
	}
	results := make([]*builder.Result, len(order))
	g, gctx := errgroup.WithContext(ctx)
	for i, addr := range order {
		g.Go(func() error {
			o := append(append(slices.Clip(opts), builder.WithPlatforms(groups[addr]...)), r.driverOption(addr)...)
			res, err := builder.Build(gctx, o...)
			if err != nil {
				return fmt.Errorf("building %s on %s: %w", platformList(groups[addr]), addr, err)
			}
			results[i] = res
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	byPlatform := map[string]builder.PlatformImage{}
	out := &builder.Result{}
	for _, res := range results {
		for _, p := range res.Platforms {
			byPlatform[p.Platform.String()] = p
		}
		out.Steps = append(out.Steps, res.Steps...)
		out.Bases = append(out.Bases, res.Bases...)
		out.Warnings = append(out.Warnings, res.Warnings...)
		// Each builder checks the same Dockerfile: its findings once.
		for _, f := range res.Checks {
			if !slices.Contains(out.Checks, f) {
				out.Checks = append(out.Checks, f)
			}
		}
	}
	for _, p := range platforms {
		pimg, ok := byPlatform[p.String()]
		if !ok {
			return nil, fmt.Errorf("the build for %s returned no %s image", pi.Name, p.String())
		}
		out.Platforms = append(out.Platforms, pimg)
	}
	out.Index = builder.IndexOf(out.Platforms)
	return out, nil
}

func platformList(ps []v1.Platform) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

func (r *releaser) closeBuilders() {
	for _, c := range r.clients {
		c.Close()
	}
}
