package pin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/internal/atomicfile"
)

// Change is one reference rewritten (or, with WithDryRun, to be rewritten).
type Change struct {
	Ref Ref
	// New is the reference after the change, e.g. "nginx:1.27@sha256:…"
	// (composed, for image maps).
	New    string
	Digest v1.Hash
	// Tag is the new tag when the change moves the reference to another
	// version (a newer release's ledger); "" when the tag stays.
	Tag string
}

// Result is what Pin and Update did.
type Result struct {
	Changes []Change
	// Findings are references left alone and why (Update: unsigned digests).
	Findings []Finding
	// Files are the files written, in order (with WithDryRun: that would be).
	Files []string
}

// Pin rewrites every tag reference in paths (see Find) to repo:tag@digest,
// with digests from r. References already carrying a digest are left alone
// (Update moves them). Nothing is written unless every reference resolved;
// each file is then replaced atomically (temporary file + rename).
//
// Image maps get the digest in their "digest:" key; a map without one gets
// a "digest: sha256:…" entry right after its tag entry, indented like it
// (block style) or appended as ", digest: …" (flow style).
func Pin(ctx context.Context, paths []string, r Resolver, opts ...Option) (*Result, error) {
	o := makeOptions(opts)
	refs, err := Find(ctx, paths, opts...)
	if err != nil {
		return nil, err
	}
	var todo []Ref
	for _, ref := range refs {
		if !ref.Pinned() {
			todo = append(todo, ref)
		}
	}
	digests, err := resolveRefs(ctx, r, todo, o.jobs)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, ref := range todo {
		t, _ := ref.TagRef()
		d := digests[t.Name()]
		res.Changes = append(res.Changes, Change{Ref: ref, New: rewritten(ref.Text, ref.Tag, d), Digest: d})
	}
	if a, ok := r.(Authority); ok {
		res.Changes = append(res.Changes, superseded(refs, a)...)
	}
	res.Files, err = applyChanges(ctx, res.Changes, o.dryRun)
	return res, err
}

// superseded lists the changes an authority (a newer release's ledger)
// makes to references already pinned. A new tag is only written where the
// reference is one piece of text: an image map's tag entry is the user's to
// edit, so there only a recorded tag's digest follows.
func superseded(refs []Ref, a Authority) []Change {
	var out []Change
	for _, ref := range refs {
		t, ok := ref.TagRef()
		if !ok || !ref.Pinned() {
			continue
		}
		tag, d, ok := a.Supersedes(t, ref.Digest)
		if !ok || (tag != ref.Tag && !ref.site.whole) {
			continue
		}
		out = append(out, Change{Ref: ref, New: retagged(ref.Text, ref.Tag, tag, d), Digest: d, Tag: tag})
	}
	return out
}

// resolveRefs resolves the tags refs follow. Failures name every place the
// failing reference is used.
func resolveRefs(ctx context.Context, r Resolver, refs []Ref, jobs int) (map[string]v1.Hash, error) {
	if r == nil && len(refs) > 0 {
		return nil, fmt.Errorf("resolving %s: no resolver (pass a registry resolver or a ledger)", refs[0].Text)
	}
	var names []name.Reference
	where := map[string][]string{}
	for _, ref := range refs {
		t, ok := ref.TagRef()
		if !ok {
			continue
		}
		if where[t.Name()] == nil {
			names = append(names, t)
		}
		where[t.Name()] = append(where[t.Name()], ref.Position())
	}
	digests, failed := resolveAll(ctx, r, names, jobs)
	var errs []error
	for _, n := range names {
		if err := failed[n.Name()]; err != nil {
			at := where[n.Name()]
			more := ""
			if len(at) > 1 {
				more = fmt.Sprintf(" and %d more", len(at)-1)
			}
			errs = append(errs, fmt.Errorf("pinning %s at %s%s: %w", n, at[0], more, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("resolving references: %w", err)
	}
	return digests, nil
}

type edit struct {
	start, end int
	text       string
}

// applyChanges rewrites the files holding changes. All new contents are
// computed and re-read first, so a reference that cannot be written
// correctly stops the run before any file is touched.
func applyChanges(ctx context.Context, changes []Change, dryRun bool) ([]string, error) {
	byFile := map[string][]Change{}
	var files []string
	for _, c := range changes {
		if byFile[c.Ref.File] == nil {
			files = append(files, c.Ref.File)
		}
		byFile[c.Ref.File] = append(byFile[c.Ref.File], c)
	}
	out := map[string][]byte{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		nd, err := rewriteBytes(file, data, byFile[file])
		if err != nil {
			return nil, err
		}
		out[file] = nd
	}
	if dryRun {
		return files, nil
	}
	for i, file := range files {
		if err := ctx.Err(); err != nil {
			return files[:i], fmt.Errorf("writing %s: %w (%d of %d files already written)", file, err, i, len(files))
		}
		if err := writeAtomic(file, out[file]); err != nil {
			return files[:i], fmt.Errorf("%w (%d of %d files already written; the rest are unchanged)", err, i, len(files))
		}
	}
	return files, nil
}

// rewriteBytes applies changes to one file's content and checks, by
// scanning the result again, that each changed reference now reads as
// intended and nothing else moved.
func rewriteBytes(file string, data []byte, changes []Change) ([]byte, error) {
	var edits []edit
	want := map[int]string{} // original start → new text
	for _, c := range changes {
		s := c.Ref.site
		if s.start < 0 {
			return nil, newError(ErrUnrewritable, nil, "pinning %s at %s: the image map has no tag or digest entry to write next to; add \"digest:\" to it", c.Ref.Text, c.Ref.Position())
		}
		text := s.prefix + c.Digest.String() + s.suffix
		if s.whole {
			text = c.New
		}
		edits = append(edits, edit{s.start, s.end, text})
		want[c.Ref.Start] = c.New
	}
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var b strings.Builder
	b.Grow(len(data) + 80*len(edits))
	last := 0
	for _, e := range edits {
		if e.start < last {
			return nil, newError(ErrUnrewritable, nil, "pinning %s: two references overlap at byte %d", file, e.start)
		}
		b.Write(data[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(data[last:])
	nd := []byte(b.String())

	before, err := Scan(file, data)
	if err != nil {
		return nil, err
	}
	after, err := Scan(file, nd)
	if err != nil {
		return nil, fmt.Errorf("checking rewritten %s: %w (this is a bug in pin; the file was not written)", file, err)
	}
	if len(before) != len(after) {
		return nil, fmt.Errorf("checking rewritten %s: %d references before, %d after (this is a bug in pin; the file was not written)", file, len(before), len(after))
	}
	for i, r := range before {
		exp := r.Text
		if w, ok := want[r.Start]; ok {
			exp = w
		}
		if after[i].Text != exp {
			return nil, fmt.Errorf("checking rewritten %s: %s reads %q, want %q (this is a bug in pin; the file was not written)", file, r.Position(), after[i].Text, exp)
		}
	}
	return nd, nil
}

// commitFile puts a finished write in place; tests replace it to fail the
// last step.
var commitFile = (*atomicfile.File).Commit

// processStart: a temporary file of a deploy file older than this process
// was left by a killed run, never a write of this one.
var processStart = time.Now()

// writeAtomic replaces path with data through a temporary file in the same
// directory, fsync and a rename (then fsync of the directory), so readers
// see the old file or the new one, never a half-written one, even after a
// crash. The mode is kept; a symlink is followed and its target replaced.
// A temporary file a killed run left next to the target is removed first:
// it would otherwise sit in the user's working tree.
func writeAtomic(path string, data []byte) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	st, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := atomicfile.SweepFor(target, processStart); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	f, err := atomicfile.Create(target, st.Mode().Perm())
	if err != nil {
		return fmt.Errorf("writing %s: %w (make its directory writable)", path, err)
	}
	defer f.Abort() // no-op after a successful commit
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := commitFile(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
