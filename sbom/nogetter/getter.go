// Package getter is a stand-in for github.com/hashicorp/go-getter with the
// API surface syft's internal/file package compiles against. syft downloads
// with go-getter only for sources stevedore never creates (snap packages
// fetched by name, remote archives); stevedore catalogs images it already
// holds. The real module links the AWS S3 and Google Cloud Storage clients,
// about a quarter of the binary, so release builds replace it with this
// package, whose downloads fail with ErrDownloadsUnsupported instead.
package getter

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

// ErrDownloadsUnsupported is returned by every download: a release binary
// of stevedore fetches nothing through go-getter.
var ErrDownloadsUnsupported = errors.New("downloading SBOM sources is not supported by stevedore's release binary (build with `go install github.com/sreevishnu07/stevedore/cmd/stevedore@VERSION` for the full downloader)")

// ClientMode is the mode a Client runs in.
type ClientMode uint

// The modes go-getter defines.
const (
	ClientModeInvalid ClientMode = iota
	ClientModeAny
	ClientModeFile
	ClientModeDir
)

// Getter downloads a URL; every implementation here refuses.
type Getter interface {
	Get(string, *url.URL) error
	GetFile(string, *url.URL) error
	ClientMode(*url.URL) (ClientMode, error)
	SetClient(*Client)
}

// Decompressor unpacks a downloaded archive.
type Decompressor interface {
	Decompress(dst, src string, dir bool, umask os.FileMode) error
}

// ProgressTracker reports a download's progress.
type ProgressTracker interface {
	TrackProgress(src string, currentSize, totalSize int64, stream io.ReadCloser) (body io.ReadCloser)
}

// ClientOption configures a Client.
type ClientOption func(*Client) error

// Client holds what a download needs; Get refuses.
type Client struct {
	Src, Dst         string
	Dir              bool
	Getters          map[string]Getter
	Decompressors    map[string]Decompressor
	ProgressListener ProgressTracker
	Options          []ClientOption
}

// Get applies the options and refuses the download, naming the source.
func (c *Client) Get() error {
	for _, o := range c.Options {
		if err := o(c); err != nil {
			return err
		}
	}
	return fmt.Errorf("get %s: %w", c.Src, ErrDownloadsUnsupported)
}

// WithProgress sets the client's progress tracker.
func WithProgress(pl ProgressTracker) func(*Client) error {
	return func(c *Client) error { c.ProgressListener = pl; return nil }
}

// WithDecompressors sets the client's decompressors.
func WithDecompressors(d map[string]Decompressor) func(*Client) error {
	return func(c *Client) error { c.Decompressors = d; return nil }
}

// refusing is every getter and decompressor of the stand-in.
type refusing struct{}

func (refusing) Get(string, *url.URL) error     { return ErrDownloadsUnsupported }
func (refusing) GetFile(string, *url.URL) error { return ErrDownloadsUnsupported }
func (refusing) ClientMode(*url.URL) (ClientMode, error) {
	return ClientModeInvalid, ErrDownloadsUnsupported
}
func (refusing) SetClient(*Client) {}
func (refusing) Decompress(string, string, bool, os.FileMode) error {
	return ErrDownloadsUnsupported
}

// The getters syft names; each refuses.
type (
	HttpGetter struct {
		refusing
		Client *http.Client
		Header http.Header
	}
	FileGetter struct{ refusing }
	GitGetter  struct{ refusing }
	GCSGetter  struct{ refusing }
	HgGetter   struct{ refusing }
	S3Getter   struct{ refusing }
)

// LimitedDecompressors has go-getter's archive extensions (syft derives the
// archive suffixes it accepts from them), each refusing.
func LimitedDecompressors(int, int64) map[string]Decompressor {
	m := map[string]Decompressor{}
	for _, ext := range []string{"bz2", "gz", "xz", "tar", "tar.bz2", "tar.gz", "tar.xz", "tar.zst",
		"tbz2", "tgz", "txz", "tzst", "zip", "zst"} {
		m[ext] = refusing{}
	}
	return m
}

// Decompressors is go-getter's default set, by extension.
var Decompressors = LimitedDecompressors(0, 0)
