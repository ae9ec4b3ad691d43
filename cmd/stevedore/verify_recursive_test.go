package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// sign --recursive --format both prints a line per digest and format;
// verify --recursive then checks every platform manifest, and fails (exit
// 4, naming the platform) once one platform's signatures are removed from
// the registry, which plain verify of the index does not notice.
func TestSignVerifyRecursiveBoth(t *testing.T) {
	priv, pub, _ := testKeys(t)
	ii := registrytest.Index(t, 2, 1, 128)
	repo, h := pushed(t, ii)
	ref := repo + "@" + h.String()
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}

	r := stevedore(t, withPassword(), "", "sign", ref, "--key", priv, "--recursive", "--format", "both")
	if r.code != 0 {
		t.Fatalf("sign: exit %d: %s", r.code, r.stderr)
	}
	for _, d := range append([]string{h.String()}, im.Manifests[0].Digest.String(), im.Manifests[1].Digest.String()) {
		for _, line := range []string{"signed " + repo + "@" + d + "\n", "signed " + repo + "@" + d + " (bundle)\n"} {
			if !strings.Contains(r.stdout, line) {
				t.Errorf("sign output lacks %q:\n%s", line, r.stdout)
			}
		}
	}
	again := stevedore(t, withPassword(), "", "sign", ref, "--key", priv, "--recursive", "--format", "bundle")
	if again.code != 0 || strings.Count(again.stdout, "(bundle: already signed by this key)") != 3 {
		t.Errorf("re-sign: exit %d:\n%s%s", again.code, again.stdout, again.stderr)
	}

	ok := stevedore(t, nil, "", "verify", ref, "--key", pub, "--recursive")
	if ok.code != 0 || strings.Count(ok.stdout, "verified platform ") != 2 {
		t.Fatalf("verify --recursive: exit %d:\n%s%s", ok.code, ok.stdout, ok.stderr)
	}
	// The printed command, with the trusted root the note describes, runs
	// with the cosign v2.6 CLI offline.
	_, cmd, found := strings.Cut(ok.stdout, "check with cosign:\n  ")
	cmd, _, _ = strings.Cut(cmd, "\n")
	if !found || !strings.Contains(ok.stdout, "(cosign v2.6 offline: add --trusted-root FILE, FILE holding "+emptyTrustedRoot+")") {
		t.Fatalf("verify prints no cosign command with the trusted-root note:\n%s", ok.stdout)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "root.json"), []byte(emptyTrustedRoot), 0o644); err != nil {
		t.Fatal(err)
	}
	args := strings.Fields(cmd)
	cosigntest.Run(t, cosigntest.V2(t), dir, append(append([]string{}, args[1:len(args)-1]...), "--trusted-root", "root.json", args[len(args)-1])...)

	p0 := im.Manifests[0].Digest
	r0, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{p0.Algorithm + "-" + p0.Hex + ".sig", p0.Algorithm + "-" + p0.Hex} {
		if err := remote.Delete(r0.Tag(tag)); err != nil {
			t.Fatalf("deleting %s: %v", tag, err)
		}
	}
	if r := stevedore(t, nil, "", "verify", ref, "--key", pub); r.code != 0 {
		t.Errorf("verify of the index alone: exit %d: %s", r.code, r.stderr)
	}
	bad := stevedore(t, nil, "", "verify", ref, "--key", pub, "--recursive")
	if bad.code != exitVerify || !strings.Contains(bad.stderr, "platform manifest "+p0.String()) {
		t.Errorf("verify --recursive with a platform unsigned: exit %d: %s", bad.code, bad.stderr)
	}
	noPassword(t, r, again, ok, bad)
}
