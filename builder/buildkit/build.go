package buildkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/tonistiigi/fsutil"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/store"
)

// Driver builds through a BuildKit daemon's dockerfile frontend and exports
// the result as OCI into stevedore's image store, so the release reads the
// same local content as after an embedded build and never pulls back what
// was built.
type Driver struct {
	addr Address
	tls  *TLS
	c    *client.Client // from Check, reused; nil: dial per build
}

// NewDriver builds on the daemon at a. c is a client Check returned, or nil
// to dial for each build.
func NewDriver(a Address, tlsFiles *TLS, c *client.Client) *Driver {
	return &Driver{addr: a, tls: tlsFiles, c: c}
}

// Address is the daemon the driver builds on.
func (d *Driver) Address() Address { return d.addr }

// Build solves the Dockerfile with the options of stevedore build on the
// daemon at a: a shorthand for builder.Build with WithDriver.
func Build(ctx context.Context, a Address, tlsFiles *TLS, opts ...builder.Option) (*builder.Result, error) {
	return builder.Build(ctx, append(opts, builder.WithDriver(NewDriver(a, tlsFiles, nil)))...)
}

// dockerfileFrontend is the frontend built into every buildkitd: the
// Dockerfile semantics are the daemon's own.
const dockerfileFrontend = "dockerfile.v0"

// Build implements builder.Driver.
func (d *Driver) Build(ctx context.Context, req builder.Request) (*builder.Result, error) {
	where := "builder " + d.addr.Raw
	st, opt, c, closeClient, err := d.prepare(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("building on %s: %w", where, err)
	}
	defer closeClient()
	opt.Exports = []client.ExportEntry{{
		Type: client.ExporterOCI,
		Attrs: map[string]string{
			// Layer file times are clamped to SOURCE_DATE_EPOCH, as the
			// embedded builder does, so rebuilds give the same digest.
			"rewrite-timestamp": "true",
			"oci-mediatypes":    "true",
			// Blobs go into the store one by one, and only those it lacks.
			"tar": "false",
		},
		OutputStore: contentStore{st: st},
	}}
	res := &builder.Result{}
	prog := newProgress(req, res)
	status := make(chan *client.SolveStatus)
	done := make(chan struct{})
	go func() {
		defer close(done)
		prog.consume(status)
	}()
	resp, err := c.Solve(ctx, nil, opt, status) // closes status
	<-done
	if err != nil {
		return nil, fmt.Errorf("building %s on %s: %w", req.Dockerfile, where, err)
	}
	res.Warnings = prog.warnings
	res.Checks = findings(prog.checks, req.Dockerfile)
	if err := exportResult(st, resp.ExporterResponse, res, req.Platforms); err != nil {
		return nil, fmt.Errorf("reading the image %s exported: %w", where, err)
	}
	return res, nil
}

// prepare opens the image store, maps req onto the frontend's options and
// connects to the daemon (or reuses the client from Check); done closes
// what it opened.
func (d *Driver) prepare(ctx context.Context, req builder.Request) (*store.Store, client.SolveOpt, *client.Client, func(), error) {
	done := func() {}
	st, err := store.Open(storeDir(req))
	if err != nil {
		return nil, client.SolveOpt{}, nil, done, err
	}
	opt, err := solveOpt(req, st)
	if err != nil {
		return nil, client.SolveOpt{}, nil, done, err
	}
	c := d.c
	if c == nil {
		if c, err = client.New(ctx, d.addr.Raw, clientOptions(d.tls)...); err != nil {
			return nil, client.SolveOpt{}, nil, done, fmt.Errorf("connecting: %w: %w (check --builder)", ErrUnreachable, err)
		}
		done = func() { c.Close() }
	}
	return st, opt, c, done, nil
}

// storeDir is the image store the result's blobs go to.
func storeDir(req builder.Request) string {
	if req.CacheDir != "" {
		return req.CacheDir
	}
	// Blobs must outlive the build (push, SBOM and signing read them);
	// a shared, content-addressed store costs nothing to keep.
	return filepath.Join(os.TempDir(), "stevedore-buildkit-store")
}

// solveOpt maps a request onto the dockerfile frontend's attributes, as
// buildx and buildctl do.
func solveOpt(req builder.Request, st *store.Store) (client.SolveOpt, error) {
	attrs := map[string]string{"filename": filepath.Base(req.Dockerfile)}
	if req.Target != "" {
		attrs["target"] = req.Target
	}
	for k, v := range req.BuildArgs {
		attrs["build-arg:"+k] = v
	}
	// The epoch always goes in, as the embedded builder always has one
	// (1970 when none is set): the image's created time and the clamp for
	// layer file times then agree between the two builders.
	epoch := req.Epoch
	if epoch.IsZero() {
		epoch = time.Unix(0, 0)
	}
	attrs["build-arg:SOURCE_DATE_EPOCH"] = strconv.FormatInt(epoch.Unix(), 10)
	var ps []string
	for _, p := range req.Platforms {
		ps = append(ps, p.String())
	}
	if len(ps) > 0 {
		attrs["platform"] = strings.Join(ps, ",")
	}
	if req.NoCache {
		attrs["no-cache"] = ""
	}
	contextFS, err := localFS(req.ContextDir, req.Exclude)
	if err != nil {
		return client.SolveOpt{}, err
	}
	dockerfileFS, err := fsutil.NewFS(filepath.Dir(req.Dockerfile))
	if err != nil {
		return client.SolveOpt{}, fmt.Errorf("reading the Dockerfile's directory: %w", err)
	}
	mounts := map[string]fsutil.FS{"context": contextFS, "dockerfile": dockerfileFS}
	opt := client.SolveOpt{Frontend: dockerfileFrontend, FrontendAttrs: attrs, LocalMounts: mounts, SharedKey: sharedKey(req.ContextDir)}
	for name, nc := range req.Named {
		switch {
		case nc.Dir != "":
			fs, err := fsutil.NewFS(nc.Dir)
			if err != nil {
				return client.SolveOpt{}, fmt.Errorf("reading build context %s: %w", name, err)
			}
			local := "named-" + name
			mounts[local] = fs
			attrs["context:"+name] = "local:" + local
		case nc.Ref != nil:
			attrs["context:"+name] = "docker-image://" + nc.Ref.String()
		default:
			src, err := namedImage(st, &opt, nc.Image, nc.Index)
			if err != nil {
				return client.SolveOpt{}, fmt.Errorf("sending build context %s: %w", name, err)
			}
			attrs["context:"+name] = src
		}
	}
	if len(req.Secrets) > 0 {
		var srcs []secretsprovider.Source
		for id, file := range req.Secrets {
			srcs = append(srcs, secretsprovider.Source{ID: id, FilePath: file})
		}
		ss, err := secretsprovider.NewStore(srcs)
		if err != nil {
			return client.SolveOpt{}, fmt.Errorf("reading secrets: %w", err)
		}
		opt.Session = append(opt.Session, secretsprovider.NewSecretProvider(ss))
	}
	if len(req.SSH) > 0 {
		var confs []sshprovider.AgentConfig
		for _, id := range slices.Sorted(maps.Keys(req.SSH)) {
			confs = append(confs, sshprovider.AgentConfig{ID: id, Paths: []string{req.SSH[id]}})
		}
		sp, err := sshprovider.NewSSHAgentProvider(confs)
		if err != nil {
			return client.SolveOpt{}, fmt.Errorf("forwarding the SSH agents of --ssh: %w", err)
		}
		opt.Session = append(opt.Session, sp)
	}
	for _, ref := range req.CacheFrom {
		opt.CacheImports = append(opt.CacheImports, client.CacheOptionsEntry{Type: "registry", Attrs: map[string]string{"ref": ref.String()}})
	}
	if req.CacheTo != nil {
		opt.CacheExports = []client.CacheOptionsEntry{{Type: "registry", Attrs: map[string]string{"ref": req.CacheTo.String(), "mode": "max"}}}
	}
	// The BuildKit client reads and writes type=local caches itself, on
	// this machine, as buildx does.
	for _, dir := range req.LocalCacheFrom {
		opt.CacheImports = append(opt.CacheImports, client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"src": dir}})
	}
	if req.LocalCacheTo != "" {
		opt.CacheExports = append(opt.CacheExports, client.CacheOptionsEntry{Type: "local", Attrs: map[string]string{"dest": req.LocalCacheTo, "mode": "max"}})
	}
	// The daemon implements type=gha itself: it gets the service's URL and
	// token as buildx passes them, and stores BuildKit's own entries.
	for _, g := range req.GHACacheFrom {
		opt.CacheImports = append(opt.CacheImports, client.CacheOptionsEntry{Type: "gha", Attrs: ghaAttrs(g)})
	}
	if g := req.GHACacheTo; g != nil {
		attrs := ghaAttrs(*g)
		attrs["mode"] = "max"
		if g.IgnoreError {
			attrs["ignore-error"] = "true"
		}
		opt.CacheExports = append(opt.CacheExports, client.CacheOptionsEntry{Type: "gha", Attrs: attrs})
	}
	return opt, nil
}

// ghaAttrs are BuildKit's attributes for a type=gha cache.
func ghaAttrs(g builder.GHACache) map[string]string {
	attrs := map[string]string{"scope": g.Scope, "token": g.Token, "timeout": g.Timeout.String(), "version": "1"}
	if g.V2 {
		attrs["url_v2"], attrs["version"] = g.URL, "2"
	} else {
		attrs["url"] = g.URL
	}
	return attrs
}

// sharedKey names this machine's copy of the context for the daemon, which
// keeps the last one it received under it: a rebuild then sends only the
// files that changed, as buildx does, instead of the whole context.
func sharedKey(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host + "\x00" + dir))
	return hex.EncodeToString(sum[:16])
}

// localFS is the context directory without stevedore's own outputs; the
// frontend applies .dockerignore on top.
func localFS(dir string, exclude []string) (fsutil.FS, error) {
	fs, err := fsutil.NewFS(dir)
	if err != nil {
		return nil, fmt.Errorf("reading build context %s: %w", dir, err)
	}
	var patterns []string
	for _, p := range exclude {
		if p = filepath.ToSlash(filepath.Clean(p)); p != "." && !strings.HasPrefix(p, "../") && p != ".." {
			patterns = append(patterns, p)
		}
	}
	if len(patterns) == 0 {
		return fs, nil
	}
	return fsutil.NewFilterFS(fs, &fsutil.FilterOpt{ExcludePatterns: patterns})
}

// platformOf names a platform for progress lines.
func platformOf(ps []v1.Platform) string {
	if len(ps) == 1 {
		return ps[0].String()
	}
	return ""
}
