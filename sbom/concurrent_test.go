package sbom

import (
	"bytes"
	"context"
	"sync"
	"testing"
)

// Generate calls running at once (the platforms of an index) share the
// license scanner and syft's default configuration; each still gives the
// document a lone call gives, byte for byte.
func TestConcurrentGenerateMatchesSequential(t *testing.T) {
	img := viaLayout(t, fixtureImage(t))
	encode := func(s *SBOM) []byte {
		var b bytes.Buffer
		if err := s.Encode(&b, SPDXJSON); err != nil {
			t.Error(err)
		}
		return b.Bytes()
	}
	alone, err := Generate(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	want := encode(alone)
	var wg sync.WaitGroup
	got := make([][]byte, 3)
	for i := range got {
		wg.Go(func() {
			s, err := Generate(context.Background(), img)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = encode(s)
		})
	}
	wg.Wait()
	for i, g := range got {
		if !bytes.Equal(g, want) {
			t.Errorf("concurrent Generate %d differs from a lone one (%d bytes against %d)", i, len(g), len(want))
		}
	}
}

// BenchmarkGenerateTwoPlatforms catalogs two images (an index's platforms)
// one after the other and both at once, as a release's SBOM step does.
func BenchmarkGenerateTwoPlatforms(b *testing.B) {
	big, _ := bigImage(b)
	img := viaLayout(b, big)
	if _, err := Generate(context.Background(), img); err != nil { // builds the shared license scanner
		b.Fatal(err)
	}
	run := func(b *testing.B, parallel bool) {
		for b.Loop() {
			var wg sync.WaitGroup
			for range 2 {
				gen := func() {
					if _, err := Generate(context.Background(), img); err != nil {
						b.Error(err)
					}
				}
				if parallel {
					wg.Go(gen)
				} else {
					gen()
				}
			}
			wg.Wait()
		}
	}
	b.Run("one-after-another", func(b *testing.B) { run(b, false) })
	b.Run("two-at-once", func(b *testing.B) { run(b, true) })
}
