package dockerfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Dockerfile is a parsed Dockerfile: its stages in file order, the global
// ARGs declared before the first FROM, and the parser directives.
type Dockerfile struct {
	// Filename is the name errors and warnings use, as given to Parse.
	Filename string
	// Syntax is the value of the `# syntax=` directive, "" when absent. It is
	// informational: stevedore always uses its built-in front end.
	Syntax string
	// Escape is the escape character: '\\' unless `# escape=` says '`'.
	Escape rune
	// Directives lists every parser directive in the header, in order.
	Directives []Directive
	// MetaArgs are the ARGs before the first FROM, usable in FROM lines and,
	// when re-declared without a value, inside stages.
	MetaArgs []Arg
	// Stages in file order; Stage.Index is the position here.
	Stages []*Stage
	// Warnings found while parsing (empty continuation lines, ...).
	Warnings []Warning

	metaArgCmds []instructions.ArgCommand
}

// Directive is a parser directive such as `# syntax=docker/dockerfile:1`.
type Directive struct {
	Name  string
	Value string
	Line  int
}

// Arg is an ARG declaration: a name and, when given, a default that is not
// expanded yet.
type Arg struct {
	Name    string
	Default *string
	Line    int
}

// Warning is something docker would print but that does not stop the build.
type Warning struct {
	File    string
	Line    int // 0 when not tied to a line
	Message string
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message)
	}
	return fmt.Sprintf("%s: %s", w.File, w.Message)
}

// Stage is one FROM and the instructions under it.
type Stage struct {
	// Index is the stage's position in the file, as used by COPY --from=N.
	Index int
	// Name is the lower-cased name after AS, "" for unnamed stages.
	Name string
	// From is the base as written, before ARG expansion ("golang:${GO}").
	From string
	// Platform is the --platform flag as written, "" when absent.
	Platform string
	// Line is the FROM instruction's first line.
	Line int
	// Instructions after FROM, in order.
	Instructions []Instruction
}

// DisplayName is the stage's name, or "stage-N" like BuildKit for unnamed
// stages.
func (s *Stage) DisplayName() string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("stage-%d", s.Index)
}

// Instruction is one instruction of a stage. It keeps its parse tree so that
// every Apply starts from the unexpanded text: the same Dockerfile can be
// planned for several platforms or build-arg sets.
type Instruction struct {
	// Keyword is the upper-case instruction name: "RUN", "COPY", ...
	Keyword string
	// Line and EndLine are the first and last lines (they differ with
	// continuations and heredocs).
	Line, EndLine int
	// Source is the instruction's text as written (continuations joined).
	Source string

	node *parser.Node
}

// command parses the instruction afresh, because BuildKit's expansion
// mutates the command in place.
func (in Instruction) command() (instructions.Command, error) {
	v, err := instructions.ParseInstruction(in.node)
	if err != nil {
		return nil, err
	}
	c, ok := v.(instructions.Command)
	if !ok {
		return nil, fmt.Errorf("%s is not allowed inside a stage", in.Keyword)
	}
	return c, nil
}

// Parse reads a Dockerfile. filename is only used in errors and warnings.
// Errors name the file and line and wrap ErrSyntax.
func Parse(r io.Reader, filename string) (*Dockerfile, error) {
	return ParseContext(context.Background(), r, filename)
}

// ParseContext is Parse with a context, for readers that block (a pipe, a
// remote file): the read stops being waited for when ctx is done.
func ParseContext(ctx context.Context, r io.Reader, filename string) (*Dockerfile, error) {
	dt, err := readAll(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filename, err)
	}
	if len(bytes.TrimSpace(dt)) == 0 {
		return nil, locErrf("parsing", ErrSyntax, filename, 0, "the Dockerfile is empty: add a FROM instruction")
	}
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, locErr("parsing", ErrSyntax, filename, errorLine(err), plainError(err))
	}
	df := &Dockerfile{Filename: filename, Escape: res.EscapeToken}
	df.readDirectives(dt)
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		df.Warnings = append(df.Warnings, Warning{File: filename, Line: line, Message: w.Short})
	}
	for _, node := range res.AST.Children {
		if err := df.add(node); err != nil {
			return nil, err
		}
	}
	if len(df.Stages) == 0 {
		return nil, locErrf("parsing", ErrSyntax, filename, 0, "no build stage: add a FROM instruction")
	}
	return df, nil
}

func (df *Dockerfile) add(node *parser.Node) error {
	v, err := instructions.ParseInstruction(node)
	if err != nil {
		return locErr("parsing", ErrSyntax, df.Filename, node.StartLine, plainError(err))
	}
	switch c := v.(type) {
	case *instructions.Stage:
		df.Stages = append(df.Stages, &Stage{
			Index:    len(df.Stages),
			Name:     c.Name,
			From:     c.BaseName,
			Platform: c.Platform,
			Line:     node.StartLine,
		})
		return nil
	case *instructions.ArgCommand:
		if len(df.Stages) == 0 {
			df.metaArgCmds = append(df.metaArgCmds, *c)
			for _, a := range c.Args {
				df.MetaArgs = append(df.MetaArgs, Arg{Name: a.Key, Default: a.Value, Line: node.StartLine})
			}
			return nil
		}
	}
	cmd, ok := v.(instructions.Command)
	if !ok {
		return locErrf("parsing", ErrSyntax, df.Filename, node.StartLine, "%s cannot be used here", strings.ToUpper(node.Value))
	}
	if len(df.Stages) == 0 {
		return locErrf("parsing", ErrSyntax, df.Filename, node.StartLine,
			"%s before the first FROM: only ARG may come before FROM", strings.ToUpper(cmd.Name()))
	}
	st := df.Stages[len(df.Stages)-1]
	src := node.Original
	if s, ok := cmd.(fmt.Stringer); ok {
		src = s.String()
	}
	st.Instructions = append(st.Instructions, Instruction{
		Keyword: strings.ToUpper(cmd.Name()),
		Line:    node.StartLine,
		EndLine: node.EndLine,
		Source:  src,
		node:    node,
	})
	return nil
}

// readDirectives records the header directives. BuildKit's parser already
// applied escape; syntax and check are only reported.
func (df *Dockerfile) readDirectives(dt []byte) {
	var dp parser.DirectiveParser
	ds, err := dp.ParseAll(dt)
	if err != nil {
		// A malformed directive is a comment to the parser; keep going.
		df.Warnings = append(df.Warnings, Warning{File: df.Filename, Message: plainError(err).Error()})
	}
	for _, d := range ds {
		line := 0
		if len(d.Location) > 0 {
			line = d.Location[0].Start.Line
		}
		df.Directives = append(df.Directives, Directive{Name: d.Name, Value: d.Value, Line: line})
		if d.Name == "syntax" {
			df.Syntax = d.Value
		}
	}
}

func (df *Dockerfile) lexer() *shell.Lex {
	return shell.NewLex(df.Escape)
}

// errorLine digs the first line number out of a BuildKit error, 0 if none.
func errorLine(err error) int {
	var le *parser.LocationError
	if errors.As(err, &le) {
		for _, rs := range le.Locations {
			for _, r := range rs {
				if r.Start.Line > 0 {
					return r.Start.Line
				}
			}
		}
	}
	return 0
}

// plainError drops BuildKit's wrappers (location, stack) so our message
// names the location once, in our own format.
func plainError(err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && le.Unwrap() != nil {
		err = le.Unwrap()
	}
	return errors.New(err.Error())
}

// readAll reads r, giving up when ctx is done.
func readAll(ctx context.Context, r io.Reader) ([]byte, error) {
	if ctx.Done() == nil {
		return io.ReadAll(r)
	}
	type result struct {
		dt  []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		dt, err := io.ReadAll(r)
		ch <- result{dt, err}
	}()
	select {
	case res := <-ch:
		return res.dt, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
