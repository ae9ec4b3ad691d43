package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkReleaseBinaryVersion builds the stripped linux/amd64 release
// binary with .ci/dist.sh (the default build, no KMS) and times
// whole runs of `stevedore --version`, the start-up every command pays. It
// reports the binary's size as MiB (the budget is 60 MiB, start-up 20 ms);
// bench/size.sh reports the same for both builds with package init counts.
func BenchmarkReleaseBinaryVersion(b *testing.B) {
	if testing.Short() {
		b.Skip("builds the release binary; skipped with -short")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		b.Skip("the size and start-up budgets are for linux/amd64")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		b.Fatal(err)
	}
	dist := b.TempDir()
	build := exec.Command("bash", filepath.Join(root, ".ci", "dist.sh"), "0.0.0-bench")
	build.Env = append(os.Environ(), "PLATFORMS=linux/amd64", "KMS=0", "DIST="+dist)
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf(".ci/dist.sh: %v\n%s", err, out)
	}
	bin := filepath.Join(dist, "stevedore_linux_amd64")
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if out, err := exec.Command(bin, "--version").CombinedOutput(); err != nil {
			b.Fatalf("%s --version: %v\n%s", bin, err, out)
		}
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
}
