package builder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/builder/buildcontext"
	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/isolate"
	"github.com/sreevishnu07/stevedore/builder/layer"
)

// pipesDir is where heredoc scripts are mounted for RUN. BuildKit uses
// /dev/pipes, but /dev is a fresh tmpfs inside the step.
const pipesDir = "/.stevedore-pipes"

// runKey is what a RUN's result depends on besides its parent and the files
// it mounts. The proxy variables are left out, as BuildKit does: the same
// build behind another proxy is the same build.
type runKey struct {
	Args     []string                `json:"args"`
	Env      []string                `json:"env"`
	Dir      string                  `json:"dir"`
	User     string                  `json:"user"`
	Network  string                  `json:"network"`
	Security string                  `json:"security"`
	Mounts   []string                `json:"mounts"`
	Files    []dockerfile.InlineFile `json:"files"`
	Platform string                  `json:"platform"`
}

// preparedBind is one RUN --mount, resolved.
type preparedBind struct {
	source string // host path; "" for a secret not given (optional)
	// A bind mount's source is found only when the step runs: a stage or
	// image is unpacked only if the step misses the cache.
	from     *dockerfile.Source
	path     string
	target   string
	readOnly bool
	env      string // secret exposed as this variable instead of a file
	mkdir    bool   // source is a directory to create (cache, tmpfs)
	// mkdirMode and mkdirOwner are what a created cache directory gets,
	// or, for a secret, the file the step sees.
	mkdirMode  fs.FileMode
	mkdirOwner *layer.Owner
	secret     bool
	// A tmpfs mount: a real tmpfs (of tmpfsSize bytes, 0 for the
	// default) on source when stevedore runs as root.
	tmpfs     bool
	tmpfsSize int64
	// An ssh mount: the agent socket forwarded ("" for an optional mount
	// whose agent was not given).
	sshAgent string
	ssh      bool
}

func (ex *executor) prepareRun(ctx context.Context, s *stage, op *dockerfile.RunOp) (*prepared, error) {
	p := &prepared{}
	var keyParts []string
	nSSH := 0
	for _, m := range op.Mounts {
		switch m.Type {
		case "cache":
			id := m.CacheID
			if id == "" {
				id = m.Target
			}
			// As BuildKit: uid, gid or mode make the mount a "cache"
			// directory made with them inside a cache of its own, so the
			// same id without them is another cache.
			owned := m.UID != nil || m.GID != nil || m.Mode != nil
			perm := ""
			bd := preparedBind{target: m.Target, mkdir: true, mkdirMode: 0o755}
			if owned {
				o := layer.Owner{}
				if m.UID != nil {
					o.UID = int(*m.UID)
				}
				if m.GID != nil {
					o.GID = int(*m.GID)
				}
				if m.Mode != nil {
					bd.mkdirMode = fs.FileMode(*m.Mode) & fs.ModePerm
				}
				bd.mkdirOwner = &o
				perm = fmt.Sprintf("%d:%d:%o", o.UID, o.GID, bd.mkdirMode)
			}
			dir := filepath.Join(ex.cacheDir, "mounts", keyOf(id, platformString(s.ps.Platform), perm))
			ex.layers.st.Lease().Use(dir) // a use: prune keeps it (it is made at the first)
			bd.source = dir
			if owned {
				bd.source = filepath.Join(dir, "cache")
			}
			p.binds = append(p.binds, bd)
			keyParts = append(keyParts, "cache "+id+" "+m.Target+" "+perm)
		case "tmpfs":
			dir, err := os.MkdirTemp(ex.work, "tmpfs-")
			if err != nil {
				return nil, err
			}
			p.binds = append(p.binds, preparedBind{source: dir, target: m.Target, tmpfsSize: m.SizeLimit, tmpfs: true})
			keyParts = append(keyParts, fmt.Sprintf("tmpfs %s %d", m.Target, m.SizeLimit))
		case "secret":
			id := m.CacheID
			if id == "" {
				id = path.Base(m.Target)
			}
			target := m.Target
			if target == "" {
				target = "/run/secrets/" + id
			}
			file, ok := ex.secrets[id]
			if !ok && m.Required {
				return nil, fmt.Errorf("secret %q is required: pass --secret id=%s,src=FILE", id, id)
			}
			// Secret contents stay out of the key: rotating a token must
			// not rebuild, and the key is stored on disk.
			// As BuildKit: the file is root's and 0400 unless the mount
			// says otherwise.
			bd := preparedBind{source: file, target: target, readOnly: true, env: m.Env, secret: true, mkdirMode: 0o400, mkdirOwner: &layer.Owner{}}
			if m.UID != nil {
				bd.mkdirOwner.UID = int(*m.UID)
			}
			if m.GID != nil {
				bd.mkdirOwner.GID = int(*m.GID)
			}
			if m.Mode != nil {
				bd.mkdirMode = fs.FileMode(*m.Mode) & fs.ModePerm
			}
			p.binds = append(p.binds, bd)
			keyParts = append(keyParts, fmt.Sprintf("secret %s %s %s %d:%d:%o", id, target, m.Env, bd.mkdirOwner.UID, bd.mkdirOwner.GID, bd.mkdirMode))
		case "bind":
			src := m.Source
			if src == "" {
				src = "."
			}
			key, err := ex.sourceKey(ctx, m.FromRef, s.ps.Platform)
			if err != nil {
				return nil, err
			}
			if key == "" {
				tree, _, err := ex.sourceTree(ctx, m.FromRef, s.ps.Platform)
				if err != nil {
					return nil, err
				}
				matches, err := tree.Select([]string{src}, nil)
				if err != nil {
					return nil, err
				}
				fp, err := ex.hasher.Fingerprint(tree, matches)
				if err != nil {
					return nil, err
				}
				p.files = append(p.files, fp.Files...)
				key = "files:" + fp.Digest
			}
			p.binds = append(p.binds, preparedBind{from: m.FromRef, path: src, target: m.Target, readOnly: m.ReadOnly})
			keyParts = append(keyParts, fmt.Sprintf("bind %s rw=%v", m.Target, !m.ReadOnly))
			p.source += " " + m.Target + "=" + key
		case "ssh":
			bd, key, err := ex.prepareSSH(m, nSSH)
			if err != nil {
				return nil, err
			}
			if nSSH == 0 && !hasEnv(op.Env, "SSH_AUTH_SOCK") {
				p.env = append(p.env, "SSH_AUTH_SOCK="+bd.target)
			}
			nSSH++
			p.binds = append(p.binds, bd)
			keyParts = append(keyParts, key)
		default:
			return nil, fmt.Errorf("--mount=type=%s is not supported (use cache, secret, bind, tmpfs or ssh)", m.Type)
		}
	}
	k := runKey{Args: op.Args, Env: op.Env, Dir: op.Dir, User: op.User, Network: op.Network,
		Security: op.Security, Mounts: keyParts, Files: op.Files, Platform: platformString(s.ps.Platform)}
	text, err := json.Marshal(k)
	if err != nil {
		return nil, err
	}
	p.text = string(text)
	return p, nil
}

// run executes a RUN step on an overlay of the stage's filesystem and makes
// its layer from the overlay's upper directory.
func (ex *executor) run(ctx context.Context, s *stage, op *dockerfile.RunOp, p *prepared) (v1.Layer, error) {
	if err := canRun(s.ps.Platform); err != nil {
		return nil, err
	}
	root, err := s.ensureRoot(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(ex.work, "run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	spec := isolate.Spec{
		Args: append([]string(nil), op.Args...), Env: append(append(append([]string(nil), op.Env...), op.ProxyEnv...), p.env...),
		Dir: op.Dir, User: op.User, Stdout: ex.output, Stderr: ex.output,
	}
	if op.Network == "none" {
		spec.Network = isolate.NetworkNone
	}
	for _, f := range op.Files {
		file := filepath.Join(dir, "pipe-"+f.Name)
		if err := os.WriteFile(file, []byte(f.Data), os.FileMode(f.Mode)); err != nil {
			return nil, err
		}
		target := path.Join(pipesDir, f.Name)
		for i, a := range spec.Args {
			if a == path.Join("/dev/pipes", f.Name) {
				spec.Args[i] = target
			}
		}
		spec.Mounts = append(spec.Mounts, isolate.Mount{Source: file, Target: target, ReadOnly: true})
	}
	for _, bd := range p.binds {
		if bd.path != "" {
			tree, _, err := ex.sourceTree(ctx, bd.from, s.ps.Platform)
			if err != nil {
				return nil, err
			}
			// Resolved inside the tree: a symlink must not mount a host path.
			if bd.source, err = tree.Resolve(bd.path); err != nil {
				return nil, err
			}
			fi, err := os.Stat(bd.source)
			if err != nil {
				return nil, fmt.Errorf("--mount=type=bind,source=%s: not found in its source", bd.path)
			}
			scratch := filepath.Join(dir, fmt.Sprintf("bind-%d", len(spec.Mounts)))
			switch {
			case fi.IsDir() && tree.Ignores():
				// As BuildKit: a directory of the build context shows
				// only what .dockerignore lets through (a copy of it, which
				// rw may change and the step's end discards).
				err = copySelected(tree, bd.path, scratch)
			case !bd.readOnly && fi.IsDir():
				// As BuildKit: a read-write bind mount is a scratch copy
				// whose changes are discarded with the step.
				err = copyTree(bd.source, scratch)
			case !bd.readOnly:
				err = copyFile(bd.source, scratch, fi.Mode())
			default:
				scratch = bd.source
			}
			if err != nil {
				return nil, fmt.Errorf("--mount=type=bind,source=%s: copying it: %w", bd.path, err)
			}
			bd.source = scratch
		}
		if bd.ssh {
			if bd.sshAgent == "" {
				continue // optional agent not given
			}
			sock, stop, err := forwardAgent(ctx, dir, bd)
			if err != nil {
				return nil, err
			}
			defer stop()
			bd.source = sock
		}
		switch {
		case bd.source == "":
			continue // optional secret not given
		case bd.env != "":
			data, err := os.ReadFile(bd.source)
			if err != nil {
				return nil, fmt.Errorf("reading secret for %s: %w", bd.env, err)
			}
			spec.Env = append(spec.Env, bd.env+"="+string(data))
			continue
		case bd.mkdir:
			if err := makeCacheDir(bd.source, bd.mkdirMode, bd.mkdirOwner); err != nil {
				return nil, err
			}
		case bd.tmpfs && os.Geteuid() == 0:
			opts := "mode=1777"
			if bd.tmpfsSize > 0 {
				opts += fmt.Sprintf(",size=%d", bd.tmpfsSize)
			}
			if err := mountTmpfs(bd.source, opts); err != nil {
				return nil, fmt.Errorf("mounting the tmpfs for %s: %w", bd.target, err)
			}
			defer unmount(bd.source)
		case bd.secret:
			// A copy with the mount's owner and mode, gone with the step's
			// directory; the user's file is never chowned.
			file, err := secretCopy(dir, bd)
			if err != nil {
				return nil, err
			}
			bd.source = file
		}
		spec.Mounts = append(spec.Mounts, isolate.Mount{Source: bd.source, Target: bd.target, ReadOnly: bd.readOnly})
	}

	upper, merged := filepath.Join(dir, "upper"), filepath.Join(dir, "merged")
	inPlace := ex.forceCopy
	if !inPlace {
		if err := mountOverlay(root, upper, filepath.Join(dir, "work"), merged); err != nil {
			inPlace = true // no overlayfs here: copy and compare instead
		}
	}
	var changes *layer.Changes
	if inPlace {
		snapshot := filepath.Join(dir, "before")
		if err := copyTree(root, snapshot); err != nil {
			return nil, fmt.Errorf("snapshotting the root filesystem: %w", err)
		}
		spec.Rootfs = root
		if err := runStep(ctx, spec, ex.isolation); err != nil {
			// The tree is half-changed: rebuild it from the layers next time.
			s.discardRoot()
			return nil, err
		}
		if changes, err = layer.Diff(ctx, snapshot, root); err != nil {
			return nil, err
		}
	} else {
		spec.Rootfs = merged
		runErr := runStep(ctx, spec, ex.isolation)
		if err := unmount(merged); err != nil && runErr == nil {
			runErr = fmt.Errorf("unmounting the step's overlay: %w", err)
		}
		if runErr != nil {
			return nil, runErr
		}
		if changes, err = layer.FromOverlay(ctx, upper); err != nil {
			return nil, err
		}
		// Overlayfs copies a directory up when anything is mounted or
		// created in it (the /etc/hosts mount point); one that came back
		// unchanged with nothing changed below it is not a change, and
		// docker's layer does not carry it.
		parents := map[string]bool{}
		for _, e := range changes.Entries() {
			for d := path.Dir(e.Path); d != "." && d != "/" && !parents[d]; d = path.Dir(d) {
				parents[d] = true
			}
		}
		changes = changes.Without(func(e layer.Entry) bool { return !parents[e.Path] && unchangedDir(root, e) })
	}
	changes, err = withSystemDirs(changes, root, inPlace, len(op.Files) > 0)
	if err != nil {
		return nil, err
	}
	l, err := ex.layers.changes(ctx, changes)
	if err != nil {
		return nil, err
	}
	if inPlace {
		// The tree already holds the step's changes.
		s.appliedInPlace()
	}
	return l, nil
}

// systemDirs are the mount points RUN needs. BuildKit v0.29 (and docker)
// leave them in the step's layer as 0755 directories when the image had
// none, so an image built on a minimal base has them after its first RUN;
// stevedore's runner removes its mount points, so they are added here.
var systemDirs = []string{"dev", "proc", "sys"}

// withSystemDirs adds the system directories the lower filesystem lacks to
// changes (and, when the step ran in place, to the tree itself, which
// already holds the step's changes). With heredoc scripts mounted under
// /dev/pipes, BuildKit made /dev itself as a mount stub and removes it
// after the step, so it is not added then.
func withSystemDirs(changes *layer.Changes, lower string, inPlace, pipes bool) (*layer.Changes, error) {
	var extra []layer.Entry
	for _, d := range systemDirs {
		if d == "dev" && pipes {
			continue
		}
		if _, err := os.Lstat(filepath.Join(lower, d)); err == nil {
			continue
		} else if !os.IsNotExist(err) {
			return nil, fmt.Errorf("reading /%s: %w", d, err)
		}
		extra = append(extra, layer.Entry{Path: d, Kind: layer.KindDir, Mode: 0o755})
		if inPlace {
			if err := os.Mkdir(filepath.Join(lower, d), 0o755); err != nil {
				return nil, fmt.Errorf("creating /%s: %w", d, err)
			}
		}
	}
	if len(extra) == 0 {
		return changes, nil
	}
	return changes.With(extra...), nil
}

// unchangedDir reports whether e is a directory the lower filesystem has
// with the same mode, owner and time.
func unchangedDir(lower string, e layer.Entry) bool {
	if e.Kind != layer.KindDir || e.Opaque {
		return false
	}
	fi, err := os.Lstat(filepath.Join(lower, filepath.FromSlash(e.Path)))
	if err != nil || !fi.IsDir() {
		return false
	}
	uid, gid := ownerOf(fi)
	return fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) == e.Mode &&
		uid == e.UID && gid == e.GID && fi.ModTime().Equal(e.ModTime)
}

func runStep(ctx context.Context, spec isolate.Spec, iso isolate.Isolation) error {
	err := isolate.Run(ctx, spec, isolate.WithIsolation(iso))
	var ee *isolate.ExitError
	if errors.As(err, &ee) {
		tail := strings.TrimRight(string(ee.Tail), "\n")
		if tail != "" {
			tail = "\n" + indent(tail)
		}
		return fmt.Errorf("the command exited with code %d%s", ee.Code, tail)
	}
	return err
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// errRunNeedsLinux: RUN isolates the command with Linux namespaces and
// overlayfs. Elsewhere a BuildKit daemon (on a Linux machine or VM) runs it.
var errRunNeedsLinux = errors.New("RUN needs Linux: build with a BuildKit daemon instead (--builder tcp://HOST:PORT or unix://PATH, or builder: in stevedore.yaml)")

// qemuNames maps GOARCH to the binfmt_misc handler name QEMU registers.
var qemuNames = map[string]string{
	"amd64": "x86_64", "386": "i386", "arm64": "aarch64", "arm": "arm",
	"ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}

// canRun checks that a RUN for platform can execute on this machine.
func canRun(p v1.Platform) error {
	if runtime.GOOS != "linux" {
		return errRunNeedsLinux
	}
	if p.OS != "" && p.OS != "linux" {
		return fmt.Errorf("RUN for %s cannot run on linux", platformString(p))
	}
	if p.Architecture == "" || p.Architecture == runtime.GOARCH {
		return nil
	}
	if q, ok := qemuNames[p.Architecture]; ok {
		if _, err := os.Stat("/proc/sys/fs/binfmt_misc/qemu-" + q); err == nil {
			return nil
		}
	}
	return fmt.Errorf("RUN for %s on this %s machine needs QEMU emulation registered with binfmt_misc (Debian: qemu-user-static); or build the stage with FROM --platform=$BUILDPLATFORM and cross-compile",
		platformString(p), runtime.GOARCH)
}

// makeCacheDir creates a cache mount's directory the first time it is
// used; later steps find it as earlier ones left it, as in BuildKit.
func makeCacheDir(dir string, mode fs.FileMode, owner *layer.Owner) error {
	if _, err := os.Lstat(dir); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("creating the cache mount %s: %w", dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("creating the cache mount %s: %w", dir, err)
	}
	if owner != nil {
		if err := os.Lchown(dir, owner.UID, owner.GID); err != nil {
			return fmt.Errorf("creating the cache mount %s with --mount=type=cache,uid=%d,gid=%d: %w", dir, owner.UID, owner.GID, err)
		}
	}
	// Chmod, not Mkdir's mode: the umask must not narrow it.
	if err := os.Chmod(dir, mode); err != nil {
		return fmt.Errorf("creating the cache mount %s: %w", dir, err)
	}
	return nil
}

// secretCopy writes a secret for one step into dir, with the owner and
// mode the mount asks for.
func secretCopy(dir string, bd preparedBind) (string, error) {
	data, err := os.ReadFile(bd.source)
	if err != nil {
		return "", fmt.Errorf("reading the secret for %s: %w", bd.target, err)
	}
	f, err := os.CreateTemp(dir, "secret-")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	// Rootless, the caller's files are root's inside the step already.
	if err == nil && (os.Geteuid() == 0 || *bd.mkdirOwner != layer.Owner{}) {
		err = os.Chown(f.Name(), bd.mkdirOwner.UID, bd.mkdirOwner.GID)
	}
	if err == nil {
		err = os.Chmod(f.Name(), bd.mkdirMode)
	}
	if err != nil {
		return "", fmt.Errorf("preparing the secret for %s: %w", bd.target, err)
	}
	return f.Name(), nil
}

// copySelected copies what src selects in tree (ignored files left out) to
// dst, with modes and symlinks.
func copySelected(tree *buildcontext.Tree, src, dst string) error {
	ms, err := tree.Select([]string{src}, nil)
	if err != nil {
		return err
	}
	for _, m := range ms {
		for _, e := range m.Entries {
			target := filepath.Join(dst, filepath.FromSlash(relPath(e.Path, m.Root.Path)))
			switch {
			case e.Mode.IsDir():
				if err := os.MkdirAll(target, 0o700); err != nil {
					return err
				}
				err = os.Chmod(target, e.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))
			case e.Mode&fs.ModeSymlink != 0:
				err = os.Symlink(e.Link, target)
			case e.Mode.IsRegular():
				err = copyFile(tree.Abs(e), target, e.Mode)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// relPath is p below root, both tree paths.
func relPath(p, root string) string {
	if root == "." {
		return p
	}
	if p == root {
		return "."
	}
	return strings.TrimPrefix(p, root+"/")
}

func hasEnv(env []string, name string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, name+"=") {
			return true
		}
	}
	return false
}
