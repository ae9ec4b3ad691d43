package builder

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sreevishnu07/stevedore/publish"
)

// BenchmarkBuildCopyHeavyToLayout is the COPY-heavy cold build followed by
// its publish to an OCI layout, alternating two ways of writing the
// output in one run: "shared", where the layout hard-links the layer the
// build left in its cache, and "copied", where the layer is hidden behind
// a plain v1.Layer so the layout writes it again (what every build did
// before). It reports wall seconds and bytes written to storage
// (/proc/self/io write_bytes) per build for each, and their ratios.
func BenchmarkBuildCopyHeavyToLayout(b *testing.B) {
	if _, err := writeBytes(); err != nil {
		b.Skipf("no /proc/self/io: %v", err)
	}
	ctxDir := b.TempDir()
	copyHeavyContext(b, ctxDir, benchFiles, benchBytes)
	work := b.TempDir()
	var secs, written [2]float64
	var runs [2]int
	b.ResetTimer()
	for i := 0; i < 2*b.N; i++ {
		mode := i % 2 // 0 shared, 1 copied
		cache, out := filepath.Join(work, "cache"), filepath.Join(work, "out")
		w0, _ := writeBytes()
		t0 := time.Now()
		res := benchBuild(b, ctxDir, cache)
		var img v1.Image = res.Image
		if mode == 1 {
			img = blobsHidden{res.Image}
		}
		art, err := publish.NewArtifact(img)
		if err != nil {
			b.Fatal(err)
		}
		ref, err := publish.ParseReference("oci:" + out + ":bench")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := publish.PublishArtifact(b.Context(), art, []publish.Reference{ref}, nil); err != nil {
			b.Fatal(err)
		}
		secs[mode] += time.Since(t0).Seconds()
		w1, _ := writeBytes()
		written[mode] += float64(w1 - w0)
		runs[mode]++
		b.StopTimer()
		os.RemoveAll(cache)
		os.RemoveAll(out)
		b.StartTimer()
	}
	for m, name := range []string{"shared", "copied"} {
		b.ReportMetric(secs[m]/float64(runs[m]), name+"-s/build")
		b.ReportMetric(written[m]/float64(runs[m])/(1<<20), name+"-MBwritten/build")
	}
	b.ReportMetric(secs[0]/secs[1], "time-shared/copied")
	b.ReportMetric(written[0]/written[1], "written-shared/copied")
}

// blobsHidden is an image whose layers are plain v1.Layers: no file for a
// layout to link, so its blobs are written through go-containerregistry.
type blobsHidden struct{ v1.Image }

type plainLayer struct{ v1.Layer }

func (i blobsHidden) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	for j := range ls {
		ls[j] = plainLayer{ls[j]}
	}
	return ls, err
}

// writeBytes is this process's write_bytes from /proc/self/io: bytes it
// caused to be sent to storage.
func writeBytes() (int64, error) {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "write_bytes: "); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no write_bytes in /proc/self/io")
}
