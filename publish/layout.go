package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
	"github.com/sreevishnu07/stevedore/internal/ocilayout"
)

// RefNameAnnotation holds a layout entry's tag, as skopeo and crane write it.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// readIndexJSON reads PATH/index.json, naming the path when it is missing.
func readIndexJSON(path string) (*v1.IndexManifest, error) {
	raw, err := os.ReadFile(filepath.Join(path, "index.json"))
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(path); serr != nil {
			return nil, newKindError(ErrNotFound, nil, "reading OCI layout %s: directory does not exist", path)
		}
		return nil, newKindError(ErrNotFound, nil, "reading OCI layout %s: no index.json (not an OCI image layout)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", path, err)
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: index.json: %w", path, err)
	}
	return im, nil
}

// resolveLayout picks the index.json entry the reference names.
func resolveLayout(r Reference, im *v1.IndexManifest) (v1.Descriptor, error) {
	var found []v1.Descriptor
	switch {
	case r.pinned:
		for _, d := range im.Manifests {
			if d.Digest == r.digest {
				return d, nil
			}
		}
		// Not listed: may be a child of a listed index (findChild).
		return v1.Descriptor{Digest: r.digest}, nil
	case r.tag != "":
		for _, d := range im.Manifests {
			if d.Annotations[RefNameAnnotation] == r.tag {
				found = append(found, d)
			}
		}
		if len(found) == 0 {
			return v1.Descriptor{}, newKindError(ErrNotFound, nil, "reading %s: no entry tagged %q in index.json (available: %s)", r, r.tag, choices(im))
		}
		if len(found) > 1 && !sameDigest(found) {
			return v1.Descriptor{}, newKindError(ErrBadReference, nil, "reading %s: tag %q names several manifests; use %s@DIGEST (available: %s)", r, r.tag, LayoutPrefix+r.path, choices(im))
		}
		return found[0], nil
	}
	// Signature, attestation and SBOM images cosign-style tools attach
	// (sign.SignLayout lists them in index.json) and referrers (Sigstore
	// bundles sign.SignLayoutBundles lists) are never the default: a signed
	// layout still means its one image.
	candidates := slices.DeleteFunc(slices.Clone(im.Manifests), isAttached)
	switch len(candidates) {
	case 0:
		if len(im.Manifests) > 0 {
			return v1.Descriptor{}, newKindError(ErrNotFound, nil, "reading %s: the layout holds only signatures or attestations (%d entries named sha256-….sig/.att/.sbom or bundle referrers)", r, len(im.Manifests))
		}
		return v1.Descriptor{}, newKindError(ErrNotFound, nil, "reading %s: the layout is empty", r)
	case 1:
		return candidates[0], nil
	}
	if sameDigest(candidates) {
		return candidates[0], nil
	}
	return v1.Descriptor{}, newKindError(ErrBadReference, nil, "reading %s: the layout holds %d manifests; choose one with :TAG or @DIGEST (available: %s)", r, len(candidates), choices(im))
}

// attachedTag matches the tags cosign gives the images it attaches to a
// digest: sha256-<hex>.sig, .att and .sbom.
var attachedTag = regexp.MustCompile(`^sha256-[0-9a-f]{64}\.(sig|att|sbom)$`)

// IsAttachedTag reports whether tag names a signature, attestation or SBOM
// image attached to a digest (cosign's sha256-<hex>.sig|att|sbom) rather
// than a release image. Such layout entries stay addressable by explicit
// tag or digest but are never picked as a layout's default image.
func IsAttachedTag(tag string) bool { return attachedTag.MatchString(tag) }

// isAttached reports whether a layout's index.json entry is attached to
// another manifest: tagged as cosign tags signatures, or a Sigstore bundle
// referrer, listed untagged with its artifactType as ORAS and regclient
// list referrers in a layout. (Any artifactType would not do: ggcr lists
// images with their config media type as the artifactType.)
func isAttached(d v1.Descriptor) bool {
	t := d.Annotations[RefNameAnnotation]
	return IsAttachedTag(t) || (t == "" && d.ArtifactType == bundleArtifactType)
}

// bundleArtifactType is sign.BundleArtifactType.
const bundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"

func sameDigest(ds []v1.Descriptor) bool {
	for _, d := range ds[1:] {
		if d.Digest != ds[0].Digest {
			return false
		}
	}
	return true
}

func choices(im *v1.IndexManifest) string {
	var out []string
	for _, d := range im.Manifests {
		if t := d.Annotations[RefNameAnnotation]; isAttached(d) {
			continue // signatures: noise in a list of images to choose from
		} else if t != "" {
			out = append(out, ":"+t)
		} else {
			out = append(out, "@"+d.Digest.String())
		}
	}
	sort.Strings(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func loadLayout(ctx context.Context, r Reference) (Artifact, error) {
	if err := ctx.Err(); err != nil {
		return Artifact{}, err
	}
	im, err := readIndexJSON(r.path)
	if err != nil {
		return Artifact{}, err
	}
	desc, err := resolveLayout(r, im)
	if err != nil {
		return Artifact{}, err
	}
	root, err := layout.Path(r.path).ImageIndex()
	if err != nil {
		return Artifact{}, fmt.Errorf("reading %s: %w", r, err)
	}
	parent, d, err := findChild(root, desc.Digest, 0)
	if err != nil {
		return Artifact{}, fmt.Errorf("reading %s: %w", r, err)
	}
	if parent == nil {
		return Artifact{}, newKindError(ErrNotFound, nil, "reading %s: digest not in the layout (available: %s)", r, choices(im))
	}
	switch {
	case d.MediaType.IsIndex():
		ii, err := parent.ImageIndex(d.Digest)
		if err != nil {
			return Artifact{}, fmt.Errorf("reading %s: %w", r, err)
		}
		return newIndexArtifact(ii)
	case d.MediaType.IsImage():
		img, err := parent.Image(d.Digest)
		if err != nil {
			return Artifact{}, fmt.Errorf("reading %s: %w", r, err)
		}
		return newImageArtifact(img)
	}
	return Artifact{}, fmt.Errorf("reading %s: unsupported media type %q", r, d.MediaType)
}

// findChild finds the index listing h, searching nested indexes so a
// platform image of a multi-platform index can be read by digest.
func findChild(ii v1.ImageIndex, h v1.Hash, depth int) (v1.ImageIndex, v1.Descriptor, error) {
	if depth > 8 {
		return nil, v1.Descriptor{}, nil
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, v1.Descriptor{}, err
	}
	for _, d := range im.Manifests {
		if d.Digest == h {
			return ii, d, nil
		}
	}
	for _, d := range im.Manifests {
		if !d.MediaType.IsIndex() {
			continue
		}
		child, err := ii.ImageIndex(d.Digest)
		if err != nil {
			return nil, v1.Descriptor{}, err
		}
		if p, cd, err := findChild(child, h, depth+1); err != nil || p != nil {
			return p, cd, err
		}
	}
	return nil, v1.Descriptor{}, nil
}

// writeLayout writes the content to a layout (blobs, then manifests) and
// lists it in index.json by digest, untagged unless already listed.
// go-containerregistry's layout writes skip blobs that already exist and
// write each one through a temporary file and rename.
func writeLayout(ctx context.Context, path string, a Artifact) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := initLayout(path); err != nil {
		return err
	}
	if err := sweepLayout(path); err != nil {
		return err
	}
	if err := shareBlobs(path, a); err != nil {
		return err
	}
	p := layout.Path(path)
	var err error
	if a.Index != nil {
		err = p.WriteIndex(a.Index)
	} else {
		err = p.WriteImage(a.Image)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return updateIndexJSON(path, func(im *v1.IndexManifest) {
		for _, d := range im.Manifests {
			if d.Digest == a.Descriptor.Digest {
				return
			}
		}
		im.Manifests = append(im.Manifests, plain(a.Descriptor))
	})
}

// shareBlobs puts into the layout, before go-containerregistry writes the
// rest, the blobs that already are files (layers a build left in its
// store): hard-linked when the layout is on the same file system, so a
// build's output does not write its layers a second time, copied
// atomically and durably otherwise. go-containerregistry then finds them
// present and skips them.
func shareBlobs(path string, a Artifact) error {
	blobs, err := blobsOf(a)
	if err != nil {
		return err
	}
	for _, l := range blobs {
		f, ok := l.(interface{ BlobPath() string })
		if !ok {
			continue
		}
		h, err := l.Digest()
		if err != nil {
			continue
		}
		size, err := l.Size()
		if err != nil {
			continue
		}
		// Only a file of the recorded size is trusted as the blob.
		if fi, err := os.Stat(f.BlobPath()); err != nil || !fi.Mode().IsRegular() || fi.Size() != size {
			continue
		}
		dst := filepath.Join(path, "blobs", h.Algorithm, h.Hex)
		if _, err := atomicfile.Link(f.BlobPath(), dst, 0o644); err != nil {
			return fmt.Errorf("writing layer %s to OCI layout %s: %w", h, path, err)
		}
	}
	return nil
}

// tagLayout points each tag at desc: an entry already carrying the tag is
// replaced, an untagged entry for the digest takes the tag, and untagged
// duplicates of the digest are dropped, so re-publishing never grows
// index.json.
func tagLayout(path string, desc v1.Descriptor, tags []string) error {
	return updateIndexJSON(path, func(im *v1.IndexManifest) {
		for _, tag := range tags {
			placed := false
			for i, d := range im.Manifests {
				if d.Annotations[RefNameAnnotation] == tag {
					nd := plain(desc)
					nd.Annotations = map[string]string{RefNameAnnotation: tag}
					im.Manifests[i] = nd
					placed = true
				}
			}
			if placed {
				continue
			}
			for i, d := range im.Manifests {
				if d.Digest == desc.Digest && d.Annotations[RefNameAnnotation] == "" {
					if im.Manifests[i].Annotations == nil {
						im.Manifests[i].Annotations = map[string]string{}
					}
					im.Manifests[i].Annotations[RefNameAnnotation] = tag
					placed = true
					break
				}
			}
			if !placed {
				nd := plain(desc)
				nd.Annotations = map[string]string{RefNameAnnotation: tag}
				im.Manifests = append(im.Manifests, nd)
			}
		}
		// The digest is reachable through a tag now; keep no untagged copy.
		tagged := false
		for _, d := range im.Manifests {
			if d.Digest == desc.Digest && d.Annotations[RefNameAnnotation] != "" {
				tagged = true
			}
		}
		if tagged {
			im.Manifests = slices.DeleteFunc(im.Manifests, func(d v1.Descriptor) bool {
				return d.Digest == desc.Digest && d.Annotations[RefNameAnnotation] == ""
			})
		}
	})
}

func plain(d v1.Descriptor) v1.Descriptor {
	return v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
}

func initLayout(path string) error {
	return ocilayout.Init(path)
}

// updateIndexJSON changes index.json under the layout's lock (see
// ocilayout.Update), so other processes writing the same layout keep
// their entries.
func updateIndexJSON(path string, change func(*v1.IndexManifest)) error {
	return ocilayout.Update(path, func(im *v1.IndexManifest) error {
		change(im)
		return nil
	})
}
