package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
)

func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestBuildCheck(t *testing.T) {
	base := registrytest.ServeBusybox(t)
	// UndefinedVar needs the base image's ENV (PATH) from the registry.
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM " + base + " as base\nARG API_TOKEN\nENV PATH=$PAHT:/x\nCMD echo hi\n"})
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	r := stevedore(t, env, "", "build", "--check", dir)
	if r.code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, exitFailed, r.stdout, r.stderr)
	}
	df := filepath.Join(dir, "Dockerfile")
	for _, want := range []string{
		df + ":1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match",
		df + `:2: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG "API_TOKEN") (pass secrets with --secret`,
		df + ":3: UndefinedVar: Usage of undefined variable '$PAHT' (did you mean $PATH?)",
		df + ":4: JSONArgsRecommended",
		"Check complete, 4 warnings have been found!",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}

	// In GitHub Actions: annotations on the Dockerfile's lines, relative
	// to the workspace.
	env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"] = "true", dir
	r = stevedore(t, env, "", "build", "--check", dir)
	if !strings.Contains(r.stdout, "::warning file=Dockerfile,line=3,title=UndefinedVar::Usage of undefined variable '$PAHT'") || r.code != exitFailed {
		t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
	delete(env, "GITHUB_ACTIONS")

	// The build arg turns rules off as BuildKit's does.
	r = stevedore(t, env, "", "build", "--check", "--json", "--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=FromAsCasing,UndefinedVar,JSONArgsRecommended", dir)
	var out checkOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if r.code != exitFailed || len(out.Findings) != 1 || out.Findings[0].Rule != "SecretsUsedInArgOrEnv" || out.Findings[0].Line != 2 {
		t.Errorf("exit %d, findings %+v", r.code, out.Findings)
	}

	// A named context stands for the image it names, as in BuildKit.
	named := writeContext(t, map[string]string{"Dockerfile": "FROM base\nENV P=$PAHT\n"})
	r = stevedore(t, env, "", "build", "--check", "--build-context", "base=docker-image://"+base, named)
	if r.code != exitFailed || !strings.Contains(r.stdout, ":2: UndefinedVar: Usage of undefined variable '$PAHT' (did you mean $PATH?)") {
		t.Errorf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}

	clean := writeContext(t, map[string]string{"Dockerfile": "FROM " + base + "\nCMD [\"sh\"]\n"})
	r = stevedore(t, env, "", "build", "--check", clean)
	if r.code != 0 || !strings.Contains(r.stdout, "Check complete, no warnings found.") {
		t.Errorf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}

	// A base image that does not exist stops the checks, as in BuildKit.
	missing := writeContext(t, map[string]string{"Dockerfile": "FROM " + base + "-missing\nCMD [\"sh\"]\n"})
	r = stevedore(t, env, "", "build", "--check", missing)
	if r.code != exitFailed || !strings.Contains(r.stderr, "Dockerfile:1") {
		t.Errorf("exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

func TestBuildPrintsChecks(t *testing.T) {
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY Dockerfile /\nCMD run\n"})
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir(), "SOURCE_DATE_EPOCH": "0"}
	out := "oci:" + filepath.Join(t.TempDir(), "img")
	r := stevedore(t, env, "", "build", "--progress", "quiet", "-t", out, dir)
	want := "warning: " + filepath.Join(dir, "Dockerfile") + ":3: JSONArgsRecommended: JSON arguments recommended for CMD"
	if r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr lacks %q:\n%s", r.code, want, r.stderr)
	}
	env["GITHUB_ACTIONS"] = "true"
	r = stevedore(t, env, "", "build", "--progress", "quiet", "--json", "-t", out, dir)
	if r.code != 0 || !strings.Contains(r.stderr, "::warning file="+filepath.ToSlash(filepath.Join(dir, "Dockerfile"))+",line=3,title=JSONArgsRecommended::") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	var res buildOutput
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Checks) != 1 || res.Checks[0].Rule != "JSONArgsRecommended" {
		t.Errorf("--json checks %+v (%v)\n%s", res.Checks, err, r.stdout)
	}
	delete(env, "GITHUB_ACTIONS")

	// error=true fails the build, naming what was found; nothing is written.
	strict := writeContext(t, map[string]string{"Dockerfile": "# check=error=true\nFROM scratch\nCOPY Dockerfile /\nCMD run\n"})
	dest := filepath.Join(t.TempDir(), "strict")
	r = stevedore(t, env, "", "build", "--progress", "quiet", "-t", "oci:"+dest, strict)
	if r.code != exitFailed || !strings.Contains(r.stderr, "Dockerfile:4: JSONArgsRecommended") || !strings.Contains(r.stderr, "error=true") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("a failed build wrote %s (%v)", dest, err)
	}
	// A long Dockerfile is not checked by the build (the checks' time grows
	// with its square), and the build says so.
	long := "FROM scratch\nCMD run\n" + strings.Repeat("LABEL a=b\n", 1000)
	longDir := writeContext(t, map[string]string{"Dockerfile": long})
	r = stevedore(t, env, "", "build", "--progress", "quiet", "-t", "oci:"+filepath.Join(t.TempDir(), "long"), longDir)
	if r.code != 0 || !strings.Contains(r.stderr, "the build checks were skipped: 1002 instructions") || strings.Contains(r.stderr, "JSONArgsRecommended") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}

	// The build arg relaxes error=true as well.
	r = stevedore(t, env, "", "build", "--progress", "quiet", "--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=JSONArgsRecommended;error=true", "-t", "oci:"+dest, strict)
	if r.code != 0 || strings.Contains(r.stderr, "JSONArgsRecommended") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
