package pin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDetectKind(t *testing.T) {
	for _, tc := range []struct {
		path string
		kind Kind
		ok   bool
	}{
		{".github/workflows/ci.yml", KindWorkflow, true},
		{"repo/.github/workflows/release.yaml", KindWorkflow, true},
		{"repo/.github/workflows/sub/x.yaml", "", true},
		{"overlays/prod/kustomization.yaml", KindKustomize, true},
		{"kustomization.yml", KindKustomize, true},
		{"chart/values.yaml", KindHelm, true},
		{"chart/values-prod.yml", KindHelm, true},
		{"docker-compose.yml", KindCompose, true},
		{"docker-compose.override.yaml", KindCompose, true},
		{"compose.yaml", KindCompose, true},
		{"Dockerfile", KindDockerfile, true},
		{"Dockerfile.prod", KindDockerfile, true},
		{"build/app.Dockerfile", KindDockerfile, true},
		{"Containerfile", KindDockerfile, true},
		{"deploy/app.yaml", "", true},
		{"README.md", "", false},
		{"main.go", "", false},
	} {
		kind, ok := DetectKind(tc.path)
		if kind != tc.kind || ok != tc.ok {
			t.Errorf("DetectKind(%q) = %q, %v; want %q, %v", tc.path, kind, ok, tc.kind, tc.ok)
		}
	}
}

func TestFindWalkExcludeAndGlobs(t *testing.T) {
	dir := t.TempDir()
	pod := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx:1.27\n"
	writeFile(t, dir, "deploy/pod.yaml", pod)
	writeFile(t, dir, "deploy/skip/pod.yaml", pod)
	writeFile(t, dir, "vendor/x/pod.yaml", pod)
	writeFile(t, dir, "node_modules/x/pod.yaml", pod)
	writeFile(t, dir, ".git/pod.yaml", pod)
	writeFile(t, dir, "config.yaml", "just: config\n")    // no apiVersion/kind: nothing
	writeFile(t, dir, "notes.txt", "image: nginx:1.27\n") // not a deploy file
	refs, err := Find(context.Background(), []string{dir}, WithExclude("deploy/skip"))
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0].File != filepath.Join(dir, "deploy/pod.yaml") {
		t.Fatalf("refs = %+v", refs)
	}
	refs, err = Find(context.Background(), []string{filepath.Join(dir, "deploy", "*.yaml"), filepath.Join(dir, "deploy/skip/pod.yaml")}, WithExclude("**/skip/*"))
	if err != nil || len(refs) != 1 {
		t.Fatalf("glob: %+v, %v", refs, err)
	}
	if _, err := Find(context.Background(), []string{filepath.Join(dir, "nothing-*.yaml")}); err == nil {
		t.Error("a glob matching nothing should be an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Find(ctx, []string{dir}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestScanErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		kind                error
		want                []string
	}{
		{"malformed yaml", "deploy/app.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx\n   bad: [\n", ErrSyntax, []string{"deploy/app.yaml:3: did not find expected key"}},
		{"malformed yaml in 2nd doc", "deploy/app.yaml", "apiVersion: v1\nkind: Pod\n---\nkind: x\n\tapiVersion: y\n", ErrSyntax, []string{"deploy/app.yaml:4: found a tab"}},
		{"uppercase repository", "deploy/app.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: ghcr.io/Acme/App:1\n", ErrReference, []string{"deploy/app.yaml:6:12", "lowercase", "ghcr.io/acme/app:1"}},
		{"bad digest", "docker-compose.yml", "services:\n  a:\n    image: app@sha256:abc\n", ErrReference, []string{"docker-compose.yml:3:12", "64"}},
		{"escaped scalar", "deploy/app.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: \"nginx\\x3a1\"\n", ErrUnrewritable, []string{"deploy/app.yaml:5:12"}},
		{"block scalar", "deploy/app.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: |\n      nginx:1\n", ErrUnrewritable, []string{"deploy/app.yaml:5:12"}},
		{"dockerfile bad ref", "Dockerfile", "FROM alpine\nFROM Alpine:3 AS x\n", ErrReference, []string{"Dockerfile:2:6"}},
		{"dockerfile syntax", "Dockerfile", "FROM alpine\nRUN <<EOF\necho\n", ErrSyntax, []string{"Dockerfile:"}},
		{"oci layout", "docker-compose.yml", "services:\n  a:\n    image: oci:./dist/app\n", ErrReference, []string{"docker-compose.yml:3:12", "OCI layout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Scan(tc.file, []byte(tc.content))
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestScanSkipsTemplatesAndNonStrings(t *testing.T) {
	refs, err := Scan("values.yaml", []byte("a:\n  image: \"{{ .Values.img }}\"\nb:\n  image: true\nc:\n  image: ''\nd:\n  image:\n    repository: x/y\n    tag: ${TAG}\n"))
	if err != nil || len(refs) != 0 {
		t.Fatalf("refs = %+v, %v", refs, err)
	}
}

// FuzzScan: no input makes Scan panic, and every span it reports lies in
// the input.
func FuzzScan(f *testing.F) {
	for _, p := range []string{"deploy/deployment.yaml", "deploy/multi.yaml", "chart/values.yaml", "overlays/prod/kustomization.yaml", "docker-compose.yml", "Dockerfile", ".github/workflows/ci.yml"} {
		b, err := os.ReadFile(filepath.Join("testdata/src", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p, b)
	}
	names := []string{"Dockerfile", "values.yaml", "kustomization.yaml", "compose.yaml", ".github/workflows/x.yml", "a.yaml"}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		for _, n := range append(names, name) {
			refs, err := Scan(n, data)
			if err != nil {
				continue
			}
			for _, r := range refs {
				if r.Start < 0 || r.End > len(data) || r.Start > r.End {
					t.Fatalf("%s: span %d:%d outside %d bytes", n, r.Start, r.End, len(data))
				}
			}
		}
	})
}
