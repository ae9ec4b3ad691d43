package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/actions"
	"github.com/sreevishnu07/stevedore/builder/lint"
)

// printChecks shows the build checks' findings: in GitHub Actions as
// warning annotations on the Dockerfile's lines, elsewhere as
// "warning: FILE:LINE: RULE: MESSAGE" lines on w.
func printChecks(w io.Writer, gh *actions.Runner, getenv env, fs []lint.Finding) {
	for _, f := range fs {
		if gh == nil {
			fmt.Fprintf(w, "warning: %s\n", f)
			continue
		}
		msg := strings.TrimPrefix(f.String(), location(f)+": "+f.Rule+": ")
		gh.Annotate(actions.Annotation{Level: actions.Warning, File: workspacePath(getenv, f.File), Line: f.Line, Title: f.Rule, Message: msg})
	}
}

func location(f lint.Finding) string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return f.File
}

// workspacePath makes a path relative to the checked-out repository, as
// annotations want it.
func workspacePath(getenv env, p string) string {
	ws := getenv("GITHUB_WORKSPACE")
	if ws == "" || !filepath.IsAbs(p) {
		return filepath.ToSlash(filepath.Clean(p))
	}
	if rel, err := filepath.Rel(ws, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return p
}

// errChecksFailed is `build --check` finding something: exit status 1, as
// `docker buildx build --check`.
var errChecksFailed = errors.New("the build checks found problems: fix them, or skip a rule with `# check=skip=RULE` in the Dockerfile or --build-arg BUILDKIT_DOCKERFILE_CHECK=skip=RULE")

// checkOutput is `stevedore build --check --json`.
type checkOutput struct {
	Findings []lint.Finding `json:"findings"`
	Error    string         `json:"error,omitempty"`
}

// reportCheck prints what `build --check` found, as buildx does: the
// findings, a count, and the error that stopped the checks if any.
func reportCheck(c *cli.Context, getenv env, rep *lint.Report) error {
	failed := len(rep.Findings) > 0 || rep.Error != nil
	if c.Bool("json") {
		out := checkOutput{Findings: append([]lint.Finding{}, rep.Findings...)}
		if rep.Error != nil {
			out.Error = rep.Error.Error()
		}
		if err := writeJSON(c.App.Writer, out); err != nil {
			return err
		}
	} else {
		printChecks(c.App.Writer, githubRunner(getenv, c.App.Writer), getenv, rep.Findings)
		switch n := len(rep.Findings); n {
		case 0:
			fmt.Fprintln(c.App.Writer, "Check complete, no warnings found.")
		case 1:
			fmt.Fprintln(c.App.Writer, "Check complete, 1 warning has been found!")
		default:
			fmt.Fprintf(c.App.Writer, "Check complete, %d warnings have been found!\n", n)
		}
	}
	if rep.Error != nil {
		return fmt.Errorf("%w: %w", errChecksFailed, rep.Error)
	}
	if failed {
		return errChecksFailed
	}
	return nil
}
