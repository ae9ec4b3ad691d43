package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/buildkit"
	"github.com/sreevishnu07/stevedore/builder/platform"
	"github.com/sreevishnu07/stevedore/pipeline"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/version"
)

// Conversion of build flags (build args, platforms, named contexts, secrets,
// caches, the build epoch) into build options.

// buildEpoch is SOURCE_DATE_EPOCH, else the commit time of HEAD in the
// context, else the Unix epoch: the same commit gives the same image.
func buildEpoch(ctx context.Context, dir string, getenv env) (time.Time, error) {
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, usageErrorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := version.CommitTime(ctx, dir)
	if err != nil {
		if errors.Is(err, version.ErrNotGit) || errors.Is(err, version.ErrNoCommits) {
			return time.Unix(0, 0).UTC(), nil
		}
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// sourceDateEpoch is epoch when SOURCE_DATE_EPOCH set it, else zero (the
// created label then takes the commit time, and no git gives none).
func sourceDateEpoch(getenv env, epoch time.Time) time.Time {
	if getenv("SOURCE_DATE_EPOCH") == "" {
		return time.Time{}
	}
	return epoch
}

// cacheDir is --cache-dir, else $XDG_CACHE_HOME/stevedore, else
// ~/.cache/stevedore.
func cacheDir(flag string, getenv env) string {
	switch {
	case flag != "":
		return flag
	case getenv("XDG_CACHE_HOME") != "":
		return filepath.Join(getenv("XDG_CACHE_HOME"), "stevedore")
	case getenv("HOME") != "":
		return filepath.Join(getenv("HOME"), ".cache", "stevedore")
	}
	return filepath.Join(os.TempDir(), "stevedore-cache")
}

func buildArgs(list []string, getenv env) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range list {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return nil, usageErrorf("--build-arg %q: want KEY=VALUE or KEY", a)
		}
		if !ok {
			// docker takes KEY alone from the environment, and skips it
			// when unset.
			if v = getenv(k); v == "" {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}

func platforms(list []string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			p, err := platform.Parse(s)
			if err != nil {
				return nil, usageErrorf("--platform %q: want OS/ARCH[/VARIANT], e.g. linux/arm64", s)
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// namedContext turns NAME=VALUE into a build option: oci:PATH (an image in
// a layout), docker-image://REF (an image to pull) or a directory.
func namedContext(ctx context.Context, spec string, insecure []string, pubOpts []publish.Option) (builder.Option, error) {
	name, value, ok := strings.Cut(spec, "=")
	if !ok || name == "" || value == "" {
		return nil, usageErrorf("--build-context %q: want NAME=oci:PATH, NAME=docker-image://REF or NAME=DIR", spec)
	}
	switch {
	case strings.HasPrefix(value, publish.LayoutPrefix):
		ref, err := parseRef(value, insecure)
		if err != nil {
			return nil, err
		}
		art, err := publish.Load(ctx, ref, pubOpts...)
		if err != nil {
			return nil, err
		}
		return builder.WithNamedContext(name, builder.NamedContext{Image: art.Image, Index: art.Index}), nil
	case strings.HasPrefix(value, "docker-image://"):
		ref, err := parseRef(strings.TrimPrefix(value, "docker-image://"), insecure)
		if err != nil {
			return nil, err
		}
		return builder.WithNamedContext(name, builder.NamedContext{Ref: ref.Registry()}), nil
	}
	fi, err := os.Stat(value)
	if err != nil || !fi.IsDir() {
		return nil, usageErrorf("--build-context %s: %q is not a directory, oci:PATH or docker-image://REF", name, value)
	}
	return builder.WithNamedContext(name, builder.NamedContext{Dir: value}), nil
}

// secrets holds the files given to RUN --mount=type=secret. Secrets from
// the environment are written to private temporary files, removed after
// the build, so they never pass through a command line.
type secrets struct {
	files map[string]string
	temp  []string
}

func secretFiles(list []string, getenv env) (*secrets, error) {
	s := &secrets{files: map[string]string{}}
	for _, spec := range list {
		sec, err := pipeline.ParseSecret(spec)
		if err != nil {
			s.cleanup()
			return nil, usageErrorf("--secret: %v", err)
		}
		id, src, envName := sec.ID, sec.Src, sec.Env
		if envName != "" {
			f, err := os.CreateTemp("", "stevedore-secret-")
			if err != nil {
				s.cleanup()
				return nil, err
			}
			s.temp = append(s.temp, f.Name())
			_, err = f.WriteString(getenv(envName))
			f.Close()
			if err != nil {
				s.cleanup()
				return nil, err
			}
			src = f.Name()
		}
		s.files[id] = src
	}
	return s, nil
}

// builderFlags choose where images are built, for build and release.
func builderFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "builder", Usage: "where to build: embedded (default, no daemon) or a BuildKit daemon: unix://PATH, tcp://HOST:PORT, docker-container://NAME, kube-pod://NAME (release: over builder: in stevedore.yaml)"},
		&cli.StringFlag{Name: "builder-tls-ca", Usage: "tcp:// builder: CA `FILE` the daemon's certificate must chain to"},
		&cli.StringFlag{Name: "builder-tls-cert", Usage: "tcp:// builder: client certificate `FILE` (mTLS)"},
		&cli.StringFlag{Name: "builder-tls-key", Usage: "tcp:// builder: client key `FILE` (mTLS)"},
		&cli.StringFlag{Name: "builder-tls-server-name", Usage: "tcp:// builder: name to check in the daemon's certificate (default: the address's host)"},
	}
}

// builderTLS is the --builder-tls-* files, nil when none is set.
func builderTLS(c *cli.Context) *buildkit.TLS {
	t := &buildkit.TLS{CA: c.String("builder-tls-ca"), Cert: c.String("builder-tls-cert"), Key: c.String("builder-tls-key"), ServerName: c.String("builder-tls-server-name")}
	if *t == (buildkit.TLS{}) {
		return nil
	}
	return t
}

// buildDriver connects to the --builder daemon before the build, so a bad
// address or certificate is a usage error naming the flag; nil for the
// embedded builder. The caller closes the returned client.
func buildDriver(c *cli.Context) (builder.Option, io.Closer, error) {
	a, err := buildkit.ParseAddress(c.String("builder"))
	if err != nil {
		return nil, nil, err
	}
	if a.IsEmbedded() {
		if builderTLS(c) != nil {
			return nil, nil, usageErrorf("--builder-tls-* apply to a tcp:// --builder; the embedded builder has no daemon")
		}
		return nil, nil, nil
	}
	cl, err := buildkit.Check(c.Context, a, builderTLS(c), 15*time.Second)
	if err != nil {
		return nil, nil, err
	}
	return builder.WithDriver(buildkit.NewDriver(a, builderTLS(c), cl)), cl, nil
}

// sshFlag is buildx's --ssh: agents for RUN --mount=type=ssh and for ADD
// from git@… repositories.
func sshFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: "ssh", Usage: "default | ID | ID=SOCKET | ID=KEYFILE[,KEYFILE]: forward an SSH agent (default: $SSH_AUTH_SOCK), or serve private keys as one, to RUN --mount=type=ssh,id=ID (repeatable)"}
}

// sshSources is what --ssh gave: agent sockets and key files, by id.
type sshSources struct {
	sockets map[string]string
	keys    map[string][]string
}

func (s sshSources) options() []builder.Option {
	return []builder.Option{builder.WithSSH(s.sockets), builder.WithSSHKeys(s.keys)}
}

// sshAgents converts --ssh values: each path is an agent socket (one per
// id) or private key files, as buildx reads them.
func sshAgents(list []string, getenv env) (sshSources, error) {
	out := sshSources{sockets: map[string]string{}, keys: map[string][]string{}}
	for _, spec := range list {
		id, paths, given := strings.Cut(spec, "=")
		if id == "" || strings.ContainsAny(id, ", ") || (given && paths == "") {
			return sshSources{}, usageErrorf("--ssh %q: want default, ID, ID=SOCKET or ID=KEYFILE[,KEYFILE]", spec)
		}
		if _, dup := out.sockets[id]; dup || out.keys[id] != nil {
			return sshSources{}, usageErrorf("--ssh %s: the id %s is given twice", spec, id)
		}
		if !given {
			if paths = getenv("SSH_AUTH_SOCK"); paths == "" {
				return sshSources{}, usageErrorf("--ssh %s: SSH_AUTH_SOCK is not set: start an agent (eval $(ssh-agent); ssh-add) or pass --ssh %s=SOCKET or --ssh %s=KEYFILE", spec, id, id)
			}
		}
		var keys []string
		for _, p := range strings.Split(paths, ",") {
			fi, err := os.Stat(p)
			switch {
			case err != nil:
				return sshSources{}, usageErrorf("--ssh %s: %v", spec, err)
			case fi.Mode()&os.ModeSocket != 0 && strings.Contains(paths, ","):
				return sshSources{}, usageErrorf("--ssh %s: %s is an agent socket: give one socket, or key files, per id", spec, p)
			case fi.Mode()&os.ModeSocket != 0:
				out.sockets[id] = p
			case fi.IsDir():
				return sshSources{}, usageErrorf("--ssh %s: %s is a directory, not an agent socket or a key file", spec, p)
			default:
				keys = append(keys, p)
			}
		}
		if keys != nil {
			out.keys[id] = keys
		}
	}
	return out, nil
}
