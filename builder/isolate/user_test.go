package isolate

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestResolveUser(t *testing.T) {
	root := t.TempDir()
	writeRootfsEtc(t, root)
	tests := []struct {
		spec    string
		want    execUser
		wantErr string
	}{
		{spec: "", want: execUser{UID: 0, GID: 0, Groups: []int{0, 3000}, Home: "/root"}},
		{spec: "builder", want: execUser{UID: 1000, GID: 1000, Groups: []int{1000, 2000, 3000}, Home: "/home/builder"}},
		{spec: "1000", want: execUser{UID: 1000, GID: 1000, Groups: []int{1000, 2000, 3000}, Home: "/home/builder"}},
		{spec: "builder:extra", want: execUser{UID: 1000, GID: 2000, Groups: []int{2000}, Home: "/home/builder"}},
		{spec: "0:5", want: execUser{UID: 0, GID: 5, Groups: []int{5}, Home: "/root"}},
		{spec: "77", want: execUser{UID: 77, GID: 0, Groups: []int{0}, Home: "/"}},
		{spec: "ghost", wantErr: `no user named "ghost"`},
		{spec: "builder:ghosts", wantErr: `no group named "ghosts"`},
		{spec: "builder:", wantErr: "empty group"},
		{spec: "-1", wantErr: "negative"},
	}
	for _, tt := range tests {
		got, err := resolveUser(root, tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("resolveUser(%q) err = %v, want %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("resolveUser(%q): %v", tt.spec, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("resolveUser(%q) = %+v, want %+v", tt.spec, *got, tt.want)
		}
	}
}

func TestResolveUserWithoutEtc(t *testing.T) {
	got, err := resolveUser(t.TempDir(), "123:456")
	if err != nil || got.UID != 123 || got.GID != 456 || got.Home != "/" {
		t.Errorf("resolveUser in an empty rootfs = %+v, %v", got, err)
	}
	if _, err := resolveUser(t.TempDir(), "root"); err == nil {
		t.Error("a name resolved without /etc/passwd")
	}
}

func writeRootfsEtc(t *testing.T, root string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"etc/passwd": "# comment\nroot:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000::/home/builder:/bin/sh\n",
		"etc/group":  "root:x:0:\nbuilder:x:1000:\nextra:x:2000:builder\ntools:x:3000:root, builder\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
func TestLookupUser(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\napp:x:1001:\nstaff:x:50:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for spec, want := range map[string][2]int{"app": {1000, 1001}, "app:staff": {1000, 50}, "42": {42, 0}, "42:7": {42, 7}} {
		uid, gid, err := LookupUser(root, spec)
		if err != nil || uid != want[0] || gid != want[1] {
			t.Errorf("LookupUser(%q) = %d, %d, %v; want %v", spec, uid, gid, err, want)
		}
	}
	if _, _, err := LookupUser(root, "nobody"); err == nil {
		t.Error("an unknown user name resolved")
	}
}

func TestLookupChown(t *testing.T) {
	root := t.TempDir()
	writeRootfsEtc(t, root)
	for spec, want := range map[string][2]int{
		"builder": {1000, 1000}, "builder:extra": {1000, 2000}, "42": {42, 42}, "42:7": {42, 7},
		"root": {0, 0}, "nobodyhere": {0, 0}, "builder:nogroup": {1000, 1000}, "42:extra": {42, 2000},
	} {
		uid, gid, err := LookupChown(root, spec)
		if err != nil || uid != want[0] || gid != want[1] {
			t.Errorf("LookupChown(%q) = %d, %d, %v; want %v", spec, uid, gid, err, want)
		}
	}
	if uid, gid, err := LookupChown(t.TempDir(), "app:app"); err != nil || uid != 0 || gid != 0 {
		t.Errorf("without /etc/passwd: LookupChown = %d, %d, %v; want 0, 0", uid, gid, err)
	}
}
