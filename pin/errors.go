package pin

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is; only cmd maps them to exit codes.
var (
	// ErrSyntax: a file could not be parsed (malformed YAML or Dockerfile).
	ErrSyntax = errors.New("malformed file")
	// ErrReference: an image reference in a file cannot be parsed.
	ErrReference = errors.New("bad image reference")
	// ErrUnrewritable: a reference is written in a form pin cannot rewrite
	// byte-exactly (escape sequences, multi-line or block scalars).
	ErrUnrewritable = errors.New("reference cannot be rewritten in place")
	// ErrNotInLedger: the ledger has no digest for a repo:tag.
	ErrNotInLedger = errors.New("not in ledger")
	// ErrResolve: a reference could not be resolved to a digest.
	ErrResolve = errors.New("resolving failed")
)

// posError is "verb-ing FILE:LINE:COL: cause" carrying a sentinel.
type posError struct {
	kind  error
	msg   string
	cause error
}

func (e *posError) Error() string {
	switch {
	case e.cause == nil:
		return e.msg
	case e.msg == "": // the cause already says what was being done
		return e.cause.Error()
	}
	return e.msg + ": " + e.cause.Error()
}

func (e *posError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func newError(kind, cause error, format string, args ...any) error {
	return &posError{kind: kind, msg: fmt.Sprintf(format, args...), cause: cause}
}
