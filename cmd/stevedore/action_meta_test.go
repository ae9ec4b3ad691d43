package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/sign"
)

// actionRelease is a release run as the action's second step does, in a
// job with a key to sign with.
func actionRelease(t *testing.T, dir string, env map[string]string, args ...string) result {
	t.Helper()
	priv, _, err := sign.GenerateKeys([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(keyFile, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	full := map[string]string{"COSIGN_PASSWORD": "pw", "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/app", "GITHUB_SERVER_URL": "https://github.com"}
	for k, v := range env {
		full[k] = v
	}
	return stevedore(t, full, "", append([]string{"release", "--dir", dir, "--action-inputs", "--key", keyFile, "--ledger", ""}, args...)...)
}

// committedRepo is a git repository holding these files, committed.
func committedRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := gitRepo(t, "commit feat: first")
	writeFiles(t, dir, files)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "feat: the build")
	return dir
}

// masksFirst checks that every line of every secret is masked, and that
// the masks come before any other line of the log.
func masksFirst(t *testing.T, stdout string, secrets ...string) {
	t.Helper()
	masked := map[string]int{}
	firstOther := -1
	for i, l := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(l, "::add-mask::"); ok {
			masked[v] = i
		} else if firstOther < 0 && l != "" {
			firstOther = i
		}
	}
	for _, s := range secrets {
		for _, line := range strings.Split(s, "\n") {
			if line == "" {
				continue
			}
			at, ok := masked[line]
			switch {
			case !ok:
				t.Errorf("the secret line %q is not masked:\n%s", line, stdout)
			case firstOther >= 0 && at > firstOther:
				t.Errorf("the secret line %q is masked at log line %d, after %d was logged:\n%s", line, at, firstOther, stdout)
			}
		}
	}
}

// metadata-action's images input (enable=false dropped), its sep-* inputs,
// a secret-files secret masked line by line, and a type=local cache that a
// second run on a fresh machine builds from.
func TestActionImagesSeparatorsSecretFilesLocalCache(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("RUN steps need root here (namespaces and overlayfs)")
	}
	base := registrytest.ServeBusybox(t)
	reg := registrytest.InProcess(t)
	dir := committedRepo(t, map[string]string{"Dockerfile": "FROM " + base + "\n" +
		"RUN --mount=type=secret,id=file sh -c 'sha256sum /run/secrets/file | cut -d\" \" -f1 > /file.sum; echo step-ran-now'\n"})
	secret := "first-line-s3cr3t-9a1\nsecond-line-s3cr3t-77c\n"
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	cacheDir := filepath.Join(t.TempDir(), "buildcache")
	run := func() (result, map[string]string) {
		out := filepath.Join(t.TempDir(), "output")
		r := actionRelease(t, dir, map[string]string{
			"XDG_CACHE_HOME": t.TempDir(), // a fresh machine each time
			"GITHUB_OUTPUT":  out,
			"INPUT_IMAGES":   "# where to push\nname=" + reg + "/acme/App\nname=" + reg + "/acme/off,enable=false\n",
			"INPUT_SEP_TAGS": ",", "INPUT_SEP_LABELS": ";", "INPUT_SEP_ANNOTATIONS": "|",
			"INPUT_SECRET_FILES": "file=" + secretFile,
			"INPUT_CACHE_FROM":   "type=local,src=" + cacheDir,
			"INPUT_CACHE_TO":     "type=local,dest=" + cacheDir + ",mode=max",
		}, "--image-name", "app", "--tag-rule", "type=raw,value=edge\ntype=raw,value=stable")
		if r.code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		return r, readOutputs(t, out)
	}
	first, outs := run()
	masksFirst(t, first.stdout, secret)
	if !strings.Contains(first.stdout, "| step-ran-now") {
		t.Fatalf("the first run did not run the RUN step:\n%s", first.stdout)
	}
	if want := reg + "/acme/app:edge," + reg + "/acme/app:stable"; outs["tags"] != want {
		t.Errorf("tags output = %q, want %q (sep-tags , and the lower-cased enabled image only)", outs["tags"], want)
	}
	if outs["tag-names"] != "edge,stable" {
		t.Errorf("tag-names output = %q", outs["tag-names"])
	}
	if strings.Contains(outs["labels"], "\n") || !strings.Contains(outs["labels"], ";org.opencontainers.image.source=https://github.com/acme/app") {
		t.Errorf("labels output = %q, want them joined by sep-labels ;", outs["labels"])
	}
	if strings.Contains(outs["annotations"], "\n") || !strings.Contains(outs["annotations"], "|manifest:org.opencontainers.image.revision=") {
		t.Errorf("annotations output = %q, want them joined by sep-annotations |", outs["annotations"])
	}
	if off, _ := name.ParseReference(reg + "/acme/off:edge"); off != nil {
		if _, err := remote.Get(off); err == nil {
			t.Errorf("%s was pushed although the images input says enable=false", off)
		}
	}
	if _, err := os.Stat(filepath.Join(cacheDir, "index.json")); err != nil {
		t.Fatalf("no local cache written: %v", err)
	}

	second, outs2 := run()
	// The RUN's output, indented under its step (the step's own line, which
	// says "(cached)", names the command too).
	if strings.Contains(second.stdout, "| step-ran-now") || !strings.Contains(second.stdout, "(cached)") {
		t.Errorf("the second run ran the RUN step again instead of taking it from the local cache:\n%s", second.stdout)
	}
	if outs2["digest"] != outs["digest"] {
		t.Errorf("digest %s, then %s from the local cache", outs["digest"], outs2["digest"])
	}
	masksFirst(t, second.stdout, secret)
	for _, r := range []result{first, second} {
		var log strings.Builder
		for _, l := range strings.Split(r.stdout, "\n") {
			if !strings.HasPrefix(l, "::add-mask::") {
				log.WriteString(l + "\n")
			}
		}
		for _, l := range strings.Split(strings.TrimSpace(secret), "\n") {
			if strings.Contains(log.String()+r.stderr, l) {
				t.Errorf("the log holds the secret line %q", l)
			}
		}
	}
}

// stevedore.yaml's secrets: (env= and src= references) and a per-image
// cache-to, with the action's push: false composing with the file.
func TestConfigSecretsAndCaches(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("RUN steps need root here (namespaces and overlayfs)")
	}
	base := registrytest.ServeBusybox(t)
	fileSecret := "config-file-s3cr3t-e4\nmore-s3cr3t-lines-0b"
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(fileSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	cacheDir := filepath.Join(t.TempDir(), "cache")
	dir := committedRepo(t, map[string]string{
		"Dockerfile": "FROM " + base + "\n" +
			"RUN --mount=type=secret,id=tok --mount=type=secret,id=file sh -c 'sha256sum /run/secrets/tok /run/secrets/file > /sums'\n",
		"stevedore.yaml": "secrets:\n  - id=tok,env=CFG_TOKEN\nimages:\n  - name: app\n    destinations: [oci:dist/app]\n" +
			"    secrets:\n      - id=file,src=" + secretFile + "\n    cache-to: type=local,dest=" + cacheDir + "\n",
	})
	token := "config-env-s3cr3t-5f"
	outFile := filepath.Join(t.TempDir(), "out")
	r := actionRelease(t, dir, map[string]string{"XDG_CACHE_HOME": t.TempDir(), "CFG_TOKEN": token, "GITHUB_OUTPUT": outFile}, "--push=false")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	masksFirst(t, r.stdout, token, fileSecret)
	if _, err := os.Stat(filepath.Join(cacheDir, "index.json")); err != nil {
		t.Errorf("the image's cache-to wrote no local cache: %v", err)
	}
	sums := layoutFile(t, filepath.Join(dir, "dist", "app"), readOutputs(t, outFile)["digest"], "sums")
	for id, v := range map[string]string{"tok": token, "file": fileSecret} {
		sum := sha256.Sum256([]byte(v))
		if !strings.Contains(sums, hex.EncodeToString(sum[:])+"  /run/secrets/"+id) {
			t.Errorf("secret %s did not reach the build: /sums =\n%s", id, sums)
		}
	}

	// An env= secret whose variable is unset stops the release, naming it.
	r = actionRelease(t, dir, map[string]string{"XDG_CACHE_HOME": t.TempDir()}, "--push=false")
	if r.code == 0 || !strings.Contains(r.stderr, "the environment variable CFG_TOKEN is not set") {
		t.Errorf("exit %d, want the unset CFG_TOKEN named:\n%s", r.code, r.stderr)
	}
}

// layoutFile is a file of the image with this digest in an OCI layout.
func layoutFile(t *testing.T, dir, digest, file string) string {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		t.Fatalf("digest %q: %v", digest, err)
	}
	img, err := p.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hd, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the image: %v", file, err)
		}
		if strings.TrimPrefix(hd.Name, "/") == file {
			b, _ := io.ReadAll(tr)
			return string(b)
		}
	}
}

// --destination reads metadata-action's image attributes too (enable=false
// dropped); a bad one names the flag and the entry.
func TestDestinationFlagReadsImageAttributes(t *testing.T) {
	dir := committedRepo(t, map[string]string{"Dockerfile": "FROM scratch\n"})
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	r := stevedore(t, env, "", "release", "--dir", dir, "--dry-run", "--sign", "none",
		"--destination", "name=ghcr.io/acme/off,enable=false", "--destination", "name=ghcr.io/acme/on", "--destination", "oci:dist/app")
	if r.code != 0 || !strings.Contains(r.stdout, "destination   ghcr.io/acme/on\n") || strings.Contains(r.stdout, "acme/off") {
		t.Errorf("exit %d, want ghcr.io/acme/on and no acme/off in the plan:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = stevedore(t, env, "", "release", "--dir", dir, "--dry-run", "--sign", "none", "--destination", "name=ghcr.io/acme/x,enable=nope")
	if want := `--destination "name=ghcr.io/acme/x,enable=nope": enable=nope: want enable=true or enable=false`; r.code != exitUsage || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, want %d and %q:\n%s", r.code, exitUsage, want, r.stderr)
	}
}
