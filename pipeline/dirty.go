package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/version"
)

// ErrDirty means a build context holds changes not committed: the images
// would not be the commit the version, tags and provenance name.
var ErrDirty = errors.New("uncommitted changes in the build context")

// dirtyShown is how many files a dirty-tree error names.
const dirtyShown = 5

// dirtyFiles lists, for every planned image, the files of its build context
// (after .dockerignore and what stevedore itself writes: keys, layouts, the
// ledger's directory) that differ from the commit. Files outside every
// build context do not matter: they go into no image. Paths are relative
// to the project directory.
func (r *releaser) dirtyFiles(ctx context.Context, p *Plan) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for i := range p.Images {
		pi := &p.Images[i]
		dir := r.path(pi.Context)
		changed, err := version.Uncommitted(ctx, dir)
		if err != nil {
			return nil, err
		}
		if len(changed) == 0 {
			continue
		}
		excluded, err := builder.ContextExcluded(append(r.contextOptions(p, pi), r.o.build...)...)
		if err != nil {
			return nil, err
		}
		for _, f := range changed {
			if excluded(f) {
				continue
			}
			if f = filepath.ToSlash(filepath.Join(pi.Context, f)); !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// OwnOutputs are the paths stevedore itself writes that may lie inside a
// build context: the default key directory under dir and the oci: layout
// destinations. They never enter an image, whichever command builds it
// (build and release share this rule).
func OwnOutputs(dir string, layouts ...string) []string {
	return append([]string{filepath.Join(dir, DefaultKeyDir)}, layouts...)
}

// contextOptions are the build options that say what an image's build
// context holds: its directory, its Dockerfile (and so its .dockerignore),
// and what the release itself writes there (the key directory, the ledger's
// directory with SBOMs and public keys, the image's layout destinations),
// which never enters an image and never makes a tree dirty.
func (r *releaser) contextOptions(p *Plan, pi *PlannedImage) []builder.Option {
	out := p.outputDir() // dist/: the ledger and SBOMs
	if out == "." {
		out = p.LedgerPath
	}
	var layouts []string
	for _, d := range pi.Destinations {
		if l, ok := strings.CutPrefix(r.destination(d), publish.LayoutPrefix); ok {
			layouts = append(layouts, l)
		}
	}
	paths := append(OwnOutputs(r.o.dir, layouts...), r.path(out))
	return []builder.Option{
		builder.WithContextDir(r.path(pi.Context)),
		builder.WithContextExclude(paths...),
		builder.WithDockerfile(r.path(pi.Dockerfile)),
	}
}

// checkDirty refuses a release from a dirty build context, or with
// allow-dirty marks the plan so the ledger says so.
func (r *releaser) checkDirty(ctx context.Context, p *Plan) error {
	files, err := r.dirtyFiles(ctx, p)
	if err != nil || len(files) == 0 {
		return err
	}
	shown := strings.Join(files[:min(len(files), dirtyShown)], ", ")
	if len(files) > dirtyShown {
		shown += fmt.Sprintf(" and %d more", len(files)-dirtyShown)
	}
	if r.o.allowDirty || r.cfg.AllowDirty || p.Snapshot {
		p.Dirty = true
		p.Notes = append(p.Notes, fmt.Sprintf("building uncommitted files (%s): the images are not commit %s; the ledger records dirty: true", shown, short(p.Commit)))
		return nil
	}
	verb := "differ"
	if len(files) == 1 {
		verb = "differs"
	}
	return fmt.Errorf("%w: %s %s from commit %s, so the images would not be the commit their version, tags and provenance name; commit or stash them (or add them to .dockerignore), or release them anyway, marked dirty, with --allow-dirty (allow-dirty: true in stevedore.yaml)",
		ErrDirty, shown, verb, short(p.Commit))
}

func short(commit string) string { return commit[:min(7, len(commit))] }
