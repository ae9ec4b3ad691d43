package publish

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Result lists where the content went; it is what the CLI prints and what
// later steps (sign, pin) bind to.
type Result struct {
	Destinations []Destination `json:"destinations"`
}

// Destination is one published copy: Ref is "REPOSITORY@sha256:…" (Docker Hub
// spelled docker.io/…) or "oci:PATH@sha256:…"; Tags are the tags pointing at
// it after Publish.
type Destination struct {
	Ref    string   `json:"ref"`
	Digest string   `json:"digest"`
	Tags   []string `json:"tags"`
}

// Publish copies src to every destination by digest, then applies tags.
//
// Order is the contract: for each destination in turn, blobs (layers and
// config, up to WithJobs in parallel, skipping any the destination has and
// mounting from the source repository on the same registry), then child
// manifests, then the index, all by digest. Only when every destination
// holds the content are tags applied: tags, plus a tag written in a
// destination reference itself. If any destination fails, no tag moves
// anywhere and the error names the destination; a re-run resumes without
// re-sending blobs already there.
//
// Destinations may not be pinned to a different digest than src's.
func Publish(ctx context.Context, src Reference, dsts []Reference, tags []string, opts ...Option) (*Result, error) {
	if err := src.valid(); err != nil {
		return nil, err
	}
	// Bad destinations or tags fail before anything is read.
	if err := checkTargets(src.String(), dsts, tags); err != nil {
		return nil, err
	}
	o := makeOptions(opts)
	o.insecure = append(o.insecure, src.insecureHosts()...)
	art, err := Load(ctx, src, func(x *options) { *x = *o })
	if err != nil {
		return nil, err
	}
	return PublishArtifact(ctx, art, dsts, tags, opts...)
}

func checkTargets(src string, dsts []Reference, tags []string) error {
	if len(dsts) == 0 {
		return newKindError(ErrBadReference, nil, "publishing %s: no destination given", src)
	}
	for _, t := range tags {
		if !tagRE.MatchString(t) {
			return newKindError(ErrBadReference, nil, "publishing %s: tag %q must be 1-128 of [A-Za-z0-9_.-], not starting with '.' or '-'", src, t)
		}
	}
	for _, r := range dsts {
		if err := r.valid(); err != nil {
			return err
		}
	}
	return nil
}

// PublishArtifact is Publish for content already in hand: an image or index
// just built, or loaded earlier. Same order, same guarantees.
func PublishArtifact(ctx context.Context, art Artifact, dsts []Reference, tags []string, opts ...Option) (*Result, error) {
	src := art.Digest().String()
	if err := checkTargets(src, dsts, tags); err != nil {
		return nil, err
	}
	o := makeOptions(opts)
	for _, r := range dsts {
		o.insecure = append(o.insecure, r.insecureHosts()...)
	}
	digest := art.Digest()
	var err error
	for _, d := range dsts {
		if h, ok := d.Digest(); ok && h != digest {
			return nil, newKindError(ErrBadReference, nil, "publishing %s to %s: the destination is pinned to %s but the source is %s", src, d, h, digest)
		}
	}

	// One pusher per destination keeps its authenticated transport (ping,
	// token) from the content phase to the tag phase.
	pushers := make([]*remote.Pusher, len(dsts))
	for i, d := range dsts {
		if d.layout {
			continue
		}
		if pushers[i], err = remote.NewPusher(o.remoteOptions(ctx, nil)...); err != nil {
			return nil, fmt.Errorf("publishing to %s: %w", d, err)
		}
	}

	// Phase 1: content by digest, everywhere.
	for i, d := range dsts {
		if err := pushContent(ctx, art, d, pushers[i]); err != nil {
			return nil, fmt.Errorf("publishing %s to %s (no tags were moved): %w", src, d, err)
		}
	}

	// Phase 2: tags, only now that every destination holds the content.
	res := &Result{}
	var moved []string
	for i, d := range dsts {
		dt := destinationTags(d, tags)
		if err := applyTags(ctx, art, d, dt, pushers[i]); err != nil {
			already := "none"
			if len(moved) > 0 {
				already = strings.Join(moved, ", ")
			}
			return nil, fmt.Errorf("tagging %s (content is at every destination; tags already moved: %s): %w", d, already, err)
		}
		for _, t := range dt {
			moved = append(moved, tagged(d, t))
		}
		res.Destinations = append(res.Destinations, Destination{
			Ref:    d.pinnedTo(digest),
			Digest: digest.String(),
			Tags:   dt,
		})
	}
	return res, nil
}

func destinationTags(d Reference, tags []string) []string {
	out := append([]string(nil), tags...)
	if t := d.Tag(); t != "" {
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func tagged(d Reference, t string) string {
	if d.layout {
		return LayoutPrefix + d.path + ":" + t
	}
	return displayName(d.ref.Context().Name()) + ":" + t
}

func pushContent(ctx context.Context, art Artifact, d Reference, p *remote.Pusher) error {
	if d.layout {
		if err := writeLayout(ctx, d.path, art); err != nil {
			return fmt.Errorf("writing OCI layout %s: %w", d.path, err)
		}
		return nil
	}
	repo := d.ref.Context()
	ref := repo.Digest(art.Digest().String())
	// Push writes blobs, then child manifests, then the manifest itself,
	// skipping what the repository already has.
	if err := p.Push(ctx, ref, art.taggable()); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("pushing %s: %w", displayName(ref.Name()), ctx.Err())
		}
		return classify("pushing", displayName(ref.Name()), &repo, err)
	}
	return nil
}

func applyTags(ctx context.Context, art Artifact, d Reference, tags []string, p *remote.Pusher) error {
	if len(tags) == 0 {
		return nil
	}
	if d.layout {
		return tagLayout(d.path, art.Descriptor, tags)
	}
	repo := d.ref.Context()
	for _, t := range tags {
		tag := repo.Tag(t)
		// Put sends only the manifest: the content is already there.
		if err := p.Put(ctx, tag, art.taggable()); err != nil {
			return classify("tagging", displayName(tag.Name()), &repo, err)
		}
	}
	return nil
}
