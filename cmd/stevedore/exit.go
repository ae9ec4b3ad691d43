package main

import (
	"context"
	"errors"

	"github.com/sreevishnu07/stevedore/builder/buildkit"
	"github.com/sreevishnu07/stevedore/pin"
	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
	"github.com/sreevishnu07/stevedore/version"
)

// Exit codes. Only this package maps errors to them; the README lists them.
const (
	exitOK       = 0
	exitFailed   = 1   // the work failed: registry, git or file system errors
	exitUsage    = 2   // bad input: flags, references, tag rules, repository state to fix first
	exitDenied   = 3   // authentication or authorization refused by a registry
	exitVerify   = 4   // verification failed: no signature, none verifies, or pin --check found unpinned/unsigned references
	exitCanceled = 130 // interrupted (SIGINT/SIGTERM), as shells report it
)

func exitCode(err error) int {
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, context.Canceled):
		return exitCanceled
	case errors.Is(err, pipeline.ErrDestination):
		// Found by release's plan step, before any work: fix and re-run.
		return exitUsage
	case errors.Is(err, publish.ErrDenied):
		return exitDenied
	case errors.Is(err, sign.ErrNoSignature), errors.Is(err, sign.ErrInvalidSignature), errors.As(err, new(*errFindings)):
		return exitVerify
	case errors.Is(err, pin.ErrSyntax), errors.Is(err, pin.ErrReference), errors.Is(err, pin.ErrUnrewritable), errors.Is(err, pin.ErrPolicy):
		return exitUsage
	case errors.Is(err, sign.ErrKMSNotLinked), errors.As(err, new(*sign.SetupError)):
		return exitUsage
	case errors.Is(err, publish.ErrBadReference),
		errors.Is(err, version.ErrNotGit),
		errors.Is(err, version.ErrShallow),
		errors.Is(err, version.ErrInvalidOption),
		errors.Is(err, version.ErrInvalidRule),
		errors.Is(err, pipeline.ErrConfig),
		errors.Is(err, pipeline.ErrDirty),
		errors.Is(err, buildkit.ErrBadAddress),
		errors.Is(err, pipeline.ErrBuilderTLSUnused),
		errors.Is(err, buildkit.ErrUnreachable):
		return exitUsage
	default:
		return exitFailed
	}
}
