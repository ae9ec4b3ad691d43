package isolate

import (
	"fmt"
	"os"
)

// Isolation selects how a command is isolated.
type Isolation string

// Isolation modes. The zero value picks IsolationNamespaces when running as
// root and IsolationRootless otherwise.
const (
	IsolationAuto       Isolation = ""
	IsolationNamespaces Isolation = "namespaces"
	IsolationRootless   Isolation = "rootless"
	IsolationOCI        Isolation = "oci"
)

// ParseIsolation converts a flag value ("", "auto", "namespaces", "rootless",
// "oci") to an Isolation.
func ParseIsolation(s string) (Isolation, error) {
	switch s {
	case "", "auto":
		return IsolationAuto, nil
	case string(IsolationNamespaces), string(IsolationRootless), string(IsolationOCI):
		return Isolation(s), nil
	}
	return "", fmt.Errorf("parsing isolation %q: want namespaces, rootless or oci", s)
}

// DefaultTailSize is how much of the combined output an ExitError keeps.
const DefaultTailSize = 4 << 10

// Option configures Run.
type Option func(*options)

type options struct {
	isolation Isolation
	runtime   string
	tailSize  int
	selfExe   string
}

func makeOptions(opts []Option) *options {
	o := &options{tailSize: DefaultTailSize, selfExe: "/proc/self/exe"}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	if o.isolation == IsolationAuto {
		o.isolation = IsolationNamespaces
		if os.Geteuid() != 0 {
			o.isolation = IsolationRootless
		}
	}
	return o
}

// WithIsolation selects the isolation mode. Default IsolationAuto.
func WithIsolation(i Isolation) Option {
	return func(o *options) { o.isolation = i }
}

// WithRuntime names the OCI runtime binary for IsolationOCI: a path, or a
// name looked up in PATH. Default: "runc", then "crun".
func WithRuntime(nameOrPath string) Option {
	return func(o *options) { o.runtime = nameOrPath }
}

// WithTailSize sets how many trailing bytes of combined output an ExitError
// carries. Default DefaultTailSize; n < 0 means 0.
func WithTailSize(n int) Option {
	return func(o *options) { o.tailSize = max(n, 0) }
}
