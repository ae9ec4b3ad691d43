package builder

// Docker as the oracle: the same Dockerfile and context built by a real
// engine (Debian's docker.io, dockerd 20.10 with BuildKit, started by
// .ci/docker.sh) and by Build must give the same files, config and history,
// and docker must run what stevedore built. Without the engine these tests
// skip.

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/testutil"
)

const (
	// dockerClient is Debian's client: the newer one on PATH wants buildx.
	dockerClient      = "/usr/bin/docker"
	defaultDockerSock = "/var/run/stevedore-docker.sock"
	// oracleBase is the busybox base image under the same name in both
	// engines: docker load'ed into dockerd, a named context for stevedore.
	oracleBase = "stevedore-test/busybox:1"
)

// dockerHost finds the reference engine: $STEVEDORE_TEST_DOCKER_HOST, else
// the socket .ci/docker.sh starts. Without one the test skips.
func dockerHost(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: the oracle tests need root (RUN steps and dockerd)")
	}
	host := os.Getenv("STEVEDORE_TEST_DOCKER_HOST")
	if host == "" {
		if _, err := os.Stat(defaultDockerSock); err != nil {
			t.Skip("skipping: no reference Docker engine; start one with .ci/docker.sh (or set STEVEDORE_TEST_DOCKER_HOST)")
		}
		host = "unix://" + defaultDockerSock
	}
	if _, err := os.Stat(dockerClient); err != nil {
		t.Skip("skipping: Debian's docker client /usr/bin/docker is missing; run .ci/docker.sh")
	}
	if out, err := exec.Command(dockerClient, "-H", host, "version").CombinedOutput(); err != nil {
		t.Skipf("skipping: the Docker engine at %s does not answer (start it with .ci/docker.sh): %v\n%s", host, err, out)
	}
	return host
}

// dockerCmd runs the docker client with BuildKit on and a private config
// directory, and returns its stdout; a failure fails the test.
func dockerCmd(t *testing.T, host string, stdin io.Reader, args ...string) string {
	t.Helper()
	out, err := dockerTry(t, host, stdin, args...)
	if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func dockerTry(t *testing.T, host string, stdin io.Reader, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(dockerClient, append([]string{"-H", host}, args...)...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1", "DOCKER_CONFIG="+dockerConfigDir(t))
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w\n%s", err, tail(stderr.String(), 3000))
	}
	return stdout.String(), nil
}

var (
	dockerConfigOnce sync.Once
	dockerConfig     string
)

func dockerConfigDir(t *testing.T) string {
	dockerConfigOnce.Do(func() {
		dockerConfig, _ = os.MkdirTemp("", "stevedore-docker-config-")
	})
	return dockerConfig
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// loadOracleBase puts the busybox base into dockerd as oracleBase and
// returns it for stevedore.
func loadOracleBase(t *testing.T, host string) v1.Image {
	t.Helper()
	img := registrytest.BusyboxImage(t)
	tag, err := name.NewTag(oracleBase)
	if err != nil {
		t.Fatal(err)
	}
	loadIntoDocker(t, host, tag, img)
	return img
}

func loadIntoDocker(t *testing.T, host string, tag name.Tag, img v1.Image) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "image.tar")
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		t.Fatalf("writing %s as a tarball: %v", tag, err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dockerCmd(t, host, f, "load", "-q")
}

// oracleName is a docker image name for the running test.
func oracleName(t *testing.T, suffix string) string {
	n := strings.ToLower(t.Name())
	n = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, n)
	return "stevedore-oracle/" + strings.Trim(n, "-") + "-" + suffix + ":latest"
}

// dockerBuild builds dir with docker and returns the image as docker saved it.
func dockerBuild(t *testing.T, host, dir string, args ...string) v1.Image {
	t.Helper()
	tag := oracleName(t, "docker")
	// --network=none: dockerd runs with --bridge=none (.ci/docker.sh),
	// and no test RUN needs a network.
	dockerCmd(t, host, nil, append(append([]string{"build", "-q", "--network=none", "-t", tag}, args...), dir)...)
	t.Cleanup(func() { dockerTry(t, host, nil, "rmi", "-f", tag) })
	file := filepath.Join(t.TempDir(), "docker-image.tar")
	dockerCmd(t, host, nil, "save", "-o", file, tag)
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(file, &ref)
	if err != nil {
		t.Fatalf("reading docker's image: %v", err)
	}
	return img
}

// stevedoreBuild builds dir with Build, oracleBase given as a named context.
func stevedoreBuild(t *testing.T, base v1.Image, dir string, opts ...Option) *Result {
	t.Helper()
	res, err := Build(context.Background(), append([]Option{
		WithContextDir(dir), WithCacheDir(t.TempDir()), WithEpoch(time.Unix(1700000000, 0)),
		WithNamedContext(oracleBase, NamedContext{Image: base}),
	}, opts...)...)
	if err != nil {
		t.Fatalf("stevedore build: %v", err)
	}
	return res
}

// dockerRun loads img into dockerd and runs it without network.
func dockerRun(t *testing.T, host string, img v1.Image, args ...string) string {
	t.Helper()
	tag, err := name.NewTag(oracleName(t, "stevedore"))
	if err != nil {
		t.Fatal(err)
	}
	loadIntoDocker(t, host, tag, img)
	t.Cleanup(func() { dockerTry(t, host, nil, "rmi", "-f", tag.String()) })
	out, err := dockerTry(t, host, nil, append([]string{"run", "--rm", "--network=none", tag.String()}, args...)...)
	if err != nil {
		t.Fatalf("docker run of stevedore's image: %v\noutput: %s", err, out)
	}
	return out
}

// entry is one path of a flattened image: what must match between engines.
type entry struct {
	Type     string // file, dir, symlink, hardlink, char, block, fifo
	Mode     int64  // permission and special bits
	UID, GID int
	Size     int64
	Sum      string // sha256 of a file's content
	Link     string // symlink or hard link target
}

func (e entry) String() string {
	s := fmt.Sprintf("%s %04o %d:%d", e.Type, e.Mode, e.UID, e.GID)
	switch e.Type {
	case "file":
		s += fmt.Sprintf(" %d bytes %s", e.Size, e.Sum[:12])
	case "symlink", "hardlink":
		s += " -> " + e.Link
	}
	return s
}

// tree flattens an image's layers into path → entry (times ignored).
func tree(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading flattened image: %v", err)
		}
		p := cleanTarPath(h.Name)
		if p == "" {
			continue
		}
		e := entry{Mode: h.Mode & 0o7777, UID: h.Uid, GID: h.Gid}
		switch h.Typeflag {
		case tar.TypeDir:
			e.Type = "dir"
		case tar.TypeSymlink:
			e.Type, e.Link = "symlink", h.Linkname
		case tar.TypeLink:
			e.Type, e.Link = "hardlink", cleanTarPath(h.Linkname)
		case tar.TypeChar:
			e.Type = "char"
		case tar.TypeBlock:
			e.Type = "block"
		case tar.TypeFifo:
			e.Type = "fifo"
		default:
			e.Type = "file"
			hs := sha256.New()
			n, err := io.Copy(hs, tr)
			if err != nil {
				t.Fatal(err)
			}
			e.Size, e.Sum = n, hex.EncodeToString(hs.Sum(nil))
		}
		out[p] = e
	}
}

func cleanTarPath(p string) string {
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}

// engineOnlyPaths are paths docker 20.10's BuildKit may leave in images
// that stevedore does not write: the empty mount points RUN creates for the
// files it bind-mounts (BuildKit v0.29 removes those stubs after the step).
// /dev, /proc and /sys are listed for older bases; stevedore, like BuildKit
// v0.29, keeps them as directories when the base lacks them.
var engineOnlyPaths = map[string]bool{
	"etc/hosts": true, "etc/resolv.conf": true, "etc/hostname": true,
	"dev": true, "proc": true, "sys": true,
}

// treePaths is every path of either tree, sorted.
func treePaths(got, want map[string]entry) []string {
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	return paths
}

func compareTrees(t *testing.T, got, want map[string]entry) {
	t.Helper()
	paths := treePaths(got, want)
	for _, p := range paths {
		g, gok := got[p]
		w, wok := want[p]
		switch {
		case !gok && engineOnlyPaths[p] && (w.Type == "dir" || w.Size == 0):
			continue
		case !gok && w.Type == "dir" && hasChildIn(got, p):
			t.Errorf("file tree: directory %s is not in stevedore's layers, only files below it (docker writes it: %s); "+
				"the parent directories a COPY/WORKDIR creates must be layer entries (layer.FromFiles adds none), "+
				"or a runtime makes them root-owned 0755 with the extraction time", p, w)
		case !gok:
			t.Errorf("file tree: %s is missing from stevedore's image (docker: %s)", p, w)
		case !wok:
			t.Errorf("file tree: %s is only in stevedore's image (%s)", p, g)
		case g != w:
			t.Errorf("file tree: %s differs:\n  stevedore %s\n  docker    %s", p, g, w)
		}
	}
}

func hasChildIn(tree map[string]entry, dir string) bool {
	for p := range tree {
		if strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return false
}

// configFields are the parts of the config a Dockerfile decides.
type configFields struct {
	Env          []string
	WorkingDir   string
	User         string
	ExposedPorts map[string]struct{}
	Volumes      map[string]struct{}
	Entrypoint   []string
	Cmd          []string
	Labels       map[string]string
	Healthcheck  *v1.HealthConfig
	StopSignal   string
	Shell        []string
	OnBuild      []string
}

func fieldsOf(c v1.Config) configFields {
	f := configFields{Env: c.Env, WorkingDir: c.WorkingDir, User: c.User, ExposedPorts: c.ExposedPorts,
		Volumes: c.Volumes, Entrypoint: c.Entrypoint, Cmd: c.Cmd, Labels: c.Labels, Healthcheck: c.Healthcheck,
		StopSignal: c.StopSignal, Shell: c.Shell, OnBuild: c.OnBuild}
	// Empty and absent mean the same to every runtime.
	if len(f.ExposedPorts) == 0 {
		f.ExposedPorts = nil
	}
	if len(f.Volumes) == 0 {
		f.Volumes = nil
	}
	if len(f.Labels) == 0 {
		f.Labels = nil
	}
	if len(f.Env) == 0 {
		f.Env = nil
	}
	return f
}

func compareConfig(t *testing.T, got, want *v1.ConfigFile) {
	t.Helper()
	g, w := fieldsOf(got.Config), fieldsOf(want.Config)
	gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
	for i := 0; i < gv.NumField(); i++ {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			gj, _ := json.Marshal(gv.Field(i).Interface())
			wj, _ := json.Marshal(wv.Field(i).Interface())
			t.Errorf("config %s:\n  stevedore %s\n  docker    %s", gv.Type().Field(i).Name, gj, wj)
		}
	}
	if got.OS != want.OS || got.Architecture != want.Architecture {
		t.Errorf("platform: stevedore %s/%s, docker %s/%s", got.OS, got.Architecture, want.OS, want.Architecture)
	}
}

// compareHistory compares created_by and empty_layer. known maps a history
// index to what BuildKit v0.29 (which stevedore follows) writes where
// dockerd 20.10's BuildKit writes something else.
func compareHistory(t *testing.T, got, want []v1.History, known map[int]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("history has %d entries, docker's %d:\n  stevedore %s\n  docker    %s", len(got), len(want), historyText(got), historyText(want))
		return
	}
	for i := range want {
		wantBy := want[i].CreatedBy
		if k, ok := known[i]; ok {
			if wantBy == k {
				t.Errorf("history[%d]: docker now writes %q like BuildKit v0.29: drop the known difference", i, k)
			}
			wantBy = k
		}
		if got[i].CreatedBy != wantBy || got[i].EmptyLayer != want[i].EmptyLayer {
			t.Errorf("history[%d]:\n  stevedore %q empty_layer=%v\n  docker    %q empty_layer=%v",
				i, got[i].CreatedBy, got[i].EmptyLayer, wantBy, want[i].EmptyLayer)
		}
	}
}

func historyText(h []v1.History) string {
	var s []string
	for _, x := range h {
		e := ""
		if x.EmptyLayer {
			e = " (empty)"
		}
		s = append(s, fmt.Sprintf("%q%s", x.CreatedBy, e))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// whiteouts lists the whiteout entries of every layer of img, in order.
func whiteouts(t *testing.T, img v1.Image) []string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %d: %v", i, err)
			}
			if strings.HasPrefix(path.Base(h.Name), ".wh.") {
				out = append(out, cleanTarPath(h.Name))
			}
		}
		rc.Close()
	}
	sort.Strings(out)
	return out
}

type oracleCase struct {
	name       string
	dockerfile string
	files      map[string]string
	modes      map[string]os.FileMode
	target     string
	run        []string // docker run arguments after the image
	wantOutput string
	// knownHistory: see compareHistory.
	knownHistory map[int]string
	// whiteouts the layers must hold (both engines), when set.
	wantWhiteouts []string
}

var oracleCases = []oracleCase{
	{
		name: "multi-stage",
		dockerfile: `FROM stevedore-test/busybox:1 AS build
RUN mkdir -p /out/sub /out/dropdir && echo one > /out/a.txt && echo two > /out/sub/b.txt && echo gone > /out/gone.txt && echo x > /out/dropdir/x && ln -s a.txt /out/link && chmod 0600 /out/sub/b.txt
RUN rm /out/gone.txt && rm -r /out/dropdir && echo three >> /out/a.txt

FROM scratch AS files
COPY hello.txt /hello.txt

FROM scratch
COPY --from=build /bin/busybox /bin/busybox
COPY --from=build /out/ /data/
COPY --from=files /hello.txt /data/hello.txt
ENTRYPOINT ["/bin/busybox", "sh", "-c", "/bin/busybox cat /data/a.txt /data/sub/b.txt /data/hello.txt; /bin/busybox ls /data; /bin/busybox readlink /data/link"]
`,
		files:      map[string]string{"hello.txt": "hello\n"},
		wantOutput: "one\nthree\ntwo\nhello\na.txt\nhello.txt\nlink\nsub\na.txt\n",
	},
	{
		name: "copy-into-busybox-from-scratch-stage",
		dockerfile: `FROM scratch AS files
COPY hello.txt sub/ /files/

FROM stevedore-test/busybox:1
COPY --from=files /files /srv/
RUN cat /srv/hello.txt /srv/inner.txt > /srv/both.txt
CMD ["cat", "/srv/both.txt"]
`,
		files:      map[string]string{"hello.txt": "hello\n", "sub/inner.txt": "inner\n"},
		wantOutput: "hello\ninner\n",
	},
	{
		name: "config-exec-forms",
		dockerfile: `FROM stevedore-test/busybox:1
ENV A=1 B="two words"
ENV PATH=/opt/bin:$PATH
WORKDIR /srv/app
USER app
EXPOSE 8080 53/udp
VOLUME ["/data", "/cache"]
LABEL org.example.a="x" b=y
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["/bin/true"]
STOPSIGNAL SIGTERM
ONBUILD RUN echo hi
ENTRYPOINT ["/bin/sh", "-c", "echo entry $0 $@; id -u; pwd; echo $A $B"]
CMD ["x", "y"]
`,
		wantOutput: "entry x y\n1000\n/srv/app\n1 two words\n",
		knownHistory: map[int]string{
			// dispatchExpose formats the normalized port list, not a map.
			5: "EXPOSE [53/udp 8080/tcp]",
			// HealthcheckConfig gained StartInterval, printed as a fifth field.
			8: `HEALTHCHECK &{["CMD" "/bin/true"] "30s" "5s" "0s" "0s" '\x03'}`,
		},
	},
	{
		name: "config-shell-forms",
		dockerfile: `FROM stevedore-test/busybox:1
SHELL ["/bin/sh", "-ec"]
ENV GREETING=hi
WORKDIR rel
WORKDIR sub
STOPSIGNAL 9
HEALTHCHECK NONE
ENTRYPOINT echo "$GREETING from $(pwd)"
`,
		wantOutput: "hi from /rel/sub\n",
		knownHistory: map[int]string{
			6: `HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" '\x00'}`,
		},
	},
	{
		name: "deletions-are-whiteouts",
		dockerfile: `FROM stevedore-test/busybox:1
RUN mkdir -p /d/keep /d/drop && echo a > /d/keep/a && echo b > /d/b && echo c > /d/drop/c && echo z > /etc/zap
RUN rm /d/b /etc/zap && rm -r /d/drop && rm /bin/ls
CMD ["sh", "-c", "cat /d/keep/a; test -e /d/b || echo no-b; test -e /d/drop || echo no-drop; test -e /bin/ls || echo no-ls"]
`,
		wantOutput:    "a\nno-b\nno-drop\nno-ls\n",
		wantWhiteouts: []string{"bin/.wh.ls", "d/.wh.b", "d/.wh.drop", "etc/.wh.zap"},
	},
	{
		name: "dockerignore-exceptions",
		dockerfile: `FROM stevedore-test/busybox:1
COPY . /ctx/
CMD ["sh", "-c", "busybox find /ctx | busybox sort"]
`,
		files: map[string]string{
			".dockerignore": "*.log\n!keep.log\ndir/*\n!dir/y.md\nsecret\n**/*.tmp\n",
			"a.txt":         "a", "b.log": "b", "keep.log": "k",
			"dir/x.txt": "x", "dir/y.md": "y", "dir/z.md": "z",
			"secret/s":   "s",
			"deep/n.tmp": "t", "deep/ok.txt": "ok",
		},
		wantOutput: "/ctx\n/ctx/.dockerignore\n/ctx/Dockerfile\n/ctx/a.txt\n/ctx/deep\n/ctx/deep/ok.txt\n/ctx/dir\n/ctx/dir/y.md\n/ctx/keep.log\n",
	},
	{
		name: "chown-chmod-workdir-as-user",
		dockerfile: `FROM stevedore-test/busybox:1
USER app
WORKDIR /home/app/work
COPY --chown=app:app --chmod=0750 run.sh ./
COPY --chown=app:app conf/ /etc/app/
COPY --chmod=0640 plain.txt /etc/app/plain.txt
RUN id -u > whoami && touch made-by-app
CMD ["sh", "-c", "busybox stat -c '%a %u:%g %n' /home/app/work /home/app/work/* /etc/app /etc/app/* /etc/app/sub/*; ./run.sh"]
`,
		files: map[string]string{
			"run.sh": "#!/bin/sh\necho run as $(id -u):$(id -g)\n", "conf/app.conf": "k=v\n", "conf/sub/more.conf": "m\n",
			"plain.txt": "p\n",
		},
		modes: map[string]os.FileMode{"run.sh": 0o755},
		wantOutput: `755 1000:1000 /home/app/work
644 1000:1000 /home/app/work/made-by-app
750 1000:1000 /home/app/work/run.sh
644 1000:1000 /home/app/work/whoami
755 1000:1000 /etc/app
644 1000:1000 /etc/app/app.conf
640 0:0 /etc/app/plain.txt
755 1000:1000 /etc/app/sub
644 1000:1000 /etc/app/sub/more.conf
run as 1000:1000
`,
		knownHistory: map[int]string{
			// BuildKit v0.29's dispatchCopy writes --chown and --chmod
			// into the history; docker 20.10's does not.
			3: "COPY --chown=app:app --chmod=0750 run.sh ./ # buildkit",
			4: "COPY --chown=app:app conf/ /etc/app/ # buildkit",
			5: "COPY --chmod=0640 plain.txt /etc/app/plain.txt # buildkit",
		},
	},
	{
		// COPY --chown creates the missing directories above its
		// destination owned by the --chown user (docker 20.10 and BuildKit
		// v0.29 alike), so USER app can write into them.
		name: "chown-creates-missing-parents",
		dockerfile: `FROM stevedore-test/busybox:1
COPY --chown=app:app plain.txt /opt/deep/dir/
COPY --chown=app:app plain.txt /opt2/file.txt
USER app
RUN touch /opt/deep/dir/by-app /opt2/by-app
CMD ["sh", "-c", "busybox stat -c '%a %u:%g %n' /opt /opt/deep /opt/deep/dir /opt/deep/dir/* /opt2 /opt2/*"]
`,
		files: map[string]string{"plain.txt": "p\n"},
		wantOutput: `755 1000:1000 /opt
755 1000:1000 /opt/deep
755 1000:1000 /opt/deep/dir
644 1000:1000 /opt/deep/dir/by-app
644 1000:1000 /opt/deep/dir/plain.txt
755 1000:1000 /opt2
644 1000:1000 /opt2/by-app
644 1000:1000 /opt2/file.txt
`,
		knownHistory: map[int]string{
			1: "COPY --chown=app:app plain.txt /opt/deep/dir/ # buildkit",
			2: "COPY --chown=app:app plain.txt /opt2/file.txt # buildkit",
		},
	},
}

func TestOracleDocker(t *testing.T) {
	host := dockerHost(t)
	base := loadOracleBase(t, host)
	for _, c := range oracleCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"Dockerfile": c.dockerfile})
			writeFiles(t, dir, c.files)
			for n, m := range c.modes {
				if err := os.Chmod(filepath.Join(dir, n), m); err != nil {
					t.Fatal(err)
				}
			}
			var dargs []string
			var sopts []Option
			if c.target != "" {
				dargs = append(dargs, "--target", c.target)
				sopts = append(sopts, WithTarget(c.target))
			}
			want := dockerBuild(t, host, dir, dargs...)
			res := stevedoreBuild(t, base, dir, sopts...)
			got := res.Image

			compareTrees(t, tree(t, got), tree(t, want))
			gcf, err := got.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			wcf, err := want.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			compareConfig(t, gcf, wcf)
			compareHistory(t, gcf.History, wcf.History, c.knownHistory)

			if c.wantWhiteouts != nil {
				if w := whiteouts(t, want); !reflect.DeepEqual(w, c.wantWhiteouts) {
					t.Errorf("docker's layers hold whiteouts %q, the test expects %q: fix the test", w, c.wantWhiteouts)
				}
				if w := whiteouts(t, got); !reflect.DeepEqual(w, c.wantWhiteouts) {
					t.Errorf("stevedore's layers hold whiteouts %q, want %q (as docker's)", w, c.wantWhiteouts)
				}
			}

			out := dockerRun(t, host, got, c.run...)
			if c.wantOutput != "" && !strings.Contains(out, c.wantOutput) && out != c.wantOutput {
				t.Errorf("docker run of stevedore's image printed:\n%s\nwant:\n%s", out, c.wantOutput)
			}
		})
	}
}

var writeFiles = testutil.WriteFiles
