package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
	"github.com/sreevishnu07/stevedore/ledger"
)

// A release signed into a layout and a registry, then published from the
// layout to a second registry: the ledger gains verify commands for the new
// destination, the release's own commands with the registry changed, and
// every one runs as printed with the real cosign v2 and v3 CLIs, offline,
// in every signature format.
func TestPublishRecordsVerifyCommands(t *testing.T) {
	v2, v3 := cosigntest.V2(t), cosigntest.V3(t)
	priv, pub, _ := testKeys(t)
	for _, format := range []string{"legacy", "bundle", "both"} {
		t.Run(format, func(t *testing.T) {
			env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": testPassword}
			s := publishVerifyCommands(t, env, []string{"--key", priv, "--format", format}, []string{v2, v3})
			if s.Key != pub || s.Format != format || s.Identity != "" || s.TrustedRoot == "" != (format == "legacy") {
				t.Errorf("release recorded signer %+v, want key %s, format %s, a trusted root for bundles", s, pub, format)
			}
		})
	}
	// Keyless, through a private Sigstore (a Rekor v2 log: bundles only).
	// cosign v2.6.5 refuses these bundles ("threshold not met for verified
	// log entry integrated timestamps": a Rekor v2 entry carries none), so
	// v3 runs them.
	t.Run("keyless", func(t *testing.T) {
		st := sigstoretest.Start(t)
		env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "CI": "true", "GITLAB_CI": "true", "SIGSTORE_ID_TOKEN": st.EmailToken(t, "ci@example.com")}
		s := publishVerifyCommands(t, env, []string{"--signing-config", st.SigningConfig, "--trusted-root", st.TrustedRoot}, []string{v3})
		if s.Key != "" || s.Identity != "ci@example.com" || s.Issuer != st.EmailIssuer || s.TrustedRoot != st.TrustedRoot || s.Format != "bundle" {
			t.Errorf("release recorded signer %+v, want ci@example.com from %s, trusted root %s, bundle", s, st.EmailIssuer, st.TrustedRoot)
		}
	})
}

// publishVerifyCommands releases the flag project signed with sigArgs to a
// registry and a layout, publishes the layout to a second registry, checks
// that the ledger gained the release's commands for it and runs each with
// every cosign in clis. It returns the signer the release recorded.
func publishVerifyCommands(t *testing.T, env map[string]string, sigArgs, clis []string) *ledger.Signer {
	t.Helper()
	dir := flagProject(t)
	first, second := registrytest.InProcess(t)+"/acme/app", registrytest.InProcess(t)+"/mirror/app"
	t.Chdir(dir)
	args := append([]string{"release", "--context", "app", "--file", "app/Containerfile", "--destination", first, "--destination", "oci:dist/app"}, sigArgs...)
	if r := stevedore(t, env, "", args...); r.code != 0 {
		t.Fatalf("release: exit %d\n%s", r.code, r.stderr)
	}
	released, err := ledger.Read("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}
	img := released.Images[0]
	s := img.Signer
	if s == nil {
		t.Fatal("release recorded no signer")
	}
	var types []string
	for _, a := range s.Attestations {
		types = append(types, a.PredicateType)
		if a.Digest != img.Digest {
			t.Errorf("attestation %+v, want it on the image %s", a, img.Digest)
		}
	}
	if got := strings.Join(types, " "); got != "https://spdx.dev/Document https://slsa.dev/provenance/v1" {
		t.Errorf("signer attestations %q, want the SPDX SBOM and the provenance", got)
	}
	if data, _ := os.ReadFile("dist/release.json"); strings.Contains(string(data), ".key") {
		t.Errorf("the ledger names a private key:\n%s", data)
	}

	r := stevedore(t, env, "", "publish", "--from", "oci:dist/app", "--destination", second, "--tag", "1.0.0")
	if r.code != 0 {
		t.Fatalf("publish: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "verify commands") || strings.Contains(r.stderr, "no signer") {
		t.Errorf("publish does not say it recorded verify commands:\n%s", r.stderr)
	}
	l, err := ledger.Read("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, c := range img.Verify {
		if strings.Contains(c, first+"@") {
			want = append(want, strings.ReplaceAll(c, first+"@", second+"@"))
		}
	}
	for _, c := range l.Images[0].Verify {
		if strings.Contains(c, second+"@") {
			got = append(got, c)
		}
	}
	if len(want) != 1+len(s.Attestations) || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("commands for %s:\n%s\nwant the release's for %s:\n%s", second, strings.Join(got, "\n"), first, strings.Join(want, "\n"))
	}
	for _, bin := range clis {
		for _, c := range got {
			args := strings.Fields(c)
			if args[0] != "cosign" {
				t.Fatalf("not a cosign command: %s", c)
			}
			home := t.TempDir()
			cmd := exec.Command(bin, args[1:]...)
			cmd.Env = []string{"HOME=" + home, "TUF_ROOT=" + filepath.Join(home, "tuf"), "PATH=/usr/bin:/bin"}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: %s: %v\n%s", bin, c, err, out)
			}
		}
	}

	// Publishing again adds no command twice.
	if r := stevedore(t, env, "", "publish", "--from", "oci:dist/app", "--destination", second); r.code != 0 {
		t.Fatalf("publish again: exit %d\n%s", r.code, r.stderr)
	}
	again, err := ledger.Read("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Images[0].Verify) != len(l.Images[0].Verify) {
		t.Errorf("publishing again changed the commands:\n%s\nwas:\n%s", strings.Join(again.Images[0].Verify, "\n"), strings.Join(l.Images[0].Verify, "\n"))
	}
	return s
}

// A ledger written before the signer was recorded (no "signer" field)
// still publishes, with no verify commands added and a note saying why.
func TestPublishOldLedgerAddsNoVerifyCommands(t *testing.T) {
	// An older stevedore's ledger: the same, without signer.
	publishWithoutVerifyCommands(t, func(img map[string]any) { delete(img, "signer") }, "records no signer")
}

// A signer whose public key is not where publish runs (another job, a key
// file not checked in) publishes all the same, with a warning.
func TestPublishSignerKeyMissingAddsNoVerifyCommands(t *testing.T) {
	publishWithoutVerifyCommands(t, func(img map[string]any) {
		img["signer"].(map[string]any)["key"] = "missing.pub"
	}, "warning:")
}

// publishWithoutVerifyCommands releases into a layout, changes the
// ledger's image with edit, publishes to a second registry and checks that
// publish succeeds, says why (want) and records no verify commands.
func publishWithoutVerifyCommands(t *testing.T, edit func(img map[string]any), want string) {
	priv, pub, _ := testKeys(t)
	dir := flagProject(t)
	second := registrytest.InProcess(t) + "/mirror/app"
	t.Chdir(dir)
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": testPassword}
	if r := stevedore(t, env, "", "release", "--context", "app", "--file", "app/Containerfile", "--destination", "oci:dist/app", "--key", priv); r.code != 0 {
		t.Fatalf("release: exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	img := raw["images"].([]any)[0].(map[string]any)
	if _, ok := img["signer"]; !ok {
		t.Fatalf("release recorded no signer:\n%s", data)
	}
	edit(img)
	old, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("dist/release.json", old, 0o644); err != nil {
		t.Fatal(err)
	}
	before, err := ledger.Read("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}

	r := stevedore(t, env, "", "publish", "--from", "oci:dist/app", "--destination", second, "--tag", "1.0.0")
	if r.code != 0 {
		t.Fatalf("publish: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "no verify commands added") {
		t.Errorf("publish does not say why it added no verify commands:\n%s", r.stderr)
	}
	l, err := ledger.Read("dist/release.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Images[0].Verify; strings.Join(got, "\n") != strings.Join(before.Images[0].Verify, "\n") {
		t.Errorf("verify commands changed:\n%s", strings.Join(got, "\n"))
	}
	if n := len(l.Images[0].Destinations); n != 2 || !strings.HasPrefix(l.Images[0].Destinations[1].Ref, second+"@") {
		t.Errorf("destinations %+v, want the layout and %s", l.Images[0].Destinations, second)
	}
	// The signatures went along all the same.
	if v := stevedore(t, nil, "", "verify", l.Images[0].Destinations[1].Ref, "--key", pub); v.code != 0 {
		t.Errorf("verify %s: exit %d\n%s", second, v.code, v.stderr)
	}
}
