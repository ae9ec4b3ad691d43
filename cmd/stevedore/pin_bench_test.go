package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sreevishnu07/stevedore/internal/registrytest"
	"github.com/sreevishnu07/stevedore/internal/signedrefs"
)

// BenchmarkPinCheckVerify100 runs `stevedore pin --check --verify` over a
// deploy file pinning 100 images signed with one key, per signature format
// and registry kind; refs/s is the figure to compare.
func BenchmarkPinCheckVerify100(b *testing.B) {
	const n = 100
	for _, bc := range []struct {
		name, format string
		start        func(testing.TB) string
	}{
		{"legacy", "legacy", registrytest.InProcess},
		{"bundle/tag-schema", "bundle", registrytest.InProcess},
		{"bundle/referrers-API", "bundle", registrytest.InProcessReferrers},
		{"both/tag-schema", "both", registrytest.InProcess},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f, err := signedrefs.Make(b.Context(), bc.start(b), n, bc.format)
			if err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			deploy, pub := filepath.Join(dir, "deploy.yaml"), filepath.Join(dir, "cosign.pub")
			for p, data := range map[string][]byte{deploy: f.Deploy, pub: f.Pub} {
				if err := os.WriteFile(p, data, 0o644); err != nil {
					b.Fatal(err)
				}
			}
			getenv := func(string) string { return "" }
			for b.Loop() {
				var out, errOut bytes.Buffer
				if code := run(context.Background(), []string{"stevedore", "pin", "--check", "--verify", "--key", pub, deploy}, strings.NewReader(""), &out, &errOut, getenv); code != 0 {
					b.Fatalf("exit %d:\n%s%s", code, out.String(), errOut.String())
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "refs/s")
		})
	}
}
