// Package initgc keeps the garbage collector from running while the
// program's packages initialise. syft's, sigstore's and BuildKit's
// dependencies allocate about 7 MB of tables and compiled expressions at
// package init, past the runtime's first 4 MB collection target, so every
// command (even --version) used to spend about half its init time in
// collections. This package depends on nothing but runtime/debug, so Go
// initialises it as soon as the packages whose import paths sort before it
// are done: before most of the heavy ones (rekor's govalidator, the largest,
// among them; TestInitTraceVersion in cmd/stevedore checks that order). A
// --version run then collects once instead of three times. The main
// package calls Done from its own init, which Go runs after every other
// package's (in its test binary too), putting back the GOGC setting the
// process started with.
package initgc

import (
	"runtime/debug"
)

// start is the GC percent the process started with (GOGC, default 100).
var start = debug.SetGCPercent(-1)

// Done restores the GC percent the process started with.
func Done() { debug.SetGCPercent(start) }
