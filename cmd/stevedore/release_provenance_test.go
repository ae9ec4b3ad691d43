package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/sreevishnu07/stevedore/internal/cosigntest"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/sign"
)

// A release outside GitHub Actions (here: GitLab CI) records where its
// source came from (read from git: origin's URL, the branch, the commit),
// the stage, the platforms, the build-args and the base image by digest,
// and names the CI job. The cosign v2 and v3 CLIs accept the provenance
// (legacy and bundle format) with a policy asserting those fields, and the signed document holds neither the
// token passed as a build-arg nor the credentials in the remote's URL.
func TestReleaseProvenanceVerifiesWithPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds or runs the cosign CLI")
	}
	for _, c := range []struct {
		name, format string
		cosign       func(testing.TB) string
	}{
		{"cosign v2 reads the legacy format", "legacy", cosigntest.V2},
		{"cosign v3 reads the bundle format", "bundle", cosigntest.V3},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin := c.cosign(t)
			priv, pub, _ := testKeys(t)
			base := registrytest.ServeBusybox(t)
			reg, _, _ := strings.Cut(base, "/")
			baseRef, _ := name.ParseReference(base)
			baseDesc, err := remote.Head(baseRef)
			if err != nil {
				t.Fatal(err)
			}

			token := "ghp_" + strings.Repeat("Zq9", 12)
			remoteSecret := "hunter2-" + strings.Repeat("x", 6)
			dir := gitRepo(t)
			files := map[string]string{
				"app/Containerfile": "FROM " + base + " AS runtime\nARG VERSION\nCOPY hello.txt /\nFROM scratch AS other\nCOPY hello.txt /other\n",
				"app/hello.txt":     "hi\n",
			}
			for n, c := range files {
				os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755)
				if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			git(t, dir, "add", ".")
			git(t, dir, "commit", "-q", "-m", "feat: first")
			git(t, dir, "remote", "add", "origin", "https://release-bot:"+remoteSecret+"@git.example/acme/app.git")
			commit := strings.TrimSpace(git(t, dir, "rev-parse", "HEAD"))
			branch := strings.TrimSpace(git(t, dir, "symbolic-ref", "HEAD"))

			env := map[string]string{
				"XDG_CACHE_HOME": t.TempDir(), "COSIGN_PASSWORD": testPassword,
				"CI": "true", "GITLAB_CI": "true", "CI_JOB_URL": "https://git.example/acme/app/-/jobs/7",
			}
			r := stevedore(t, env, "", "release", "--dir", dir, "--context", "app", "--file", "app/Containerfile",
				"--target", "runtime", "--build-arg", "VERSION=1.0.0", "--build-arg", "GITHUB_TOKEN="+token,
				"--destination", reg+"/acme/app", "--destination", "oci:dist/app", "--key", priv, "--ledger", "", "--format", c.format)
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.stderr)
			}
			if strings.Contains(r.stderr+r.stdout, token) || strings.Contains(r.stderr+r.stdout, remoteSecret) {
				t.Errorf("the output holds a secret:\n%s%s", r.stdout, r.stderr)
			}
			tagRef, _ := name.ParseReference(reg + "/acme/app:0.1.0")
			desc, err := remote.Head(tagRef)
			if err != nil {
				t.Fatal(err)
			}
			ref := reg + "/acme/app@" + desc.Digest.String()

			policy := filepath.Join(t.TempDir(), "policy.rego")
			rego := `package signature
default allow = false
allow {
		input.predicateType == "https://slsa.dev/provenance/v1"
		input._type == "https://in-toto.io/Statement/v1"
		p := input.predicate
		p.runDetails.builder.id == "https://github.com/sreevishnu07/stevedore"
		p.runDetails.metadata.invocationId == "https://git.example/acme/app/-/jobs/7"
		p.buildDefinition.buildType == "` + sign.BuildType + `"
		p.buildDefinition.externalParameters.source == "https://git.example/acme/app"
		p.buildDefinition.externalParameters.ref == "` + branch + `"
		p.buildDefinition.externalParameters.target == "runtime"
		count(p.buildDefinition.externalParameters.platforms) == 1
		p.buildDefinition.externalParameters.dockerfile == "app/Containerfile"
		p.buildDefinition.externalParameters.buildArgs.VERSION == "1.0.0"
		p.buildDefinition.externalParameters.redactedBuildArgs == ["GITHUB_TOKEN"]
		src := p.buildDefinition.resolvedDependencies[_]
		src.uri == "git+https://git.example/acme/app@` + branch + `"
		src.digest.gitCommit == "` + commit + `"
		dep := p.buildDefinition.resolvedDependencies[_]
		startswith(dep.uri, "pkg:docker/base/busybox@sha256%3A")
		contains(dep.uri, "?platform=linux%2F")
		dep.digest.sha256 == "` + baseDesc.Digest.Hex + `"
}
`
			if err := os.WriteFile(policy, []byte(rego), 0o644); err != nil {
				t.Fatal(err)
			}
			statements := verifyProvenance(t, bin, pub, policy, rego, ref)
			for _, st := range statements {
				if !strings.Contains(st, `"name":"`+reg+`/acme/app"`) {
					t.Errorf("the statement's subject is not the destination:\n%s", st)
				}
			}

			// Published from the layout, the provenance made there verifies with
			// the same policy: cosign binds it to the digest. Its subject name is
			// the layout placeholder (docs/buildtypes/dockerfile-v1.md, Layouts).
			p := stevedore(t, nil, "", "publish", "--ledger", "", "--from", "oci:"+filepath.Join(dir, "dist/app")+"@"+desc.Digest.String(), "--to", reg+"/acme/published:1")
			if p.code != 0 {
				t.Fatalf("publish: exit %d:\n%s", p.code, p.stderr)
			}
			published := verifyProvenance(t, bin, pub, policy, rego, reg+"/acme/published@"+desc.Digest.String())
			for _, st := range published {
				if !strings.Contains(st, `"name":"`+sign.LayoutIdentity+`"`) {
					t.Errorf("the published layout statement's subject:\n%s", st)
				}
			}
			// The signature too claims the placeholder, and verifies.
			v := stevedore(t, nil, "", "verify", reg+"/acme/published@"+desc.Digest.String(), "--key", pub)
			if v.code != 0 || !strings.Contains(v.stdout+v.stderr, "claims "+sign.LayoutIdentity) {
				t.Errorf("verify the published layout signature: exit %d\n%s%s", v.code, v.stdout, v.stderr)
			}
			statements = append(statements, published...)
			for _, st := range statements {
				for _, s := range []string{token, remoteSecret, "release-bot"} {
					if strings.Contains(st, s) {
						t.Errorf("the signed statement holds %q:\n%s", s, st)
					}
				}
			}
		})
	}
}

// verifyProvenance runs cosign verify-attestation with the rego policy on
// ref, then with the policy made to fail (one field changed), and returns
// the statements cosign printed.
func verifyProvenance(t *testing.T, bin, pub, policy, rego, ref string) []string {
	t.Helper()
	out := cosigntest.Run(t, bin, t.TempDir(), "verify-attestation", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry",
		"--type", "slsaprovenance1", "--policy", policy, ref)

	// The policy can fail: one wrong field and cosign refuses it.
	wrong := strings.Replace(rego, `"runtime"`, `"other"`, 1)
	if err := os.WriteFile(policy, []byte(wrong), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := cosigntest.Try(bin, t.TempDir(), "verify-attestation", "--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry",
		"--type", "slsaprovenance1", "--policy", policy, ref); err == nil || !strings.Contains(o, "policy") {
		t.Errorf("a policy asking for target other: %v (want a policy failure)\n%s", err, o)
	}

	// cosign prints the envelopes it verified: the decoded statements hold
	// no secret.
	var statements []string
	for _, line := range strings.Split(out, "\n") {
		var env struct{ Payload string }
		if json.Unmarshal([]byte(line), &env) != nil || env.Payload == "" {
			continue
		}
		st, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatal(err)
		}
		statements = append(statements, string(st))
	}
	if len(statements) == 0 {
		t.Fatalf("cosign printed no attestation:\n%s", out)
	}
	if err := os.WriteFile(policy, []byte(rego), 0o644); err != nil {
		t.Fatal(err)
	}
	return statements
}
