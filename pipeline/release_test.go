package pipeline

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/internal/faultproxy"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/schematest"
	"github.com/sreevishnu07/stevedore/internal/testutil"
	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
)

var update = flag.Bool("update", false, "rewrite golden files")

// repo is a git repository holding two small images' sources: "feat" since
// v1.0.0, so the release is 1.1.0.
func repo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"app/Dockerfile":    "FROM scratch\nCOPY hello.txt /hello.txt\nENV APP=1\n",
		"app/hello.txt":     "hello\n",
		"worker/Dockerfile": "FROM scratch\nCOPY job.txt /job.txt\nCMD [\"/job\"]\n",
		"worker/job.txt":    "work\n",
	}
	for n, c := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) { t.Helper(); gitIn(t, dir, args...) }
	git("init", "-q", "-b", "main")
	git("add", ".")
	git("commit", "-q", "-m", "feat: first")
	git("tag", "v1.0.0")
	git("commit", "-q", "--allow-empty", "-m", "feat: more")
	return dir
}

// gitIn runs git in dir with a fixed identity and date.
func gitIn(t testing.TB, dir string, args ...string) {
	t.Helper()
	testutil.Git(t, dir, "@1700000000 +0000", args...)
}

func config(t testing.TB, dests ...string) *Config {
	t.Helper()
	y := "images:\n  - name: app\n    context: app\n    destinations: [" + strings.Join(dests, ", ") + "]\n" +
		"  - name: worker\n    context: worker\n    destinations: [" + strings.Join(dests, ", ") + "]\n"
	c, err := Parse([]byte(y), "stevedore.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	// Each image goes to its own repository.
	for i := range c.Images {
		for j, d := range c.Images[i].Destinations {
			c.Images[i].Destinations[j] = strings.Replace(d, "IMAGE", c.Images[i].Name, 1)
		}
	}
	return c
}

func testSigner(t testing.TB) (SignerFunc, *sign.Verifier) {
	t.Helper()
	priv, _, err := sign.GenerateKeys([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.LoadSigner(priv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	return func(context.Context, Signing) (*sign.Signer, error) { return s, nil }, s.Verifier()
}

func releaseOpts(t testing.TB, dir string, signer SignerFunc, extra ...Option) []Option {
	return append([]Option{
		WithDir(dir),
		WithSigner(signer),
		WithBuildOptions(builder.WithCacheDir(filepath.Join(dir, ".cache")), builder.WithEpoch(time.Unix(1700000000, 0))),
	}, extra...)
}

func headDigest(t *testing.T, ref string) (v1.Hash, bool) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Head(r)
	if err != nil {
		return v1.Hash{}, false
	}
	return d.Digest, true
}

func TestReleaseTwoImagesTwoDestinations(t *testing.T) {
	dir := repo(t)
	reg := registrytest.InProcess(t)
	signer, _ := testSigner(t)
	cfg := config(t, reg+"/acme/IMAGE", "oci:dist/IMAGE")
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Plan.Version != "1.1.0" || rep.Ledger.Version != "1.1.0" {
		t.Fatalf("version = %q", rep.Plan.Version)
	}
	for _, li := range rep.Ledger.Images {
		if len(li.Destinations) != 2 || len(li.SBOMs) != 1 || len(li.Verify) == 0 {
			t.Errorf("ledger image %+v", li)
		}
		for _, tag := range []string{"1.1.0", "1.1", "1", "latest"} {
			d, ok := headDigest(t, reg+"/acme/"+li.Name+":"+tag)
			if !ok || d.String() != li.Digest {
				t.Errorf("%s:%s = %v (found %v), ledger says %s", li.Name, tag, d, ok, li.Digest)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, li.SBOMs[0].Path)); err != nil && !filepath.IsAbs(li.SBOMs[0].Path) {
			t.Errorf("SBOM file: %v", err)
		}
	}
	written, err := ledger.Read(filepath.Join(dir, "dist/release.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(written.Images) != 2 || written.Commit == "" || written.SchemaVersion != ledger.SchemaVersion {
		t.Errorf("ledger on disk = %+v", written)
	}
	// What the release wrote is what the shipped schema describes.
	data, err := os.ReadFile(filepath.Join(dir, "dist/release.json"))
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, "../ledger.schema.json", data)

	// A re-run of the same commit sends nothing again and gives the same ledger.
	again, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	if again.Ledger.Images[0].Digest != rep.Ledger.Images[0].Digest {
		t.Error("a re-run released another digest")
	}
}

// failure makes one step fail through the registry or the file system.
type failure struct {
	step  string
	rules []faultproxy.Rule
	setup func(t *testing.T, dir string)
}

func TestFailedStepMovesNoTagAndRerunResumes(t *testing.T) {
	failures := []failure{
		{step: StepBuild, setup: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "worker/Dockerfile"), "FROM scratch\nCOPY missing.txt /\n")
		}},
		{step: StepPush, rules: []faultproxy.Rule{{Method: http.MethodPut, Path: regexp.MustCompile(`/manifests/sha256:`), Status: http.StatusInternalServerError}}},
		{step: StepSBOM, setup: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "dist/sbom"), "not a directory") }},
		{step: StepSign, rules: []faultproxy.Rule{{Method: http.MethodPut, Path: regexp.MustCompile(`/manifests/sha256-[0-9a-f]+\.sig$`), Status: http.StatusForbidden}}},
		{step: StepVerify, rules: []faultproxy.Rule{{Method: http.MethodGet, Path: regexp.MustCompile(`/manifests/sha256-[0-9a-f]+\.sig$`), Status: http.StatusNotFound}}},
	}
	for _, f := range failures {
		t.Run(f.step, func(t *testing.T) {
			dir := repo(t)
			reg := registrytest.InProcess(t)
			proxy := faultproxy.New(t, "http://"+reg, nil)
			signer, _ := testSigner(t)
			// The previous release, 1.0.0, holds latest.
			old := registrytest.Image(t, 1, 64)
			for _, img := range []string{"app", "worker"} {
				for _, tag := range []string{"latest", "1"} {
					r, _ := name.ParseReference(reg + "/acme/" + img + ":" + tag)
					if err := remote.Write(r, old); err != nil {
						t.Fatal(err)
					}
				}
			}
			oldDigest, _ := old.Digest()
			cfg := config(t, proxy.Host+"/acme/IMAGE")
			var restore []byte
			if f.setup != nil {
				restore, _ = os.ReadFile(filepath.Join(dir, "worker/Dockerfile"))
				f.setup(t, dir)
			}
			proxy.SetRules(f.rules...)
			// A build failure comes from an uncommitted Dockerfile: allowed here.
			_, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer, WithAllowDirty(true), WithPublishOptions(publish.WithRetry(1, time.Millisecond)))...)
			var se *StepError
			if !errors.As(err, &se) || se.Step != f.step {
				t.Fatalf("err = %v, want a failure in step %s", err, f.step)
			}
			for _, img := range []string{"app", "worker"} {
				for _, tag := range []string{"latest", "1"} {
					if d, _ := headDigest(t, reg+"/acme/"+img+":"+tag); d != oldDigest {
						t.Errorf("%s:%s moved to %s after a failed %s", img, tag, d, f.step)
					}
				}
				if _, ok := headDigest(t, reg+"/acme/"+img+":1.1.0"); ok {
					t.Errorf("%s:1.1.0 exists after a failed %s", img, f.step)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "dist/release.json")); err == nil {
				t.Error("a ledger was written by a failed release")
			}

			// Fixed, the release completes; blobs already pushed are not sent again.
			proxy.SetRules()
			os.Remove(filepath.Join(dir, "dist/sbom"))
			if restore != nil {
				writeFile(t, filepath.Join(dir, "worker/Dockerfile"), string(restore))
			}
			before := proxy.BytesIn(http.MethodPatch, faultproxy.KindBlobUpload) + proxy.BytesIn(http.MethodPut, faultproxy.KindBlobUpload)
			rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
			if err != nil {
				t.Fatal(err)
			}
			for _, li := range rep.Ledger.Images {
				if d, _ := headDigest(t, reg+"/acme/"+li.Name+":latest"); d.String() != li.Digest {
					t.Errorf("%s:latest = %s, want %s", li.Name, d, li.Digest)
				}
			}
			if f.step != StepBuild && f.step != StepPush {
				sent := proxy.BytesIn(http.MethodPatch, faultproxy.KindBlobUpload) + proxy.BytesIn(http.MethodPut, faultproxy.KindBlobUpload) - before
				// Only signature and attestation blobs may be new.
				if sent > 64<<10 {
					t.Errorf("the re-run uploaded %d blob bytes; image blobs were already there", sent)
				}
			}
		})
	}
}

var writeFile = testutil.WriteFile

func TestEmbeddedDefaultWithoutGit(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM scratch\nCOPY a.txt /\n")
	writeFile(t, filepath.Join(dir, "a.txt"), "a")
	signer, _ := testSigner(t)
	rep, err := Release(context.Background(), DefaultConfig(), releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Plan.Snapshot || rep.Plan.Version != "0.0.0-SNAPSHOT" {
		t.Errorf("plan = %+v", rep.Plan)
	}
	li := rep.Ledger.Images[0]
	if !strings.HasPrefix(li.Destinations[0].Ref, "oci:") || li.Destinations[0].Signature == "" || len(li.SBOMs) != 1 {
		t.Errorf("ledger image = %+v", li)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist/image/index.json")); err != nil {
		t.Errorf("the image layout is missing: %v", err)
	}
}

func TestNothingToRelease(t *testing.T) {
	dir := repo(t)
	cmd := exec.Command("git", "-C", dir, "tag", "v1.1.0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	cmd = exec.Command("git", "-C", dir, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "chore: tidy")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	_, err := Release(context.Background(), config(t, "oci:dist/IMAGE"), WithDir(dir), WithDryRun(true))
	if !errors.Is(err, ErrNothingToRelease) || !strings.Contains(err.Error(), "--snapshot") || strings.Contains(err.Error(), "failed") {
		t.Errorf("err = %v", err)
	}
}

func TestDryRunPlanGolden(t *testing.T) {
	dir := repo(t)
	cfg := config(t, "ghcr.io/acme/IMAGE", "oci:dist/IMAGE")
	cfg.Images[0].Platforms = []string{"linux/amd64", "linux/arm64"}
	signer, _ := testSigner(t)
	rep, err := Release(context.Background(), cfg, WithDir(dir), WithDryRun(true), WithSigner(signer), WithGitTag(true))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.Plan.Write(&b); err != nil {
		t.Fatal(err)
	}
	// The commit hash depends on nothing variable, but keep the golden file
	// readable by naming it.
	got := strings.ReplaceAll(b.String(), rep.Plan.Commit, "COMMIT")
	got = strings.ReplaceAll(got, rep.Plan.Commit[:7], "SHA7")
	golden(t, "dry-run.golden", got)
	if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
		t.Error("a dry run wrote files")
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	p := filepath.Join("testdata", file)
	if *update {
		writeFile(t, p, got)
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (rerun with -update after checking):\n%s", p, got)
	}
}

func TestSummaryGolden(t *testing.T) {
	rep := &Report{
		Plan: &Plan{Version: "1.1.0", Images: []PlannedImage{{Name: "app", Tags: []string{"1.1.0", "1.1", "1", "latest"}}}},
		Ledger: &ledger.Ledger{Version: "1.1.0", Images: []ledger.Image{{
			Name: "app", Digest: "sha256:" + strings.Repeat("a", 64),
			Destinations: []ledger.Destination{{Ref: "ghcr.io/acme/app@sha256:" + strings.Repeat("a", 64), Signature: "ghcr.io/acme/app:sha256-aa.sig"}},
			SBOMs:        []ledger.File{{Path: "dist/sbom/app-linux-amd64.spdx.json"}},
			Verify:       []string{"cosign verify --key cosign.pub ghcr.io/acme/app@sha256:" + strings.Repeat("a", 64)},
		}}},
		Durations: map[string]map[string]time.Duration{"app": {StepBuild: 9800 * time.Millisecond, StepPush: 1200 * time.Millisecond, StepSign: 300 * time.Millisecond}},
	}
	var b bytes.Buffer
	if err := rep.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.golden", b.String())
	golden(t, "step-summary.golden.md", rep.Markdown())
}

// The same release against a real CNCF Distribution registry with htpasswd
// auth over TLS: what must behave like GHCR or Docker Hub.
func TestReleaseToDistribution(t *testing.T) {
	dir := repo(t)
	reg := registrytest.StartDistribution(t)
	signer, verifier := testSigner(t)
	pub := []publish.Option{
		publish.WithTransport(reg.Transport),
		publish.WithKeychain(publish.Keychain(t.TempDir(), map[string]authn.AuthConfig{reg.Host: {Username: reg.Username, Password: reg.Password}})),
	}
	cfg := config(t, reg.Host+"/acme/IMAGE")
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer, WithPublishOptions(pub...))...)
	if err != nil {
		t.Fatal(err)
	}
	ropts := publish.RemoteOptions(context.Background(), pub...)
	for _, li := range rep.Ledger.Images {
		tag, _ := name.ParseReference(reg.Host + "/acme/" + li.Name + ":1.1.0")
		desc, err := remote.Head(tag, ropts...)
		if err != nil || desc.Digest.String() != li.Digest {
			t.Errorf("%s:1.1.0 = %v, %v; ledger says %s", li.Name, desc, err, li.Digest)
		}
		d, _ := name.NewDigest(reg.Host + "/acme/" + li.Name + "@" + li.Digest)
		if _, err := sign.VerifyAttestation(context.Background(), d, sign.PredicateSPDXJSON, sign.WithKey(verifier), sign.WithIgnoreTlog(true), sign.WithRemoteOptions(ropts...)); err != nil {
			t.Errorf("%s: SBOM attestation: %v", li.Name, err)
		}
	}
	// Wrong credentials fail in the plan step, before anything is built
	// (see TestPlanChecksCredentialsBeforeBuilding), and move nothing.
	bad := []publish.Option{publish.WithTransport(reg.Transport), publish.WithKeychain(publish.Keychain(t.TempDir(), map[string]authn.AuthConfig{reg.Host: {Username: reg.Username, Password: "not-the-password-42"}}))}
	writeFile(t, filepath.Join(dir, "app/hello.txt"), "changed\n")
	_, err = Release(context.Background(), cfg, releaseOpts(t, dir, signer, WithAllowDirty(true), WithPublishOptions(bad...))...)
	var se *StepError
	if !errors.As(err, &se) || se.Step != StepPlan || !errors.Is(err, publish.ErrDenied) || strings.Contains(err.Error(), "not-the-password-42") {
		t.Errorf("err = %v, want a denied push that does not show the password", err)
	}
}

func TestReleasePinsDeployFiles(t *testing.T) {
	dir := repo(t)
	reg := registrytest.InProcess(t)
	// A third-party image the deploy file also uses.
	third := registrytest.Image(t, 1, 64)
	thirdRef, _ := name.ParseReference(reg + "/lib/redis:7")
	if err := remote.Write(thirdRef, third); err != nil {
		t.Fatal(err)
	}
	thirdDigest, _ := third.Digest()
	deploy := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n" +
		"    - image: " + reg + "/acme/app:1.1.0 # the app\n" +
		"    - image: " + reg + "/acme/worker:latest\n" +
		"    - image: " + reg + "/lib/redis:7\n"
	writeFile(t, filepath.Join(dir, "deploy/pod.yaml"), deploy)
	signer, _ := testSigner(t)
	cfg := config(t, reg+"/acme/IMAGE")
	cfg.Pin = []string{"deploy"}
	rep, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "deploy/pod.yaml"))
	want := strings.NewReplacer(
		"app:1.1.0", "app:1.1.0@"+rep.Ledger.Images[0].Digest,
		"worker:latest", "worker:latest@"+rep.Ledger.Images[1].Digest,
		"redis:7", "redis:7@"+thirdDigest.String(),
	).Replace(deploy)
	if string(got) != want {
		t.Errorf("deploy/pod.yaml:\n%s\nwant:\n%s", got, want)
	}
	if !slices.Contains(rep.Plan.Steps, StepPin) {
		t.Errorf("steps = %v", rep.Plan.Steps)
	}

	// The next release moves what the previous one pinned: the app's version
	// tag to the new version, the third-party image not at all.
	writeFile(t, filepath.Join(dir, "app/hello.txt"), "hello again\n")
	gitIn(t, dir, "tag", "v1.1.0")
	gitIn(t, dir, "add", ".")
	gitIn(t, dir, "commit", "-q", "-m", "feat: second")
	rep2, err := Release(context.Background(), cfg, releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Ledger.Version != "1.2.0" || rep2.Ledger.Images[0].Digest == rep.Ledger.Images[0].Digest {
		t.Fatalf("second release: version %s, app %s", rep2.Ledger.Version, rep2.Ledger.Images[0].Digest)
	}
	got, _ = os.ReadFile(filepath.Join(dir, "deploy/pod.yaml"))
	want = strings.NewReplacer(
		"app:1.1.0", "app:1.2.0@"+rep2.Ledger.Images[0].Digest,
		"worker:latest", "worker:latest@"+rep2.Ledger.Images[1].Digest,
		"redis:7", "redis:7@"+thirdDigest.String(),
	).Replace(deploy)
	if string(got) != want {
		t.Errorf("deploy/pod.yaml after the next release:\n%s\nwant:\n%s", got, want)
	}
}

// The release writes keys, the image layout, SBOMs and the ledger inside
// the repository: none of it may reach an image built from it, and a second
// release of the same commit is the same image.
func TestReleaseKeepsItsOutputsOutOfTheImage(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM scratch\nCOPY . /src\n")
	writeFile(t, filepath.Join(dir, "app.txt"), "app")
	writeFile(t, filepath.Join(dir, ".stevedore/cosign.key"), "PRIVATE KEY")
	signer, _ := testSigner(t)
	first, err := Release(context.Background(), DefaultConfig(), releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Release(context.Background(), DefaultConfig(), releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	if first.Ledger.Images[0].Digest != second.Ledger.Images[0].Digest {
		t.Errorf("the second release built another image: %s then %s", first.Ledger.Images[0].Digest, second.Ledger.Images[0].Digest)
	}
	p, err := layout.FromPath(filepath.Join(dir, "dist/image"))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := v1.NewHash(second.Ledger.Images[0].Digest)
	img, err := p.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	for _, l := range layers {
		rc, _ := l.Uncompressed()
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if err != nil {
				break
			}
			if strings.Contains(hdr.Name, ".stevedore") || strings.Contains(hdr.Name, "dist") || strings.Contains(hdr.Name, ".cache") {
				t.Errorf("the image holds %s", hdr.Name)
			}
		}
		rc.Close()
	}
}
