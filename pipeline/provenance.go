package pipeline

import (
	"bytes"
	"context"
	"os/exec"
	"strings"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/sign"
)

// gitSource reads what the provenance says about the source from the
// repository itself, so a release outside GitHub Actions records it too:
// the origin remote's URL and the checked-out ref (refs/heads/BRANCH; ""
// on a detached HEAD). Errors leave a field empty: a repository without a
// remote, or cloned from a local path, is still releasable, its provenance
// just names no source URI. The URL is normalised and stripped of
// credentials (sign.SourceURI) before it leaves this function.
func gitSource(ctx context.Context, dir string) (remote, ref string) {
	run := func(args ...string) string {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		var out bytes.Buffer
		cmd.Stdout = &out
		if cmd.Run() != nil {
			return ""
		}
		return strings.TrimSpace(out.String())
	}
	remote, err := sign.SourceURI(run("remote", "get-url", "origin"))
	if err != nil {
		remote = ""
	}
	return remote, run("symbolic-ref", "-q", "HEAD")
}

// CIRun identifies the CI run a release happens in, for the provenance's
// runDetails.metadata.invocationId. The CLI fills it from the runner's
// environment; zero outside CI.
type CIRun struct {
	// GitHub Actions: GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID
	// and GITHUB_RUN_ATTEMPT.
	GitHubServerURL, GitHubRepository, GitHubRunID, GitHubRunAttempt string
	// GitLab CI: CI_JOB_URL and CI_PROJECT_URL.
	GitLabJobURL, GitLabProjectURL string
}

// InvocationID names the run so that a consumer of the provenance can find
// its log: GitHub's run attempt page
// (SERVER/OWNER/REPO/actions/runs/ID/attempts/N, the form GitHub's own
// provenance uses), GitLab's job page, else "".
func (c CIRun) InvocationID() string {
	if c.GitHubRunID != "" && c.GitHubRepository != "" {
		id := firstNonEmpty(strings.TrimRight(c.GitHubServerURL, "/"), "https://github.com") +
			"/" + c.GitHubRepository + "/actions/runs/" + c.GitHubRunID
		return id + "/attempts/" + firstNonEmpty(c.GitHubRunAttempt, "1")
	}
	return c.GitLabJobURL
}

// builtPlatforms are the platforms the build made, which the plan leaves
// empty when it builds for the host's.
func builtPlatforms(ir *imageRun) []string {
	if ir.res == nil || len(ir.res.Platforms) == 0 {
		return ir.p.Platforms
	}
	out := make([]string, 0, len(ir.res.Platforms))
	for _, p := range ir.res.Platforms {
		out = append(out, p.Platform.String())
	}
	return out
}

// addBasePlatform records the platform a base image was pulled for, when
// the build says (an image read from a layout or context may not).
func addBasePlatform(m map[string]string, b builder.Base) map[string]string {
	if b.Platform.OS == "" {
		return m
	}
	if m == nil {
		m = map[string]string{}
	}
	m[b.Digest.String()] = b.Platform.String()
	return m
}
