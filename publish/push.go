package publish

import (
	"context"
	"slices"
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
// Order is the contract: for each destination (all at once), blobs (layers
// and config, up to WithJobs uploads at once, skipping any the destination
// has and mounting from the source repository on the same registry), then
// child manifests, then the index, all by digest. Only when every destination
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
	res, err := PublishAll(ctx, []Job{{Source: src, Destinations: dsts, Tags: tags}}, opts...)
	if err != nil {
		return nil, err
	}
	return res[0], nil
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
// just built, or loaded earlier. Same order, same guarantees; the
// destinations receive the content in parallel (see Batch).
func PublishArtifact(ctx context.Context, art Artifact, dsts []Reference, tags []string, opts ...Option) (*Result, error) {
	return NewBatch(opts...).Publish(ctx, art, dsts, tags)
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
