package sbom

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

// TestSyftVersion keeps the fallback version in step with go.mod, so a syft
// upgrade without touching config.go fails here rather than mislabelling SBOMs.
func TestSyftVersion(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", syftModule).Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != syftVersion {
		t.Errorf("go.mod has %s %s, config.go says %s: update syftVersion (and the schemas in testdata/schema)", syftModule, got, syftVersion)
	}
}

// TestConfigIgnoresEnvironment: syft's defaults read Go and home-directory
// environment variables into the SBOM; ours must not change with them.
func TestConfigIgnoresEnvironment(t *testing.T) {
	img := viaLayout(t, fixtureImage(t))
	run := func() []byte {
		s, err := Generate(context.Background(), img, WithRepository(fixtureRepository(t)))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := s.Encode(&buf, SyftJSON); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	before := run()
	t.Setenv("GOPROXY", "https://proxy.example.invalid")
	t.Setenv("GOPRIVATE", "example.invalid/*")
	t.Setenv("GOPATH", "/nonexistent/gopath")
	t.Setenv("HOME", "/nonexistent/home")
	if after := run(); !bytes.Equal(before, after) {
		t.Errorf("syft JSON changed with the environment:\n%s", firstDiff(after, before))
	}
	for _, leak := range []string{"/root/", "/home/", "example.invalid", "/nonexistent"} {
		if bytes.Contains(before, []byte(leak)) {
			t.Errorf("syft JSON mentions %q", leak)
		}
	}
}

func TestToolOption(t *testing.T) {
	s, err := Generate(context.Background(), viaLayout(t, fixtureImage(t)), WithTool("stevedore", "v9.9.9"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Encode(&buf, SPDXJSON); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"Tool: stevedore-v9.9.9"`)) {
		t.Errorf("SPDX creators do not name the tool:\n%.600s", buf.Bytes())
	}
}
