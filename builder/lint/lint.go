// Package lint runs BuildKit's build checks on a Dockerfile: the rules of
// docker build's warnings and `docker buildx build --check`
// (SecretsUsedInArgOrEnv, UndefinedVar, JSONArgsRecommended, FromAsCasing,
// StageNameCasing, ...).
//
// The rules are not re-implemented: Check and Build call BuildKit's own
// dockerfile2llb front end with its lint hooks, so a rule fires exactly where
// BuildKit's does, with the same name, line and message, and honours the
// `# check=skip=...;error=true` directive and the BUILDKIT_DOCKERFILE_CHECK
// build arg the same way. Rules that depend on base images (UndefinedVar sees
// a base image's ENV, InvalidBaseImagePlatform its platform) read their
// configs through a Resolver, so the registry access is the caller's.
package lint

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// CheckArg is the build arg that overrides the Dockerfile's `# check=`
// directive, as in BuildKit: `--build-arg BUILDKIT_DOCKERFILE_CHECK=skip=all`.
const CheckArg = "BUILDKIT_DOCKERFILE_CHECK"

// Finding is one rule that fired.
type Finding struct {
	// Rule is BuildKit's rule name, e.g. "JSONArgsRecommended".
	Rule string `json:"rule"`
	// Message says what is wrong here, as BuildKit words it.
	Message string `json:"message"`
	// Description is the rule's one-line summary.
	Description string `json:"description,omitempty"`
	// URL is the rule's documentation.
	URL  string `json:"url,omitempty"`
	File string `json:"file"`
	// Line and EndLine are 1-based; 0 when the rule has no location.
	Line    int `json:"line,omitempty"`
	EndLine int `json:"end_line,omitempty"`
}

// String is the finding as stevedore prints it: FILE:LINE: RULE: MESSAGE.
func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	s := fmt.Sprintf("%s: %s: %s", loc, f.Rule, f.Message)
	if f.Rule == linter.RuleSecretsUsedInArgOrEnv.Name {
		s += " (pass secrets with --secret id=ID,env=VAR or id=ID,src=FILE and RUN --mount=type=secret)"
	}
	if f.URL != "" {
		s += " " + f.URL
	}
	return s
}

// Report is what the checks found.
type Report struct {
	Findings []Finding
	// Error is set when the Dockerfile could not be checked to the end (a
	// base image that does not resolve, an unknown stage, a check directive
	// BuildKit rejects) or when `error=true` turned findings into an error:
	// what buildx --check prints after the warnings.
	Error *Error
	// Strict is true when the check configuration says error=true: a build
	// with findings must fail.
	Strict bool
}

// Error is a failure BuildKit's front end reported, with its place.
type Error struct {
	Message string
	File    string
	Line    int
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Message)
}

// Resolver reads a base image's config for the rules that need it. ref is
// normalized the way BuildKit does ("docker.io/library/alpine:3.20"); it
// returns the manifest digest ("" if unknown) and the raw config JSON.
type Resolver interface {
	ImageConfig(ctx context.Context, ref string, platform v1.Platform) (digest string, config []byte, err error)
}

// Options say what to check.
type Options struct {
	// Filename names the Dockerfile in findings; default "Dockerfile".
	Filename string
	// Target is the stage being built; "" means the last (Build) or all
	// stages (Check), as in BuildKit.
	Target    string
	BuildArgs map[string]string
	// Platform is the target platform; the zero value means linux/amd64.
	Platform v1.Platform
	// Resolver reads base images; nil means none can be read (rules that
	// need a base image's config then see an error).
	Resolver Resolver
	// DockerIgnore is the build context's ignore file, for CopyIgnoredFile.
	DockerIgnore []byte
}

// Check is `docker buildx build --check`: every stage (or those Target
// needs), no build. A Dockerfile BuildKit cannot convert is reported in
// Report.Error, not as err: err is only for input Check cannot start with.
func Check(ctx context.Context, dt []byte, o Options) (*Report, error) {
	opt, cfg, err := convertOpt(dt, o)
	if err != nil {
		return nil, err
	}
	var res *lint.LintResults
	err = guard(func() (err error) {
		res, err = dockerfile2llb.DockerfileLint(ctx, dt, opt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("checking %s: %w", opt.SourceMap.Filename, err)
	}
	rep := FromResults(res)
	rep.Strict = cfg.ReturnAsError
	return rep, nil
}

// Build is the warnings of a build of Target, as docker build prints them:
// the rules on the stages the target needs plus those that look at the whole
// file. The front end's conversion errors are not reported: the build
// itself reports what is wrong with the Dockerfile, in its own words.
func Build(ctx context.Context, dt []byte, o Options) (*Report, error) {
	var found []Finding
	opt, cfg, err := convertOpt(dt, o)
	if err != nil {
		return nil, err
	}
	file := opt.SourceMap.Filename
	opt.Warn = func(rule, description, url, msg string, loc []parser.Range) {
		f := Finding{Rule: rule, Message: msg, Description: description, URL: url, File: file}
		if len(loc) > 0 {
			f.Line, f.EndLine = loc[0].Start.Line, loc[len(loc)-1].End.Line
		}
		found = append(found, f)
	}
	if err := guard(func() error {
		_, _ = dockerfile2llb.Dockerfile2LLB(ctx, dt, opt)
		return nil
	}); err != nil {
		return nil, err
	}
	sortFindings(found)
	rep := &Report{Findings: found, Strict: cfg.ReturnAsError}
	if rep.Strict && len(found) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "the build checks found %s and the check configuration says error=true: fix them, or skip the rules with `# check=skip=RULE` or --build-arg %s=skip=RULE", ruleList(found), CheckArg)
		for _, f := range found {
			b.WriteString("\n  " + f.String())
		}
		rep.Error = &Error{File: file, Message: b.String()}
	}
	return rep, nil
}

func ruleList(fs []Finding) string {
	var names []string
	for _, f := range fs {
		if !slices.Contains(names, f.Rule) {
			names = append(names, f.Rule)
		}
	}
	return strings.Join(names, ", ")
}

// convertOpt sets the front end up as BuildKit's dockerfile frontend does
// for a build: its options come through a gateway client, which also parses
// BUILDKIT_DOCKERFILE_CHECK. It returns the check configuration in force.
func convertOpt(dt []byte, o Options) (dockerfile2llb.ConvertOpt, *linter.Config, error) {
	file := cmp.Or(o.Filename, "Dockerfile")
	images := metaResolver{r: o.Resolver}
	opts := map[string]string{}
	if o.Target != "" {
		opts["target"] = o.Target
	}
	for k, v := range o.BuildArgs {
		opts["build-arg:"+k] = v
	}
	caps := pb.Caps.CapSet(pb.Caps.All())
	bc, err := dockerui.NewClient(&frontend{opts: opts, dockerignore: o.DockerIgnore, images: images})
	if err != nil {
		return dockerfile2llb.ConvertOpt{}, nil, fmt.Errorf("--build-arg %s: %w (for example skip=JSONArgsRecommended;error=true)", CheckArg, err)
	}
	cfg := bc.LinterConfig
	if cfg == nil {
		s, _, _, _ := parser.ParseDirective("check", dt)
		if cfg, err = linter.ParseLintOptions(s); err != nil {
			return dockerfile2llb.ConvertOpt{}, nil, fmt.Errorf("%s: the `# check=` directive: %w (see https://docs.docker.com/go/build-checks/)", file, err)
		}
	}
	p := o.Platform
	if p.OS == "" {
		p = v1.Platform{OS: "linux", Architecture: "amd64"}
	}
	opt := dockerfile2llb.ConvertOpt{
		Config:         bc.Config,
		Client:         bc,
		LLBCaps:        &caps,
		SourceMap:      sourceMap(file, dt),
		TargetPlatform: &ocispecs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant, OSVersion: p.OSVersion},
		MetaResolver:   images,
	}
	return opt, cfg, nil
}

// sourceMap names the Dockerfile for the front end. The lint result copies
// its definition, so it must have one, if empty.
func sourceMap(file string, dt []byte) *llb.SourceMap {
	sm := llb.NewSourceMap(nil, file, "Dockerfile", dt)
	sm.Definition = &llb.Definition{}
	return sm
}

// ErrInternal means BuildKit's front end failed in a way it should not
// (a panic): the checks could not run, which says nothing about the
// Dockerfile.
var ErrInternal = errors.New("internal error in the build checks")

// guard runs BuildKit's front end, turning a panic into ErrInternal: the
// checks are advice and must never take the build down with them.
func guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrInternal, r)
		}
	}()
	return f()
}

// FromResults converts BuildKit's lint subrequest result.
func FromResults(res *lint.LintResults) *Report {
	file := func(i int32) string {
		if i >= 0 && int(i) < len(res.Sources) && res.Sources[i] != nil {
			return res.Sources[i].Filename
		}
		return "Dockerfile"
	}
	rep := &Report{}
	for _, w := range res.Warnings {
		f := Finding{Rule: w.RuleName, Message: w.Detail, Description: w.Description, URL: w.URL, File: "Dockerfile"}
		if w.Location != nil {
			f.File = file(w.Location.SourceIndex)
			if r := w.Location.Ranges; len(r) > 0 {
				f.Line, f.EndLine = int(r[0].GetStart().GetLine()), int(r[len(r)-1].GetEnd().GetLine())
			}
		}
		rep.Findings = append(rep.Findings, f)
	}
	sortFindings(rep.Findings)
	if e := res.Error; e != nil {
		rep.Error = &Error{Message: e.Message, File: file(e.Location.SourceIndex)}
		if r := e.Location.Ranges; len(r) > 0 {
			rep.Error.Line = int(r[0].GetStart().GetLine())
		}
	}
	return rep
}

// sortFindings orders findings as buildx prints them: by line, those with
// no line first, the rest in the order the rules fired.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int { return cmp.Compare(a.Line, b.Line) })
}

// metaResolver adapts a Resolver to the front end's image config hook.
type metaResolver struct{ r Resolver }

func (m metaResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	if m.r == nil {
		return "", "", nil, fmt.Errorf("no registry access to read %s", ref)
	}
	var p v1.Platform
	if opt.ImageOpt != nil && opt.ImageOpt.Platform != nil {
		q := opt.ImageOpt.Platform
		p = v1.Platform{OS: q.OS, Architecture: q.Architecture, Variant: q.Variant, OSVersion: q.OSVersion}
	}
	d, cfg, err := m.r.ImageConfig(ctx, ref, p)
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.Digest(d), cfg, nil
}
