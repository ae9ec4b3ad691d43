package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/sreevishnu07/stevedore/event"
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
// signatures go, as sign.format: legacy (""), bundle or both. Its steps
// (read, push, sign, tag) go to progress as event.Phase, as a release's do;
// nil discards them.
func Merge(ctx context.Context, sources []name.Digest, dsts []publish.Reference, tags []string, signer *sign.Signer, format string, pubOpts []publish.Option, signOpts []sign.Option, progress event.Sink) (*MergeResult, error) {
	if len(sources) == 0 {
		return nil, fmt.Errorf("merging: no images given")
	}
	legacy, bundle, err := Signing{Format: format}.formats()
	if err != nil {
		return nil, err
	}
	if progress == nil {
		progress = event.Discard
	}
	// One transport for every step: a registry is pinged and gives a token
	// once.
	ropts := publish.RemoteOptions(ctx, pubOpts...)
	res := &MergeResult{}
	var art publish.Artifact
	steps := []struct {
		name string
		f    func() (string, error)
	}{
		{"read", func() (string, error) {
			var err error
			art, err = mergeIndex(sources, ropts, res)
			if err != nil {
				return "", err
			}
			res.Index = art.Digest()
			return fmt.Sprintf("%d platforms: %s", len(res.Platforms), res.Index), nil
		}},
		// Content first, everywhere; then signatures; tags last.
		{"push", func() (string, error) {
			_, err := publish.PublishArtifact(ctx, art, dsts, nil, pubOpts...)
			return fmt.Sprintf("%d destinations", len(dsts)), err
		}},
		{"sign", func() (string, error) {
			if signer == nil {
				return "not signed", nil
			}
			if err := signMerged(ctx, art, dsts, signer, legacy, bundle, ropts, signOpts); err != nil {
				return "", err
			}
			res.Signed = true
			for _, d := range dsts {
				for _, f := range []struct {
					on   bool
					name string
				}{{legacy, FormatLegacy}, {bundle, FormatBundle}} {
					if f.on {
						progress.Emit(event.Signed{Ref: digestRef(d, art.Digest()), Format: f.name})
					}
				}
			}
			return fmt.Sprintf("%d destinations", len(dsts)), nil
		}},
		{"tag", func() (string, error) {
			out, err := publish.PublishArtifact(ctx, art, dsts, tags, pubOpts...)
			if err != nil {
				return "", err
			}
			res.Published = out.Destinations
			for _, d := range out.Destinations {
				repo, _, _ := strings.Cut(d.Ref, "@")
				for _, t := range d.Tags {
					progress.Emit(event.TagMoved{Ref: repo + ":" + t, Digest: d.Digest})
				}
			}
			if len(tags) == 0 {
				return "no tags", nil
			}
			return strings.Join(tags, " "), nil
		}},
	}
	for _, st := range steps {
		progress.Emit(event.Phase{Step: st.name})
		start := time.Now()
		detail, err := st.f()
		progress.Emit(event.Phase{Step: st.name, Done: true, Err: err, Duration: time.Since(start), Detail: detail})
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// mergeIndex reads each source's platform and builds the index of them,
// recording the platforms in res.
func mergeIndex(sources []name.Digest, ropts []remote.Option, res *MergeResult) (publish.Artifact, error) {
	var ii v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	seen := map[string]name.Digest{}
	for _, src := range sources {
		desc, err := remote.Get(src, ropts...)
		if err != nil {
			return publish.Artifact{}, fmt.Errorf("merging %s: %w", src, err)
		}
		if desc.MediaType.IsIndex() {
			return publish.Artifact{}, fmt.Errorf("merging %s: it is already an index; give each platform's image digest", src)
		}
		img, err := desc.Image()
		if err != nil {
			return publish.Artifact{}, fmt.Errorf("merging %s: %w", src, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return publish.Artifact{}, fmt.Errorf("merging %s: reading its config: %w", src, err)
		}
		p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}
		if p.OS == "" || p.Architecture == "" {
			return publish.Artifact{}, fmt.Errorf("merging %s: its config names no platform (os/architecture)", src)
		}
		if other, dup := seen[p.String()]; dup {
			return publish.Artifact{}, fmt.Errorf("merging: %s and %s are both %s", other, src, p.String())
		}
		seen[p.String()] = src
		ii = mutate.AppendManifests(ii, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p, MediaType: desc.MediaType}})
		res.Platforms = append(res.Platforms, ledger.Platform{Platform: p.String(), Digest: desc.Digest.String()})
	}
	return publish.NewArtifact(ii)
}

// signMerged signs the index (and, recursively, its children) at every
// destination in the formats asked for.
func signMerged(ctx context.Context, art publish.Artifact, dsts []publish.Reference, signer *sign.Signer, legacy, bundle bool, ropts []remote.Option, signOpts []sign.Option) error {
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
			return fmt.Errorf("signing the merged index at %s: %w", d, err)
		}
	}
	return nil
}
