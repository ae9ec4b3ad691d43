// Package signedrefs makes the input of the pin verification benchmarks: N
// small images pushed to a registry, each signed with one new key, and a
// deploy file pinning them all.
package signedrefs

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/sign"
)

// Fixture is what Make pushed and signed.
type Fixture struct {
	// Deploy is a Pod manifest with one container per image, each pinned
	// as host/pin/appNNN:v1@sha256:….
	Deploy []byte
	// Refs are the signed digests, in Deploy's order.
	Refs []name.Digest
	// Priv (password "") and Pub are the signing key pair, PEM.
	Priv, Pub []byte
}

// Make pushes n images to host (plain HTTP on loopback, as ggcr does for
// 127.0.0.1) and signs each in format: "legacy", "bundle" or "both".
func Make(ctx context.Context, host string, n int, format string, ro ...remote.Option) (*Fixture, error) {
	if format != "legacy" && format != "bundle" && format != "both" {
		return nil, fmt.Errorf("signature format %q: want legacy, bundle or both", format)
	}
	priv, pub, err := sign.GenerateKeys(nil)
	if err != nil {
		return nil, err
	}
	s, err := sign.LoadSigner(priv, nil)
	if err != nil {
		return nil, err
	}
	f := &Fixture{Priv: priv, Pub: pub}
	var deploy strings.Builder
	deploy.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: many\nspec:\n  containers:\n")
	opts := []sign.Option{sign.WithRemoteOptions(ro...), sign.WithTlogUpload(false)}
	for i := range n {
		img, err := random.Image(512, 1)
		if err != nil {
			return nil, err
		}
		tag, err := name.NewTag(fmt.Sprintf("%s/pin/app%03d:v1", host, i))
		if err != nil {
			return nil, err
		}
		if err := remote.Write(tag, img, ro...); err != nil {
			return nil, fmt.Errorf("pushing %s: %w", tag, err)
		}
		h, err := img.Digest()
		if err != nil {
			return nil, err
		}
		d := tag.Context().Digest(h.String())
		if format != "bundle" {
			if _, err := sign.Sign(ctx, d, s, opts...); err != nil {
				return nil, err
			}
		}
		if format != "legacy" {
			if _, err := sign.SignBundle(ctx, d, s, opts...); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(&deploy, "    - name: app%03d\n      image: %s@%s\n", i, tag, h)
		f.Refs = append(f.Refs, d)
	}
	f.Deploy = []byte(deploy.String())
	return f, nil
}
