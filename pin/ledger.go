package pin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/ledger"
)

// Ledger resolves repo:tag to the digest a release ledger (package ledger:
// each destination's ref is a repository pinned by digest, its tags the
// bare tags applied to it) recorded, with no registry lookup.
type Ledger struct {
	path    string
	digests map[string]v1.Hash // "REPOSITORY:TAG" (canonical) → digest
	// released holds, per repository, the tag spelling the released version
	// exactly ("1.5.0" or "v1.5.0") and its digest.
	released map[string]releasedVersion
	version  *semver.Version // nil: not a version (snapshot, prerelease)
}

type releasedVersion struct {
	tag    string
	digest v1.Hash
}

// LoadLedger reads a ledger file.
func LoadLedger(ctx context.Context, path string) (*Ledger, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("reading ledger %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading ledger %s: %w (run the release first, or pass the ledger's path)", path, err)
	}
	return ParseLedger(path, data)
}

// ParseLedger parses ledger JSON; name is used in errors.
func ParseLedger(name string, data []byte) (*Ledger, error) {
	lf, err := ledger.Parse(name, data)
	if err != nil {
		return nil, newError(ErrSyntax, err, "")
	}
	return NewLedger(name, lf)
}

// NewLedger builds a resolver from a decoded ledger; name is used in errors.
func NewLedger(ledgerName string, lf *ledger.Ledger) (*Ledger, error) {
	l := &Ledger{path: ledgerName, digests: map[string]v1.Hash{}, released: map[string]releasedVersion{}}
	// Only a plain release moves version tags: deploy files never move to a
	// release candidate or a snapshot on their own.
	if v, err := semver.StrictNewVersion(strings.TrimPrefix(lf.Version, "v")); err == nil && v.Prerelease() == "" && v.Metadata() == "" {
		l.version = v
	}
	for i, img := range lf.Images {
		for j, d := range img.Destinations {
			if strings.HasPrefix(d.Ref, "oci:") {
				continue // a layout on disk: deploy files never name one
			}
			dig, err := name.NewDigest(d.Ref)
			if err != nil {
				return nil, newError(ErrReference, err, "parsing ledger %s: images[%d].destinations[%d].ref %q must be REPOSITORY@sha256:…", ledgerName, i, j, d.Ref)
			}
			h, err := v1.NewHash(dig.DigestStr())
			if err != nil {
				return nil, newError(ErrReference, err, "parsing ledger %s: images[%d].destinations[%d].ref %q", ledgerName, i, j, d.Ref)
			}
			for _, t := range d.Tags {
				tag, err := name.NewTag(dig.Context().Name() + ":" + t)
				if err != nil {
					return nil, newError(ErrReference, err, "parsing ledger %s: images[%d].destinations[%d] tag %q", ledgerName, i, j, t)
				}
				l.digests[tag.Name()] = h
				if v := exactVersion(t); l.version != nil && v != nil && v.Equal(l.version) {
					l.released[dig.Context().Name()] = releasedVersion{tag: t, digest: h}
				}
			}
		}
	}
	return l, nil
}

// exactVersion parses a tag that spells a full version (1.4.2 or v1.4.2);
// floating tags (1.4, latest) and anything else give nil.
func exactVersion(tag string) *semver.Version {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v"))
	if err != nil {
		return nil
	}
	return v
}

// Supersedes says where a reference already pinned to digest should move,
// because this ledger is a newer release than the one it was pinned to:
//
//   - its tag is recorded here at another digest (a floating tag such as
//     latest or 1.4 that the release moved, or a re-released tag);
//   - its tag is an older full version (1.4.2, with the same "v" spelling)
//     of a repository this ledger released as a plain version: it moves to
//     that version's tag and digest. Release candidates and snapshots move
//     nothing.
//
// The returned tag is the tag the reference should carry.
func (l *Ledger) Supersedes(ref name.Tag, digest v1.Hash) (tag string, to v1.Hash, ok bool) {
	if h, found := l.digests[ref.Name()]; found {
		return ref.TagStr(), h, h != digest
	}
	rel, found := l.released[ref.Context().Name()]
	if !found {
		return "", v1.Hash{}, false
	}
	old := exactVersion(ref.TagStr())
	if old == nil || !old.LessThan(l.version) || strings.HasPrefix(ref.TagStr(), "v") != strings.HasPrefix(rel.tag, "v") {
		return "", v1.Hash{}, false
	}
	return rel.tag, rel.digest, true
}

// Or returns a resolver that takes what this ledger records from it and
// everything else (third-party images a deploy file names) from fallback.
// It supersedes pinned references as the ledger does.
func (l *Ledger) Or(fallback Resolver) Authority {
	return ledgerOr{l, fallback}
}

type ledgerOr struct {
	*Ledger
	fallback Resolver
}

func (l ledgerOr) Resolve(ctx context.Context, ref name.Reference) (v1.Hash, error) {
	h, err := l.Ledger.Resolve(ctx, ref)
	if errors.Is(err, ErrNotInLedger) {
		return l.fallback.Resolve(ctx, ref)
	}
	return h, err
}

// Resolve returns the digest the ledger records for ref's repo:tag. A
// digest reference resolves to itself.
func (l *Ledger) Resolve(_ context.Context, ref name.Reference) (v1.Hash, error) {
	if ref == nil {
		return v1.Hash{}, fmt.Errorf("resolving from ledger %s: nil reference", l.path)
	}
	if d, ok := ref.(name.Digest); ok {
		return v1.NewHash(d.DigestStr())
	}
	if h, ok := l.digests[ref.Name()]; ok {
		return h, nil
	}
	known := make([]string, 0, len(l.digests))
	for k := range l.digests {
		known = append(known, k)
	}
	sort.Strings(known)
	if len(known) > 5 {
		known = append(known[:5], "…")
	}
	return v1.Hash{}, newError(ErrNotInLedger, nil, "resolving %s from ledger %s: not recorded there (it lists %s); pin it from the registry instead, or release it first", ref, l.path, strings.Join(known, ", "))
}
