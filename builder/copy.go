package builder

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	mode "github.com/tonistiigi/dchapes-mode"

	"github.com/sreevishnu07/stevedore/builder/buildcontext"
	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/isolate"
	"github.com/sreevishnu07/stevedore/builder/layer"
	"github.com/sreevishnu07/stevedore/builder/rootfs"
)

func (ex *executor) prepareCopy(ctx context.Context, s *stage, op *dockerfile.CopyOp) (*prepared, error) {
	p := &prepared{}
	var local []string
	var urls []string
	for _, src := range op.Sources {
		switch {
		case op.Add && isGitSource(src):
			g, err := ex.src.resolveGit(ctx, src, op)
			if err != nil {
				return nil, err
			}
			p.gits = append(p.gits, g)
		case op.Add && isURL(src):
			urls = append(urls, src)
		default:
			local = append(local, src)
		}
	}
	var srcKey string
	if len(local) > 0 {
		key, err := ex.sourceKey(ctx, op.FromRef, s.ps.Platform)
		if err != nil {
			return nil, err
		}
		if key == "" {
			// The build context or a directory: the key is what the
			// patterns select, by content.
			tree, _, err := ex.sourceTree(ctx, op.FromRef, s.ps.Platform)
			if err != nil {
				return nil, err
			}
			matches, err := tree.Select(local, op.Exclude)
			if err != nil {
				return nil, err
			}
			fp, err := ex.hasher.Fingerprint(tree, matches)
			if err != nil {
				return nil, err
			}
			p.tree, p.matches, p.files, key = tree, matches, fp.Files, "files:"+fp.Digest
		}
		srcKey = key
	}
	for _, u := range urls {
		d, sum, err := ex.src.fetch(ctx, u, op.Checksum)
		if err != nil {
			return nil, err
		}
		p.downloads = append(p.downloads, d)
		srcKey += " url:" + u + "=" + sum
	}
	for _, g := range p.gits {
		srcKey += " " + g.key()
	}
	p.local = local
	opText, err := json.Marshal(op)
	if err != nil {
		return nil, err
	}
	p.text, p.source = string(opText), srcKey
	return p, nil
}

// copy makes the layer of a COPY or ADD.
func (ex *executor) copy(ctx context.Context, s *stage, op *dockerfile.CopyOp, p *prepared) (v1.Layer, error) {
	owner, err := ex.owner(ctx, s, op.Chown)
	if err != nil {
		return nil, err
	}
	chmod, chmodSet, modeFunc, err := parseChmod(op.Chmod)
	if err != nil {
		return nil, err
	}
	nSources := len(op.Sources) + len(op.Inline) // URLs are among the sources
	matches, tree := p.matches, p.tree
	if tree == nil && len(p.local) > 0 {
		// A stage or an image: its key stood for its content; only now,
		// building, are its files needed.
		if tree, _, err = ex.sourceTree(ctx, op.FromRef, s.ps.Platform); err != nil {
			return nil, err
		}
		if matches, err = tree.Select(p.local, op.Exclude); err != nil {
			return nil, err
		}
	}
	var keepOwner map[string]bool
	if op.Add && (op.Unpack == nil || *op.Unpack) {
		if matches, keepOwner, err = ex.unpackArchives(ctx, tree, matches); err != nil {
			return nil, err
		}
	}
	// A git checkout is copied as COPY dir/ copies a directory (its
	// contents into dest), never unpacked.
	for _, g := range p.gits {
		dir, err := ex.src.checkout(ctx, g)
		if err != nil {
			return nil, err
		}
		ms, err := buildcontext.OpenDir(dir).Select([]string{"."}, op.Exclude)
		if err != nil {
			return nil, err
		}
		matches = append(matches, ms...)
	}
	root, err := ex.copyRoot(ctx, s, op)
	if err != nil {
		return nil, err
	}
	dest, err := resolveDest(root, op.Dest)
	if err != nil {
		return nil, err
	}
	destIsDir := false
	// One source (a file, a URL, a heredoc) to a path that is a directory
	// in the image goes into it, trailing slash or not.
	if !strings.HasSuffix(dest, "/") && nSources == 1 {
		destIsDir = isDirIn(root, dest)
	}
	// As BuildKit: files from another stage or an image keep their owners
	// unless --chown says otherwise; files from a build context are root's.
	keepSourceOwners := op.Chown == "" && op.FromRef != nil &&
		(op.FromRef.Kind == dockerfile.FromStage || op.FromRef.Kind == dockerfile.FromImage)
	var files []layer.File
	if len(matches) > 0 {
		var places []buildcontext.Placement
		if op.Parents {
			places, err = buildcontext.PlaceParents(matches, dest)
		} else {
			places, err = buildcontext.Place(matches, dest, destIsDir, nSources)
		}
		if err != nil {
			return nil, err
		}
		destDir := path.Clean(dest)
		for _, pl := range places {
			if pl.Dest == "/" {
				continue // the root directory is never a layer entry
			}
			abs := pl.Tree.Abs(pl.Entry)
			f := layer.File{Path: pl.Dest, Mode: chmod, ModeSet: chmodSet, ModeFunc: modeFunc}
			if pl.Entry.Mode&fs.ModeSymlink != 0 {
				// As BuildKit: --chmod leaves links as they are (0777).
				f.Mode, f.ModeSet, f.ModeFunc = 0, false, nil
			}
			// Without --chown, archive entries and files from a stage or an
			// image keep their owners; with it, all but the directories an
			// archive implies are the --chown user's.
			inArchive, unpacked := keepOwner[abs]
			if op.Chown != "" && (!unpacked || inArchive) || op.Chown == "" && !unpacked && !keepSourceOwners {
				f.Owner = &owner
			}
			if pl.Entry.Mode.IsDir() {
				f.Kind, f.ModTime = layer.KindDir, pl.Entry.ModTime
				if !chmodSet {
					f.Mode = pl.Entry.Mode&fs.ModePerm | pl.Entry.Mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
				}
				if f.Owner == nil {
					f.Owner = &layer.Owner{UID: pl.Entry.UID, GID: pl.Entry.GID}
				}
				if pl.Dest == destDir {
					// As BuildKit: a directory copied onto one the image
					// has keeps that one's mode and owner.
					keepImageDir(root, &f)
				}
			} else if pl.Entry.Mode&fs.ModeSocket != 0 {
				// BuildKit's context transfer turns a unix socket into an
				// empty regular file with the socket's permissions.
				f.Kind, f.Data, f.ModTime = layer.KindFile, []byte{}, pl.Entry.ModTime
				if !chmodSet {
					f.Mode, f.ModeSet = pl.Entry.Mode.Perm(), true
				}
			} else {
				f.Source = abs
			}
			files = append(files, f)
		}
	}
	intoDir := strings.HasSuffix(dest, "/") || destIsDir || nSources > 1
	for _, in := range op.Inline {
		dest := dest
		if intoDir {
			dest = path.Join(dest, in.Name)
		}
		mode := fs.FileMode(in.Mode)
		if chmodSet {
			mode = chmod
		}
		files = append(files, layer.File{Path: dest, Data: []byte(in.Data), Mode: mode, ModeSet: true, ModeFunc: modeFunc, Owner: &owner})
	}
	for _, d := range p.downloads {
		dest := dest
		if intoDir {
			dest = path.Join(dest, d.name)
		}
		mode := fs.FileMode(0o600) // docker's mode for ADD URL files
		if chmodSet {
			mode = chmod
		}
		if err := os.Chtimes(d.file, d.modTime, d.modTime); err != nil && !d.modTime.IsZero() {
			return nil, err
		}
		files = append(files, layer.File{Path: dest, Source: d.file, Mode: mode, ModeSet: true, ModeFunc: modeFunc, Owner: &owner})
	}
	// BuildKit creates missing parents with the --chmod permission bits
	// (without setuid, setgid or sticky), 0755 without one.
	parentMode := fs.FileMode(0o755)
	if chmodSet {
		parentMode = chmod.Perm()
	}
	files = append(parentDirs(root, files, owner, parentMode), files...)
	return ex.layers.files(ctx, files)
}

// parentDirs lists, as layer entries, the directories above files: those
// the image has with their metadata, the missing ones with mode, owned by
// owner (the --chown user, as BuildKit creates them). BuildKit's layers
// carry every parent of a changed path; without them a runtime extracting
// the layer into an empty overlay directory makes them itself, root-owned
// 0755, hiding the image's own (a /home/app owned by app, a 1777 /tmp).
func parentDirs(root string, files []layer.File, owner layer.Owner, mode fs.FileMode) []layer.File {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil
	}
	defer r.Close()
	listed := map[string]bool{}
	for _, f := range files {
		listed[path.Clean("/"+f.Path)] = true
	}
	var out []layer.File
	seen := map[string]bool{}
	for _, f := range files {
		for d := path.Dir(path.Clean("/" + f.Path)); d != "/"; d = path.Dir(d) {
			if seen[d] || listed[d] {
				continue
			}
			seen[d] = true
			fi, err := r.Lstat(strings.TrimPrefix(d, "/"))
			switch {
			case err == nil && fi.IsDir():
				uid, gid := ownerOf(fi)
				out = append(out, layer.File{Path: d, Kind: layer.KindDir, ModTime: fi.ModTime(),
					Mode: fi.Mode()&fs.ModePerm | fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky), ModeSet: true,
					Owner: &layer.Owner{UID: uid, GID: gid}})
			case err == nil:
				// Not a directory (the destination was resolved, so not a
				// link either): the layer cannot change what it is.
			default:
				o := owner
				out = append(out, layer.File{Path: d, Kind: layer.KindDir, Mode: mode, ModeSet: true, Owner: &o})
			}
		}
	}
	return out
}

// linked reports whether a COPY or ADD builds its layer as BuildKit's
// --link does: on an empty filesystem, merged over the image afterwards.
// BuildKit v0.29 ignores --link when --chmod is given.
func linked(op *dockerfile.CopyOp) bool {
	return op.Link && op.Chmod == ""
}

// chownByName reports whether --chown names a user or group, which are
// looked up in the image (so a --link layer then depends on it).
func chownByName(spec string) bool {
	for _, part := range strings.Split(spec, ":") {
		if _, err := strconv.Atoi(part); part != "" && err != nil {
			return true
		}
	}
	return false
}

// copyRoot is the filesystem a COPY's destination is worked out in: the
// stage's, or with --link an empty one, so that the layer holds what it
// would on any base: its destination's parents made anew (0755, the
// --chown user's), the base's symlinks not followed, a path that is a file
// below made a directory.
func (ex *executor) copyRoot(ctx context.Context, s *stage, op *dockerfile.CopyOp) (string, error) {
	if !linked(op) {
		return s.ensureRoot(ctx)
	}
	return os.MkdirTemp(ex.work, "link-")
}

// resolveDest follows the symlinks of a COPY destination inside the image's
// root filesystem, as BuildKit does: "COPY f /link/" with /link a link to
// /real writes /real/f and leaves the link alone. A trailing slash is kept.
func resolveDest(root, dest string) (string, error) {
	abs, err := securejoin.SecureJoin(root, dest)
	if err != nil {
		return "", fmt.Errorf("resolving the destination %s in the image: %w", dest, err)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return "", fmt.Errorf("resolving the destination %s in the image: %w", dest, err)
	}
	out := path.Join("/", filepath.ToSlash(rel))
	if strings.HasSuffix(dest, "/") && out != "/" {
		out += "/"
	}
	return out, nil
}

// keepImageDir gives a directory entry the mode and owner of the directory
// the image already has at its path, if any.
func keepImageDir(root string, f *layer.File) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return
	}
	defer r.Close()
	fi, err := r.Lstat(strings.TrimPrefix(path.Clean(f.Path), "/"))
	if err != nil || !fi.IsDir() {
		return
	}
	uid, gid := ownerOf(fi)
	f.Mode = fi.Mode()&fs.ModePerm | fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
	f.ModeSet, f.ModeFunc, f.Owner = true, nil, &layer.Owner{UID: uid, GID: gid}
}

// parseChmod reads COPY --chmod as BuildKit v0.29 does: an octal mode up to
// 07777 (set says it was given, so 0 counts), or a symbolic one ("u+x",
// "go=rX") applied to each copied file's own mode.
func parseChmod(s string) (m fs.FileMode, set bool, apply func(fs.FileMode) fs.FileMode, err error) {
	if s == "" {
		return 0, false, nil, nil
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err == nil {
		if n > 0o7777 {
			return 0, false, nil, fmt.Errorf("--chmod=%s: an octal mode is at most 07777", s)
		}
		return fs.FileMode(n&0o777) | specialBits(uint32(n)), true, nil, nil
	}
	ms, err := mode.ParseWithUmask(s, 0)
	if err != nil {
		return 0, false, nil, fmt.Errorf("--chmod=%s: not an octal (0755) or symbolic (u+x) mode: %w", s, err)
	}
	return 0, false, ms.Apply, nil
}

func isDirIn(root, p string) bool {
	r, err := os.OpenRoot(root)
	if err != nil {
		return false
	}
	defer r.Close()
	rel := strings.TrimPrefix(path.Clean(p), "/")
	if rel == "" {
		return true
	}
	fi, err := r.Stat(rel)
	return err == nil && fi.IsDir()
}

func specialBits(m uint32) fs.FileMode {
	var out fs.FileMode
	if m&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}

// owner resolves --chown (default root) as BuildKit does: names need the
// image's /etc/passwd and /etc/group, numbers do not.
func (ex *executor) owner(ctx context.Context, s *stage, chown string) (layer.Owner, error) {
	if chown == "" {
		return layer.Owner{}, nil
	}
	root, err := s.ensureRoot(ctx)
	if err != nil {
		return layer.Owner{}, err
	}
	uid, gid, err := isolate.LookupChown(root, chown)
	if err != nil {
		return layer.Owner{}, err
	}
	return layer.Owner{UID: uid, GID: gid}, nil
}

// unpackArchives replaces local tar archives (plain, gzip, bzip2, xz, zstd)
// among ADD's sources by their extracted contents, as BuildKit does. Files
// from an archive keep the archive's owners unless --chown is given. The
// map holds every extracted path, true for those the archive names.
func (ex *executor) unpackArchives(ctx context.Context, tree *buildcontext.Tree, matches []buildcontext.Match) ([]buildcontext.Match, map[string]bool, error) {
	keep := map[string]bool{}
	out := make([]buildcontext.Match, 0, len(matches))
	for _, m := range matches {
		if !m.Root.Mode.IsRegular() {
			out = append(out, m)
			continue
		}
		abs := tree.Abs(m.Root)
		rc, ok, err := openArchive(abs)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			out = append(out, m)
			continue
		}
		dir, err := os.MkdirTemp(ex.work, "unpack-")
		if err == nil {
			// The directory stands for the destination BuildKit creates.
			err = os.Chmod(dir, 0o755)
		}
		if err != nil {
			rc.Close()
			return nil, nil, err
		}
		_, err = rootfs.ApplyTar(ctx, dir, rc)
		rc.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("unpacking %s: %w", m.Root.Path, err)
		}
		sub := buildcontext.OpenDir(dir)
		ms, err := sub.Select([]string{"."}, nil)
		if err != nil {
			return nil, nil, err
		}
		named, err := archiveNames(abs)
		if err != nil {
			return nil, nil, fmt.Errorf("unpacking %s: %w", m.Root.Path, err)
		}
		for _, e := range ms[0].Entries {
			keep[sub.Abs(e)] = e.Path == "." || named[e.Path]
		}
		out = append(out, ms...)
	}
	return out, keep, nil
}

// archiveNames lists the paths an archive has entries for, cleaned and
// relative: the directories extraction creates without an entry are
// BuildKit's root-owned ones, even with --chown.
func archiveNames(file string) (map[string]bool, error) {
	rc, _, err := openArchive(file)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	names := map[string]bool{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		if n := strings.TrimPrefix(path.Clean("/"+h.Name), "/"); n != "" {
			names[n] = true
		}
	}
}

// mkdir makes WORKDIR's layer: the directory, owned by the current USER when
// it is new; an existing directory is left alone (an empty layer).
func (ex *executor) mkdir(ctx context.Context, s *stage, dir string) (v1.Layer, error) {
	root, err := s.ensureRoot(ctx)
	if err != nil {
		return nil, err
	}
	// Through symlinks, as BuildKit's mkdir.
	if dir, err = resolveDest(root, dir); err != nil {
		return nil, err
	}
	f := layer.File{Path: dir, Kind: layer.KindDir, Mode: 0o755}
	if isDirIn(root, dir) {
		// Nothing changes: BuildKit's layer for it is empty.
		return ex.layers.files(ctx, nil)
	}
	o := layer.Owner{}
	if s.state.Config.User != "" {
		if o.UID, o.GID, err = isolate.LookupUser(root, s.state.Config.User); err != nil {
			return nil, fmt.Errorf("WORKDIR %s as USER %s: %w", dir, s.state.Config.User, err)
		}
	}
	f.Owner = &o
	files := []layer.File{f}
	return ex.layers.files(ctx, append(parentDirs(root, files, *f.Owner, 0o755), files...))
}
