package pipeline

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sign"
)

// The verify commands the ledger records name the public key (never the
// private one), cover the signature, the SBOM and the provenance
// attestation with cosign's short type names, and run as printed with the
// real cosign v2.6.5 and v3 CLIs, offline, in every format: key-signed
// bundles through the key trusted root written next to the ledger (cosign
// v2 reads bundle referrers first and wants a trusted root for them).
func TestLedgerVerifyCommandsRunWithCosign(t *testing.T) {
	clis := []struct{ name, bin string }{{"cosign v2", cosigntest.V2(t)}, {"cosign v3", cosigntest.V3(t)}}
	for _, format := range []string{FormatLegacy, FormatBundle, FormatBoth} {
		t.Run(format, func(t *testing.T) {
			dir := repo(t)
			reg := registrytest.InProcess(t)
			signer, _ := testSigner(t)
			c := config(t, reg+"/acme/IMAGE")
			c.Sign.Format = format
			c.SBOM = []string{"spdx-json", "cyclonedx-json"}
			rep, err := Release(context.Background(), c, releaseOpts(t, dir, signer)...)
			if err != nil {
				t.Fatal(err)
			}
			cmds := rep.Ledger.Images[0].Verify
			joined := strings.Join(cmds, "\n")
			wants := []string{"cosign verify --key ", "--type spdxjson", "--type cyclonedx", "--type slsaprovenance1", filepath.Join(dir, "dist", "app.pub")}
			if format != FormatLegacy {
				wants = append(wants, "--trusted-root "+filepath.Join(dir, "dist", keyTrustedRootFile))
			}
			for _, want := range wants {
				if !strings.Contains(joined, want) {
					t.Errorf("verify commands lack %q:\n%s", want, joined)
				}
			}
			for _, bad := range []string{".key", "https://"} {
				if strings.Contains(joined, bad) {
					t.Errorf("verify commands contain %q:\n%s", bad, joined)
				}
			}
			for _, cli := range clis {
				for _, c := range cmds {
					args := strings.Fields(c)
					if args[0] != "cosign" {
						t.Fatalf("not a cosign command: %s", c)
					}
					home := t.TempDir()
					cmd := exec.Command(cli.bin, args[1:]...)
					cmd.Env = []string{"HOME=" + home, "TUF_ROOT=" + filepath.Join(home, "tuf"), "PATH=/usr/bin:/bin"}
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Errorf("%s: %s: %v\n%s", cli.name, c, err, out)
					}
				}
			}
		})
	}
}

// removeOnVerify deletes tags in the registry when the verify step of the
// image starts, as if a platform signature went missing after signing.
type removeOnVerify struct {
	t    *testing.T
	repo name.Repository
	tags func() []string
}

func (p removeOnVerify) Emit(ev event.Event) {
	e, ok := ev.(event.Phase)
	if !ok {
		return
	}
	if e.Image != "app" || e.Step != StepVerify || e.Done {
		return
	}
	for _, tag := range p.tags() {
		if err := remote.Delete(p.repo.Tag(tag)); err != nil {
			p.t.Errorf("deleting %s: %v", tag, err)
		}
	}
}

// The release's verify step checks every platform manifest of an index in
// each format it wrote: with one platform's legacy signature (format both:
// its bundle is still there) or its bundle (format bundle) removed after
// signing, the release fails naming that platform digest.
func TestReleaseVerifiesEveryPlatform(t *testing.T) {
	for _, format := range []string{FormatBoth, FormatBundle} {
		t.Run(format, func(t *testing.T) {
			dir := repo(t)
			reg := registrytest.InProcess(t)
			signer, _ := testSigner(t)
			c := config(t, reg+"/acme/IMAGE")
			c.Images = c.Images[:1]
			c.Images[0].Platforms = []string{"linux/amd64", "linux/arm64"}
			c.Sign.Format = format
			repo, err := name.NewRepository(reg + "/acme/app")
			if err != nil {
				t.Fatal(err)
			}
			var platform v1.Hash
			tags := func() []string {
				// The index is pushed by digest: find it through its signature.
				idx := indexOf(t, repo)
				im, err := idx.IndexManifest()
				if err != nil {
					t.Fatal(err)
				}
				platform = im.Manifests[len(im.Manifests)-1].Digest
				if format == FormatBundle {
					return []string{platform.Algorithm + "-" + platform.Hex}
				}
				return []string{sign.AttachedTag(platform, sign.SignatureSuffix)}
			}
			_, err = Release(context.Background(), c, releaseOpts(t, dir, signer, WithLedger(""), WithProgress(removeOnVerify{t, repo, tags}))...)
			if err == nil || !strings.Contains(err.Error(), "platform manifest "+platform.String()) {
				t.Fatalf("release with a platform signature removed: err = %v, want one naming platform %s", err, platform)
			}
		})
	}
}

// indexOf is the one index in repo, found through the signature tags
// (sha256-<hex>…) naming their subjects: the release pushes by digest and
// tags last.
func indexOf(t *testing.T, repo name.Repository) v1.ImageIndex {
	t.Helper()
	tags, err := remote.List(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		hex, ok := strings.CutPrefix(strings.SplitN(tag, ".", 2)[0], "sha256-")
		if !ok {
			continue
		}
		desc, err := remote.Get(repo.Digest("sha256:" + hex))
		if err == nil && desc.MediaType.IsIndex() {
			idx, err := desc.ImageIndex()
			if err != nil {
				t.Fatal(err)
			}
			return idx
		}
	}
	t.Fatalf("no index in %s (tags %v)", repo, tags)
	return nil
}

// RecordPublishedVerify adds nothing for an image the ledger records no
// signer for (or does not record at all), and refuses a signer whose format
// it cannot read, naming the fix, before reaching any destination.
func TestRecordPublishedVerifyWithoutSigner(t *testing.T) {
	h, err := v1.NewHash("sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	dst, err := publish.ParseReference("oci:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old := []string{"cosign verify --key cosign.pub x@" + h.String()}
	l := &ledger.Ledger{Images: []ledger.Image{{Name: "app", Digest: h.String(), Verify: old}}}
	for _, l := range []*ledger.Ledger{l, {}} {
		if added, err := RecordPublishedVerify(context.Background(), l, h, []publish.Reference{dst}); !errors.Is(err, ErrNoSigner) || len(added) != 0 {
			t.Errorf("no signer: added %q, err %v, want ErrNoSigner", added, err)
		}
	}
	if got := l.Images[0].Verify; strings.Join(got, "\n") != strings.Join(old, "\n") {
		t.Errorf("verify commands changed: %q", got)
	}
	l.Images[0].Signer = &ledger.Signer{Format: "cms"}
	if _, err := RecordPublishedVerify(context.Background(), l, h, []publish.Reference{dst}); !errors.Is(err, ledger.ErrSchema) || !strings.Contains(err.Error(), `"cms"`) || !strings.Contains(err.Error(), "release again") {
		t.Errorf("bad format: err %v, want one naming it and the fix", err)
	}
}
