package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"time"
)

func TestClampTime(t *testing.T) {
	epoch := time.Unix(1000, 0)
	for _, tc := range []struct {
		in   time.Time
		want int64
	}{
		{time.Unix(2000, 5), 1000},
		{time.Unix(999, 999999999), 999},
		{time.Unix(1000, 1), 1000},
		{time.Time{}, 1000},
	} {
		if got := clampTime(tc.in, epoch); !got.Equal(time.Unix(tc.want, 0)) {
			t.Errorf("clampTime(%v) = %v, want %d", tc.in, got, tc.want)
		}
	}
}

// TestTarWhiteoutsAndOpaque writes a change set by hand: whiteouts have
// the epoch as mtime and nothing else, and the opaque marker comes right
// after its directory, before children that sort earlier than ".wh.".
func TestTarWhiteoutsAndOpaque(t *testing.T) {
	c := newChanges([]Entry{
		{Path: "d", Kind: KindDir, Opaque: true, Mode: 0o755, ModTime: time.Unix(1, 0)},
		{Path: "d/!first", Kind: KindFile, Mode: 0o644, data: []byte("!")},
		{Path: "d/gone", Kind: KindWhiteout},
		{Path: "top", Kind: KindWhiteout},
		{Path: "fifo", Kind: KindFIFO, Mode: 0o600, UID: 1 << 22},
	})
	var buf bytes.Buffer
	must(t, writeTar(t.Context(), &buf, c, testEpoch))
	tr := tar.NewReader(&buf)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		got = append(got, h.Name)
		switch h.Name {
		case "d/.wh.gone", ".wh.top", "d/.wh..wh..opq":
			if h.Typeflag != tar.TypeReg || h.Size != 0 || h.Mode != 0 || h.Uid != 0 || !h.ModTime.Equal(testEpoch) {
				t.Errorf("whiteout header %+v", h)
			}
		case "d/":
			if !h.ModTime.Equal(time.Unix(1, 0)) {
				t.Errorf("old time not kept: %v", h.ModTime)
			}
		case "fifo":
			if h.Uid != 1<<22 || h.Typeflag != tar.TypeFifo {
				t.Errorf("fifo header %+v", h)
			}
		}
	}
	want := []string{"d/", "d/.wh..wh..opq", "d/!first", "d/.wh.gone", "fifo", ".wh.top"}
	if !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
}

// TestTarFileChanged: a file that shrinks after it was listed must fail
// the layer, not produce a corrupt tar.
func TestTarFileChanged(t *testing.T) {
	dir := t.TempDir()
	p := put(t, dir, "f", "0123456789", 0o644)
	c, err := FromFiles(t.Context(), []File{{Path: "f", Source: p}})
	must(t, err)
	must(t, os.WriteFile(p, []byte("01"), 0o644))
	if err := writeTar(t.Context(), io.Discard, c, testEpoch); err == nil {
		t.Fatal("shrunk file written")
	}
}

func TestTarRefusesWhiteoutNames(t *testing.T) {
	c, err := FromFiles(t.Context(), []File{{Path: "etc/.wh.passwd", Data: []byte("x")}})
	must(t, err)
	if err := writeTar(t.Context(), io.Discard, c, testEpoch); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("file named like a whiteout: %v", err)
	}
}
