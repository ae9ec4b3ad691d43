package buildkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// BenchmarkBuild builds the multi-stage project with the embedded builder,
// through the BuildKit driver, and with buildctl against the same daemon
// (the driver's client overhead), each warm (cached) and with no cache.
//
//	go test ./builder/buildkit -run '^$' -bench Build -benchtime 5x
func BenchmarkBuild(b *testing.B) {
	addr := daemonAddr(b)
	buildctl := buildctlPath(b)
	a, err := ParseAddress(addr)
	if err != nil {
		b.Fatal(err)
	}
	base := registrytest.BusyboxImage(b)
	dir := b.TempDir()
	writeFiles(b, dir, multiStage)
	secret := filepath.Join(b.TempDir(), "token")
	if err := os.WriteFile(secret, []byte("s3cret-token"), 0o600); err != nil {
		b.Fatal(err)
	}
	baseDir := b.TempDir()
	lp, err := layout.Write(baseDir, empty.Index)
	if err != nil {
		b.Fatal(err)
	}
	if err := lp.AppendImage(base); err != nil {
		b.Fatal(err)
	}
	bd, _ := base.Digest()
	cache := b.TempDir()
	epoch := time.Unix(1700000000, 0)
	for _, noCache := range []bool{false, true} {
		mode := "cached"
		if noCache {
			mode = "no-cache"
		}
		opts := []builder.Option{
			builder.WithContextDir(dir),
			builder.WithNamedContext("base", builder.NamedContext{Image: base}),
			builder.WithSecrets(map[string]string{"token": secret}),
			builder.WithEpoch(epoch),
			builder.WithCacheDir(cache),
			builder.WithNoCache(noCache),
		}
		b.Run("embedded/"+mode, func(b *testing.B) {
			for b.Loop() {
				if _, err := builder.Build(context.Background(), opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("buildkit-driver/"+mode, func(b *testing.B) {
			for b.Loop() {
				if _, err := Build(context.Background(), a, nil, opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("buildctl/"+mode, func(b *testing.B) {
			args := []string{"--addr", addr, "build", "--progress=quiet",
				"--frontend", "dockerfile.v0", "--local", "context=" + dir, "--local", "dockerfile=" + dir,
				"--oci-layout", "base=" + baseDir, "--opt", "context:base=oci-layout://base@" + bd.String(),
				"--opt", fmt.Sprintf("build-arg:SOURCE_DATE_EPOCH=%d", epoch.Unix()),
				"--secret", "id=token,src=" + secret}
			if noCache {
				args = append(args, "--no-cache")
			}
			out := filepath.Join(b.TempDir(), "out.tar")
			args = append(args, "--output", "type=oci,rewrite-timestamp=true,dest="+out)
			for b.Loop() {
				if o, err := exec.Command(buildctl, args...).CombinedOutput(); err != nil {
					b.Fatalf("buildctl: %v\n%s", err, o)
				}
			}
		})
	}
}
