package actions

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestWorkflowCommands(t *testing.T) {
	var out bytes.Buffer
	r := New(&out, "", "")
	r.Mask("tok-1\ntok-2")
	r.Group("Build app")
	r.EndGroup()
	r.Annotate(Annotation{File: "deploy/app.yaml", Line: 12, Column: 16, Title: "unpinned", Message: "ghcr.io/o/app:1.2 is not pinned,\nrun stevedore pin --write"})
	r.Annotate(Annotation{Level: Warning, Message: "100% done"})
	want := "::add-mask::tok-1\n::add-mask::tok-2\n::group::Build app\n::endgroup::\n" +
		"::error file=deploy/app.yaml,line=12,col=16,title=unpinned::ghcr.io/o/app:1.2 is not pinned,%0Arun stevedore pin --write\n" +
		"::warning::100%25 done\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestOutputsAndSummary(t *testing.T) {
	dir := t.TempDir()
	outFile, sumFile := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	r := New(&bytes.Buffer{}, outFile, sumFile)
	if err := r.SetOutput("version", "1.2.3"); err != nil {
		t.Fatal(err)
	}
	if err := r.SetOutput("image-refs", "ghcr.io/o/app@sha256:aa\ndocker.io/o/app@sha256:aa"); err != nil {
		t.Fatal(err)
	}
	if err := r.AppendSummary("## Release 1.2.3"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(outFile)
	re := regexp.MustCompile(`(?s)^version<<(ghadelimiter_[0-9a-f]{32})\n1\.2\.3\n(ghadelimiter_[0-9a-f]{32})\nimage-refs<<(ghadelimiter_[0-9a-f]{32})\nghcr\.io/o/app@sha256:aa\ndocker\.io/o/app@sha256:aa\n(ghadelimiter_[0-9a-f]{32})\n$`)
	m := re.FindStringSubmatch(string(data))
	if m == nil || m[1] != m[2] || m[3] != m[4] {
		t.Errorf("GITHUB_OUTPUT content:\n%s", data)
	}
	sum, _ := os.ReadFile(sumFile)
	if !strings.HasPrefix(string(sum), "## Release 1.2.3\n") {
		t.Errorf("summary = %q", sum)
	}
	// Outside Actions there are no files, and nothing fails.
	if err := New(&bytes.Buffer{}, "", "").SetOutput("x", "y"); err != nil {
		t.Error(err)
	}
}
