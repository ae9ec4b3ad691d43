package pin

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Verifier decides whether a digest may be deployed, typically by checking
// its signature (the sign package provides one).
type Verifier interface {
	Verify(ctx context.Context, d name.Digest) error
}

// Update moves every tag@digest reference in paths whose tag now resolves
// (with r) to another digest. When v is non-nil the new digest must pass
// v.Verify first, unless its repository is on the allow list (WithAllow);
// a rejected digest leaves the reference as it is and adds a RuleUnsigned
// finding. References without a digest are not touched (Pin does that).
// Files are written as in Pin: only after every lookup succeeded, each
// atomically.
func Update(ctx context.Context, paths []string, r Resolver, v Verifier, opts ...Option) (*Result, error) {
	o := makeOptions(opts)
	allow, err := compileGlobs(o.allow)
	if err != nil {
		return nil, fmt.Errorf("reading allow list: %w", err)
	}
	refs, err := Find(ctx, paths, opts...)
	if err != nil {
		return nil, err
	}
	var pinned []Ref
	for _, ref := range refs {
		if _, ok := ref.TagRef(); ok && ref.Pinned() {
			pinned = append(pinned, ref)
		}
	}
	digests, err := resolveRefs(ctx, r, pinned, o.jobs)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	verdicts := map[string]error{} // a digest is verified once, however often it is used
	for _, ref := range pinned {
		t, _ := ref.TagRef()
		now := digests[t.Name()]
		if now == ref.Digest {
			continue
		}
		if v != nil && !allowed(allow, ref) {
			d := ref.Ref.Context().Digest(now.String())
			err, done := verdicts[d.Name()]
			if !done {
				err = v.Verify(ctx, d)
				if ctx.Err() != nil {
					return nil, fmt.Errorf("verifying %s: %w", d, ctx.Err())
				}
				verdicts[d.Name()] = err
			}
			if err != nil {
				f := finding(ref, RuleUnsigned,
					fmt.Sprintf("tag %s moved to %s, which failed verification (%v); left at %s", t, now, err, ref.Digest),
					"sign "+d.String()+" or, if it need not be signed, add its repository to the allow list")
				f.Digest = now.String()
				res.Findings = append(res.Findings, f)
				continue
			}
		}
		res.Changes = append(res.Changes, Change{Ref: ref, New: rewritten(ref.Text, ref.Tag, now), Digest: now})
	}
	res.Files, err = applyChanges(ctx, res.Changes, o.dryRun)
	return res, err
}

// AllowedRepository reports whether repo (canonical form, e.g.
// "docker.io/library/nginx") matches one of the allow-list globs.
func AllowedRepository(globs []string, repo string) (bool, error) {
	res, err := compileGlobs(globs)
	if err != nil {
		return false, fmt.Errorf("reading allow list: %w", err)
	}
	for _, re := range res {
		if re.MatchString(repo) {
			return true, nil
		}
	}
	return false, nil
}

func allowed(allow []*regexp.Regexp, ref Ref) bool {
	repo := canonicalRepo(ref.Ref.Context())
	for _, re := range allow {
		if re.MatchString(repo) {
			return true
		}
	}
	return false
}

// canonicalRepo spells Docker Hub "docker.io", as users write it.
func canonicalRepo(r name.Repository) string {
	s := r.Name()
	if rest, ok := strings.CutPrefix(s, name.DefaultRegistry+"/"); ok {
		return "docker.io/" + rest
	}
	return s
}
