package isolate

import "os"

// childArg0 is the argv[0] the isolate init process is started with. It is a
// name no real binary is started with, so checking it is both cheap and
// unambiguous.
const childArg0 = "stevedore-isolate-init"

// Init must be called first thing in main (and in TestMain) of any binary
// that uses IsolationNamespaces or IsolationRootless. Run starts the current
// binary again (/proc/self/exe) with argv[0] set to a sentinel; in that
// process Init sets up the container, runs the command, and exits with the
// command's status, never returning. In every other process it returns at
// once: one string comparison, no allocation, no environment parsing.
//
// Reading os.Args here is the package's one exception to "libraries do not
// read os.Args": the sentinel is the only way the re-executed binary can tell
// it is the child before doing anything else.
func Init() {
	if len(os.Args) == 0 || os.Args[0] != childArg0 {
		return
	}
	os.Exit(childMain())
}
