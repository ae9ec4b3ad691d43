package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteFileReplacesWholeAndLeavesNoTemp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	p := filepath.Join(dir, "index.json")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatalf("WriteFile: %v", err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("content = %q %v, want %q", got, err, content)
		}
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v", fi.Mode())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file", len(entries))
	}
}

func TestWriteFileErrorLeavesTargetAndNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x")
	if err := os.Mkdir(p, 0o755); err != nil { // a directory cannot be replaced by a file
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("data"), 0o644); err == nil {
		t.Fatalf("WriteFile over a directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || !entries[0].IsDir() {
		t.Errorf("entries = %v, want only the untouched directory", entries)
	}
}

func TestCreateStreamsAndAppearsOnlyOnCommit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "blob")
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"part one, ", "part two"} {
		if _, err := f.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("target visible before Commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "part one, part two" {
		t.Errorf("content %q", got)
	}
	f.Abort() // after Commit: nothing to do, the file stays
	if _, err := os.Stat(p); err != nil {
		t.Errorf("Abort after Commit removed the file: %v", err)
	}

	g, err := Create(filepath.Join(dir, "dropped"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = g.Write([]byte("x"))
	g.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("entries after Abort = %v, want only blob", entries)
	}
}

// A killed writer's temporary file is removed; a fresh one (a write in
// progress) and every other file stay.
func TestSweepRemovesOnlyStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	files := map[string]bool{ // name → swept
		".index.json.tmp-123456": true,
		".a.tmp-9":               true,
		".fresh.tmp-42":          false, // touched now: in progress
		"index.json":             false,
		".hidden":                false,
		".x.tmp-12ab":            false, // not digits: not ours
	}
	for n := range files {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if n != ".fresh.tmp-42" {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := Sweep(dir, time.Now().Add(-time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2 removed", n, err)
	}
	for name, swept := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := os.IsNotExist(err); gone != swept {
			t.Errorf("%s: removed = %v, want %v", name, gone, swept)
		}
	}
	if n, err := Sweep(filepath.Join(dir, "missing"), time.Now()); n != 0 || err != nil {
		t.Errorf("Sweep of a missing directory = %d, %v", n, err)
	}
}

func TestSweepForTouchesOnlyThatFilesTemporaries(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, n := range []string{".pod.yaml.tmp-77", ".other.yaml.tmp-77"} {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Chtimes(p, old, old)
	}
	if n, err := SweepFor(filepath.Join(dir, "pod.yaml"), time.Now()); n != 1 || err != nil {
		t.Fatalf("SweepFor = %d, %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".other.yaml.tmp-77")); err != nil {
		t.Errorf("another file's temporary was removed: %v", err)
	}
}

// Content named by what it holds takes its name at commit; a name in
// another directory is refused (the rename would not be atomic there) and
// leaves nothing.
func TestCommitAsNamesTheFileAtTheEnd(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "layer"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.Write([]byte("content"))
	if err := f.CommitAs(filepath.Join(dir, "abc123")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "abc123")); string(got) != "content" {
		t.Errorf("content %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("entries = %v, want only abc123", entries)
	}

	g, err := Create(filepath.Join(dir, "layer"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.CommitAs(filepath.Join(t.TempDir(), "x")); err == nil {
		t.Error("CommitAs into another directory succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("entries after a refused CommitAs = %v, want only abc123", entries)
	}
}
