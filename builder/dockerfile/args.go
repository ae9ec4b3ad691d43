package dockerfile

import (
	"runtime"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// predefinedArgs are always in scope for FROM lines and may be declared in a
// stage without a value to pick up the global one. Setting them with
// --build-arg is allowed and never warned about, as in docker.
var predefinedArgs = []string{
	"BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT",
	"TARGETPLATFORM", "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT",
	"TARGETSTAGE",
}

// proxyArgs are accepted from --build-arg without an ARG line and without a
// warning (docker's "predefined ARGs"); they reach RUN but not the history.
var proxyArgs = []string{
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
	"NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
}

// envList is an ordered KEY=VALUE list where setting a key again replaces
// it in place: the semantics of BuildKit's llb env (ARG and ENV both write
// to it, last write wins) and of the image config Env.
type envList []string

func (e envList) Get(key string) (string, bool) {
	for i := len(e) - 1; i >= 0; i-- {
		k, v, _ := strings.Cut(e[i], "=")
		if shell.EqualEnvKeys(k, key) {
			return v, true
		}
	}
	return "", false
}

func (e envList) Keys() []string {
	keys := make([]string, 0, len(e))
	for _, kv := range e {
		k, _, _ := strings.Cut(kv, "=")
		keys = append(keys, k)
	}
	return keys
}

func (e envList) set(key, value string) envList {
	for i, kv := range e {
		k, _, _ := strings.Cut(kv, "=")
		if shell.EqualEnvKeys(k, key) {
			e[i] = key + "=" + value
			return e
		}
	}
	return append(e, key+"="+value)
}

// normalizePlatforms applies BuildKit's defaults: the build platform is the
// running machine's when unset, the target platform is the build platform
// when unset.
func normalizePlatforms(build, target v1.Platform) (v1.Platform, v1.Platform) {
	if build.OS == "" {
		build.OS = runtime.GOOS
	}
	if build.Architecture == "" {
		build.Architecture = runtime.GOARCH
	}
	if target.OS == "" && target.Architecture == "" {
		target = build
	}
	if target.OS == "" {
		target.OS = build.OS
	}
	if target.Architecture == "" {
		target.Architecture = build.Architecture
	}
	return build, target
}

// formatPlatform writes os/arch[/variant] like containerd's platforms.Format,
// which is what BUILDPLATFORM and TARGETPLATFORM hold.
func formatPlatform(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// defaultArgs mirrors dockerfile2llb's defaultArgs: the predefined platform
// arguments, each overridable by a build arg of the same name.
func defaultArgs(build, target v1.Platform, buildArgs map[string]string, targetStage string) envList {
	if targetStage == "" {
		targetStage = "default"
	}
	kv := [][2]string{
		{"BUILDPLATFORM", formatPlatform(build)},
		{"BUILDOS", build.OS},
		{"BUILDOSVERSION", build.OSVersion},
		{"BUILDARCH", build.Architecture},
		{"BUILDVARIANT", build.Variant},
		{"TARGETPLATFORM", formatPlatform(target)},
		{"TARGETOS", target.OS},
		{"TARGETOSVERSION", target.OSVersion},
		{"TARGETARCH", target.Architecture},
		{"TARGETVARIANT", target.Variant},
		{"TARGETSTAGE", targetStage},
	}
	var env envList
	for _, p := range kv {
		v := p[1]
		if ov, ok := buildArgs[p[0]]; ok {
			v = ov
		}
		env = env.set(p[0], v)
	}
	return env
}

func isPredefinedArg(name string) bool {
	return slices.Contains(predefinedArgs, name) || slices.Contains(proxyArgs, name)
}
