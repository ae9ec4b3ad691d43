package store

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// The state a crash leaves when a blob's rename reached the disk and its
// data did not (what an unsynced write risks): the right name, content cut
// short. The next pull must fetch the blob again, not build on it.
func TestTruncatedBlobIsFetchedAgainNeverUsed(t *testing.T) {
	ctx := context.Background()
	reg := registrytest.InProcess(t)
	proxy := faultproxy.New(t, "http://"+reg, nil)
	img := registrytest.Image(t, 2, 4096)
	ref, err := name.ParseReference(proxy.Host + "/base/img:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(ctx, ref, v1.Platform{OS: "linux", Architecture: "amd64"}); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	d, _ := layers[1].Digest()
	size, _ := layers[1].Size()
	if err := os.Truncate(s.Path(d), size/2); err != nil {
		t.Fatal(err)
	}

	proxy.Reset()
	again, err := s.Pull(ctx, ref, v1.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if n := proxy.Count(http.MethodGet, faultproxy.KindBlob); n != 1 {
		t.Errorf("second pull fetched %d blobs, want 1 (the truncated layer)", n)
	}
	if err := validate.Image(again); err != nil {
		t.Fatalf("image after the refetch is not valid: %v", err)
	}
}

// A damaged blob of the right size (or one whose size the reader does not
// know) fails the read that reaches its end, and is removed so the next
// build replaces it.
func TestDamagedBlobFailsItsReadAndIsRemoved(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	content := strings.Repeat("layer bytes ", 1000)
	h, _, _ := v1.SHA256(strings.NewReader(content))
	if err := s.WriteBlob(h, strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	damaged := []byte(content)
	damaged[len(damaged)/2] ^= 0xff
	if err := os.WriteFile(s.Path(h), damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	if !s.HasBlob(h, int64(len(content))) {
		t.Fatal("the size check alone should pass a same-size blob")
	}
	rc, err := s.Open(h)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, rc)
	rc.Close()
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("reading a damaged blob: err = %v, want ErrDigestMismatch", err)
	}
	if s.Has(h) {
		t.Error("the damaged blob is still in the store")
	}

	// Small blobs read whole are checked before they are returned.
	if err := os.WriteFile(s.Path(h), damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadBlob(h); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("ReadBlob of a damaged blob: err = %v, want ErrDigestMismatch", err)
	}
	// And a write of the right content replaces a damaged blob instead of
	// keeping it because the name exists.
	if err := os.WriteFile(s.Path(h), damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBlob(h, strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if b, err := s.ReadBlob(h); err != nil || string(b) != content {
		t.Fatalf("after rewriting: %v", err)
	}
}

// A killed build leaves its work directory; the next Open removes it, but
// never the directory of a build still running (it holds a lock), nor a
// fresh one (made, not yet locked).
func TestOpenSweepsWorkDirsOfDeadBuildsOnly(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * StaleAfter)
	age := func(p string) {
		t.Helper()
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	mkdir := func(name string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(p, "rootfs-1", "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "rootfs-1", "bin", "sh"), []byte("x"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}

	stale := mkdir("work-111")
	age(stale)
	fresh := mkdir("work-222")
	live, err := s.NewWorkDir()
	if err != nil {
		t.Fatal(err)
	}
	defer live.Remove()
	age(live.Path)
	notOurs := mkdir("workspace")
	age(notOurs)

	// A build process that held its directory and was killed (SIGKILL):
	// its lock dies with it.
	killed := mkdir("work-333")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldWorkDir$")
	cmd.Env = append(os.Environ(), "STEVEDORE_TEST_HOLD_DIR="+killed)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line := make([]byte, 4)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "held" {
		t.Fatalf("the holding process did not take its lock: %q %v", line, err)
	}
	age(killed)
	// While it lives, its directory stays.
	if _, err := s.SweepWork(time.Now().Add(-StaleAfter)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed); err != nil {
		t.Fatalf("the directory of a running build was removed: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	for p, wantGone := range map[string]bool{stale: true, fresh: false, live.Path: false, notOurs: false, killed: true} {
		_, err := os.Stat(p)
		if gone := errors.Is(err, os.ErrNotExist); gone != wantGone {
			t.Errorf("%s: removed = %v, want %v", filepath.Base(p), gone, wantGone)
		}
	}
	if err := live.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live.Path); !errors.Is(err, os.ErrNotExist) {
		t.Error("Remove left the work directory")
	}
}

// TestHelperHoldWorkDir is the build process of
// TestOpenSweepsWorkDirsOfDeadBuildsOnly: it holds a directory as a running
// build does, says so, and waits to be killed.
func TestHelperHoldWorkDir(t *testing.T) {
	dir := os.Getenv("STEVEDORE_TEST_HOLD_DIR")
	if dir == "" {
		t.Skip("run by TestOpenSweepsWorkDirsOfDeadBuildsOnly")
	}
	if _, err := holdDir(dir); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("held")
	time.Sleep(time.Minute)
}
