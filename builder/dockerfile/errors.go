package dockerfile

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is, so callers can tell a broken
// Dockerfile from a bad request without parsing messages.
var (
	// ErrSyntax: the Dockerfile cannot be parsed (unknown instruction, bad
	// flag, bad JSON form, unterminated heredoc, ...).
	ErrSyntax = errors.New("Dockerfile syntax error")
	// ErrUnknownStage: a --target, FROM or --from names a stage that does not
	// exist, or a stage index is out of range.
	ErrUnknownStage = errors.New("unknown stage")
	// ErrCycle: stages depend on each other in a loop, or on a stage defined
	// later in the file (which BuildKit refuses too).
	ErrCycle = errors.New("stage dependency cycle")
	// ErrInvalid: an instruction's value is wrong once expanded (a bad port,
	// signal, platform, empty base name, ...).
	ErrInvalid = errors.New("invalid instruction")
)

// LocatedError is an error that belongs to a place in a Dockerfile. Its text
// reads "verb-ing FILE:LINE: cause" (for example "parsing Dockerfile:3:
// unknown instruction: COPYY") so editors and CI annotations can jump to it.
type LocatedError struct {
	Verb string // what was being done: "parsing", "planning", "applying"
	File string
	Line int // 1-based; 0 when the error concerns the whole file
	Err  error
	kind error
}

func (e *LocatedError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s %s:%d: %v", e.Verb, e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Verb, e.File, e.Err)
}

// Unwrap exposes both the sentinel and the underlying cause.
func (e *LocatedError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.Err}
	}
	return []error{e.kind, e.Err}
}

func locErr(verb string, kind error, file string, line int, err error) error {
	return &LocatedError{Verb: verb, File: file, Line: line, Err: err, kind: kind}
}

func locErrf(verb string, kind error, file string, line int, format string, args ...any) error {
	return locErr(verb, kind, file, line, fmt.Errorf(format, args...))
}
