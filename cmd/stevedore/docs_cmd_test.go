package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// docs/cli is generated from the flags; this fails when someone changes a
// flag without regenerating it (CI runs it with the other tests).
func TestCLIReferenceInSync(t *testing.T) {
	want := cliReference(newApp(nil, io.Discard, io.Discard, func(string) string { return "" }))
	dir := filepath.Join("..", "..", docsDir)
	fix := "docs/cli is out of date with the command definitions; regenerate it with: " + regenerateDocs
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v\n%s", name, err, fix)
			continue
		}
		if !bytes.Equal(got, content) {
			t.Errorf("%s/%s differs from the flags.\n%s", docsDir, name, fix)
		}
	}
	have, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	for _, p := range have {
		if _, ok := want[filepath.Base(p)]; !ok {
			t.Errorf("%s is not generated from any command (stale?).\n%s", p, fix)
		}
	}
}

// The reference shows what a user needs: current spellings with their
// placeholders and defaults, never the hidden old spellings or commands.
func TestCLIReferenceContent(t *testing.T) {
	files := cliReference(newApp(nil, io.Discard, io.Discard, func(string) string { return "" }))
	build := string(files["stevedore_build.md"])
	for _, want := range []string{"# stevedore build", "`--destination VALUE`, `-t VALUE`", "| `--isolation VALUE` | `auto` |", "`--cache-from REF`"} {
		if !strings.Contains(build, want) {
			t.Errorf("stevedore_build.md lacks %q:\n%s", want, build)
		}
	}
	for _, hidden := range []string{"`--to", "`--output", "`-o "} {
		if strings.Contains(build, hidden) {
			t.Errorf("stevedore_build.md shows the old spelling %s", hidden)
		}
	}
	if _, ok := files["stevedore_docs.md"]; ok {
		t.Error("the hidden docs command has a page")
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	for _, want := range []string{"README.md", "stevedore_release.md", "stevedore_completion.md", "stevedore_plan.md"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %s among %q", want, names)
		}
	}
	if !strings.Contains(string(files["README.md"]), "| publish | `--to` | `--destination` |") {
		t.Errorf("README.md does not list the old spellings:\n%s", files["README.md"])
	}
}

// docs/cli/exit-codes.md lists every exit code exit.go defines, once, from
// exitCodes; the README links to it rather than keeping its own table.
func TestExitCodeReference(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "exit.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var defined []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for i, n := range s.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, "exit") {
					defined = append(defined, s.(*ast.ValueSpec).Values[i].(*ast.BasicLit).Value)
				}
			}
		}
	}
	if len(defined) == 0 {
		t.Fatal("no exit code constants found in exit.go")
	}
	page := string(cliReference(newApp(nil, io.Discard, io.Discard, func(string) string { return "" }))["exit-codes.md"])
	for _, code := range defined {
		if n := strings.Count(page, "\n| "+code+" | "); n != 1 {
			t.Errorf("exit code %s is listed %d times in exit-codes.md:\n%s", code, n, page)
		}
	}
	if strings.Count(page, "\n| ") != len(defined)+2 { // the header and separator rows
		t.Errorf("exit-codes.md lists codes exit.go does not define:\n%s", page)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "(docs/cli/exit-codes.md)") {
		t.Error("README.md does not link docs/cli/exit-codes.md")
	}
}
