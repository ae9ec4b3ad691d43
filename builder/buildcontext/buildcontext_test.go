package buildcontext

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeTree creates files ("path=content"), dirs ("path/") and symlinks
// ("path->target") under a new directory, all dated an hour ago so their
// sums may be cached.
func writeTree(t *testing.T, specs ...string) string {
	t.Helper()
	root := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, s := range specs {
		switch {
		case strings.Contains(s, "->"):
			name, target, _ := strings.Cut(s, "->")
			p := filepath.Join(root, name)
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.Symlink(target, p))
		case strings.HasSuffix(s, "/"):
			must(t, os.MkdirAll(filepath.Join(root, s), 0o755))
		default:
			name, body, _ := strings.Cut(s, "=")
			p := filepath.Join(root, name)
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.WriteFile(p, []byte(body), 0o644))
			must(t, os.Chtimes(p, old, old))
		}
	}
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func dests(ps []Placement) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Entry.Path+">"+p.Dest)
	}
	return strings.Join(out, " ")
}

func TestSelectAndPlace(t *testing.T) {
	root := writeTree(t,
		".dockerignore=*.log\nsecrets/\n!secrets/public.pem\n",
		"go.mod=module x", "main.go=package main", "debug.log=noise",
		"cmd/app/main.go=package main", "cmd/tool/main.go=package main",
		"secrets/key=private", "secrets/public.pem=pub", "link->main.go")
	ctx, err := OpenContext(root, "")
	must(t, err)
	tests := []struct {
		name     string
		patterns []string
		excludes []string
		dest     string
		destDir  bool
		parents  bool
		want     string
		err      string
	}{
		{name: "a file to a file", patterns: []string{"go.mod"}, dest: "/src/go.mod", want: "go.mod>/src/go.mod"},
		{name: "a file into a dir", patterns: []string{"go.mod"}, dest: "/src/", want: "go.mod>/src/go.mod"},
		{name: "a file into an existing dir", patterns: []string{"go.mod"}, dest: "/src", destDir: true, want: "go.mod>/src/go.mod"},
		{name: "a directory's contents", patterns: []string{"cmd"}, dest: "/app",
			want: "cmd>/app cmd/app>/app/app cmd/app/main.go>/app/app/main.go cmd/tool>/app/tool cmd/tool/main.go>/app/tool/main.go"},
		{name: "wildcard per path element", patterns: []string{"cmd/*/main.go"}, dest: "/bin/",
			want: "cmd/app/main.go>/bin/main.go cmd/tool/main.go>/bin/main.go"},
		{name: "dockerignore hides files and re-includes", patterns: []string{"secrets"}, dest: "/s/", want: "secrets>/s secrets/public.pem>/s/public.pem"},
		{name: "ignored file is not found", patterns: []string{"debug.log"}, dest: "/x", err: "no such file"},
		// Exclude patterns are relative to the source, as in BuildKit.
		{name: "exclude", patterns: []string{"cmd"}, excludes: []string{"tool"}, dest: "/app/",
			want: "cmd>/app cmd/app>/app/app cmd/app/main.go>/app/app/main.go"},
		{name: "exclude is not context-relative", patterns: []string{"cmd"}, excludes: []string{"cmd/tool"}, dest: "/app/",
			want: "cmd>/app cmd/app>/app/app cmd/app/main.go>/app/app/main.go cmd/tool>/app/tool cmd/tool/main.go>/app/tool/main.go"},
		{name: "leading slash and .. stay in the context", patterns: []string{"/../../go.mod"}, dest: "/m", want: "go.mod>/m"},
		{name: "a symlink source is followed", patterns: []string{"link"}, dest: "/out/", want: "main.go>/out/link"},
		{name: "missing source", patterns: []string{"nope.txt"}, dest: "/x", err: "nope.txt"},
		{name: "parents keep the path", patterns: []string{"cmd/app/main.go"}, dest: "/out", parents: true,
			want: "cmd>/out/cmd cmd/app>/out/cmd/app cmd/app/main.go>/out/cmd/app/main.go"},
		{name: "parents below a pivot", patterns: []string{"cmd/./*/main.go"}, dest: "/out/", parents: true,
			want: "cmd/app>/out/app cmd/app/main.go>/out/app/main.go cmd/tool>/out/tool cmd/tool/main.go>/out/tool/main.go"},
		{name: "several sources need a dir", patterns: []string{"go.mod", "main.go"}, dest: "/x", err: "end with a /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ctx.Select(tt.patterns, tt.excludes)
			var ps []Placement
			if err == nil {
				if tt.parents {
					ps, err = PlaceParents(m, tt.dest)
				} else {
					ps, err = Place(m, tt.dest, tt.destDir, len(tt.patterns))
				}
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			must(t, err)
			if got := dests(ps); got != tt.want {
				t.Errorf("placements:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	if _, err := ctx.Select([]string{"missing"}, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestFingerprintTracksContentAndRemembersSums(t *testing.T) {
	root := writeTree(t, "a.txt=one", "dir/b.txt=two", "dir/c->a.txt")
	cacheFile := filepath.Join(t.TempDir(), "sums")
	fp := func() (Fingerprint, int) {
		t.Helper()
		tree, err := OpenContext(root, "")
		must(t, err)
		m, err := tree.Select([]string{"."}, nil)
		must(t, err)
		h := LoadHasher(cacheFile)
		f, err := h.Fingerprint(tree, m)
		must(t, err)
		must(t, h.Save())
		return f, h.Hashed
	}
	first, hashed := fp()
	if hashed != 2 {
		t.Errorf("first run hashed %d files, want 2", hashed)
	}
	again, hashed := fp()
	if again.Digest != first.Digest || hashed != 0 {
		t.Errorf("unchanged tree: digest %s vs %s, hashed %d files (want 0)", again.Digest, first.Digest, hashed)
	}
	// Touching a file without changing it re-reads it but keeps the digest.
	now := time.Now().Add(-time.Minute)
	must(t, os.Chtimes(filepath.Join(root, "a.txt"), now, now))
	touched, hashed := fp()
	if touched.Digest != first.Digest || hashed != 1 {
		t.Errorf("touched file: digest changed=%v, hashed %d (want 1)", touched.Digest != first.Digest, hashed)
	}
	// Changing content, a mode or a link target changes the digest.
	for _, change := range []func(){
		func() { must(t, os.WriteFile(filepath.Join(root, "dir/b.txt"), []byte("TWO"), 0o644)) },
		func() { must(t, os.Chmod(filepath.Join(root, "a.txt"), 0o755)) },
		func() {
			must(t, os.Remove(filepath.Join(root, "dir/c")))
			must(t, os.Symlink("dir/b.txt", filepath.Join(root, "dir/c")))
		},
	} {
		before, _ := fp()
		change()
		after, _ := fp()
		if after.Digest == before.Digest {
			t.Errorf("a change did not change the fingerprint")
		}
	}
}
