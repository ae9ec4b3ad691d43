package sign

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
)

// A key made without a password is encrypted at scrypt N=2^15, the lowest
// cost cosign reads; one with a password at cosign's own 2^16.
func TestGenerateKeysScryptCost(t *testing.T) {
	for _, tt := range []struct {
		password []byte
		n        int
	}{{nil, 1 << 15}, {[]byte("pw"), 1 << 16}} {
		priv, _, err := GenerateKeys(tt.password)
		if err != nil {
			t.Fatal(err)
		}
		if n := scryptN(t, priv); n != tt.n {
			t.Errorf("password %q: scrypt N = %d, want %d", tt.password, n, tt.n)
		}
		if _, err := LoadSigner(priv, tt.password); err != nil {
			t.Errorf("password %q: %v", tt.password, err)
		}
	}
}

func scryptN(t *testing.T, privPEM []byte) int {
	t.Helper()
	b, _ := pem.Decode(privPEM)
	if b == nil || b.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" {
		t.Fatalf("not a cosign private key: %q", privPEM)
	}
	var enc struct {
		KDF struct {
			Params struct{ N int }
		}
	}
	if err := json.Unmarshal(b.Bytes, &enc); err != nil {
		t.Fatal(err)
	}
	return enc.KDF.Params.N
}

// cosign v2 and v3 sign with a key stevedore made without a password, and
// verify with its public key what they and stevedore signed.
func TestCosignCLIsUseKeysWithoutPassword(t *testing.T) {
	if testing.Short() {
		t.Skip("builds or runs the cosign CLIs")
	}
	priv, pub, err := GenerateKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for n, b := range map[string][]byte{"cosign.key": priv, "cosign.pub": pub} {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := LoadSigner(priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, d := newRegistryImage(t)
	if _, err := Sign(ctx, d, s); err != nil {
		t.Fatal(err)
	}
	run := func(bin string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "TUF_ROOT=" + filepath.Join(dir, ".sigstore"),
			"DOCKER_CONFIG=" + filepath.Join(dir, "docker"), "COSIGN_PASSWORD="}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %v: %v\n%s", bin, args, err, out.String())
		}
	}
	v2 := cosigntest.V2(t)
	run(v2, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", d.String())
	run(v2, "sign", "--key", "cosign.key", "--tlog-upload=false", "--allow-insecure-registry", "-y", d.String())
	run(v2, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", d.String())

	v3 := cosigntest.V3(t)
	run(v3, "signing-config", "create", "--out", "sc.json")
	run(v3, "sign", "--key", "cosign.key", "--signing-config", "sc.json", "--allow-insecure-registry", "-y", d.String())
	run(v3, "verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", d.String())
}
