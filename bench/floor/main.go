// Command floor writes a directory as one gzip-1 tar blob the way a layer
// has to be written at the least: tar, the same parallel gzip at the same
// level and block size as stevedore, sha256 of the compressed bytes, one
// file, fsync'd once at the end. bench/busydisk.sh times it next to a
// stevedore build to tell the cost of writing the bytes from stevedore's own.
package main

import (
	"archive/tar"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/klauspost/pgzip"
)

func main() {
	src := flag.String("C", "", "directory to archive")
	out := flag.String("o", "", "file to write")
	flag.Parse()
	if *src == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "floor: -C DIR and -o FILE are required")
		os.Exit(2)
	}
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	zw, err := pgzip.NewWriterLevel(io.MultiWriter(f, h), 1)
	if err != nil {
		return err
	}
	if err := zw.SetConcurrency(1<<20, runtime.GOMAXPROCS(0)); err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		r, err := os.Open(p)
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.Copy(tw, r)
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	fmt.Printf("sha256:%x\n", h.Sum(nil))
	return nil
}
