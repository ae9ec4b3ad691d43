package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/buildkit"
)

// builderCheckTimeout bounds the plan step's call to a BuildKit daemon: an
// address that does not answer fails the release before anything is built.
const builderCheckTimeout = 15 * time.Second

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
		a, err := buildkit.ParseAddress(raw)
		if err != nil {
			return fmt.Errorf("image %s: %w%s", pi.Name, err, setBy(from))
		}
		pi.Builder = a.Raw
		if a.IsEmbedded() || r.drivers[a.Raw] != nil {
			continue
		}
		c, err := buildkit.Check(ctx, a, r.builderTLS(), builderCheckTimeout)
		if err != nil {
			return fmt.Errorf("image %s: %w%s", pi.Name, err, setBy(from))
		}
		if r.drivers == nil {
			r.drivers = map[string]*buildkit.Driver{}
		}
		r.clients = append(r.clients, c)
		r.drivers[a.Raw] = buildkit.NewDriver(a, r.builderTLS(), c)
	}
	return nil
}

// setBy names a stevedore.yaml setting the error text does not already
// name (it names --builder).
func setBy(from string) string {
	if from == "--builder" {
		return ""
	}
	return " (set by " + from + ")"
}

// buildDriver is the option that sends an image's build to its daemon.
func (r *releaser) buildDriver(pi *PlannedImage) []builder.Option {
	if d := r.drivers[pi.Builder]; d != nil {
		return []builder.Option{builder.WithDriver(d)}
	}
	return nil
}

func (r *releaser) closeBuilders() {
	for _, c := range r.clients {
		c.Close()
	}
}
