package builder

// Config, platforms, errors and RUN mounts, checked against fixed expected
// values: no Docker engine needed.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/builder/platform"
)

func (f *fixture) tryBuild(opts ...Option) (*Result, error) {
	return Build(context.Background(), append([]Option{
		WithContextDir(f.dir), WithCacheDir(f.cache), WithEpoch(time.Unix(1700000000, 0)),
	}, opts...)...)
}

func configOf(t *testing.T, img v1.Image) *v1.ConfigFile {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

const configDockerfile = `ARG VERSION=1.0
FROM BASE AS parent
ONBUILD RUN echo triggered > /triggered
ONBUILD ENV FROM_TRIGGER=yes
LABEL from.parent=p

FROM parent
ARG VERSION
ARG FLAVOR
ARG UNUSED_DEFAULT=x
ENV APP_HOME=/srv/app MODE=prod
ENV FLAVOR_ENV=${FLAVOR:-plain}
WORKDIR $APP_HOME
WORKDIR sub
USER app:app
EXPOSE 80 53/udp 8000-8001
VOLUME ["/data"]
VOLUME /logs
LABEL org.opencontainers.image.version=$VERSION "flavor"="$FLAVOR" empty=""
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD wget -q -O- http://localhost/ || exit 1
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/bin/sh", "-c"]
CMD echo "$MODE"
ONBUILD COPY . /src
`

func TestConfigFields(t *testing.T) {
	f := newFixture(t, configDockerfile, nil)
	res := f.build(t, WithBuildArgs(map[string]string{"FLAVOR": "spicy"}))
	cf := configOf(t, res.Image)
	c := cf.Config
	want := v1.Config{
		Env: []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"FROM_TRIGGER=yes", "APP_HOME=/srv/app", "MODE=prod", "FLAVOR_ENV=spicy",
		},
		WorkingDir:   "/srv/app/sub",
		User:         "app:app",
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}},
		Volumes:      map[string]struct{}{"/data": {}, "/logs": {}},
		Labels: map[string]string{"from.parent": "p", "org.opencontainers.image.version": "1.0",
			"flavor": "spicy", "empty": ""},
		Healthcheck: &v1.HealthConfig{Test: []string{"CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"},
			Interval: 30 * time.Second, Timeout: 5 * time.Second, StartPeriod: 10 * time.Second, Retries: 3},
		StopSignal: "SIGQUIT",
		Entrypoint: []string{"/bin/sh", "-c"},
		Cmd:        []string{"/bin/sh", "-c", `echo "$MODE"`},
		OnBuild:    []string{"COPY . /src"},
	}
	check := func(field string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("config %s = %#v, want %#v", field, got, want)
		}
	}
	check("Env", c.Env, want.Env)
	check("WorkingDir", c.WorkingDir, want.WorkingDir)
	check("User", c.User, want.User)
	check("ExposedPorts", c.ExposedPorts, want.ExposedPorts)
	check("Volumes", c.Volumes, want.Volumes)
	check("Labels", c.Labels, want.Labels)
	check("Healthcheck", c.Healthcheck, want.Healthcheck)
	check("StopSignal", c.StopSignal, want.StopSignal)
	check("Entrypoint", c.Entrypoint, want.Entrypoint)
	check("Cmd", c.Cmd, want.Cmd)
	// The parent's triggers ran in the child and are gone from its config;
	// the child's own ONBUILD is kept for images built on it.
	check("OnBuild", c.OnBuild, want.OnBuild)
	if got := files(t, res.Image)["triggered"]; got != "triggered\n" {
		t.Errorf("the parent's ONBUILD RUN did not run in the child: /triggered = %q", got)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform = %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	for _, w := range res.Warnings {
		t.Logf("warning: %s", w)
	}
}

func TestBuildArgDefaultsAndOverrides(t *testing.T) {
	df := "ARG V=global\nFROM BASE\nARG V\nARG W=default\nENV V=$V W=$W\n"
	f := newFixture(t, df, nil)
	env := configOf(t, f.build(t).Image).Config.Env
	if !contains(env, "V=global") || !contains(env, "W=default") {
		t.Errorf("defaults: env = %q, want V=global and W=default", env)
	}
	env = configOf(t, f.build(t, WithBuildArgs(map[string]string{"V": "cli", "W": "cli-w"})).Image).Config.Env
	if !contains(env, "V=cli") || !contains(env, "W=cli-w") {
		t.Errorf("--build-arg: env = %q, want V=cli and W=cli-w", env)
	}
}

func TestMalformedDockerfileNamesFileAndLine(t *testing.T) {
	for _, c := range []struct{ name, df, line string }{
		{"COPY without arguments", "FROM BASE\nRUN true\nCOPY\n", ":3"},
		{"unknown instruction", "FROM BASE\n\nFROBNICATE x\n", ":3"},
		{"EXPOSE of a bad port", "FROM BASE\nEXPOSE notaport\n", ":2"},
		{"unknown stage in COPY --from", "FROM BASE\nCOPY --from=nope /a /b\n", ":2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.df, nil)
			_, err := f.tryBuild()
			if err == nil {
				t.Fatal("the build succeeded")
			}
			want := filepath.Join(f.dir, "Dockerfile") + c.line
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v\nwant it to name %s", err, want)
			}
		})
	}
}

func TestUnknownTarget(t *testing.T) {
	f := newFixture(t, "FROM BASE AS one\nFROM scratch AS two\n", nil)
	_, err := f.tryBuild(WithTarget("three"))
	if err == nil || !strings.Contains(err.Error(), "three") {
		t.Errorf("error = %v, want one naming the unknown target \"three\"", err)
	}
}

var (
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
)

func TestForeignPlatformWithoutRun(t *testing.T) {
	df := "FROM scratch\nARG TARGETPLATFORM\nARG TARGETARCH\nCOPY hello.txt /\nLABEL built.for=$TARGETPLATFORM arch=$TARGETARCH\n"
	f := newFixture(t, df, map[string]string{"hello.txt": "hi\n"})

	res := f.build(t, WithPlatforms(arm64))
	if res.Image == nil || res.Index != nil {
		t.Fatalf("one platform: Image=%v Index=%v, want an image", res.Image, res.Index)
	}
	cf := configOf(t, res.Image)
	// linux/arm64/v8 is normalised as BuildKit does: linux/arm64, no variant.
	if cf.OS != "linux" || cf.Architecture != "arm64" || cf.Variant != "" {
		t.Errorf("config platform = %s/%s/%s, want linux/arm64", cf.OS, cf.Architecture, cf.Variant)
	}
	if cf.Config.Labels["built.for"] != "linux/arm64" || cf.Config.Labels["arch"] != "arm64" {
		t.Errorf("labels = %v, want TARGETPLATFORM linux/arm64 and TARGETARCH arm64", cf.Config.Labels)
	}

	res = f.build(t, WithPlatforms(amd64, arm64))
	if res.Index == nil {
		t.Fatal("two platforms gave no index")
	}
	im, err := res.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 2 {
		t.Fatalf("the index has %d manifests, want 2", len(im.Manifests))
	}
	for i, want := range []v1.Platform{amd64, {OS: "linux", Architecture: "arm64"}} {
		d := im.Manifests[i]
		if d.Platform == nil || d.Platform.OS != want.OS || d.Platform.Architecture != want.Architecture || d.Platform.Variant != want.Variant {
			t.Errorf("index manifest %d platform = %+v, want %+v", i, d.Platform, want)
			continue
		}
		img, err := res.Index.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf := configOf(t, img)
		if cf.OS != want.OS || cf.Architecture != want.Architecture || cf.Variant != want.Variant {
			t.Errorf("image for %s: config says %s/%s/%s", platformString(want), cf.OS, cf.Architecture, cf.Variant)
		}
		if got := files(t, img)["hello.txt"]; got != "hi\n" {
			t.Errorf("image for %s: /hello.txt = %q", platformString(want), got)
		}
	}
}

func TestForeignRunNeedsQEMU(t *testing.T) {
	foreign, q := arm64, "aarch64"
	if runtime.GOARCH == "arm64" {
		foreign, q = amd64, "x86_64"
	}
	if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-" + q); err == nil {
		t.Skipf("skipping: a binfmt_misc handler for %s is registered here", q)
	}
	f := newFixture(t, "FROM scratch\nCOPY hello.txt /\nRUN /hello.txt\n", map[string]string{"hello.txt": "hi\n"})
	_, err := f.tryBuild(WithPlatforms(foreign))
	if err == nil {
		t.Fatal("a RUN for a foreign platform succeeded without QEMU")
	}
	for _, want := range []string{"QEMU", "binfmt_misc", platformString(platform.Normalize(foreign)), "Dockerfile:3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v\nwant it to mention %q", err, want)
		}
	}
}

func TestRunCacheMountPersists(t *testing.T) {
	df := "FROM BASE\nRUN --mount=type=cache,target=/cache echo run >> /cache/log && wc -l < /cache/log > /count\n"
	f := newFixture(t, df, nil)
	first := files(t, f.build(t).Image)
	second := files(t, f.build(t, WithNoCache(true)).Image)
	if strings.TrimSpace(first["count"]) != "1" || strings.TrimSpace(second["count"]) != "2" {
		t.Errorf("cache mount: first build counted %q, second %q; want 1 then 2", first["count"], second["count"])
	}
	for p := range second {
		if strings.HasPrefix(p, "cache/") {
			t.Errorf("the cache mount's content %s is in the image", p)
		}
	}
}

func TestRunSecretMountLeavesNoTrace(t *testing.T) {
	const secret = "s3cr3t-token-8d1f0c"
	df := `FROM BASE
RUN --mount=type=secret,id=tok cat /run/secrets/tok | wc -c > /len && test ! -s /run/secrets/missing
RUN --mount=type=secret,id=tok,env=TOK sh -c 'test "${#TOK}" = 19 && test "$TOK" = "$(printf s3cr3t-token-%s 8d1f0c)" && echo env-ok > /env'
RUN --mount=type=secret,id=tok,target=/etc/tok cat /etc/tok > /dev/null && echo target-ok > /target
`
	f := newFixture(t, df, nil)
	secretFile := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(secretFile, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	res := f.build(t, WithSecrets(map[string]string{"tok": secretFile}))
	got := files(t, res.Image)
	if strings.TrimSpace(got["len"]) != "19" || got["env"] != "env-ok\n" || got["target"] != "target-ok\n" {
		t.Errorf("the RUNs did not read the secret: len=%q env=%q target=%q", got["len"], got["env"], got["target"])
	}
	for _, p := range []string{"run/secrets/tok", "etc/tok"} {
		if _, ok := got[p]; ok {
			t.Errorf("the secret's mount point %s is in the image", p)
		}
	}
	layers, err := res.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("layer %d holds the secret", i)
		}
	}
	cf, _ := res.Image.RawConfigFile()
	if bytes.Contains(cf, []byte(secret)) {
		t.Error("the image config holds the secret")
	}
	// Nothing in the cache directory (step records, store, sums) holds it.
	err = filepath.WalkDir(f.cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the cache directory's %s holds the secret", p)
		}
		if isGzip(data) {
			if u := gunzipAll(data); bytes.Contains(u, []byte(secret)) {
				t.Errorf("the cache directory's %s holds the secret (compressed)", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunNetworkNoneSeesOnlyLoopback(t *testing.T) {
	df := "FROM BASE\nRUN --network=none busybox awk -F: 'NR>2{gsub(/ /,\"\",$1); print $1}' /proc/net/dev > /nets\n"
	f := newFixture(t, df, nil)
	got := files(t, f.build(t).Image)
	if got["nets"] != "lo\n" {
		t.Errorf("RUN --network=none sees interfaces %q, want only lo", got["nets"])
	}
}

func TestRunLayerHasNoMountPoints(t *testing.T) {
	// What RUN mounts for itself (/etc/hosts, ...) and the cache and tmpfs
	// targets are not the step's changes. /dev, /proc and /sys, which the
	// base lacks, stay as 0755 directories, as BuildKit v0.29 leaves them
	// (TestConformance checks that against BuildKit itself).
	df := "FROM BASE\nRUN --mount=type=cache,target=/var/cache/x --mount=type=tmpfs,target=/scratch echo hi > /hi\n"
	f := newFixture(t, df, nil)
	res := f.build(t)
	layers, err := res.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n := strings.TrimSuffix(h.Name, "/")
		switch {
		case n == "hi":
		case (n == "dev" || n == "proc" || n == "sys") && h.Typeflag == tar.TypeDir && h.Mode&0o7777 == 0o755 && h.Uid == 0 && h.Gid == 0:
		default:
			t.Errorf("the RUN layer holds %s (type %c): a mount point, not a change the step made", n, h.Typeflag)
		}
	}
}

func isGzip(b []byte) bool { return len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b }

func gunzipAll(b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(zr)
	return out
}
