package dockerfile

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/buildkit/util/system"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/sys/signal"
)

// Step is what one instruction does besides changing State.Config.
type Step struct {
	// History is the entry docker writes for the instruction, nil for
	// ONBUILD (which writes none). Created is left zero: the caller sets
	// it (SOURCE_DATE_EPOCH or the build time).
	History *v1.History
	// Run is set for RUN, Copy for COPY and ADD.
	Run  *RunOp
	Copy *CopyOp
	// Mkdir is the directory WORKDIR creates (with parents, owned by
	// Config.User), "" when nothing is created. It makes a layer.
	Mkdir string
}

// Apply carries out one instruction on the state: it expands variables,
// updates Config and the scope, and returns the history entry and, for
// RUN/COPY/ADD/WORKDIR, what the executor must do. Errors name the
// instruction's file and line.
func (s *State) Apply(in Instruction) (Step, error) {
	step, err := s.apply(in)
	if err != nil {
		return Step{}, locErr("applying", ErrInvalid, s.g.File, in.Line, fmt.Errorf("%s: %w", in.Keyword, plainError(err)))
	}
	return step, nil
}

func (s *State) apply(in Instruction) (Step, error) {
	cmd, err := in.command()
	if err != nil {
		return Step{}, err
	}
	if _, isArg := cmd.(*instructions.ArgCommand); !isArg {
		if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
			if err := ex.Expand(s.expand); err != nil {
				return Step{}, err
			}
		}
	}
	if ex, ok := cmd.(instructions.SupportsSingleWordExpansionRaw); ok {
		// Heredoc bodies marked for expansion keep their quotes.
		lex := shell.NewLex('\\')
		lex.SkipProcessQuotes = true
		err := ex.ExpandRaw(func(word string) (string, error) {
			w, _, err := lex.ProcessWord(word, s.env)
			return w, err
		})
		if err != nil {
			return Step{}, err
		}
	}

	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		parts := []string{"ENV"}
		for _, e := range c.Env {
			s.Config.Env = []string(envList(s.Config.Env).set(e.Key, e.Value))
			s.env = s.env.set(e.Key, e.Value)
			parts = append(parts, e.String())
		}
		return history(strings.Join(parts, " "), false), nil
	case *instructions.ArgCommand:
		return s.applyArg(c)
	case *instructions.LabelCommand:
		if s.Config.Labels == nil {
			s.Config.Labels = map[string]string{}
		}
		parts := []string{"LABEL"}
		for _, l := range c.Labels {
			s.Config.Labels[l.Key] = l.Value
			parts = append(parts, l.String())
		}
		return history(strings.Join(parts, " "), false), nil
	case *instructions.MaintainerCommand:
		s.Author = c.Maintainer
		return history("MAINTAINER "+c.Maintainer, false), nil
	case *instructions.ExposeCommand:
		return s.applyExpose(c)
	case *instructions.VolumeCommand:
		if s.Config.Volumes == nil {
			s.Config.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if v == "" {
				return Step{}, fmt.Errorf("VOLUME specified can not be an empty string")
			}
			s.Config.Volumes[v] = struct{}{}
		}
		return history(fmt.Sprintf("VOLUME %v", c.Volumes), false), nil
	case *instructions.WorkdirCommand:
		return s.applyWorkdir(c)
	case *instructions.UserCommand:
		s.Config.User = c.User
		return history("USER "+c.User, false), nil
	case *instructions.CmdCommand:
		args := c.CmdLine
		if c.PrependShell {
			args = s.withShell(args)
		}
		s.Config.Cmd = args
		s.Config.ArgsEscaped = true
		s.cmdSet = true
		return history(fmt.Sprintf("CMD %q", args), false), nil
	case *instructions.EntrypointCommand:
		args := c.CmdLine
		if c.PrependShell {
			args = s.withShell(args)
		}
		s.Config.Entrypoint = args
		// A new ENTRYPOINT makes an inherited CMD meaningless; a CMD given
		// earlier in this same stage stays.
		if !s.cmdSet {
			s.Config.Cmd = nil
		}
		return history(fmt.Sprintf("ENTRYPOINT %q", args), false), nil
	case *instructions.ShellCommand:
		s.Config.Shell = c.Shell
		return history(fmt.Sprintf("SHELL %v", c.Shell), false), nil
	case *instructions.HealthCheckCommand:
		h := &dockerspec.HealthcheckConfig{
			Test: c.Health.Test, Interval: c.Health.Interval, Timeout: c.Health.Timeout,
			StartPeriod: c.Health.StartPeriod, StartInterval: c.Health.StartInterval, Retries: c.Health.Retries,
		}
		s.Config.Healthcheck = &v1.HealthConfig{
			Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries,
		}
		s.HealthcheckStartInterval = h.StartInterval
		// BuildKit writes the %q of this struct pointer (fields quoted one by
		// one, Retries as a quoted rune); going through any keeps vet from
		// rejecting the verb while producing the same bytes.
		var v any = h
		return history(fmt.Sprintf("HEALTHCHECK %q", v), false), nil
	case *instructions.StopSignalCommand:
		if _, err := signal.ParseSignal(c.Signal); err != nil {
			return Step{}, fmt.Errorf("%w: use a name like SIGTERM or a number", err)
		}
		s.Config.StopSignal = c.Signal
		return history("STOPSIGNAL "+c.Signal, false), nil
	case *instructions.OnbuildCommand:
		s.Config.OnBuild = append(s.Config.OnBuild, c.Expression)
		return Step{}, nil
	case *instructions.RunCommand:
		return s.applyRun(c)
	case *instructions.CopyCommand:
		return s.applyCopy(c)
	case *instructions.AddCommand:
		return s.applyAdd(c)
	}
	return Step{}, fmt.Errorf("unsupported instruction %s", in.Keyword)
}

// applyArg mirrors dispatchArg: a --build-arg wins, then the default
// (expanded now), then, with neither, the global value of the same name.
func (s *State) applyArg(c *instructions.ArgCommand) (Step, error) {
	parts := make([]string, 0, len(c.Args))
	for _, arg := range c.Args {
		bv, hasValue := s.g.buildArgs[arg.Key]
		hasDefault := arg.Value != nil
		if !hasDefault && !hasValue {
			if v, ok := s.g.global.Get(arg.Key); ok {
				arg.Value = &v
			}
		}
		if hasValue {
			arg.Value = &bv
		} else if hasDefault {
			v, err := s.expand(*arg.Value)
			if err != nil {
				return Step{}, err
			}
			arg.Value = &v
		}
		if arg.Value != nil {
			s.env = s.env.set(arg.Key, *arg.Value)
		}
		// Declared once per name, where first declared, with the latest
		// value: what RUN's history lists. Keeping repeats would make every
		// RUN cost as much as all the ARG lines before it.
		if i := slices.IndexFunc(s.args, func(a instructions.KeyValuePairOptional) bool { return a.Key == arg.Key }); i >= 0 {
			s.args[i] = arg
		} else {
			s.args = append(s.args, arg)
		}
		p := arg.Key
		if arg.Value != nil {
			p += "=" + *arg.Value
		}
		parts = append(parts, p)
	}
	return history("ARG "+strings.Join(parts, " "), false), nil
}

func (s *State) applyWorkdir(c *instructions.WorkdirCommand) (Step, error) {
	wd, err := system.NormalizeWorkdir(s.Config.WorkingDir, c.Path, s.Platform.OS)
	if err != nil {
		return Step{}, err
	}
	// The config keeps the platform's separators (Windows wants C:\x);
	// history and the directory to create use slashes, as in BuildKit.
	s.Config.WorkingDir = wd
	wd = system.ToSlash(wd, s.Platform.OS)
	step := history("WORKDIR "+wd, wd != "/")
	if wd != "/" {
		step.Mkdir = wd
	}
	return step, nil
}

// withShell wraps a shell-form command line in SHELL, or /bin/sh -c.
func (s *State) withShell(args []string) []string {
	sh := []string{"/bin/sh", "-c"}
	if len(s.Config.Shell) > 0 {
		sh = s.Config.Shell
	} else if s.Platform.OS == "windows" {
		sh = []string{"cmd", "/S", "/C"}
	}
	return append(append([]string{}, sh...), strings.Join(args, " "))
}

func history(createdBy string, layer bool) Step {
	return Step{History: &v1.History{CreatedBy: createdBy, Comment: historyComment, EmptyLayer: !layer}}
}

// copyDest mirrors BuildKit's pathRelativeToWorkingDir: an absolute
// destination is taken as is, a relative one joins the working directory,
// and a trailing slash ("into this directory") is kept.
func copyDest(wd, dest, osName string) (string, error) {
	wd = system.ToSlash(wd, osName)
	p, err := system.CheckSystemDriveAndRemoveDriveLetter(dest, osName, true)
	if err != nil {
		return "", fmt.Errorf("removing drive letter: %w", err)
	}
	if system.IsAbs(p, osName) {
		return system.NormalizePath("/", p, osName, true)
	}
	if p == "." || p == "" {
		p = "./"
	}
	return system.NormalizePath(wd, p, osName, true)
}
