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
