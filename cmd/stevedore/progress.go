package main

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/event"
)

// The --progress flag of every long command (build, release, publish):
// which event renderer shows what the command is doing.

func progressFlag() cli.Flag {
	return &cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress on stderr: auto (tty on a terminal, else plain, as with TERM=dumb; json with --json), tty (live status line, even with TERM=dumb, as docker buildx), plain, json (one object per line) or quiet (warnings only)"}
}

// progress is a command's event sink, with where its steps' own output
// (RUN's) goes and what to stop when the command ends.
type progress struct {
	event.Sink
	output io.Writer // nil: discarded
	close  func()
}

// newProgress makes the renderer --progress asks for. Plain lines go to
// stderr, except in GitHub Actions, where they go to stdout inside their
// groups. TERM=dumb means the terminal cannot redraw a line: auto prints
// plain lines instead; NO_COLOR turns colors off (https://no-color.org).
func newProgress(c *cli.Context, getenv env, gh *actions.Runner) (*progress, error) {
	errW := c.App.ErrWriter
	mode, err := progressMode(c.String("progress"), c.Bool("json"), gh != nil, isTerminal(errW), getenv)
	if err != nil {
		return nil, err
	}
	p := &progress{close: func() {}}
	switch mode {
	case "tty":
		t := event.NewTTY(errW, getenv("NO_COLOR") == "")
		p.Sink, p.output, p.close = t, t.Output(), t.Close
	case "plain":
		var t *event.Text
		if gh != nil {
			t = event.NewPlain(c.App.Writer, event.WithGroups(gh), event.WithNotices(errW))
		} else {
			t = event.NewPlain(errW)
		}
		p.Sink, p.output = t, t.Output()
	case "json":
		p.Sink = event.NewJSON(errW)
	case "quiet":
		// Quiet hides progress, never warnings (docker build --quiet still
		// prints its warnings).
		t := event.NewPlain(errW)
		p.Sink = event.SinkFunc(func(e event.Event) {
			if _, ok := e.(event.Warning); ok {
				t.Emit(e)
			}
		})
	}
	return p, nil
}

// progressMode resolves --progress: auto becomes json with --json, plain
// in GitHub Actions or when stderr is no terminal (or TERM=dumb), else tty.
// Only auto looks at TERM: a forced tty is what the user asked for.
func progressMode(flag string, asJSON, actions, terminal bool, getenv env) (string, error) {
	dumb := getenv("TERM") == "dumb"
	switch flag {
	case "auto":
		switch {
		case asJSON:
			return "json", nil
		case actions || !terminal || dumb:
			return "plain", nil
		}
		return "tty", nil
	case "tty":
		// Forced, it wins over TERM=dumb, as docker buildx's --progress tty
		// does (BuildKit's progressui only asks whether stderr is a console).
		return flag, nil
	case "plain", "json", "quiet":
		return flag, nil
	}
	return "", usageErrorf("--progress must be auto, tty, plain, json or quiet (got %q)", flag)
}
