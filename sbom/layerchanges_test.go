package sbom

import (
	"archive/tar"
	"bytes"
	"reflect"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/opencontainers/go-digest"
	ocidentity "github.com/opencontainers/image-spec/identity"
)

// chainIDs agrees with the OCI image-spec's own implementation for stacks
// of one, two and three layers, and a layer's ChainID depends on its base.
func TestChainIDs(t *testing.T) {
	var diffIDs []v1.Hash
	var dgsts []digest.Digest
	for _, s := range []string{"base", "app", "config"} {
		h, _, err := v1.SHA256(bytes.NewReader([]byte(s)))
		if err != nil {
			t.Fatal(err)
		}
		diffIDs = append(diffIDs, h)
		dgsts = append(dgsts, digest.Digest(h.String()))
	}
	for n := 1; n <= len(diffIDs); n++ {
		got := chainIDs(diffIDs[:n])
		want := ocidentity.ChainIDs(append([]digest.Digest(nil), dgsts[:n]...))
		if len(got) != n {
			t.Fatalf("%d layers: %d ChainIDs", n, len(got))
		}
		for i := range got {
			if got[i].String() != want[i].String() {
				t.Errorf("%d layers: ChainID %d = %s, want %s", n, i, got[i], want[i])
			}
		}
	}
	onOther := chainIDs([]v1.Hash{diffIDs[2], diffIDs[1]})
	if onOther[1] == chainIDs(diffIDs)[1] {
		t.Error("the same layer on another base has the same ChainID")
	}
}

type tarEntry struct {
	name     string
	typeflag byte
	body     string
	link     string
}

func rawTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typeflag, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link, ModTime: fixtureTime, Format: tar.FormatPAX}
		if e.typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readChanges reports every kind of entry by its absolute path, whiteouts by
// the path they delete and opaque markers by their directory, from a real
// layer.
func TestReadChanges(t *testing.T) {
	raw := rawTar(t,
		tarEntry{name: "etc/", typeflag: tar.TypeDir},
		tarEntry{name: "./etc/os-release", typeflag: tar.TypeReg, body: "ID=x\n"},
		tarEntry{name: "lib", typeflag: tar.TypeSymlink, link: "usr/lib"},
		tarEntry{name: "bin/sh", typeflag: tar.TypeLink, link: "bin/busybox"},
		tarEntry{name: "dev/null", typeflag: tar.TypeChar},
		tarEntry{name: "var/lib/dpkg/.wh.status", typeflag: tar.TypeReg},
		tarEntry{name: "opt/app/.wh..wh..opq", typeflag: tar.TypeReg},
		tarEntry{name: "/abs/../usr/bin/x", typeflag: tar.TypeReg, body: "bin"},
	)
	got, err := layerChangesOf(static.NewLayer(raw, types.OCIUncompressedLayer))
	if err != nil {
		t.Fatal(err)
	}
	want := []layerChange{
		{"/etc", kindDir}, {"/etc/os-release", kindFile}, {"/lib", kindLink}, {"/bin/sh", kindLink},
		{"/dev/null", kindOther}, {"/var/lib/dpkg/status", kindWhiteout}, {"/opt/app", kindOpaque},
		{"/usr/bin/x", kindFile},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes = %v\nwant %v", got, want)
	}

	if _, err := readChanges(bytes.NewReader(raw[:700])); err == nil {
		t.Error("a truncated layer read without error")
	}
}

// tree.apply squashes layers the way an overlay file system does.
func TestTreeApply(t *testing.T) {
	tr := tree{}
	tr.apply([]layerChange{{"/etc", kindDir}, {"/etc/a", kindFile}, {"/opt", kindDir}, {"/opt/x/y", kindFile}, {"/lib", kindLink}, {"/lib/z", kindFile}})
	tr.apply([]layerChange{{"/etc/a", kindWhiteout}, {"/opt", kindOpaque}, {"/lib", kindDir}, {"/etc", kindDir}})
	want := tree{"/etc": kindDir, "/opt": kindDir, "/lib": kindDir}
	if !reflect.DeepEqual(tr, want) {
		t.Errorf("tree = %v, want %v", tr, want)
	}
}

// touches: whiteouts and opaque directories touch everything under them, a
// non-directory entry replaces what was under its path, a directory entry
// only its own path unless it replaces a link.
func TestTouches(t *testing.T) {
	lower := tree{"/lib": kindLink, "/usr": kindDir, "/usr/lib": kindDir, "/etc": kindDir, "/etc/os-release": kindFile}
	relied := []string{"/etc/os-release", "/lib/apk/db/installed", "/usr/lib/os-release", "/var/lib/dpkg/status", "/usr"}
	for _, c := range []struct {
		name   string
		change layerChange
		want   string // "" for untouched
	}{
		{"new unrelated file", layerChange{"/usr/local/bin/hello", kindFile}, ""},
		{"file replaced", layerChange{"/etc/os-release", kindFile}, "/etc/os-release"},
		{"file looked up but absent, now added", layerChange{"/var/lib/dpkg/status", kindFile}, "/var/lib/dpkg/status"},
		{"sibling with a common prefix", layerChange{"/etc/os-release.d", kindFile}, ""},
		{"whiteout of the file", layerChange{"/var/lib/dpkg/status", kindWhiteout}, "/var/lib/dpkg/status"},
		{"whiteout of a parent directory", layerChange{"/var/lib", kindWhiteout}, "/var/lib/dpkg/status"},
		{"whiteout of an unrelated path", layerChange{"/var/cache", kindWhiteout}, ""},
		{"opaque parent directory", layerChange{"/etc", kindOpaque}, "/etc/os-release"},
		{"opaque directory that was relied on itself", layerChange{"/usr", kindOpaque}, "/usr/lib/os-release"},
		{"opaque unrelated directory", layerChange{"/opt", kindOpaque}, ""},
		{"opaque root", layerChange{"/", kindOpaque}, "/etc/os-release"},
		{"file replacing a parent directory", layerChange{"/var", kindFile}, "/var/lib/dpkg/status"},
		{"link replacing a parent directory", layerChange{"/etc", kindLink}, "/etc/os-release"},
		{"directory over a directory", layerChange{"/etc", kindDir}, ""},
		{"directory over a relied directory", layerChange{"/usr", kindDir}, "/usr"},
		{"directory replacing a link", layerChange{"/lib", kindDir}, "/lib/apk/db/installed"},
		{"new directory", layerChange{"/srv", kindDir}, ""},
		{"device at a relied path", layerChange{"/var/lib/dpkg/status", kindOther}, "/var/lib/dpkg/status"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := touches([]layerChange{c.change}, lower, relied)
			if ok != (c.want != "") || got != c.want {
				t.Errorf("touches(%v) = %q, %v; want %q", c.change, got, ok, c.want)
			}
		})
	}
}
