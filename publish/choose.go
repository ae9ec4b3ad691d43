package publish

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/ledger"
)

// AmbiguousLayoutError means a layout reference with no tag or digest names
// a layout that holds several images and nothing says which one is meant.
// It wraps ErrBadReference.
type AmbiguousLayoutError struct {
	Ref Reference
	// Images is how many images the layout holds (signatures and
	// attestations not counted).
	Images int
	// Choices are references to each of them, oci:PATH:TAG or
	// oci:PATH@sha256:…, sorted.
	Choices []string
	// Why the ledger did not decide, "" when there was no ledger.
	Why string
}

func (e *AmbiguousLayoutError) Error() string {
	s := fmt.Sprintf("reading %s: the layout holds %d images", e.Ref, e.Images)
	if e.Why != "" {
		s += " and " + e.Why
	}
	return s + "; choose one: " + strings.Join(e.Choices, ", ")
}

func (e *AmbiguousLayoutError) Unwrap() error { return ErrBadReference }

// Choice is what ChooseFromLedger decided.
type Choice struct {
	// Ref is the reference to publish: the one given, or the layout pinned
	// to the digest the ledger records.
	Ref Reference
	// FromLedger is true when the ledger picked Ref's digest; Images is
	// then how many images the layout holds.
	FromLedger bool
	Images     int
}

// ChooseFromLedger resolves a layout reference that names no tag or digest
// when its layout holds several images, as it does after a second release
// into the same layout: the image l records at that layout (a destination
// oci:PATH@sha256:… of the same directory) is the one meant, if l records
// exactly one that the layout holds. Otherwise it returns an
// *AmbiguousLayoutError listing the choices. A pinned or tagged reference,
// a registry reference, and a layout with one image (or one that cannot be
// read, which publishing then reports) come back unchanged. l may be nil
// (no ledger); ledgerName names it in errors.
func ChooseFromLedger(r Reference, l *ledger.Ledger, ledgerName string) (Choice, error) {
	if !r.layout || r.pinned || r.tag != "" {
		return Choice{Ref: r}, nil
	}
	im, err := readIndexJSON(r.path)
	if err != nil {
		return Choice{Ref: r}, nil
	}
	if _, err := resolveLayout(r, im); err == nil || !errors.Is(err, ErrBadReference) {
		return Choice{Ref: r}, nil
	}
	images := layoutImages(im)
	amb := &AmbiguousLayoutError{Ref: r, Images: len(images)}
	for _, d := range images {
		amb.Choices = append(amb.Choices, r.pinnedTo(d))
	}
	// A tag is shorter to type than a digest; offer both.
	for _, d := range im.Manifests {
		if t := d.Annotations[RefNameAnnotation]; t != "" && !isAttached(d) {
			amb.Choices = append(amb.Choices, LayoutPrefix+r.path+":"+t)
		}
	}
	slices.Sort(amb.Choices)
	amb.Choices = slices.Compact(amb.Choices)
	if l == nil {
		return Choice{}, amb
	}
	var recorded []v1.Hash
	for _, img := range l.Images {
		h, err := v1.NewHash(img.Digest)
		if err != nil || !slices.Contains(images, h) || slices.Contains(recorded, h) {
			continue
		}
		if slices.ContainsFunc(img.Destinations, func(d ledger.Destination) bool { return sameLayout(d.Ref, r.path) }) {
			recorded = append(recorded, h)
		}
	}
	switch len(recorded) {
	case 1:
		p := r
		p.digest, p.pinned = recorded[0], true
		return Choice{Ref: p, FromLedger: true, Images: len(images)}, nil
	case 0:
		amb.Why = ledgerName + " records none of them"
	default:
		amb.Why = fmt.Sprintf("%s records %d of them", ledgerName, len(recorded))
	}
	return Choice{}, amb
}

// layoutImages is the distinct digests of the layout's own images, in
// index.json order.
func layoutImages(im *v1.IndexManifest) []v1.Hash {
	var out []v1.Hash
	for _, d := range im.Manifests {
		if !isAttached(d) && !slices.Contains(out, d.Digest) {
			out = append(out, d.Digest)
		}
	}
	return out
}

// sameLayout reports whether ref (a ledger destination) is in the layout
// directory dir: relative paths are the working directory's, as release
// and publish write them.
func sameLayout(ref, dir string) bool {
	if !strings.HasPrefix(ref, LayoutPrefix) {
		return false
	}
	d, err := parseLayout(ref)
	if err != nil {
		return false
	}
	a, err1 := filepath.Abs(d.path)
	b, err2 := filepath.Abs(dir)
	return err1 == nil && err2 == nil && a == b
}
