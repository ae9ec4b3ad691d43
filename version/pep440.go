package version

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// pep440Re is PEP 440's version grammar (Appendix B, the permissive form
// Python's packaging accepts): epoch, release, pre, post, dev and local.
var pep440Re = regexp.MustCompile(`(?i)^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)` +
	`(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?` +
	`(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?` +
	`(?:[-_.]?(dev)[-_.]?(\d+)?)?` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$`)

// pep440Version is a parsed PEP 440 version.
type pep440Version struct {
	epoch   int
	release []int
	pre     string // a, b or rc; "" when none
	preN    int
	post    int // -1 when none
	dev     int // -1 when none
	local   string
}

func parsePEP440(s string) (pep440Version, bool) {
	m := pep440Re.FindStringSubmatch(s)
	if m == nil {
		return pep440Version{}, false
	}
	num := func(x string) int { n, _ := strconv.Atoi(x); return n }
	v := pep440Version{epoch: num(m[1]), post: -1, dev: -1}
	for _, p := range strings.Split(m[2], ".") {
		v.release = append(v.release, num(p))
	}
	if m[3] != "" {
		switch strings.ToLower(m[3]) {
		case "a", "alpha":
			v.pre = "a"
		case "b", "beta":
			v.pre = "b"
		default:
			v.pre = "rc"
		}
		v.preN = num(m[4])
	}
	switch {
	case m[5] != "":
		v.post = num(m[5])
	case m[6] != "":
		v.post = num(m[7])
	}
	if m[8] != "" {
		v.dev = num(m[9])
	}
	if m[10] != "" {
		v.local = strings.ToLower(regexp.MustCompile(`[-_]`).ReplaceAllString(m[10], "."))
	}
	return v, true
}

// String is the normalized form (PEP 440 "Normalization").
func (v pep440Version) String() string {
	var b strings.Builder
	if v.epoch != 0 {
		b.WriteString(strconv.Itoa(v.epoch) + "!")
	}
	for i, n := range v.release {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(n))
	}
	if v.pre != "" {
		b.WriteString(v.pre + strconv.Itoa(v.preN))
	}
	if v.post >= 0 {
		b.WriteString(".post" + strconv.Itoa(v.post))
	}
	if v.dev >= 0 {
		b.WriteString(".dev" + strconv.Itoa(v.dev))
	}
	if v.local != "" {
		b.WriteString("+" + v.local)
	}
	return b.String()
}

func (v pep440Version) part(i int) int {
	if i < len(v.release) {
		return v.release[i]
	}
	return 0
}

// final: neither a pre-, post- nor development release.
func (v pep440Version) final() bool { return v.pre == "" && v.post < 0 && v.dev < 0 }

// pep440Tags is type=pep440: like semver, for Python-style versions.
func pep440Tags(c *tagContext, r Rule) (ruleResult, error) {
	src, ok, err := c.versionSource(r)
	if err != nil || !ok {
		return ruleResult{}, err
	}
	v, ok := parsePEP440(src)
	if !ok {
		return ruleResult{}, nil
	}
	isRaw := strings.ReplaceAll(r.Pattern, " ", "") == "{{raw}}"
	if !v.final() {
		// Like metadata-action: pre, post and dev releases are tagged with
		// their version only, so floating patterns never move.
		out := v.String()
		if isRaw {
			out = src
		}
		return ruleResult{values: []string{out}, latest: c.flavor.Latest == "true" && v.post >= 0}, nil
	}
	// The safety rules need a semantic version; X, X.Y and X.Y.Z map onto one.
	sv := semver.New(uint64(v.part(0)), uint64(v.part(1)), uint64(v.part(2)), "", "")
	if floating := floatingLevel(r.Pattern); floating != floatNone {
		inLine := func(o *semver.Version) bool {
			return o.Major() == sv.Major() && (floating == floatMajor || o.Minor() == sv.Minor())
		}
		if (floating == floatMajor && sv.Major() == 0) || !highestIn(c.all, sv, inLine) {
			return ruleResult{}, nil
		}
	}
	out, err := expand(r.Pattern, c.data(map[string]string{
		"version": v.String(),
		"major":   itoa(v.part(0)),
		"minor":   itoa(v.part(1)),
		"patch":   itoa(v.part(2)),
		"raw":     src,
	}))
	if err != nil {
		return ruleResult{}, ruleErr(r, err)
	}
	safe := len(v.release) <= 3 && v.epoch == 0 && c.safeLatest(sv)
	return ruleResult{values: []string{out}, latest: c.flavorLatest(safe) && safe}, nil
}
