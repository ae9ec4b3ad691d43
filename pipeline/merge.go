package pipeline

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
)

// MergeResult is what Merge published.
type MergeResult struct {
	Index     v1.Hash               `json:"digest"`
	Platforms []ledger.Platform     `json:"platforms"`
	Published []publish.Destination `json:"destinations"`
	Signed    bool                  `json:"signed"`
}

// Merge assembles single-platform images, pushed by digest from separate
// CI runners, into one multi-platform index; pushes it by digest to every
// destination (children first), signs it and its children when signer is
// not nil, and only then applies tags. Each source must be a
// single-platform image whose config names its platform. format is where
// signatures go, as sign.format: legacy (""), bundle or both.
func Merge(ctx context.Context, sources []name.Digest, dsts []publish.Reference, tags []string, signer *sign.Signer, format string, pubOpts []publish.Option, signOpts []sign.Option) (*MergeResult, error) {
	if len(sources) == 0 {
		return nil, fmt.Errorf("merging: no images given")
	}
	legacy, bundle, err := Signing{Format: format}.formats()
	if err != nil {
		return nil, err
	}
	ropts := publish.RemoteOptions(ctx, pubOpts...)
	var ii v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	res := &MergeResult{}
	seen := map[string]name.Digest{}
	for _, src := range sources {
		desc, err := remote.Get(src, ropts...)
		if err != nil {
			return nil, fmt.Errorf("merging %s: %w", src, err)
		}
		if desc.MediaType.IsIndex() {
			return nil, fmt.Errorf("merging %s: it is already an index; give each platform's image digest", src)
		}
		img, err := desc.Image()
		if err != nil {
			return nil, fmt.Errorf("merging %s: %w", src, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("merging %s: reading its config: %w", src, err)
		}
		p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}
		if p.OS == "" || p.Architecture == "" {
			return nil, fmt.Errorf("merging %s: its config names no platform (os/architecture)", src)
		}
		if other, dup := seen[p.String()]; dup {
			return nil, fmt.Errorf("merging: %s and %s are both %s", other, src, p.String())
		}
		seen[p.String()] = src
		ii = mutate.AppendManifests(ii, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p, MediaType: desc.MediaType}})
		res.Platforms = append(res.Platforms, ledger.Platform{Platform: p.String(), Digest: desc.Digest.String()})
	}
	art, err := publish.NewArtifact(ii)
	if err != nil {
		return nil, err
	}
	res.Index = art.Digest()
	// Content first, everywhere; then signatures; tags last.
	if _, err := publish.PublishArtifact(ctx, art, dsts, nil, pubOpts...); err != nil {
		return nil, err
	}
	if signer != nil {
		opts := append([]sign.Option{sign.WithRemoteOptions(ropts...), sign.WithRecursive(true)}, signOpts...)
		for _, d := range dsts {
			var err error
			switch {
			case legacy && d.IsLayout():
				_, err = sign.SignLayout(ctx, d.Path(), art.Digest(), signer, opts...)
			case legacy:
				_, err = sign.Sign(ctx, d.Repository().Digest(art.Digest().String()), signer, opts...)
			}
			switch {
			case err != nil || !bundle:
			case d.IsLayout():
				_, err = sign.SignLayoutBundles(ctx, d.Path(), art.Digest(), signer, opts...)
			default:
				_, err = sign.SignBundles(ctx, d.Repository().Digest(art.Digest().String()), signer, opts...)
			}
			if err != nil {
				return nil, fmt.Errorf("signing the merged index at %s: %w", d, err)
			}
		}
		res.Signed = true
	}
	out, err := publish.PublishArtifact(ctx, art, dsts, tags, pubOpts...)
	if err != nil {
		return nil, err
	}
	res.Published = out.Destinations
	return res, nil
}
