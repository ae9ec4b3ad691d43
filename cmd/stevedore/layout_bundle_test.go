package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/ledger"
)

// A release into an oci: layout with --format both writes Sigstore bundle
// referrers next to the legacy tags (the ledger says so), a re-run adds
// none, verify reads each format there, and publish carries both to
// registries with and without the referrers API, where the cosign v3 CLI
// verifies the bundle signature and attestation with the key.
func TestLayoutBundleReleasePublish(t *testing.T) {
	bin := cosigntest.V3(t)
	priv, pub, _ := testKeys(t)
	for kind, start := range map[string]func(testing.TB) string{
		"referrers API": registrytest.InProcessReferrers,
		"tag schema":    registrytest.InProcess,
	} {
		t.Run(kind, func(t *testing.T) {
			dir, reg := flagProject(t), start(t)
			out := filepath.Join(t.TempDir(), "image")
			led := filepath.Join(t.TempDir(), "release.json")
			env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": testPassword}
			release := func() {
				t.Helper()
				r := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
					"--destination", "oci:"+out, "--key", priv, "--format", "both", "--ledger", led)
				if r.code != 0 {
					t.Fatalf("release: exit %d:\n%s", r.code, r.stderr)
				}
			}
			release()
			var l ledger.Ledger
			data, err := os.ReadFile(led)
			if err != nil || json.Unmarshal(data, &l) != nil || len(l.Images) != 1 || len(l.Images[0].Destinations) != 1 {
				t.Fatalf("ledger: %v\n%s", err, data)
			}
			dst := l.Images[0].Destinations[0]
			if dst.Format != "both" {
				t.Errorf("ledger format of %s = %q, want both", dst.Ref, dst.Format)
			}
			lref := dst.Ref
			h := lref[strings.LastIndex(lref, "@")+1:]
			before := bundleEntries(t, out)
			if len(before) < 3 { // signature, SBOM, provenance
				t.Fatalf("layout lists %d bundle referrers, want the signature and the attestations", len(before))
			}
			release()
			if after := bundleEntries(t, out); len(after) != len(before) {
				t.Errorf("re-run: %d bundle referrers, %d before", len(after), len(before))
			}
			for _, f := range []string{"bundle", "legacy", "auto"} {
				if v := stevedore(t, nil, "", "verify", lref, "--key", pub, "--insecure-ignore-tlog", "--format", f); v.code != 0 {
					t.Errorf("verify --format %s: exit %d: %s", f, v.code, v.stderr)
				}
			}
			if v := stevedore(t, nil, "", "verify", lref, "--key", pub, "--format", "bundle", "--attestation", "slsaprovenance1"); v.code != 0 {
				t.Errorf("verify provenance bundle: exit %d: %s", v.code, v.stderr)
			}

			p := stevedore(t, nil, "", "publish", "--ledger", "", "--from", lref, "--to", reg+"/team/app", "--tag", "1.0")
			if p.code != 0 || !strings.Contains(p.stderr, "carried bundle ") || !strings.Contains(p.stderr, "carried sha256-") {
				t.Fatalf("publish: exit %d: %s", p.code, p.stderr)
			}
			ref := reg + "/team/app@" + h
			if v := stevedore(t, nil, "", "verify", ref, "--key", pub, "--format", "bundle"); v.code != 0 {
				t.Errorf("verify published bundle: exit %d: %s", v.code, v.stderr)
			}
			cdir := t.TempDir()
			if err := os.WriteFile(filepath.Join(cdir, "trusted_root.json"), []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`), 0o644); err != nil {
				t.Fatal(err)
			}
			flags := []string{"--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry", "--trusted-root", "trusted_root.json"}
			if o := cosigntest.Run(t, bin, cdir, append(append([]string{"verify"}, flags...), ref)...); !strings.Contains(o, "https://sigstore.dev/cosign/sign/v1") {
				t.Errorf("cosign v3 verified no bundle:\n%s", o)
			}
			cosigntest.Run(t, bin, cdir, append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, flags...), ref)...)
			if p := stevedore(t, nil, "", "publish", "--ledger", "", "--from", lref, "--to", reg+"/team/app"); p.code != 0 || strings.Contains(p.stderr, "carried") {
				t.Errorf("re-publish: exit %d: %s", p.code, p.stderr)
			}

			// A bundle altered in the layout: verify fails with exit 4.
			tamperBundles(t, out)
			if v := stevedore(t, nil, "", "verify", lref, "--key", pub, "--format", "bundle"); v.code != exitVerify {
				t.Errorf("verify tampered bundle: exit %d: %s", v.code, v.stderr)
			}
		})
	}
}

// bundleEntries lists the bundle referrers in the index.json of the layout
// at dir.
func bundleEntries(t *testing.T, dir string) []v1.Descriptor {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	ii, _ := p.ImageIndex()
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Descriptor
	for _, d := range im.Manifests {
		if d.ArtifactType == "application/vnd.dev.sigstore.bundle.v0.3+json" {
			out = append(out, d)
		}
	}
	return out
}

// tamperBundles replaces the DSSE signature of every bundle in the layout
// at dir, in place.
func tamperBundles(t *testing.T, dir string) {
	t.Helper()
	p, _ := layout.FromPath(dir)
	for _, d := range bundleEntries(t, dir) {
		raw, err := p.Bytes(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		var m v1.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "blobs", "sha256", m.Layers[0].Digest.Hex)
		var b map[string]any
		data, err := os.ReadFile(file)
		if err != nil || json.Unmarshal(data, &b) != nil {
			t.Fatalf("reading bundle %s: %v", file, err)
		}
		b["dsseEnvelope"].(map[string]any)["signatures"] = []map[string]string{{"sig": base64.StdEncoding.EncodeToString([]byte("forged"))}}
		data, _ = json.Marshal(b)
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
