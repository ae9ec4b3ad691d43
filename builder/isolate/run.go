package isolate

import (
	"context"
	"errors"
	"fmt"
)

// Run runs s.Args in s.Rootfs and returns when the command and every process
// it started are gone. A command that exits non-zero (or is killed) yields an
// *ExitError; a cancelled ctx kills the whole process tree and returns an
// error wrapping ctx.Err(). Mount points Run had to create in the root
// filesystem are removed again; nothing stays mounted on the host.
func Run(ctx context.Context, s Spec, opts ...Option) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("running %s: %w", argv0(&s), err)
	}
	o := makeOptions(opts)
	p, err := newPlan(&s)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := p.cleanup(); cerr != nil && err == nil {
			err = fmt.Errorf("cleaning up after %s: %w", argv0(&s), cerr)
		}
	}()
	tail := &tailBuffer{max: o.tailSize}
	switch o.isolation {
	case IsolationNamespaces:
		return runNamespaces(ctx, &s, p, o, tail, false)
	case IsolationRootless:
		return runNamespaces(ctx, &s, p, o, tail, true)
	case IsolationOCI:
		return runOCI(ctx, &s, p, o, tail)
	}
	return fmt.Errorf("%w: unknown isolation %q", ErrInvalidSpec, o.isolation)
}

func argv0(s *Spec) string {
	if len(s.Args) == 0 {
		return "command"
	}
	return s.Args[0]
}

// exitResult turns the status of a finished command into Run's error.
func exitResult(ctx context.Context, s *Spec, code int, tail *tailBuffer) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("running %s: %w", argv0(s), err)
	}
	if code == 0 {
		return nil
	}
	return &ExitError{Code: code, Tail: tail.bytes()}
}

// ErrSetup is wrapped by errors that kept the command from starting (mounts,
// a missing executable, a missing OCI runtime), as opposed to an *ExitError
// from a command that ran and failed.
var ErrSetup = errors.New("setting up isolation")
