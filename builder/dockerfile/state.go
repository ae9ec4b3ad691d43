package dockerfile

import (
	"fmt"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// historyComment is what BuildKit's Dockerfile front end puts in every
// history entry's comment.
const historyComment = "buildkit.dockerfile.v0"

// defaultPathEnv is BuildKit's PATH for Unix images that have none.
const defaultPathEnv = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// State is a stage's build state while its instructions are applied one by
// one: the image config being written and the variable scope (ENV and ARG)
// that expansion and RUN see. Create it with Graph.NewState or
// Graph.NewStateFromStage.
type State struct {
	// Config is the image config so far. Apply updates it.
	Config v1.Config
	// Author is the image's author (MAINTAINER), inherited from the base.
	Author string
	// Platform is the stage's platform.
	Platform v1.Platform
	// HealthcheckStartInterval is HEALTHCHECK --start-interval. It lives
	// here because go-containerregistry's v1.HealthConfig has no field for
	// it; an image writer should put it in Healthcheck.StartInterval.
	HealthcheckStartInterval time.Duration
	// Triggers are the base's ONBUILD instructions, to run before the
	// stage's own, as BuildKit does. Config.OnBuild starts empty: triggers
	// do not carry over to images built on top of this one.
	Triggers []Instruction

	g      *Graph
	stage  *PlannedStage
	env    envList                             // what RUN and expansion see: ENV and ARG, last write wins
	args   []instructions.KeyValuePairOptional // ARGs declared so far, for RUN's history
	cmdSet bool                                // CMD given in this stage, so ENTRYPOINT keeps it
}

// NewState starts stage i on an image, a named context or scratch. base is
// the base image's config file; nil means scratch (an empty config with
// WorkingDir "/" and the default PATH, as BuildKit writes).
func (g *Graph) NewState(i int, base *v1.ConfigFile) (*State, error) {
	ps := g.Stage(i)
	if ps == nil {
		return nil, fmt.Errorf("starting stage %d of %s: the target does not need it", i, g.File)
	}
	s := &State{g: g, stage: ps, Platform: ps.Platform}
	if base == nil {
		s.Config = v1.Config{WorkingDir: "/"}
	} else {
		s.Config = cloneConfig(base.Config)
		s.Author = base.Author
	}
	if s.Config.Env == nil || !hasKey(s.Config.Env, "PATH") {
		if s.Platform.OS != "windows" {
			s.Config.Env = append(s.Config.Env, "PATH="+defaultPathEnv)
		}
	}
	s.env = envList(slices.Clone(s.Config.Env))
	triggers := s.Config.OnBuild
	s.Config.OnBuild = nil
	if err := s.setTriggers(triggers); err != nil {
		return nil, err
	}
	return s, nil
}

// NewStateFromStage starts stage i on the final state of the stage it is
// built FROM. The child inherits the parent's config, ENV, declared ARGs
// and ONBUILD triggers, as in BuildKit.
func (g *Graph) NewStateFromStage(i int, parent *State) (*State, error) {
	ps := g.Stage(i)
	if ps == nil {
		return nil, fmt.Errorf("starting stage %d of %s: the target does not need it", i, g.File)
	}
	if parent == nil {
		return nil, fmt.Errorf("starting stage %s of %s: the parent stage's state is missing", ps.DisplayName(), g.File)
	}
	s := &State{
		g: g, stage: ps, Platform: parent.Platform,
		Config:                   cloneConfig(parent.Config),
		Author:                   parent.Author,
		HealthcheckStartInterval: parent.HealthcheckStartInterval,
		env:                      envList(slices.Clone(parent.env)),
		args:                     slices.Clone(parent.args),
	}
	triggers := s.Config.OnBuild
	s.Config.OnBuild = nil
	if err := s.setTriggers(triggers); err != nil {
		return nil, err
	}
	return s, nil
}

// Env is the environment RUN sees (ENV plus ARGs in scope), KEY=VALUE.
func (s *State) Env() []string {
	return slices.Clone(s.env)
}

// setTriggers parses ONBUILD expressions into instructions located at the
// stage's FROM line, which is where docker reports their errors.
func (s *State) setTriggers(triggers []string) error {
	for _, t := range triggers {
		res, err := parser.Parse(strings.NewReader(t))
		if err != nil {
			return locErr("starting stage", ErrSyntax, s.g.File, s.stage.Line, fmt.Errorf("parsing ONBUILD %s: %w", t, plainError(err)))
		}
		if len(res.AST.Children) != 1 {
			return locErrf("starting stage", ErrSyntax, s.g.File, s.stage.Line, "ONBUILD trigger %q should be a single instruction", t)
		}
		node := res.AST.Children[0]
		node.StartLine, node.EndLine = s.stage.Line, s.stage.Line
		in := Instruction{Keyword: strings.ToUpper(node.Value), Line: s.stage.Line, EndLine: s.stage.Line, Source: t, node: node}
		if _, err := in.command(); err != nil {
			return locErr("starting stage", ErrSyntax, s.g.File, s.stage.Line, fmt.Errorf("parsing ONBUILD %s: %w", t, plainError(err)))
		}
		s.Triggers = append(s.Triggers, in)
	}
	return nil
}

// expand substitutes variables in one word with the stage's scope.
func (s *State) expand(word string) (string, error) {
	w, _, err := shell.NewLex(s.g.escape).ProcessWord(word, s.env)
	return w, err
}

func hasKey(env []string, key string) bool {
	_, ok := envList(env).Get(key)
	return ok
}

func cloneConfig(c v1.Config) v1.Config {
	c.Cmd = slices.Clone(c.Cmd)
	c.Entrypoint = slices.Clone(c.Entrypoint)
	c.Env = slices.Clone(c.Env)
	c.OnBuild = slices.Clone(c.OnBuild)
	c.Shell = slices.Clone(c.Shell)
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		h.Test = slices.Clone(h.Test)
		c.Healthcheck = &h
	}
	if c.Labels != nil {
		c.Labels = cloneMap(c.Labels)
	}
	if c.Volumes != nil {
		c.Volumes = cloneMap(c.Volumes)
	}
	if c.ExposedPorts != nil {
		c.ExposedPorts = cloneMap(c.ExposedPorts)
	}
	return c
}

func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
