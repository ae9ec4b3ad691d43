package sign

import (
	"context"
	"strings"
	"testing"
)

func TestVerifyCommandKeyless(t *testing.T) {
	o := makeOptions(context.Background(), []Option{
		WithCertIdentityRegexp(`^https://github.com/o/r/\.github/workflows/release\.yml@refs/tags/v.*$`),
		WithCertOIDCIssuer("https://token.actions.githubusercontent.com"),
		WithGitHubWorkflow(GitHubWorkflow{Repository: "o/r", Trigger: "push"}),
	})
	ref := "ghcr.io/o/r@sha256:" + strings.Repeat("0", 64)
	d := mustDigest(t, ref)
	got := o.command("verify", "", d)
	want := `cosign verify --certificate-identity-regexp '^https://github.com/o/r/\.github/workflows/release\.yml@refs/tags/v.*$' --certificate-oidc-issuer https://token.actions.githubusercontent.com --certificate-github-workflow-trigger push --certificate-github-workflow-repository o/r ` + ref
	if got != want {
		t.Errorf("command =\n%s\nwant\n%s", got, want)
	}
}
