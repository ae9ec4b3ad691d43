package cachedir_test

import (
	"os"
	"testing"

	"github.com/sreevishnu07/stevedore/builder/isolate"
)

func TestMain(m *testing.M) {
	// RUN steps of the builds these tests make re-execute this binary.
	isolate.Init()
	os.Exit(m.Run())
}
