package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	actionscache "github.com/tonistiigi/go-actions-cache"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// GHACache is a type=gha cache: GitHub Actions' cache service. stevedore
// stores the same entries as in a registry cache — the cache manifest
// (whose annotation maps step keys to layers) under a key per scope, and
// each layer as a blob keyed by its digest, shared by every scope. The
// entries are stevedore's own: buildx's gha cache is not read or written.
type GHACache struct {
	Scope string
	// URL is the cache service; V2 selects its twirp API (ACTIONS_RESULTS_URL).
	URL string
	V2  bool
	// Token is ACTIONS_RUNTIME_TOKEN. It is never printed: String and every
	// error leave it out.
	Token       string
	Timeout     time.Duration
	IgnoreError bool
}

// String names the cache in messages, without its token.
func (g GHACache) String() string { return "type=gha,scope=" + g.Scope }

// ghaAttrs are the attributes BuildKit's gha backend takes.
var ghaAttrs = []string{"scope", "url", "url_v2", "token", "timeout", "version"}

// parseGHA reads type=gha attributes. url and token default from the
// variables GitHub gives JavaScript actions (the stevedore action exports
// them to its steps): ACTIONS_CACHE_URL, or ACTIONS_RESULTS_URL when
// ACTIONS_CACHE_SERVICE_V2 is set, and ACTIONS_RUNTIME_TOKEN.
func parseGHA(attrs map[string]string, getenv func(string) string) (GHACache, error) {
	g := GHACache{Scope: attrs["scope"], Token: attrs["token"], Timeout: 10 * time.Minute}
	if g.Scope == "" {
		g.Scope = "buildkit"
	}
	if g.Token == "" {
		g.Token = getenv("ACTIONS_RUNTIME_TOKEN")
	}
	if v := attrs["timeout"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return GHACache{}, fmt.Errorf("timeout=%s: want a duration such as timeout=10m", v)
		}
		g.Timeout = d
	}
	if v := attrs["ignore-error"]; v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return GHACache{}, fmt.Errorf("ignore-error=%s: want ignore-error=true or false", v)
		}
		g.IgnoreError = b
	}
	version := attrs["version"]
	switch version {
	case "", "1", "2":
	default:
		return GHACache{}, fmt.Errorf("version=%s: want version=1 or version=2 (the cache service API)", version)
	}
	v2env, _ := strconv.ParseBool(getenv("ACTIONS_CACHE_SERVICE_V2"))
	switch {
	case version == "2" || (version == "" && (attrs["url_v2"] != "" || (attrs["url"] == "" && v2env))):
		g.V2, g.URL = true, attrs["url_v2"]
		if g.URL == "" {
			g.URL = attrs["url"]
		}
		if g.URL == "" {
			g.URL = getenv("ACTIONS_RESULTS_URL")
		}
	default:
		if g.URL = attrs["url"]; g.URL == "" {
			g.URL = getenv("ACTIONS_CACHE_URL")
		}
	}
	return g, nil
}

// RedactCacheSpec is a cache-from or cache-to value fit for messages: a
// type=gha token= attribute is replaced by ***.
func RedactCacheSpec(spec string) string {
	parts := strings.Split(spec, ",")
	for i, kv := range parts {
		if k, _, ok := strings.Cut(kv, "="); ok && strings.EqualFold(strings.TrimSpace(k), "token") {
			parts[i] = k + "=***"
		}
	}
	return strings.Join(parts, ",")
}

// ghaStore reads and writes a GHACache through go-actions-cache.
type ghaStore struct {
	g GHACache
	c *actionscache.Cache
}

const ghaKeyPrefix = "stevedore-1-"

func (s *ghaStore) indexKey() string { return ghaKeyPrefix + "index-" + s.g.Scope }
func blobKey(d string) string        { return ghaKeyPrefix + "blob-" + d }

// openGHA checks the cache's settings and token before anything is sent.
func openGHA(g GHACache) (*ghaStore, error) {
	if g.URL == "" {
		return nil, fmt.Errorf("%s: no cache service URL: run in GitHub Actions through the stevedore action (it exports ACTIONS_CACHE_URL / ACTIONS_RESULTS_URL), or set url=URL", g)
	}
	if g.Token == "" {
		return nil, fmt.Errorf("%s: no token: run in GitHub Actions through the stevedore action (it exports ACTIONS_RUNTIME_TOKEN), or set token=TOKEN", g)
	}
	c, err := actionscache.New(g.Token, g.URL, g.V2, actionscache.Opt{Timeout: g.Timeout})
	if err != nil {
		return nil, fmt.Errorf("%s: the token is not a GitHub Actions runtime token (%s): check ACTIONS_RUNTIME_TOKEN or token=", g, g.redact(err))
	}
	return &ghaStore{g: g, c: c}, nil
}

// redact is err's message without the token, should a server echo it.
func (g GHACache) redact(err error) string {
	msg := err.Error()
	if g.Token != "" {
		msg = strings.ReplaceAll(msg, g.Token, "***")
	}
	return msg
}

// wrap names the cache and, when the service refused the token, the fix.
func (g GHACache) wrap(doing string, err error) error {
	msg := g.redact(err)
	var he actionscache.HTTPError
	if errors.As(err, &he) {
		switch he.StatusCode {
		case http.StatusUnauthorized:
			msg = fmt.Sprintf("the cache service refused the token (HTTP 401: %s): check ACTIONS_RUNTIME_TOKEN or token= (a runtime token is valid only in the job it was issued to)", msg)
		case http.StatusForbidden:
			msg = fmt.Sprintf("the token may not do this (HTTP 403: %s): check ACTIONS_RUNTIME_TOKEN or token=", msg)
		}
	}
	return fmt.Errorf("%s %s: %s", doing, g, msg)
}

// manifest is the scope's cache manifest, or nil on a first run.
func (s *ghaStore) manifest(ctx context.Context) ([]byte, error) {
	e, err := s.c.Load(ctx, s.indexKey()+"#")
	if err != nil || e == nil {
		return nil, err
	}
	var buf strings.Builder
	if err := e.WriteTo(ctx, &buf); err != nil {
		return nil, err
	}
	return []byte(buf.String()), nil
}

// blob opens a layer stored by digest.
func (s *ghaStore) blob(ctx context.Context, digest string) (io.ReadCloser, error) {
	e, err := s.c.Load(ctx, blobKey(digest))
	if err != nil {
		return nil, s.g.wrap("reading layer "+digest+" from build cache", err)
	}
	if e == nil {
		return nil, fmt.Errorf("layer %s is missing from build cache %s (evicted): it is rebuilt", digest, s.g)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(e.WriteTo(ctx, pw)) }()
	return pr, nil
}

// export saves the layers the service lacks, then the manifest over the
// scope's previous one, so a reader never sees a manifest whose layers are
// not all there.
func (s *ghaStore) export(ctx context.Context, used map[string]v1.Layer) error {
	img, err := cacheImage(used)
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		if err := s.saveLayer(ctx, l); err != nil {
			return err
		}
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return err
	}
	return s.c.SaveMutable(ctx, s.indexKey(), 15*time.Second, func(*actionscache.Entry) (actionscache.Blob, error) {
		return actionscache.NewBlob(manifest), nil
	})
}

func (s *ghaStore) saveLayer(ctx context.Context, l v1.Layer) error {
	d, err := l.Digest()
	if err != nil {
		return err
	}
	if e, err := s.c.Load(ctx, blobKey(d.String())); err != nil {
		return err
	} else if e != nil {
		return nil
	}
	f, err := os.CreateTemp("", "stevedore-gha-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	n, err := io.Copy(f, rc)
	rc.Close()
	if err != nil {
		return err
	}
	err = s.c.Save(ctx, blobKey(d.String()), fileBlob{f, n})
	if errors.Is(err, os.ErrExist) {
		return nil // saved meanwhile by a concurrent build
	}
	return err
}

type fileBlob struct {
	*os.File
	size int64
}

func (b fileBlob) Size() int64 { return b.size }

// Close does nothing: saveLayer closes and removes the file itself.
func (b fileBlob) Close() error { return nil }

// exportGHACache writes the build's cache entries; with ignore-error a
// failure is a warning on res instead.
func exportGHACache(ctx context.Context, g GHACache, used map[string]v1.Layer, res *Result) error {
	s, err := openGHA(g)
	if err == nil {
		if err = s.export(ctx, used); err != nil {
			err = g.wrap("exporting build cache to", err)
		}
	} else {
		err = fmt.Errorf("exporting build cache: %w", err)
	}
	if err != nil && g.IgnoreError {
		res.Warnings = append(res.Warnings, err.Error()+" (ignore-error=true: the build goes on)")
		return nil
	}
	return err
}
