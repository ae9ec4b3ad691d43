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

// Exit codes. Only this package maps errors to them; exitCodes says what
// each means.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitDenied   = 3
	exitVerify   = 4
	exitCanceled = 130
)

// exitCodes is the one description of the exit codes: docs/cli/exit-codes.md
// is generated from it (stevedore docs), and the README links there.
var exitCodes = []struct {
	code    int
	meaning string
}{
	{exitOK, "success"},
	{exitFailed, "the work failed: registry, git or file system errors; `build --check` found something"},
	{exitUsage, "bad input, fix it and re-run: flags, references, tag rules, not a git repository, shallow clone; signing material or destinations `release`'s plan step found unusable (before building)"},
	{exitDenied, "a registry refused the credentials or the operation"},
	{exitVerify, "verification failed: no signature, none that verifies, or `pin --check` findings (unpinned or unsigned references)"},
	{exitCanceled, "interrupted (SIGINT or SIGTERM), as shells report it"},
}

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
