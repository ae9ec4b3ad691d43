package pin

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// skipDirs are never walked: VCS data and vendored third-party trees.
var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true}

// Find returns every image reference in paths, sorted by file and offset.
// Each path is a file, a directory (walked for deploy files) or a glob
// (filepath.Glob syntax). A file named explicitly is scanned even if its
// name is not one Find recognises; it is then read as YAML and only
// documents with apiVersion and kind contribute.
func Find(ctx context.Context, paths []string, opts ...Option) ([]Ref, error) {
	o := makeOptions(opts)
	files, err := listFiles(ctx, paths, o)
	if err != nil {
		return nil, err
	}
	var refs []Ref
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("finding image references: %w", err)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		r, err := Scan(file, data)
		if err != nil {
			return nil, err
		}
		refs = append(refs, r...)
	}
	return refs, nil
}

// Scan returns the image references in one file's content; name decides the
// kind of file (see DetectKind) and is used in positions and errors.
func Scan(name string, data []byte) ([]Ref, error) {
	kind, _ := DetectKind(name)
	var refs []Ref
	var err error
	if kind == KindDockerfile {
		refs, err = scanDockerfile(name, data)
	} else {
		refs, err = scanYAML(name, data, kind)
	}
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].Start < refs[j].Start })
	return refs, err
}

// DetectKind decides a file's kind from its path. ok is false for files a
// directory walk skips; kind is then "" and, if such a file is named
// explicitly, YAML documents with apiVersion and kind are read as
// Kubernetes (or Kustomize, for kind: Kustomization).
func DetectKind(p string) (kind Kind, ok bool) {
	slash := filepath.ToSlash(p)
	base := path.Base(slash)
	lower := strings.ToLower(base)
	ext := path.Ext(lower)
	yml := ext == ".yaml" || ext == ".yml"
	switch {
	case strings.HasPrefix(base, "Dockerfile") || strings.HasPrefix(base, "Containerfile") || ext == ".dockerfile" || ext == ".containerfile":
		return KindDockerfile, true
	case yml && (path.Dir(slash) == ".github/workflows" || strings.HasSuffix(path.Dir(slash), "/.github/workflows")):
		return KindWorkflow, true
	case lower == "kustomization.yaml" || lower == "kustomization.yml" || base == "Kustomization":
		return KindKustomize, true
	case yml && strings.HasPrefix(lower, "values"):
		return KindHelm, true
	case yml && (strings.HasPrefix(lower, "docker-compose") || strings.HasPrefix(lower, "compose")):
		return KindCompose, true
	case yml:
		return "", true
	}
	return "", false
}

func listFiles(ctx context.Context, paths []string, o *options) ([]string, error) {
	excl, err := compileGlobs(o.exclude)
	if err != nil {
		return nil, fmt.Errorf("reading exclude globs: %w", err)
	}
	excluded := func(p, rel string) bool {
		for _, re := range excl {
			if re.MatchString(filepath.ToSlash(p)) || re.MatchString(filepath.ToSlash(rel)) || re.MatchString(path.Base(filepath.ToSlash(p))) {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	var files []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, arg := range paths {
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			if matches, err = filepath.Glob(arg); err != nil {
				return nil, fmt.Errorf("expanding %q: %w (fix the glob)", arg, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("expanding %q: no file matches (check the path)", arg)
			}
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", m, err)
			}
			if !st.IsDir() {
				if !excluded(m, filepath.Base(m)) {
					add(m)
				}
				continue
			}
			root := m
			err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				rel, _ := filepath.Rel(root, p)
				if d.IsDir() {
					if p != root && (skipDirs[d.Name()] || excluded(p, rel)) {
						return filepath.SkipDir
					}
					return nil
				}
				if _, ok := DetectKind(p); ok && d.Type().IsRegular() && !excluded(p, rel) {
					add(p)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("walking %s: %w", root, err)
			}
		}
	}
	return files, nil
}

// compileGlobs turns globs into anchored regexps: "**" crosses path
// elements, "*" and "?" do not.
func compileGlobs(globs []string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, g := range globs {
		var b strings.Builder
		b.WriteString("^")
		for i := 0; i < len(g); i++ {
			switch c := g[i]; c {
			case '*':
				if i+1 < len(g) && g[i+1] == '*' {
					i++
					if i+1 < len(g) && g[i+1] == '/' {
						i++
						b.WriteString("(?:.*/)?")
					} else {
						b.WriteString(".*")
					}
				} else {
					b.WriteString("[^/]*")
				}
			case '?':
				b.WriteString("[^/]")
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		b.WriteString("$")
		re, err := regexp.Compile(b.String())
		if err != nil {
			return nil, fmt.Errorf("compiling glob %q: %w", g, err)
		}
		out = append(out, re)
	}
	return out, nil
}
