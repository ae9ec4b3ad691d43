package version

import (
	"sort"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// versionTag is a git tag that parsed as a strict semantic version after its
// prefix was removed.
type versionTag struct {
	Name      string
	Commit    string
	Version   *semver.Version
	Reachable bool
}

func (t versionTag) stable() bool { return t.Version.Prerelease() == "" }

// matchTags keeps the tags that are prefix + strict X.Y.Z[-pre][+build].
// "v1.2", "release-5" or another component's "lib/v3.0.0" are ignored, not
// errors: repositories accumulate all sorts of tags.
func matchTags(all []gitTag, reachable map[string]bool, prefix string) []versionTag {
	var out []versionTag
	for _, t := range all {
		rest, ok := strings.CutPrefix(t.Name, prefix)
		if !ok {
			continue
		}
		v, err := semver.StrictNewVersion(rest)
		if err != nil {
			continue
		}
		out = append(out, versionTag{Name: t.Name, Commit: t.Commit, Version: v, Reachable: reachable[t.Name]})
	}
	sortTags(out)
	return out
}

// sortTags orders tags highest first. Equal precedence (which differs only in
// build metadata) is broken deterministically: the tag without build metadata
// first, then by name, so the plan never depends on git's listing order.
func sortTags(tags []versionTag) {
	sort.SliceStable(tags, func(i, j int) bool {
		if c := tags[i].Version.Compare(tags[j].Version); c != 0 {
			return c > 0
		}
		mi, mj := tags[i].Version.Metadata() == "", tags[j].Version.Metadata() == ""
		if mi != mj {
			return mi
		}
		return tags[i].Name < tags[j].Name
	})
}

// first returns the first (highest) tag accepted by keep.
func first(tags []versionTag, keep func(versionTag) bool) (versionTag, bool) {
	for _, t := range tags {
		if keep(t) {
			return t, true
		}
	}
	return versionTag{}, false
}

// prereleaseNumber returns N when pre is "id.N", else -1.
func prereleaseNumber(pre, id string) int {
	rest, ok := strings.CutPrefix(pre, id+".")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// nextPrerelease numbers a prerelease of target among ALL tags, reachable or
// not: an rc.1 pushed from another branch still makes this one rc.2, because
// two different commits must never share a version.
func nextPrerelease(tags []versionTag, target semver.Version, id string) int {
	n := 0
	for _, t := range tags {
		v := t.Version
		if v.Major() != target.Major() || v.Minor() != target.Minor() || v.Patch() != target.Patch() {
			continue
		}
		n = max(n, prereleaseNumber(v.Prerelease(), id))
	}
	return n + 1
}

// highestIn reports whether v is at least every stable tag for which inLine
// is true. Prereleases never make a stable release "not highest".
func highestIn(tags []versionTag, v *semver.Version, inLine func(*semver.Version) bool) bool {
	for _, t := range tags {
		if t.stable() && inLine(t.Version) && t.Version.GreaterThan(v) {
			return false
		}
	}
	return true
}

// levelBetween is the bump that leads from prev to next, for tags that were
// set by hand or by an earlier run.
func levelBetween(prev, next *semver.Version) int {
	switch {
	case next.Major() != prev.Major():
		return bumpMajor
	case next.Minor() != prev.Minor():
		return bumpMinor
	case next.Patch() != prev.Patch():
		return bumpPatch
	}
	return bumpNone
}

func coreOf(v *semver.Version) *semver.Version {
	return semver.New(v.Major(), v.Minor(), v.Patch(), "", "")
}

func bumpVersion(base *semver.Version, level int) *semver.Version {
	var v semver.Version
	switch level {
	case bumpMajor:
		v = base.IncMajor()
	case bumpMinor:
		v = base.IncMinor()
	case bumpPatch:
		v = base.IncPatch()
	default:
		return base
	}
	return &v
}
