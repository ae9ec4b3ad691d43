package builder

// The conformance suite: every case of conformanceCases is built twice, by
// Build and by a real BuildKit v0.29 (buildctl against a running buildkitd,
// started in CI by .ci/buildkitd.sh), from the same context and the same
// busybox base (an OCI layout given to buildctl as a named context, the
// image itself to stevedore). The merged root filesystems, the image configs
// and the history's empty-layer pattern must match; a case BuildKit fails
// must fail in stevedore too, naming the same Dockerfile line.
//
// Normalized, on purpose: timestamps (stevedore writes SOURCE_DATE_EPOCH,
// BuildKit the build time) and history created_by texts (the oracle tests
// against dockerd check those).

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/builder/platform"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sshtest"
)

const (
	defaultBuildkitAddr = "unix:///run/stevedore-buildkit/buildkitd.sock"
	defaultBuildctl     = "/var/cache/stevedore-oracles/buildkit-v0.29.0/buildctl"
	// buildctlParallel bounds the BuildKit builds in flight: buildkitd
	// runs them concurrently, and more than a few only queue on 2 cores.
	buildctlParallel = 4
)

// conformanceCase is one Dockerfile and its context.
type conformanceCase struct {
	name       string
	dockerfile string
	files      map[string]string
	modes      map[string]os.FileMode
	// setup makes what files cannot say: links, fifos, sockets, owners.
	setup     func(t *testing.T, dir string)
	buildArgs map[string]string
	target    string
	secrets   map[string]string // id → content
	// ssh lists the ids the test's ssh-agent is forwarded under
	// (--ssh ID=SOCKET to both).
	ssh []string
	// sshKeys lists the ids the test's two key files are served under
	// (--ssh ID=KEYFILE,KEYFILE to both).
	sshKeys []string
	// platform is the --platform both build for, as the user spells it
	// ("" for the host's).
	platform string
	// fail: BuildKit must refuse the build, and so must stevedore.
	fail bool
	// known names a difference from BuildKit not fixed yet: the case then
	// logs its differences instead of failing, and fails once they are gone
	// so the note is dropped.
	known string
}

// buildkitOracle finds buildctl and the daemon, or skips.
func buildkitOracle(t *testing.T) (buildctl, addr string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: the conformance suite needs root (RUN steps)")
	}
	buildctl = os.Getenv("STEVEDORE_TEST_BUILDCTL")
	if buildctl == "" {
		buildctl = defaultBuildctl
	}
	if _, err := os.Stat(buildctl); err != nil {
		t.Skipf("skipping: no buildctl at %s; build BuildKit v0.29 with .ci/oracles.sh (or set STEVEDORE_TEST_BUILDCTL)", buildctl)
	}
	addr = os.Getenv("STEVEDORE_TEST_BUILDKIT_ADDR")
	if addr == "" {
		addr = defaultBuildkitAddr
	}
	if out, err := exec.Command(buildctl, "--addr", addr, "debug", "workers").CombinedOutput(); err != nil {
		t.Skipf("skipping: buildkitd at %s does not answer (start it with .ci/buildkitd.sh or set STEVEDORE_TEST_BUILDKIT_ADDR): %v\n%s", addr, err, out)
	}
	return buildctl, addr
}

// buildkitResult is what buildctl made of one case.
type buildkitResult struct {
	img      v1.Image
	err      error
	output   string
	duration time.Duration
}

// busyboxLayout returns the test busybox image, and an OCI layout holding
// it with its digest, from which BuildKit builds the same base.
func busyboxLayout(t *testing.T) (v1.Image, string, v1.Hash) {
	t.Helper()
	base := registrytest.BusyboxImage(t)
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(base); err != nil {
		t.Fatal(err)
	}
	digest, err := base.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return base, dir, digest
}

func TestConformance(t *testing.T) {
	buildctl, addr := buildkitOracle(t)
	base, baseDir, baseDigest := busyboxLayout(t)

	web := startConformanceWeb(t)
	git := startGitServer(t)
	conformanceCases := selectedConformanceCases()
	nonce := fmt.Sprint(time.Now().UnixNano())
	for _, c := range conformanceCases {
		if len(c.ssh) > 0 || len(c.sshKeys) > 0 || strings.Contains(c.dockerfile, "{{GITSSH}}") {
			conformanceAgent = sshtest.Agent(t)
			conformanceKeys = []string{sshtest.KeyFile(t), sshtest.KeyFile(t)}
			git.serveSSH(t, conformanceAgent)
			if git.ssh != "" {
				for _, k := range conformanceKeys {
					pub, err := os.ReadFile(k + ".pub")
					if err != nil {
						t.Fatal(err)
					}
					git.authorize(t, pub)
				}
			}
			break
		}
	}
	if git.ssh == "" {
		// No sshd here: the cases fetching over ssh:// cannot run.
		t.Logf("skipping the ssh:// git cases: %s", git.sshSkip)
		conformanceCases = slices.DeleteFunc(conformanceCases, func(c conformanceCase) bool { return strings.Contains(c.dockerfile, "{{GITSSH}}") })
	}
	names := map[string]bool{}
	dirs := make([]string, len(conformanceCases))
	for i, c := range conformanceCases {
		if names[c.name] {
			t.Fatalf("two conformance cases are named %q", c.name)
		}
		names[c.name] = true
		dirs[i] = filepath.Join(t.TempDir(), "ctx")
		// {{NONCE}} differs from run to run: a step whose inputs BuildKit
		// leaves out of its cache key (the keys an agent holds) must not
		// come from an earlier run's cache.
		c.dockerfile = strings.ReplaceAll(git.expand(web.expand(c.dockerfile)), "{{NONCE}}", nonce)
		conformanceCases[i] = c
		makeContext(t, dirs[i], c)
	}

	// BuildKit builds run in the background, a few at a time, while the
	// subtests build the same cases with stevedore one after the other.
	start := time.Now()
	results := make([]chan buildkitResult, len(conformanceCases))
	sem := make(chan struct{}, buildctlParallel)
	var bkWall time.Duration
	var wg sync.WaitGroup
	for i := range conformanceCases {
		results[i] = make(chan buildkitResult, 1)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] <- buildkitBuild(buildctl, addr, baseDir, baseDigest, dirs[i], t.TempDir(), conformanceCases[i])
		}(i)
	}
	go func() { wg.Wait(); bkWall = time.Since(start) }()

	var stevedoreTime, buildkitTime time.Duration
	passed, known := 0, 0
	for i, c := range conformanceCases {
		ok := t.Run(c.name, func(t *testing.T) {
			st := time.Now()
			res, serr := Build(context.Background(), stevedoreOptions(t, base, dirs[i], c)...)
			stevedoreTime += time.Since(st)
			want := <-results[i]
			buildkitTime += want.duration
			compareWithBuildkit(t, c, res, serr, want)
		})
		switch {
		case ok && c.known != "":
			known++
		case ok:
			passed++
		}
	}
	wg.Wait()
	for bkWall == 0 {
		time.Sleep(time.Millisecond)
	}
	t.Logf("conformance: %d of %d cases match BuildKit v0.29, %d known differences; stevedore %.1fs (sequential), BuildKit %.1fs summed over builds, %.1fs wall with %d in flight",
		passed, len(conformanceCases), known, stevedoreTime.Seconds(), buildkitTime.Seconds(), bkWall.Seconds(), buildctlParallel)
}

// conformanceOnly narrows the suite to the cases whose names hold it, so
// work on one area need not wait for every BuildKit build:
// go test -run TestConformance -conformance.only=git- ./builder
// conformanceAgent is the ssh-agent socket of the cases with ssh, and
// conformanceKeys the key files of those with sshKeys.
var (
	conformanceAgent string
	conformanceKeys  []string
)

var conformanceOnly = flag.String("conformance.only", "", "run only the conformance cases whose names contain this")

func selectedConformanceCases() []conformanceCase {
	var out []conformanceCase
	for _, c := range conformanceCases {
		if strings.Contains(c.name, *conformanceOnly) {
			out = append(out, c)
		}
	}
	return out
}

func makeContext(t *testing.T, dir string, c conformanceCase) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"Dockerfile": c.dockerfile})
	writeFiles(t, dir, c.files)
	for n, m := range c.modes {
		if err := os.Chmod(filepath.Join(dir, n), m); err != nil {
			t.Fatal(err)
		}
	}
	if c.setup != nil {
		c.setup(t, dir)
	}
}

func stevedoreOptions(t *testing.T, base v1.Image, dir string, c conformanceCase) []Option {
	opts := []Option{
		WithContextDir(dir), WithCacheDir(t.TempDir()), WithEpoch(time.Unix(1700000000, 0)),
		WithNamedContext(oracleBase, NamedContext{Image: base}),
	}
	if c.target != "" {
		opts = append(opts, WithTarget(c.target))
	}
	if c.platform != "" {
		// As the CLI reads --platform.
		p, err := platform.Parse(c.platform)
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, WithPlatforms(p))
	}
	if c.buildArgs != nil {
		opts = append(opts, WithBuildArgs(c.buildArgs))
	}
	if len(c.ssh) > 0 {
		agents := map[string]string{}
		for _, id := range c.ssh {
			agents[id] = conformanceAgent
		}
		opts = append(opts, WithSSH(agents))
	}
	if len(c.sshKeys) > 0 {
		keys := map[string][]string{}
		for _, id := range c.sshKeys {
			keys[id] = conformanceKeys
		}
		opts = append(opts, WithSSHKeys(keys))
	}
	if c.secrets != nil {
		files := map[string]string{}
		sd := t.TempDir()
		for id, content := range c.secrets {
			p := filepath.Join(sd, id)
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			files[id] = p
		}
		opts = append(opts, WithSecrets(files))
	}
	return opts
}

// buildkitBuild builds one case with buildctl into an OCI layout.
func buildkitBuild(buildctl, addr, baseDir string, baseDigest v1.Hash, dir, work string, c conformanceCase) buildkitResult {
	out := filepath.Join(work, "out")
	args := []string{"--addr", addr, "build", "--progress=plain",
		"--frontend", "dockerfile.v0", "--local", "context=" + dir, "--local", "dockerfile=" + dir,
		"--oci-layout", "base=" + baseDir,
		"--opt", "context:" + oracleBase + "=oci-layout://base@" + baseDigest.String(),
		"--output", "type=oci,tar=false,dest=" + out}
	if c.target != "" {
		args = append(args, "--opt", "target="+c.target)
	}
	if c.platform != "" {
		args = append(args, "--opt", "platform="+c.platform)
	}
	for _, k := range sortedKeys(c.buildArgs) {
		args = append(args, "--opt", "build-arg:"+k+"="+c.buildArgs[k])
	}
	for _, id := range sortedKeys(c.secrets) {
		p := filepath.Join(work, "secret-"+id)
		if err := os.WriteFile(p, []byte(c.secrets[id]), 0o600); err != nil {
			return buildkitResult{err: err}
		}
		args = append(args, "--secret", "id="+id+",src="+p)
	}
	for _, id := range c.ssh {
		args = append(args, "--ssh", id+"="+conformanceAgent)
	}
	for _, id := range c.sshKeys {
		args = append(args, "--ssh", id+"="+strings.Join(conformanceKeys, ","))
	}
	start := time.Now()
	output, err := exec.Command(buildctl, args...).CombinedOutput()
	r := buildkitResult{output: string(output), duration: time.Since(start)}
	if err != nil {
		r.err = fmt.Errorf("buildctl: %w", err)
		return r
	}
	idx, err := layout.ImageIndexFromPath(out)
	if err != nil {
		r.err = fmt.Errorf("reading buildctl's OCI layout: %w", err)
		return r
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		r.err = fmt.Errorf("buildctl's OCI layout holds %v manifests: %v", im, err)
		return r
	}
	r.img, r.err = idx.Image(im.Manifests[0].Digest)
	return r
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// buildkitLine is where BuildKit's error points: "Dockerfile:12".
var buildkitLine = regexp.MustCompile(`Dockerfile:(\d+)`)

func compareWithBuildkit(t *testing.T, c conformanceCase, res *Result, serr error, want buildkitResult) {
	t.Helper()
	if want.err != nil {
		if !c.fail {
			t.Fatalf("BuildKit failed a case expected to build: %v\n%s", want.err, tail(want.output, 3000))
		}
		if serr == nil && c.known != "" {
			t.Logf("known difference (%s): stevedore builds what BuildKit refuses", c.known)
			return
		}
		if serr == nil {
			t.Fatalf("BuildKit refuses this Dockerfile and stevedore builds it; BuildKit said:\n%s", tail(want.output, 1500))
		}
		if m := buildkitLine.FindStringSubmatch(want.output); m != nil {
			if !strings.Contains(serr.Error(), "Dockerfile:"+m[1]) {
				t.Errorf("stevedore's error does not name Dockerfile:%s as BuildKit's does:\n  stevedore %v\n  buildkit  %s", m[1], serr, tail(want.output, 800))
			}
		} else if !buildkitLine.MatchString(serr.Error()) {
			t.Errorf("stevedore's error names no Dockerfile line: %v", serr)
		}
		return
	}
	if c.fail {
		t.Fatalf("the case expects a failure and BuildKit built it: fix the case")
	}
	if serr != nil && c.known != "" {
		t.Logf("known difference (%s): %v", c.known, serr)
		return
	}
	if serr != nil {
		t.Fatalf("stevedore fails where BuildKit builds: %v", serr)
	}
	got := res.Image
	var diffs []string
	diffs = append(diffs, diffTrees(tree(t, got), tree(t, want.img))...)
	gcf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	wcf, err := want.img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if gp, wp := configPlatform(gcf), configPlatform(wcf); gp != wp {
		diffs = append(diffs, fmt.Sprintf("config platform:\n  stevedore %s\n  buildkit  %s", gp, wp))
	}
	g, w := fieldsOf(gcf.Config), fieldsOf(wcf.Config)
	gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
	for i := 0; i < gv.NumField(); i++ {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			diffs = append(diffs, fmt.Sprintf("config %s:\n  stevedore %#v\n  buildkit  %#v", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface()))
		}
	}
	// Layer by layer: a runtime extracts each into an empty overlay
	// directory, so a parent directory missing from a layer (or present
	// with other metadata) changes what a container sees even when the
	// merged trees agree.
	diffs = append(diffs, diffLayers(t, got, want.img)...)
	// go-containerregistry's config type has no Healthcheck.StartInterval:
	// the raw JSON shows it.
	if gh, wh := rawHealthcheck(t, got), rawHealthcheck(t, want.img); !reflect.DeepEqual(gh, wh) {
		diffs = append(diffs, fmt.Sprintf("config Healthcheck (raw):\n  stevedore %v\n  buildkit  %v", gh, wh))
	}
	if gp, wp := emptyPattern(gcf.History), emptyPattern(wcf.History); gp != wp {
		diffs = append(diffs, fmt.Sprintf("history empty-layer pattern (E empty, L layer):\n  stevedore %s %s\n  buildkit  %s %s", gp, historyText(gcf.History), wp, historyText(wcf.History)))
	}
	switch {
	case c.known != "" && len(diffs) == 0:
		t.Errorf("the known difference %q is gone: drop it from the case", c.known)
	case c.known != "":
		t.Logf("known difference (%s):\n%s", c.known, strings.Join(diffs, "\n"))
	default:
		for _, d := range diffs {
			t.Error(d)
		}
	}
}

// configPlatform is the platform an image config names, as OS/ARCH[/VARIANT].
func configPlatform(cf *v1.ConfigFile) string {
	return v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}.String()
}

func diffTrees(got, want map[string]entry) []string {
	paths := treePaths(got, want)
	var out []string
	for _, p := range paths {
		g, gok := got[p]
		w, wok := want[p]
		switch {
		case !gok:
			out = append(out, fmt.Sprintf("file tree: %s is missing from stevedore's image (buildkit: %s)", p, w))
		case !wok:
			out = append(out, fmt.Sprintf("file tree: %s is only in stevedore's image (%s)", p, g))
		case g != w:
			out = append(out, fmt.Sprintf("file tree: %s differs:\n  stevedore %s\n  buildkit  %s", p, g, w))
		}
	}
	return out
}

func emptyPattern(h []v1.History) string {
	var b strings.Builder
	for _, x := range h {
		if x.EmptyLayer {
			b.WriteByte('E')
		} else {
			b.WriteByte('L')
		}
	}
	return b.String()
}

func rawHealthcheck(t *testing.T, img v1.Image) map[string]any {
	t.Helper()
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var cf struct {
		Config struct{ Healthcheck map[string]any }
	}
	if err := json.Unmarshal(raw, &cf); err != nil {
		t.Fatal(err)
	}
	return cf.Config.Healthcheck
}

// diffLayers compares the entries (path, type, mode, owner) of each layer
// of two images with the same number of layers.
func diffLayers(t *testing.T, got, want v1.Image) []string {
	t.Helper()
	gl, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	wl, err := want.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(gl) != len(wl) {
		return []string{fmt.Sprintf("stevedore's image has %d layers, BuildKit's %d", len(gl), len(wl))}
	}
	var out []string
	for i := range gl {
		g, w := layerEntries(t, gl[i]), layerEntries(t, wl[i])
		for _, p := range treePaths(g, w) {
			ge, gok := g[p]
			we, wok := w[p]
			switch {
			case !gok:
				out = append(out, fmt.Sprintf("layer %d: %s is missing from stevedore's (buildkit: %s)", i, p, we))
			case !wok:
				out = append(out, fmt.Sprintf("layer %d: %s is only in stevedore's (%s)", i, p, ge))
			case ge != we:
				out = append(out, fmt.Sprintf("layer %d: %s differs:\n  stevedore %s\n  buildkit  %s", i, p, ge, we))
			}
		}
	}
	return out
}

// layerEntries lists one layer's entries without their content (the
// merged trees compare that).
func layerEntries(t *testing.T, l v1.Layer) map[string]entry {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading a layer: %v", err)
		}
		if p := cleanTarPath(h.Name); p != "" {
			kind := map[byte]string{tar.TypeDir: "dir", tar.TypeSymlink: "symlink", tar.TypeLink: "hardlink", tar.TypeChar: "char", tar.TypeFifo: "fifo"}[h.Typeflag]
			if kind == "" {
				kind = "regular" // not "file": its content is not read here
			}
			out[p] = entry{Type: kind, Mode: h.Mode & 0o7777, UID: h.Uid, GID: h.Gid, Link: h.Linkname}
		}
	}
}

// conformanceWeb serves ADD's HTTP sources on loopback, where buildkitd
// (on the host's network) and stevedore both reach it. Dockerfiles name it
// {{URL}}; {{SUM}} is the sha256 digest of {{URL}}/a.txt.
type conformanceWeb struct{ url, sum string }

var conformanceWebFiles = map[string]string{"/a.txt": "from the web\n", "/dir/b.txt": "bee\n"}

func startConformanceWeb(t *testing.T) conformanceWeb {
	t.Helper()
	mux := http.NewServeMux()
	for p, body := range conformanceWebFiles {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT")
			io.WriteString(w, body)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sum := sha256.Sum256([]byte(conformanceWebFiles["/a.txt"]))
	return conformanceWeb{url: srv.URL, sum: "sha256:" + hex.EncodeToString(sum[:])}
}

func (w conformanceWeb) expand(dockerfile string) string {
	return strings.NewReplacer("{{URL}}", w.url, "{{SUM}}", w.sum).Replace(dockerfile)
}
