package ledger

import (
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Record adds that the image with digest is now at dst. It joins the image
// the ledger already records with that digest (a release's image published
// onwards keeps its name, SBOMs and verify commands), or a new image named
// name. A destination recorded before gains the tags; nothing is listed
// twice. A ledger with no version takes the highest full version among the
// tags (1.4.2, v1.4.2), so that `stevedore pin --from` moves deploy files
// from older versions to it.
//
// A name is one image of the release: when the ledger already records an
// image called name under another digest, nothing is added (a second entry
// would give one image two digests, and which of them `pin --from` takes
// would depend on the order), and Record returns that image's digest so the
// caller can say why. It returns "" when it recorded dst.
func (l *Ledger) Record(name, digest string, dst Destination) (conflict string) {
	i := slices.IndexFunc(l.Images, func(img Image) bool { return img.Digest == digest })
	if i < 0 {
		if j := slices.IndexFunc(l.Images, func(img Image) bool { return img.Name == name }); j >= 0 {
			return l.Images[j].Digest
		}
		l.Images = append(l.Images, Image{Name: name, Digest: digest, Platforms: []Platform{}})
		i = len(l.Images) - 1
	}
	img := &l.Images[i]
	j := slices.IndexFunc(img.Destinations, func(d Destination) bool { return d.Ref == dst.Ref })
	if j < 0 {
		dst.Tags = sortedUnion(nil, dst.Tags)
		img.Destinations = append(img.Destinations, dst)
	} else {
		img.Destinations[j].Tags = sortedUnion(img.Destinations[j].Tags, dst.Tags)
	}
	if l.Version == "" {
		l.Version = highestVersion(dst.Tags)
	}
	return ""
}

func sortedUnion(a, b []string) []string {
	out := append(append([]string{}, a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

func highestVersion(tags []string) string {
	var best *semver.Version
	for _, t := range tags {
		v, err := semver.StrictNewVersion(strings.TrimPrefix(t, "v"))
		if err == nil && (best == nil || v.GreaterThan(best)) {
			best = v
		}
	}
	if best == nil {
		return ""
	}
	return best.String()
}
