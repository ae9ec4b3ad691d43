package version

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Uncommitted lists the files under dir whose content differs from the
// commit checked out: changed or deleted tracked files (staged or not) and
// untracked files git does not ignore. Paths are slash-separated and
// relative to dir, sorted. A release built from them is not the commit
// its version, tags and provenance name.
func Uncommitted(ctx context.Context, dir string) ([]string, error) {
	g := git{dir: dir}
	// --relative: paths relative to dir, and only those under it.
	changed, err := g.run(ctx, "diff", "HEAD", "--name-only", "-z", "--no-renames", "--relative")
	if err != nil {
		return nil, fmt.Errorf("listing uncommitted changes in %s: %w", dir, err)
	}
	untracked, err := g.run(ctx, "ls-files", "-z", "--others", "--exclude-standard")
	if err != nil {
		return nil, fmt.Errorf("listing untracked files in %s: %w", dir, err)
	}
	var out []string
	for _, p := range strings.Split(changed+untracked, "\x00") {
		if p != "" {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
