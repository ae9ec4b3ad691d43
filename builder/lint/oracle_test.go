package lint_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/sreevishnu07/stevedore/builder/lint"
	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

// oracleCase is a Dockerfile from BuildKit's dockerfile_lint_test.go (or
// in its spirit), checked by BuildKit v0.29's lint subrequest and by Check.
type oracleCase struct {
	name       string
	dockerfile string
	buildArgs  map[string]string
	target     string
	// dockerignore is the context's .dockerignore, "" for none.
	dockerignore string
	// want is a rule that must be among the findings: the case can only
	// pass by finding something.
	want string
}

var oracleCases = []oracleCase{
	{name: "secrets in ARG and ENV", want: "SecretsUsedInArgOrEnv", dockerfile: `# check=skip=InvalidDefinitionDescription

FROM scratch
ARG SECRET_PASSPHRASE
ENV SUPER_Secret=foo
ENV password=bar secret=baz
ARG super_duper_secret_token=foo auth=bar
ENV apikey=bar sunflower=foo
ENV git_key=
ENV PUBLIC_KEY=
ARG public_token
ARG SECRET_PASSPHRASE_FILE
ENV password_file=bar secret_File=baz
ARG AUTH_MODULE_VERSION
# check=skip=SecretsUsedInArgOrEnv // allow secret in environment
ENV password=bar
# check=skip=SecretsUsedInArgOrEnv // allow secret in arg
ARG password
# check=skip=all // is local to only this instruction
ENV alternate_password=bar
# check=skip=all // is local to only this instruction
ARG alternate_password
`},
	{name: "stage name casing", want: "StageNameCasing", dockerfile: `
# warning: stage name should be lowercase
#
FROM scratch AS BadStageName

# warning: 'as' should match 'FROM' cmd casing.
#
FROM scratch as base2

FROM scratch AS base3
`},
	{name: "from as casing lower", want: "FromAsCasing", dockerfile: `
from scratch AS base

from scratch as base2
`},
	{name: "empty continuation", want: "NoEmptyContinuation", dockerfile: `
FROM scratch
# warning: empty continuation line
COPY Dockerfile \

.
COPY Dockerfile \
.
`},
	{name: "mixed-case FROM", want: "ConsistentInstructionCasing", dockerfile: `
From scratch as base
FROM scratch AS base2
`},
	{name: "copy against upper majority", want: "ConsistentInstructionCasing", dockerfile: `
FROM scratch
copy Dockerfile /foo
COPY Dockerfile /bar
`},
	{name: "from against lower majority", want: "ConsistentInstructionCasing", dockerfile: `
FROM scratch
copy Dockerfile /foo
copy Dockerfile /bar
copy Dockerfile /baz
`},
	{name: "duplicate stage name", want: "DuplicateStageName", dockerfile: `
FROM scratch AS b
FROM scratch AS b
`},
	{name: "reserved stage names", want: "ReservedStageName", dockerfile: `
FROM scratch AS scratch
FROM scratch AS context
`},
	{name: "CMD shell form", want: "JSONArgsRecommended", dockerfile: `
FROM scratch
CMD mycommand
`},
	{name: "ENTRYPOINT shell form", want: "JSONArgsRecommended", dockerfile: `
FROM scratch
ENTRYPOINT mycommand
`},
	{name: "custom SHELL inherited: no JSONArgsRecommended", dockerfile: `
FROM scratch AS base
SHELL ["/usr/bin/customshell"]

FROM base
ENTRYPOINT mycommand
`},
	{name: "maintainer", want: "MaintainerDeprecated", dockerfile: `
FROM scratch
MAINTAINER me@example.org
`},
	{name: "undefined arg in FROM", want: "UndefinedArgInFrom", dockerfile: `
FROM --platform=$BULIDPLATFORM scratch
COPY Dockerfile .
`},
	{name: "relative workdir", want: "WorkdirRelativePath", dockerfile: `
FROM scratch
WORKDIR app/
`},
	{name: "undefined var before its ARG", want: "UndefinedVar", dockerfile: `
FROM busybox
COPY $foo .
ARG foo=bar
RUN echo $foo
`},
	{name: "undefined var with a suggestion", want: "UndefinedVar", dockerfile: `
FROM busybox
ARG DIR_BINARIES=binaries/
ARG DIR_ASSETS=assets/
ARG DIR_CONFIG=config/
COPY $DIR_ASSET .
`},
	{name: "misspelt PATH from the base image", want: "UndefinedVar", dockerfile: `
FROM busybox
ENV PATH=$PAHT:/tmp/bin
`},
	{name: "base image env and inherited args are defined", dockerfile: `
FROM busybox AS base
ARG foo=Dockerfile
ENV PATH2=$PATH
FROM base
COPY $foo .
`},
	{name: "multiple CMD and ENTRYPOINT", want: "MultipleInstructionsDisallowed", dockerfile: `
FROM scratch
ENTRYPOINT ["/myapp"]
ENTRYPOINT ["/myotherapp"]
CMD ["/myapp"]
CMD ["/myotherapp"]
HEALTHCHECK CMD ["/myapp"]
HEALTHCHECK CMD ["/myotherapp"]
`},
	{name: "legacy key value", want: "LegacyKeyValueFormat", dockerfile: `
FROM scratch
ENV testkey value
LABEL key value
`},
	{name: "legacy key value in a used stage", want: "LegacyKeyValueFormat", dockerfile: `
FROM scratch AS a

FROM a AS b
ENV testkey value
LABEL key value

FROM a AS c
`},
	{name: "redundant target platform", want: "RedundantTargetPlatform", dockerfile: `
FROM --platform=${TARGETPLATFORM} scratch
`},
	{name: "invalid default arg in FROM", want: "InvalidDefaultArgInFrom", buildArgs: map[string]string{"VERSION": "latest"}, dockerfile: `
ARG VERSION
FROM busybox:$VERSION
`},
	{name: "constant FROM platform", want: "FromPlatformFlagConstDisallowed", dockerfile: `
FROM --platform=linux/amd64 scratch
`},
	{name: "constant platform on a stage named for it", dockerfile: `
FROM --platform=linux/amd64 scratch AS my_amd64_stage
`},
	{name: "expose proto casing", want: "ExposeProtoCasing", dockerfile: `
FROM scratch
EXPOSE 80/TcP 8080/TCP 8080/udp
`},
	{name: "expose with an IP", want: "ExposeInvalidFormat", dockerfile: `
FROM scratch
EXPOSE 127.0.0.1:80:80 [::1]:8080:8080 5000:5000 8000
`},
	{name: "check=skip=all", dockerfile: `#check=skip=all
FROM scratch as base
copy Dockerfile .
`},
	{name: "check=skip two rules", dockerfile: `#check=skip=ConsistentInstructionCasing,FromAsCasing
FROM scratch as base
copy Dockerfile .
`},
	{name: "check=skip one rule;error=true", want: "FromAsCasing", dockerfile: `#check=skip=ConsistentInstructionCasing;error=true
FROM scratch as base
copy Dockerfile .
`},
	{name: "experimental rule enabled", want: "InvalidDefinitionDescription", dockerfile: `# check=experimental=InvalidDefinitionDescription
# bar this is the bar
ARG foo=bar
# BasE this is the BasE image
FROM scratch AS base
# definitely a bad comment
ARG version=latest
`},
	{name: "BUILDKIT_DOCKERFILE_CHECK replaces the directive", want: "FromAsCasing",
		buildArgs: map[string]string{lint.CheckArg: "skip=ConsistentInstructionCasing"}, dockerfile: `#check=skip=all
FROM scratch as base
copy Dockerfile .
`},
	{name: "BUILDKIT_DOCKERFILE_CHECK without a directive", want: "JSONArgsRecommended",
		buildArgs: map[string]string{lint.CheckArg: "skip=FromAsCasing"}, dockerfile: `FROM scratch as base
ENV password=x
CMD run
`},
	{name: "secret-looking build arg given a value", want: "SecretsUsedInArgOrEnv",
		buildArgs: map[string]string{"GITHUB_TOKEN": "x"}, dockerfile: `FROM scratch
ARG GITHUB_TOKEN
COPY Dockerfile /
`},
	{name: "only the target's stages", want: "JSONArgsRecommended", target: "first", dockerfile: `
FROM scratch AS first
CMD one

FROM scratch AS second
ENTRYPOINT two
`},
	{name: "copy of an ignored file", want: "CopyIgnoredFile", dockerignore: "Dockerfile\n", dockerfile: `
FROM scratch
COPY Dockerfile .
ADD Dockerfile /windy
`},
	{name: "copy of an ignored file, rule skipped", dockerignore: "Dockerfile\n", dockerfile: `# check=skip=CopyIgnoredFile

FROM scratch
COPY Dockerfile .
`},
	{name: "copy from a stage is not from the context", want: "CopyIgnoredFile", dockerignore: "Dockerfile\n", dockerfile: `
FROM scratch AS base
COPY Dockerfile /foobar

FROM base
COPY --from=base /foobar /Dockerfile
`},
	{name: "heredoc and escape directive", want: "JSONArgsRecommended", dockerfile: "# escape=`\nFROM busybox\nRUN <<EOF\necho hi `\n  there\nEOF\nCMD echo `\n  done\n"},
}

// buildkitLint runs BuildKit's lint subrequest through buildctl, which
// prints the lint result's text form.
func buildkitLint(t *testing.T, buildctl, addr, dir, layoutDir, baseDigest string, c oracleCase) string {
	t.Helper()
	args := []string{"--addr", addr, "build", "--progress=quiet", "--frontend", "dockerfile.v0",
		"--local", "context=" + dir, "--local", "dockerfile=" + dir,
		"--oci-layout", "base=" + layoutDir,
		"--opt", "context:busybox=oci-layout://base@" + baseDigest,
		"--opt", "requestid=frontend.lint"}
	if c.target != "" {
		args = append(args, "--opt", "target="+c.target)
	}
	for k, v := range c.buildArgs {
		args = append(args, "--opt", "build-arg:"+k+"="+v)
	}
	out, err := exec.Command(buildctl, args...).Output()
	if err != nil {
		t.Fatalf("buildctl: %v\n%s", err, out)
	}
	return string(out)
}

var (
	warningHead = regexp.MustCompile(`^WARNING: (\w+)(?: - (\S+))?$`)
	warningLine = regexp.MustCompile(`^Dockerfile:(\d+)(?:-\d+)?$`)
)

// parseBuildkit reads lint's text form: for each warning, a "WARNING: RULE
// - URL" line, the message, and "Dockerfile:LINE" when it has a place.
func parseBuildkit(out string) []string {
	var got []string
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		m := warningHead.FindStringSubmatch(lines[i])
		if m == nil || i+1 >= len(lines) {
			continue
		}
		line := 0
		if i+2 < len(lines) {
			if l := warningLine.FindStringSubmatch(lines[i+2]); l != nil {
				line, _ = strconv.Atoi(l[1])
			}
		}
		got = append(got, fmt.Sprintf("%d %s: %s", line, m[1], lines[i+1]))
		i++
	}
	return got
}

// busyboxResolver serves the test's busybox image for FROM busybox, as the
// named context does for BuildKit.
type busyboxResolver struct{ img v1.Image }

func (r busyboxResolver) ImageConfig(ctx context.Context, ref string, p v1.Platform) (string, []byte, error) {
	if ref != "docker.io/library/busybox:latest" {
		return "", nil, fmt.Errorf("no image %s in this test", ref)
	}
	cfg, err := r.img.RawConfigFile()
	return "", cfg, err
}

func TestChecksMatchBuildKit(t *testing.T) {
	buildctl, addr := oracle(t)
	base := registrytest.BusyboxImage(t)
	layoutDir := t.TempDir()
	lp, err := layout.Write(layoutDir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(base); err != nil {
		t.Fatal(err)
	}
	d, err := base.Digest()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := base.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	platform := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	if len(oracleCases) < 20 {
		t.Fatalf("only %d cases", len(oracleCases))
	}
	for _, c := range oracleCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(c.dockerfile), 0o644); err != nil {
				t.Fatal(err)
			}
			if c.dockerignore != "" {
				if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte(c.dockerignore), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := parseBuildkit(buildkitLint(t, buildctl, addr, dir, layoutDir, d.String(), c))
			rep, err := lint.Check(context.Background(), []byte(c.dockerfile), lint.Options{
				Target: c.target, BuildArgs: c.buildArgs, Platform: platform, Resolver: busyboxResolver{base},
				DockerIgnore: []byte(c.dockerignore),
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, fmt.Sprintf("%d %s: %s", f.Line, f.Rule, f.Message))
			}
			if !slices.Equal(got, want) {
				t.Errorf("findings differ from BuildKit's\nstevedore:\n  %s\nBuildKit:\n  %s",
					strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			if c.want != "" && !slices.ContainsFunc(rep.Findings, func(f lint.Finding) bool { return f.Rule == c.want }) {
				t.Errorf("no %s finding: %v", c.want, got)
			}
			if c.want == "" && len(want) > 0 {
				t.Errorf("BuildKit found %v in a case meant to have no finding", want)
			}
			t.Logf("%d findings, as BuildKit", len(got))
		})
	}
}

// oracle finds buildctl and the daemon, or skips.
func oracle(t *testing.T) (buildctl, addr string) {
	t.Helper()
	buildctl = os.Getenv("STEVEDORE_TEST_BUILDCTL")
	addr = os.Getenv("STEVEDORE_TEST_BUILDKIT_ADDR")
	if buildctl == "" || addr == "" {
		t.Skip("skipping: set STEVEDORE_TEST_BUILDCTL and STEVEDORE_TEST_BUILDKIT_ADDR to BuildKit v0.29 (.ci/oracles.sh, .ci/buildkitd.sh)")
	}
	if out, err := exec.Command(buildctl, "--addr", addr, "debug", "workers").CombinedOutput(); err != nil {
		t.Skipf("skipping: buildkitd at %s does not answer (start it with .ci/buildkitd.sh): %v\n%s", addr, err, out)
	}
	return buildctl, addr
}
