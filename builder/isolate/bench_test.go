package isolate

import (
	"context"
	"testing"
)

// BenchmarkRunTrue measures the fixed cost of one RUN step per isolation
// mode (reported, never asserted).
func BenchmarkRunTrue(b *testing.B) {
	needRoot(b)
	root := busyboxRootfs(b)
	modes := []Isolation{IsolationNamespaces, IsolationRootless}
	if haveRunc() {
		modes = append(modes, IsolationOCI)
	}
	for _, mode := range modes {
		b.Run(string(mode), func(b *testing.B) {
			for b.Loop() {
				if err := Run(context.Background(), Spec{Rootfs: root, Args: []string{"/bin/true"}}, WithIsolation(mode)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
