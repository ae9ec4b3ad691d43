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
// attestation, and run as printed with the real cosign v2 and v3 CLIs.
func TestLedgerVerifyCommandsRunWithCosign(t *testing.T) {
	dir := repo(t)
	reg := registrytest.InProcess(t)
	signer, _ := testSigner(t)
	rep, err := Release(context.Background(), config(t, reg+"/acme/IMAGE"), releaseOpts(t, dir, signer)...)
	if err != nil {
		t.Fatal(err)
	}
	cmds := rep.Ledger.Images[0].Verify
	joined := strings.Join(cmds, "\n")
	for _, want := range []string{"cosign verify --key ", "--type https://spdx.dev/Document", "--type slsaprovenance1", filepath.Join(dir, "dist", "app.pub")} {
		if !strings.Contains(joined, want) {
			t.Errorf("verify commands lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, ".key") {
		t.Fatalf("verify commands name a private key:\n%s", joined)
	}
	for _, cli := range []struct{ name, bin string }{{"cosign v2", cosigntest.V2(t)}, {"cosign v3", cosigntest.V3(t)}} {
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
}
