package pipeline

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
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
