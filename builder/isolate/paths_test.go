package isolate

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolveInRoot(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"etc", "usr/lib", "run"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"var":             "usr",           // relative
		"lib":             "/usr/lib",      // absolute: inside root
		"etc/resolv.conf": "../run/resolv", // dangling, inside root
		"etc/hosts":       "/etc/../../../../host-hosts",
		"escape":          "../../../../..",
		"loop":            "loop",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/etc/passwd", "/etc/passwd"},
		{"/var/lib/x", "/usr/lib/x"},
		{"/lib/x", "/usr/lib/x"},
		{"/etc/resolv.conf", "/run/resolv"},
		{"/etc/hosts", "/host-hosts"},
		{"/escape/etc/shadow", "/etc/shadow"},
		{"/../../etc", "/etc"},
		{"/missing/../etc", "/etc"}, // cleaned lexically first, as docker does
	}
	for _, tt := range tests {
		got, err := resolveInRoot(root, tt.in)
		if err != nil {
			t.Errorf("resolveInRoot(%q): %v", tt.in, err)
			continue
		}
		if want := filepath.Join(root, tt.want); got != want {
			t.Errorf("resolveInRoot(%q) = %q, want %q", tt.in, got, want)
		}
		if rel := relInRoot(root, got); rel != filepath.Clean(tt.want) {
			t.Errorf("relInRoot(%q) = %q", got, rel)
		}
	}
	if _, err := resolveInRoot(root, "/loop/x"); err == nil {
		t.Error("symlink loop resolved")
	}
}
