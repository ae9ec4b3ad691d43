package buildkit

import (
	"os"
	"testing"

	"github.com/sreevishnu07/stevedore/builder/isolate"
)

func TestMain(m *testing.M) {
	// The embedded builder's RUN steps (in the comparison tests) re-execute
	// this test binary as their container init.
	isolate.Init()
	os.Exit(m.Run())
}
