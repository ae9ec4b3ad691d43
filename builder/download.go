package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"
)

// download is an ADD source fetched over HTTP.
type download struct {
	url, file, name string
	modTime         time.Time
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// fetch downloads an ADD URL into the build directory, verifying --checksum
// when given. Without one the content is hashed so a changed remote file
// misses the cache.
func (sr *sources) fetch(ctx context.Context, rawURL, checksum string) (download, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return download{}, "", fmt.Errorf("parsing ADD URL %s: %w", rawURL, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return download{}, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return download{}, "", fmt.Errorf("downloading %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return download{}, "", fmt.Errorf("downloading %s: %s", rawURL, resp.Status)
	}
	f, err := os.CreateTemp(sr.work, "add-")
	if err != nil {
		return download{}, "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), resp.Body); err != nil {
		return download{}, "", fmt.Errorf("downloading %s: %w", rawURL, err)
	}
	sum := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if checksum != "" && checksum != sum {
		return download{}, "", fmt.Errorf("downloading %s: checksum mismatch: --checksum=%s but the content is %s", rawURL, checksum, sum)
	}
	d := download{url: rawURL, file: f.Name(), name: path.Base(u.Path)}
	if d.name == "/" || d.name == "." {
		d.name = "index.html"
	}
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		d.modTime = lm
	}
	return d, sum, nil
}
