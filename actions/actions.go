// Package actions speaks GitHub Actions' runner protocol: workflow commands
// (groups, masks, annotations) on standard output, step outputs in
// $GITHUB_OUTPUT and the Markdown step summary in $GITHUB_STEP_SUMMARY. The
// CLI hands it the file paths from the environment; nothing here reads it.
package actions

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Runner writes to one job step.
type Runner struct {
	mu          sync.Mutex
	w           io.Writer
	outputFile  string
	summaryFile string
	envFile     string
}

// New returns a Runner that prints workflow commands to w and writes
// outputs and the summary to the given files ("" to skip them, as outside
// Actions).
func New(w io.Writer, outputFile, summaryFile string) *Runner {
	return &Runner{w: w, outputFile: outputFile, summaryFile: summaryFile}
}

// SetEnvFile names $GITHUB_ENV, where ExportVariable writes the job's
// environment for later steps ("" to skip, as outside Actions).
func (r *Runner) SetEnvFile(file string) { r.envFile = file }

// ExportVariable sets an environment variable for the job's later steps,
// with the same heredoc framing as SetOutput.
func (r *Runner) ExportVariable(name, value string) error {
	if r.envFile == "" {
		return nil
	}
	return r.appendFile(r.envFile, heredoc(name, value), "environment variable "+name)
}

// Mask tells the runner to hide value in every later log line. Each line of
// a multi-line secret is masked on its own, as the runner matches lines.
func (r *Runner) Mask(value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, line := range strings.Split(value, "\n") {
		if line = strings.TrimRight(line, "\r"); line != "" {
			fmt.Fprintf(r.w, "::add-mask::%s\n", escapeData(line))
		}
	}
}

// MaskFile masks the contents of a secret file (build-push-action's
// secret-files), as Mask does a value.
func (r *Runner) MaskFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading secret file %s: %w", path, err)
	}
	r.Mask(string(data))
	return nil
}

// Group starts a collapsible log group; EndGroup closes it.
func (r *Runner) Group(title string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "::group::%s\n", escapeData(title))
}

// EndGroup closes the current log group.
func (r *Runner) EndGroup() {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.w, "::endgroup::")
}

// Level is an annotation's severity.
type Level string

const (
	Error   Level = "error"
	Warning Level = "warning"
	Notice  Level = "notice"
)

// Annotation is a message attached to a file position in the run's UI.
type Annotation struct {
	Level   Level
	File    string
	Line    int
	Column  int
	Title   string
	Message string
}

// Annotate prints an annotation.
func (r *Runner) Annotate(a Annotation) {
	var props []string
	add := func(k, v string) {
		if v != "" && v != "0" {
			props = append(props, k+"="+escapeProperty(v))
		}
	}
	add("file", a.File)
	add("line", fmt.Sprint(a.Line))
	add("col", fmt.Sprint(a.Column))
	add("title", a.Title)
	level := a.Level
	if level == "" {
		level = Error
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(props) > 0 {
		fmt.Fprintf(r.w, "::%s %s::%s\n", level, strings.Join(props, ","), escapeData(a.Message))
	} else {
		fmt.Fprintf(r.w, "::%s::%s\n", level, escapeData(a.Message))
	}
}

// SetOutput sets a step output. Values may span lines: they are written
// with a random heredoc delimiter, so no value can end the block early.
func (r *Runner) SetOutput(name, value string) error {
	if r.outputFile == "" {
		return nil
	}
	return r.appendFile(r.outputFile, heredoc(name, value), "step output "+name)
}

func heredoc(name, value string) string {
	delim := "ghadelimiter_" + randomHex()
	for strings.Contains(value, delim) {
		delim = "ghadelimiter_" + randomHex()
	}
	return fmt.Sprintf("%s<<%s\n%s\n%s\n", name, delim, value, delim)
}

// AppendSummary adds Markdown to the job's step summary.
func (r *Runner) AppendSummary(markdown string) error {
	if r.summaryFile == "" {
		return nil
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	return r.appendFile(r.summaryFile, markdown, "step summary")
}

func (r *Runner) appendFile(file, text, what string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", what, err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", what, err)
	}
	return f.Close()
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// escapeData and escapeProperty follow @actions/core: the runner unescapes
// these sequences, so a message cannot smuggle a command of its own.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
