package lint

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkBuild measures the checks a build runs on a generated
// Dockerfile of about n lines (ENV, LABEL, COPY, RUN), over scratch.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{100, 1000, 4000} {
		var sb strings.Builder
		sb.WriteString("FROM scratch\n")
		for i := 0; i < n/4; i++ {
			fmt.Fprintf(&sb, "ENV V%d=%d\nLABEL l%d=x\nCOPY f%d /f%d\nRUN echo $V%d\n", i, i, i, i, i, i)
		}
		dt := []byte(sb.String())
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Build(context.Background(), dt, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
