package buildkit

import (
	"archive/tar"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sshtest"
)

// TestSSHAgentForwarded: --ssh reaches a BuildKit daemon too: the step's
// ssh-add lists the agent's keys, as in the embedded builder.
func TestSSHAgentForwarded(t *testing.T) {
	a, err := ParseAddress(daemonAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	sock := sshtest.Agent(t)
	dir := t.TempDir()
	sshtest.AddRoot(t, dir)
	// The time keeps BuildKit's cache from answering: an agent's keys are
	// not part of a step's cache key.
	writeFiles(t, dir, map[string]string{"Dockerfile": "FROM base\nCOPY sshroot/ /\nRUN --mount=type=ssh,id=deploy,required=true echo " +
		time.Now().Format(time.RFC3339Nano) + " > /dev/null && ssh-add -l > /keys\n"})
	res, err := Build(context.Background(), a, nil,
		builder.WithContextDir(dir), builder.WithCacheDir(t.TempDir()), builder.WithEpoch(time.Unix(1700000000, 0)),
		builder.WithNamedContext("base", builder.NamedContext{Image: registrytest.BusyboxImage(t)}),
		builder.WithSSH(map[string]string{"deploy": sock}))
	if err != nil {
		t.Fatalf("buildkit: %v", err)
	}
	rc := mutate.Extract(res.Image)
	defer rc.Close()
	var keys string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("/keys is not in the image: %v", err)
		}
		if strings.TrimPrefix(h.Name, "./") == "keys" {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			keys = string(data)
			break
		}
	}
	if want := sshtest.Keys(t, sock); strings.TrimSpace(keys) != want {
		t.Errorf("ssh-add -l in the step: %q, want %q", keys, want)
	}
}
