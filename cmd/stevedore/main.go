// Command stevedore takes a commit to a signed, published, verifiable container
// release. This package owns the command line: flags, their conversion into
// library options, output formatting and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sreevishnu07/stevedore/builder/isolate"
	"github.com/sreevishnu07/stevedore/internal/initgc"
)

// init runs after every package this one imports has initialised: the
// end of start-up's package init, when collections may run again.
func init() { initgc.Done() }

func main() {
	// RUN steps re-execute this binary as their container's init; in that
	// process Init never returns.
	isolate.Init()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
