package builder

import (
	"os"
	"testing"

	"github.com/sreevishnu07/stevedore/builder/isolate"
)

func TestMain(m *testing.M) {
	// RUN steps re-execute this test binary as their container init.
	isolate.Init()
	os.Exit(m.Run())
}
