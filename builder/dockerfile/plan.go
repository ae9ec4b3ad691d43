package dockerfile

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/sreevishnu07/stevedore/builder/platform"
)

// PlanOptions say what to build from a Dockerfile.
type PlanOptions struct {
	// Target is the stage to build; "" means the last stage.
	Target string
	// BuildArgs are --build-arg values. They override ARG defaults; a value
	// no ARG declares only produces a warning, as in docker.
	BuildArgs map[string]string
	// BuildPlatform is where RUN executes; zero means this machine
	// (runtime.GOOS/GOARCH).
	BuildPlatform v1.Platform
	// TargetPlatform is the platform of the image; zero means BuildPlatform.
	TargetPlatform v1.Platform
	// NamedContexts are --build-context NAME=VALUE pairs. A stage, FROM
	// base or --from whose name is a key here is replaced by that context,
	// as BuildKit does. The value is passed through untouched.
	NamedContexts map[string]string
}

// SourceKind tells where a stage's base or a --from comes from.
type SourceKind int

const (
	// FromScratch is the empty filesystem.
	FromScratch SourceKind = iota
	// FromStage is another stage of the same Dockerfile (Source.Stage).
	FromStage
	// FromContext is a named build context (Source.Ref holds its value).
	FromContext
	// FromImage is an image reference (Source.Ref), expanded but not
	// normalized: resolving it is the caller's job.
	FromImage
)

func (k SourceKind) String() string {
	switch k {
	case FromScratch:
		return "scratch"
	case FromStage:
		return "stage"
	case FromContext:
		return "context"
	case FromImage:
		return "image"
	}
	return "unknown"
}

// Source is a stage's base or a dependency's origin.
type Source struct {
	Kind  SourceKind
	Stage int    // stage index when Kind is FromStage
	Name  string // the name as written after expansion (context key, image, stage)
	Ref   string // image reference or named-context value
}

// Dependency is one reason a stage needs another stage, context or image.
type Dependency struct {
	Source
	Line int    // line of the instruction that creates the dependency
	Via  string // "FROM", "COPY --from" or "RUN --mount"
}

// PlannedStage is a stage the target needs, with its base resolved.
type PlannedStage struct {
	*Stage
	// Base is what FROM resolves to after ARG expansion.
	Base Source
	// Platform is the stage's platform: --platform when given, else the
	// target platform. PlatformSet says which.
	Platform    v1.Platform
	PlatformSet bool
	// Overridden is true when a named context replaces the whole stage:
	// its instructions must not run and Base is that context.
	Overridden bool
	// Deps lists everything the stage needs, FROM first, then by line.
	Deps []Dependency
	// Level is 0 for stages that need no other stage; a stage's level is one
	// more than its deepest stage dependency.
	Level int
}

// Graph is the plan for one target: the needed stages in an order that
// respects their dependencies.
type Graph struct {
	// File is the Dockerfile's name, for errors.
	File string
	// Target is the index of the stage that produces the image.
	Target int
	// Stages are the needed stages in topological order (dependencies
	// first; ties keep file order).
	Stages []*PlannedStage
	// Levels groups stage indexes by Level: stages in one level do not
	// depend on each other and may be built in parallel.
	Levels [][]int
	// GlobalArgs is the global ARG scope after expansion: the predefined
	// platform args, then the meta ARGs, as KEY=VALUE.
	GlobalArgs []string
	// Warnings are docker's non-fatal complaints (unused build args, ...).
	Warnings []Warning

	byIndex   map[int]*PlannedStage
	global    envList
	buildArgs map[string]string
	escape    rune
	df        *Dockerfile
	byName    map[string]int
	contexts  map[string]string
}

// Stage returns the planned stage with file index i, nil if the target does
// not need it.
func (g *Graph) Stage(i int) *PlannedStage {
	return g.byIndex[i]
}

// Plan resolves stages, their bases and dependencies for opts.Target and
// orders them. Errors name the file and line and wrap ErrUnknownStage,
// ErrCycle or ErrInvalid.
func (df *Dockerfile) Plan(opts PlanOptions) (*Graph, error) {
	if len(df.Stages) == 0 {
		return nil, locErrf("planning", ErrSyntax, df.Filename, 0, "no build stage: add a FROM instruction")
	}
	build, target := normalizePlatforms(opts.BuildPlatform, opts.TargetPlatform)
	targetName := opts.Target
	if targetName == "" {
		targetName = df.Stages[len(df.Stages)-1].Name
	}
	global := defaultArgs(build, target, opts.BuildArgs, targetName)
	lex := df.lexer()
	global, err := df.metaArgs(global, lex, opts.BuildArgs)
	if err != nil {
		return nil, err
	}

	all := make([]*PlannedStage, len(df.Stages))
	byName := map[string]int{}
	for i, st := range df.Stages {
		ps, err := df.resolveStage(st, global, lex, byName, opts.NamedContexts, target)
		if err != nil {
			return nil, err
		}
		all[i] = ps
		if st.Name != "" {
			byName[st.Name] = i
		}
	}
	for _, ps := range all {
		if ps.Overridden {
			continue
		}
		if err := df.findDeps(ps, byName, opts.NamedContexts, lex); err != nil {
			return nil, err
		}
	}
	if err := df.checkCycles(all); err != nil {
		return nil, err
	}

	ti := len(all) - 1
	if opts.Target != "" {
		i, ok := byName[strings.ToLower(opts.Target)]
		if !ok {
			return nil, locErrf("planning", ErrUnknownStage, df.Filename, 0,
				"target stage %q could not be found (stages: %s): pass one of them to --target",
				opts.Target, strings.Join(df.stageNames(), ", "))
		}
		ti = i
	}

	g := &Graph{
		File: df.Filename, Target: ti, GlobalArgs: slices.Clone([]string(global)),
		byIndex: map[int]*PlannedStage{}, global: global, buildArgs: opts.BuildArgs,
		escape: df.Escape, df: df, byName: byName, contexts: opts.NamedContexts,
	}
	if err := g.collect(all, ti); err != nil {
		return nil, err
	}
	g.Warnings = append(g.Warnings, df.unusedBuildArgs(g, opts.BuildArgs)...)
	return g, nil
}

// metaArgs mirrors buildMetaArgs: each global ARG takes its --build-arg
// value, else its default expanded with the args before it.
func (df *Dockerfile) metaArgs(global envList, lex *shell.Lex, buildArgs map[string]string) (envList, error) {
	for _, cmd := range df.metaArgCmds {
		for _, kv := range cmd.Args {
			line := 0
			if loc := cmd.Location(); len(loc) > 0 {
				line = loc[0].Start.Line
			}
			if v, ok := buildArgs[kv.Key]; ok {
				global = global.set(kv.Key, v)
				continue
			}
			if kv.Value == nil {
				continue
			}
			v, _, err := lex.ProcessWord(*kv.Value, global)
			if err != nil {
				return nil, locErr("planning", ErrInvalid, df.Filename, line, fmt.Errorf("expanding ARG %s: %w", kv.Key, err))
			}
			global = global.set(kv.Key, v)
		}
	}
	return global, nil
}

func (df *Dockerfile) resolveStage(st *Stage, global envList, lex *shell.Lex, byName map[string]int,
	contexts map[string]string, target v1.Platform) (*PlannedStage, error) {
	ps := &PlannedStage{Stage: st, Platform: target}
	base, _, err := lex.ProcessWord(st.From, global)
	if err != nil {
		return nil, locErr("planning", ErrInvalid, df.Filename, st.Line, fmt.Errorf("expanding FROM %s: %w", st.From, err))
	}
	if base == "" {
		return nil, locErrf("planning", ErrInvalid, df.Filename, st.Line,
			"base name (%s) should not be blank: give the ARG it uses a default or pass --build-arg", st.From)
	}
	if st.Platform != "" {
		p, _, err := lex.ProcessWord(st.Platform, global)
		if err != nil || p == "" {
			return nil, locErrf("planning", ErrInvalid, df.Filename, st.Line, "empty platform value from expression %s", st.Platform)
		}
		pp, err := platform.Parse(p)
		if err != nil {
			return nil, locErr("planning", ErrInvalid, df.Filename, st.Line, fmt.Errorf("parsing platform for FROM --platform: %w", err))
		}
		ps.Platform, ps.PlatformSet = pp, true
	}
	ps.Deps = []Dependency{{Line: st.Line, Via: "FROM"}}
	switch {
	case st.Name != "" && hasContext(contexts, st.Name):
		ps.Overridden = true
		ps.Base = Source{Kind: FromContext, Name: st.Name, Ref: contextFor(contexts, st.Name)}
	default:
		ps.Base = resolveName(base, byName, contexts)
	}
	if ps.Base.Kind == FromScratch {
		// BuildKit builds scratch for the target platform whatever FROM
		// --platform says (dockerfile2llb's emptyImage(targetPlatform)).
		ps.Platform = target
	}
	ps.Deps[0].Source = ps.Base
	return ps, nil
}

// resolveName decides what a FROM or --from name refers to, in BuildKit's
// order: an earlier stage, scratch, a named context, else an image.
func resolveName(name string, byName map[string]int, contexts map[string]string) Source {
	if i, ok := byName[strings.ToLower(name)]; ok {
		return Source{Kind: FromStage, Stage: i, Name: name}
	}
	if name == "scratch" {
		return Source{Kind: FromScratch, Name: name}
	}
	if hasContext(contexts, name) {
		return Source{Kind: FromContext, Name: name, Ref: contextFor(contexts, name)}
	}
	return Source{Kind: FromImage, Name: name, Ref: name}
}

// contextKeys lists the spellings of an image name that a --build-context
// key may use: as written, and in docker's familiar form without
// docker.io/library/ and :latest.
func contextKeys(name string) []string {
	keys := []string{name}
	short := strings.TrimPrefix(strings.TrimPrefix(name, "docker.io/"), "library/")
	short = strings.TrimSuffix(short, ":latest")
	if short != name {
		keys = append(keys, short)
	}
	return keys
}

func hasContext(contexts map[string]string, name string) bool {
	for _, k := range contextKeys(name) {
		if _, ok := contexts[k]; ok {
			return true
		}
	}
	return false
}

func contextFor(contexts map[string]string, name string) string {
	for _, k := range contextKeys(name) {
		if v, ok := contexts[k]; ok {
			return v
		}
	}
	return ""
}

// findDeps adds COPY --from and RUN --mount=from= dependencies.
func (df *Dockerfile) findDeps(ps *PlannedStage, byName map[string]int, contexts map[string]string, lex *shell.Lex) error {
	for _, in := range ps.Instructions {
		cmd, err := in.command()
		if err != nil {
			return locErr("planning", ErrSyntax, df.Filename, in.Line, plainError(err))
		}
		switch c := cmd.(type) {
		case *instructions.CopyCommand:
			if c.From == "" {
				continue
			}
			if w, _, err := lex.ProcessWord(c.From, envList(nil)); err != nil || w != c.From {
				return locErrf("planning", ErrInvalid, df.Filename, in.Line,
					"variable expansion is not supported for --from: define a stage with FROM using a global ARG and copy from that stage")
			}
			src, err := df.fromSource(c.From, byName, contexts)
			if err != nil {
				return locErr("planning", ErrUnknownStage, df.Filename, in.Line, err)
			}
			ps.Deps = append(ps.Deps, Dependency{Source: src, Line: in.Line, Via: "COPY --from"})
		case *instructions.RunCommand:
			for _, m := range instructions.GetMounts(c) {
				if m.From == "" {
					continue
				}
				src := resolveName(m.From, byName, contexts)
				// A mount names a stage defined later only by name; BuildKit
				// finds it among all stages, so do we.
				if src.Kind != FromStage {
					if i, ok := df.stageByName(m.From); ok {
						src = Source{Kind: FromStage, Stage: i, Name: m.From}
					}
				}
				ps.Deps = append(ps.Deps, Dependency{Source: src, Line: in.Line, Via: "RUN --mount"})
			}
		}
	}
	return nil
}

// fromSource resolves COPY --from: a stage index, a stage name (anywhere
// in the file, so that a forward reference is reported rather than pulled
// as an image), a named context, else an image.
func (df *Dockerfile) fromSource(from string, byName map[string]int, contexts map[string]string) (Source, error) {
	if n, err := strconv.Atoi(from); err == nil {
		if n < 0 || n >= len(df.Stages) {
			return Source{}, fmt.Errorf("invalid stage index %d: the Dockerfile has stages 0 to %d", n, len(df.Stages)-1)
		}
		return Source{Kind: FromStage, Stage: n, Name: from}, nil
	}
	if i, ok := df.stageByName(from); ok {
		return Source{Kind: FromStage, Stage: i, Name: from}, nil
	}
	return resolveName(from, byName, contexts), nil
}

// stageByName finds a stage by name; with two stages of one name the last
// one counts, as in BuildKit.
func (df *Dockerfile) stageByName(name string) (int, bool) {
	for i := len(df.Stages) - 1; i >= 0; i-- {
		if st := df.Stages[i]; st.Name != "" && strings.EqualFold(st.Name, name) {
			return st.Index, true
		}
	}
	return 0, false
}

func (df *Dockerfile) stageNames() []string {
	var names []string
	for _, st := range df.Stages {
		if st.Name != "" {
			names = append(names, st.Name)
		}
	}
	if len(names) == 0 {
		return []string{"none named"}
	}
	return names
}

// checkCycles reports the first loop among all stages, as BuildKit does
// before looking at the target, naming each line on the loop.
func (df *Dockerfile) checkCycles(all []*PlannedStage) error {
	const (
		unvisited = iota
		onPath
		done
	)
	state := make([]int, len(all))
	var path []Dependency
	var visit func(i int) []Dependency
	visit = func(i int) []Dependency {
		state[i] = onPath
		for _, d := range all[i].Deps {
			if d.Kind != FromStage {
				continue
			}
			path = append(path, d)
			switch state[d.Stage] {
			case onPath:
				return path
			case unvisited:
				if c := visit(d.Stage); c != nil {
					return c
				}
			}
			path = path[:len(path)-1]
		}
		state[i] = done
		return nil
	}
	for i := range all {
		if state[i] != unvisited {
			continue
		}
		path = path[:0]
		if loop := visit(i); loop != nil {
			var b strings.Builder
			for j, d := range loop {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "line %d %s %s", d.Line, d.Via, d.Name)
			}
			return locErrf("planning", ErrCycle, df.Filename, loop[0].Line,
				"circular dependency detected on stage %s (%s)", all[i].DisplayName(), b.String())
		}
	}
	return nil
}

// collect keeps the stages the target needs and orders them.
func (g *Graph) collect(all []*PlannedStage, target int) error {
	need := map[int]bool{}
	var walk func(i int) error
	walk = func(i int) error {
		if need[i] {
			return nil
		}
		need[i] = true
		for _, d := range all[i].Deps {
			if d.Kind != FromStage {
				continue
			}
			if d.Stage >= i {
				return locErrf("planning", ErrCycle, g.File, d.Line,
					"cannot copy from stage %q, it needs to be defined before current stage %q: move it above",
					all[d.Stage].DisplayName(), all[i].DisplayName())
			}
			if err := walk(d.Stage); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(target); err != nil {
		return err
	}
	// Stage dependencies always point to earlier stages (checked above), so
	// file order is topological and levels can be filled in one pass.
	idx := slices.Sorted(maps.Keys(need))
	for _, i := range idx {
		ps := all[i]
		ps.Level = 0
		for _, d := range ps.Deps {
			if d.Kind == FromStage && all[d.Stage].Level+1 > ps.Level {
				ps.Level = all[d.Stage].Level + 1
			}
		}
		g.byIndex[i] = ps
		for len(g.Levels) <= ps.Level {
			g.Levels = append(g.Levels, nil)
		}
		g.Levels[ps.Level] = append(g.Levels[ps.Level], i)
	}
	for _, level := range g.Levels {
		for _, i := range level {
			g.Stages = append(g.Stages, all[i])
		}
	}
	return nil
}

// unusedBuildArgs warns about --build-arg values that no ARG in the needed
// stages or global scope declares, with docker's wording.
func (df *Dockerfile) unusedBuildArgs(g *Graph, buildArgs map[string]string) []Warning {
	declared := map[string]bool{}
	for _, a := range df.MetaArgs {
		declared[a.Name] = true
	}
	for _, ps := range g.Stages {
		for _, in := range ps.Instructions {
			if in.Keyword != "ARG" {
				continue
			}
			cmd, err := in.command()
			if err != nil {
				continue
			}
			if ac, ok := cmd.(*instructions.ArgCommand); ok {
				for _, kv := range ac.Args {
					declared[kv.Key] = true
				}
			}
		}
	}
	var unused []string
	for k := range buildArgs {
		// BUILDKIT_DOCKERFILE_CHECK is read by the build checks, not by ARG.
		if !declared[k] && !isPredefinedArg(k) && k != "BUILDKIT_DOCKERFILE_CHECK" {
			unused = append(unused, k)
		}
	}
	if len(unused) == 0 {
		return nil
	}
	slices.Sort(unused)
	return []Warning{{File: df.Filename, Message: fmt.Sprintf("One or more build-args %v were not consumed", unused)}}
}

// resolveFrom says what a --from (COPY or RUN --mount) names.
func (g *Graph) resolveFrom(from string) Source {
	src, err := g.df.fromSource(from, g.byName, g.contexts)
	if err != nil {
		return Source{Kind: FromImage, Name: from, Ref: from}
	}
	return src
}
