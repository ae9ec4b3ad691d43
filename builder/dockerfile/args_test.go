package dockerfile

import (
	"fmt"
	"runtime"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestDefaultArgs(t *testing.T) {
	build, target := normalizePlatforms(amd64, v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"})
	env := defaultArgs(build, target, map[string]string{"TARGETVARIANT": "v6"}, "")
	want := map[string]string{
		"BUILDPLATFORM": "linux/amd64", "BUILDOS": "linux", "BUILDARCH": "amd64", "BUILDVARIANT": "",
		"TARGETPLATFORM": "linux/arm/v7", "TARGETOS": "linux", "TARGETARCH": "arm",
		"TARGETVARIANT": "v6", // a build arg overrides a predefined one
		"TARGETSTAGE":   "default",
	}
	for k, w := range want {
		if v, ok := env.Get(k); !ok || v != w {
			t.Errorf("%s = %q (%v), want %q", k, v, ok, w)
		}
	}
}

func TestNormalizePlatforms(t *testing.T) {
	b, tp := normalizePlatforms(v1.Platform{}, v1.Platform{})
	if b.OS != runtime.GOOS || b.Architecture != runtime.GOARCH || fmt.Sprint(tp) != fmt.Sprint(b) {
		t.Errorf("defaults = %v, %v", b, tp)
	}
}

func TestEnvListReplacesInPlace(t *testing.T) {
	var e envList
	e = e.set("A", "1").set("B", "2").set("A", "3")
	if fmt.Sprint(e) != "[A=3 B=2]" {
		t.Errorf("env = %v", e)
	}
	if _, ok := e.Get("C"); ok {
		t.Error("C found")
	}
}
