//go:build !linux

package isolate

import (
	"context"
	"errors"
	"fmt"
)

// errUnsupported: namespaces exist only on Linux. IsolationOCI still works
// wherever an OCI runtime does.
var errUnsupported = errors.New("namespaces isolation needs Linux; use --isolation=oci")

func childMain() int { return 1 }

func runNamespaces(_ context.Context, s *Spec, _ *plan, _ *options, _ *tailBuffer, _ bool) error {
	return fmt.Errorf("running %s: %w", argv0(s), errUnsupported)
}

func statTimes(string) *dirTimes { return nil }
