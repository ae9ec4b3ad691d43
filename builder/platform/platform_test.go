package platform

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"linux/arm64":        "linux/arm64",
		"linux/arm64/v8":     "linux/arm64",
		"linux/aarch64":      "linux/arm64",
		"Linux/ARM64":        "linux/arm64",
		"linux/arm":          "linux/arm/v7",
		"linux/armhf":        "linux/arm/v7",
		"linux/armel":        "linux/arm/v6",
		"linux/arm/7":        "linux/arm/v7",
		"linux/x86_64":       "linux/amd64",
		"linux/x86-64":       "linux/amd64",
		"linux/i386":         "linux/386",
		"linux/amd64/v3":     "linux/amd64/v3",
		"linux/arm64/v9":     "linux/arm64/v9",
		"linux/riscv64":      "linux/riscv64",
		"windows/amd64:10.0": "windows/amd64:10.0",
	} {
		got, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if got.String() != want {
			t.Errorf("Parse(%q) = %s, want %s", in, got.String(), want)
		}
	}
	for _, in := range []string{"", "arm64", "/arm64", "linux/"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error asking for OS/ARCH", in)
		}
	}
}

func TestNormalizeKeepsOSVersion(t *testing.T) {
	p := Normalize(v1.Platform{OS: "windows", Architecture: "x86_64", OSVersion: "10.0.17763.1", OSFeatures: []string{"win32k"}})
	if p.Architecture != "amd64" || p.OSVersion != "10.0.17763.1" || len(p.OSFeatures) != 1 {
		t.Errorf("Normalize = %+v", p)
	}
}
