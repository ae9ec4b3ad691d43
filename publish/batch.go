package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"
)

// Job is one artifact with where it goes and the tags to apply there.
// Either Artifact is set (content in hand) or Source, which PublishAll
// loads once every job's destinations and tags have been checked.
type Job struct {
	Artifact     Artifact
	Source       Reference
	Destinations []Reference
	Tags         []string
}

// Batch publishes many artifacts in one run. Everything published through
// one Batch shares:
//
//   - one upload per blob per registry: a blob several images or
//     destinations share is uploaded by the first that needs it; the others
//     wait for it, then find it with a HEAD or mount it from the repository
//     it went to (no second copy of the bytes);
//   - at most WithJobs blob uploads at once in total, across all images and
//     destinations; each streams its layer from its source, so memory does
//     not grow with the number or size of images;
//   - one authenticated connection setup per repository, for the pushes,
//     the tags and whatever else reaches the registry through
//     RemoteOptions (signing, verification): each repository is pinged
//     and handed a token once per batch, not once per request.
//
// A Batch is safe for concurrent use; it holds no context.
type Batch struct {
	o   *options
	sem chan struct{}

	mu      sync.Mutex
	clients map[string]*client // by repository
	blobs   map[blobKey]*blobUpload
	layouts map[string]*sync.Mutex // by layout directory
}

type blobKey struct {
	registry string
	digest   v1.Hash
}

// blobUpload is one blob's upload to one registry; done closes when it
// ends, after which repo (where it landed) and err are set.
type blobUpload struct {
	done chan struct{}
	repo Reference
	err  error
}

// NewBatch prepares a batch; opts are those of Publish.
func NewBatch(opts ...Option) *Batch {
	o := makeOptions(opts)
	return &Batch{
		o:       o,
		sem:     make(chan struct{}, o.jobs),
		clients: map[string]*client{},
		blobs:   map[blobKey]*blobUpload{},
		layouts: map[string]*sync.Mutex{},
	}
}

// PublishAll publishes every job in one batch: first all content, by
// digest, to every destination of every job, in parallel (WithJobs blob
// uploads at once); then, only if all of it arrived, the tags. The first
// failure cancels the rest of the content phase and no tag moves anywhere.
// Results are in the order of jobs.
func PublishAll(ctx context.Context, jobs []Job, opts ...Option) ([]*Result, error) {
	b := NewBatch(opts...)
	// Bad destinations or tags fail before anything is read.
	for _, j := range jobs {
		src := j.Source.String()
		if j.Source.ref == nil && !j.Source.layout {
			src = j.Artifact.Digest().String()
		}
		if err := checkTargets(src, j.Destinations, j.Tags); err != nil {
			return nil, err
		}
	}
	jobs = slices.Clone(jobs)
	for i, j := range jobs {
		if j.Artifact.Image == nil && j.Artifact.Index == nil {
			o := *b.o
			o.insecure = append(slices.Clone(o.insecure), j.Source.insecureHosts()...)
			art, err := Load(ctx, j.Source, func(x *options) { *x = o })
			if err != nil {
				return nil, err
			}
			jobs[i].Artifact = art
		}
		if err := b.check(jobs[i].Artifact, j.Destinations, j.Tags); err != nil {
			return nil, err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, j := range jobs {
		g.Go(func() error { return b.content(gctx, j.Artifact, j.Destinations) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]*Result, len(jobs))
	var moved []string
	for i, j := range jobs {
		res, err := b.tags(ctx, j.Artifact, j.Destinations, j.Tags, &moved)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}

// Tag moves tags at every destination of content already there (pushed
// through this batch, or earlier): tag phase of Publish alone, with the
// same order and error wording. A tag already at the digest is not
// written again.
func (b *Batch) Tag(ctx context.Context, art Artifact, dsts []Reference, tags []string) (*Result, error) {
	if err := b.check(art, dsts, tags); err != nil {
		return nil, err
	}
	var moved []string
	return b.tags(ctx, art, dsts, tags, &moved)
}

// Publish is PublishArtifact through the batch: several calls may run at
// once (one per image of a release) and share its uploads.
func (b *Batch) Publish(ctx context.Context, art Artifact, dsts []Reference, tags []string) (*Result, error) {
	if err := b.check(art, dsts, tags); err != nil {
		return nil, err
	}
	if err := b.content(ctx, art, dsts); err != nil {
		return nil, err
	}
	var moved []string
	return b.tags(ctx, art, dsts, tags, &moved)
}

func (b *Batch) check(art Artifact, dsts []Reference, tags []string) error {
	src := art.Digest().String()
	if err := checkTargets(src, dsts, tags); err != nil {
		return err
	}
	for _, d := range dsts {
		if h, ok := d.Digest(); ok && h != art.Digest() {
			return newKindError(ErrBadReference, nil, "publishing %s to %s: the destination is pinned to %s but the source is %s", src, d, h, art.Digest())
		}
	}
	return nil
}

// content sends art to every destination by digest, all destinations at
// once; the first failure cancels the others.
func (b *Batch) content(ctx context.Context, art Artifact, dsts []Reference) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, d := range dsts {
		g.Go(func() error {
			if err := b.pushContent(gctx, art, d); err != nil {
				return fmt.Errorf("publishing %s to %s (no tags were moved): %w", art.Digest(), d, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// tags applies tags everywhere, once the content is at every destination.
// moved collects the tags moved so far in this run, for the error message.
func (b *Batch) tags(ctx context.Context, art Artifact, dsts []Reference, tags []string, moved *[]string) (*Result, error) {
	res := &Result{}
	for _, d := range dsts {
		dt := destinationTags(d, tags)
		if err := b.applyTags(ctx, art, d, dt); err != nil {
			already := "none"
			if len(*moved) > 0 {
				already = strings.Join(*moved, ", ")
			}
			return nil, fmt.Errorf("tagging %s (content is at every destination; tags already moved: %s): %w", d, already, err)
		}
		for _, t := range dt {
			*moved = append(*moved, tagged(d, t))
		}
		res.Destinations = append(res.Destinations, Destination{
			Ref:    d.pinnedTo(art.Digest()),
			Digest: art.Digest().String(),
			Tags:   dt,
		})
	}
	return res, nil
}

// client is how a batch reaches one repository: one transport
// authenticated for it with push scope (which includes pull), made with
// one ping and one token request, and go-containerregistry's pusher (which
// remembers what is already there) and puller over it. Every request of
// the batch to the repository goes through it: the push check, the blobs,
// the manifests, the tags and, through RemoteOptions, signing and
// verification.
type client struct {
	ready  chan struct{} // closed once the fields below are set
	err    error
	tr     http.RoundTripper
	opts   []remote.Option // without a context
	pusher *remote.Pusher
	puller *remote.Puller
}

// credentialsError is a keychain that could not answer for a repository.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return "reading credentials: " + e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// client is d's repository's client, made by the first caller; the others
// wait for it. A failed one is forgotten, so a later call tries again.
func (b *Batch) client(ctx context.Context, d Reference) (*client, error) {
	repo := d.ref.Context()
	key := repo.String()
	b.mu.Lock()
	c, ok := b.clients[key]
	if !ok {
		c = &client{ready: make(chan struct{})}
		b.clients[key] = c
	}
	b.mu.Unlock()
	if ok {
		select {
		case <-c.ready:
			return c, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c.err = c.connect(ctx, b.o, d)
	if c.err != nil {
		b.mu.Lock()
		delete(b.clients, key)
		b.mu.Unlock()
	}
	close(c.ready)
	return c, c.err
}

func (c *client) connect(ctx context.Context, o *options, d Reference) error {
	repo := d.ref.Context()
	auth, err := authn.Resolve(ctx, o.keychain, repo)
	if err != nil {
		return &credentialsError{err}
	}
	// What go-containerregistry wraps around a transport it is given,
	// since it wraps nothing around an authenticated one: its retry of an
	// interrupted upload, under this package's retries.
	// Under the authentication, the answers kept for the batch (readCache).
	inner := newReadCache(transport.NewRetry(o.httpTransport(d.insecureHosts()),
		transport.WithRetryBackoff(o.backoff()),
		transport.WithRetryPredicate(func(err error) bool { return errors.Is(err, errUploadInterrupted) }),
		transport.WithRetryStatusCodes()))
	if c.tr, err = transport.NewWithContext(ctx, repo.Registry, auth, inner, []string{repo.Scope(transport.PushScope)}); err != nil {
		return err
	}
	c.opts = []remote.Option{
		remote.WithTransport(c.tr),
		// the transport carries the credentials; an anonymous keychain
		// replaces the caller's (go-containerregistry refuses both an
		// authenticator and a keychain) and reads no configuration
		remote.WithAuthFromKeychain(anonymousKeychain{}),
		remote.WithJobs(o.jobs),
	}
	if c.pusher, err = remote.NewPusher(c.opts...); err != nil {
		return err
	}
	if c.puller, err = remote.NewPuller(c.opts...); err != nil {
		return err
	}
	c.opts = append(c.opts, remote.Reuse(c.pusher), remote.Reuse(c.puller))
	return nil
}

func (b *Batch) pusher(ctx context.Context, d Reference) (*remote.Pusher, error) {
	c, err := b.client(ctx, d)
	if err != nil {
		return nil, err
	}
	return c.pusher, nil
}

// RemoteOptions reach d's repository through the batch's client, so that
// what other packages read and write there (signatures, attestations,
// their verification) reuses the transport the push authenticated rather
// than pinging the registry and fetching a token again. They carry the
// batch's transport policy (credentials, retries, the plain-HTTP guard)
// and serve d's repository only: a token is scoped to one repository.
// ctx is the context of the requests made with them. For a layout they
// are the batch's options for any registry.
func (b *Batch) RemoteOptions(ctx context.Context, d Reference) ([]remote.Option, error) {
	if d.layout {
		return b.o.remoteOptions(ctx, nil), nil
	}
	c, err := b.client(ctx, d)
	if err != nil {
		return nil, err
	}
	return append(slices.Clip(c.opts), remote.WithContext(ctx)), nil
}

func (b *Batch) layoutLock(path string) *sync.Mutex {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.layouts[path]
	if !ok {
		m = &sync.Mutex{}
		b.layouts[path] = m
	}
	return m
}

func (b *Batch) pushContent(ctx context.Context, art Artifact, d Reference) error {
	if d.layout {
		// index.json is read, changed and replaced: one writer per layout.
		m := b.layoutLock(d.path)
		m.Lock()
		defer m.Unlock()
		if err := writeLayout(ctx, d.path, art); err != nil {
			return fmt.Errorf("writing OCI layout %s: %w", d.path, err)
		}
		return nil
	}
	repo := d.ref.Context()
	ref := repo.Digest(art.Digest().String())
	fail := func(err error) error {
		// Cancelled (by the caller, or because another push of the run
		// failed): say so, not the other push's error.
		if ctx.Err() != nil {
			return fmt.Errorf("pushing %s: %w", displayName(ref.Name()), ctx.Err())
		}
		return classify("pushing", displayName(ref.Name()), &repo, err)
	}
	c, err := b.client(ctx, d)
	if err != nil {
		return fail(err)
	}
	// A registry accepts a manifest only once everything it references is
	// there, so a manifest already present by digest means its blobs and
	// child manifests are too: one request for an unchanged re-run instead
	// of one per blob (go-containerregistry's WriteIndex reasons the same).
	if desc, err := remote.Head(ref, append(slices.Clip(c.opts), remote.WithContext(ctx))...); err == nil && desc.Digest == art.Digest() {
		return nil
	}
	p := c.pusher
	blobs, err := blobsOf(art)
	if err != nil {
		return fail(err)
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, l := range blobs {
		g.Go(func() error { return b.blob(gctx, p, d, l) })
	}
	if err := g.Wait(); err != nil {
		return fail(err)
	}
	// The blobs are there and the pusher knows it: Push now sends child
	// manifests, then the manifest itself.
	if err := p.Push(ctx, ref, art.taggable()); err != nil {
		return fail(err)
	}
	return nil
}

// blob makes sure layer l is in d's repository, uploading it only if no
// other push of this batch is uploading it to the same registry.
func (b *Batch) blob(ctx context.Context, p *remote.Pusher, d Reference, l v1.Layer) error {
	h, err := l.Digest()
	if err != nil {
		return err
	}
	key := blobKey{registry: d.ref.Context().RegistryStr(), digest: h}
	for {
		b.mu.Lock()
		u, busy := b.blobs[key]
		if !busy {
			u = &blobUpload{done: make(chan struct{})}
			b.blobs[key] = u
		}
		b.mu.Unlock()
		if !busy {
			err := b.upload(ctx, p, d, l)
			u.repo, u.err = d, err
			close(u.done)
			if err != nil {
				// Let another push try it again (unless the run is cancelled).
				b.mu.Lock()
				delete(b.blobs, key)
				b.mu.Unlock()
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-u.done:
		}
		if u.err != nil {
			continue // the first upload failed: this push tries itself
		}
		if u.repo.ref.Context() == d.ref.Context() {
			return nil
		}
		// Another repository on the registry has it: the upload checks
		// the destination (a HEAD: many registries share blobs across
		// repositories) and mounts from there, sending no bytes.
		return b.upload(ctx, p, d, &remote.MountableLayer{Layer: l, Reference: u.repo.ref.Context().Digest(h.String())})
	}
}

// upload runs one blob upload when a slot is free.
func (b *Batch) upload(ctx context.Context, p *remote.Pusher, d Reference, l v1.Layer) error {
	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-b.sem }()
	return p.Upload(ctx, d.ref.Context(), l)
}

// blobsOf lists the blobs (layers and configs) of an image or of every
// image under an index, each once. Layers whose digest is not known yet
// (streamed) are left to the manifest push.
func blobsOf(a Artifact) ([]v1.Layer, error) {
	seen := map[v1.Hash]bool{}
	var out []v1.Layer
	add := func(l v1.Layer) error {
		h, err := l.Digest()
		if err != nil {
			return nil // not computed yet: pushed with its manifest
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, l)
		}
		return nil
	}
	var image func(img v1.Image) error
	image = func(img v1.Image) error {
		ls, err := img.Layers()
		if err != nil {
			return fmt.Errorf("reading layers: %w", err)
		}
		for _, l := range ls {
			_ = add(l)
		}
		cl, err := partial.ConfigLayer(img)
		if err != nil {
			return fmt.Errorf("reading config: %w", err)
		}
		return add(cl)
	}
	var index func(ii v1.ImageIndex, depth int) error
	index = func(ii v1.ImageIndex, depth int) error {
		if depth > 8 {
			return errors.New("reading index: nested more than 8 deep")
		}
		children, err := partial.Manifests(ii)
		if err != nil {
			return fmt.Errorf("reading index: %w", err)
		}
		for _, c := range children {
			switch c := c.(type) {
			case v1.ImageIndex:
				err = index(c, depth+1)
			case v1.Image:
				err = image(c)
			case v1.Layer:
				err = add(c)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if a.Index != nil {
		return out, index(a.Index, 0)
	}
	return out, image(a.Image)
}

func (b *Batch) applyTags(ctx context.Context, art Artifact, d Reference, tags []string) error {
	if len(tags) == 0 {
		return nil
	}
	if d.layout {
		m := b.layoutLock(d.path)
		m.Lock()
		defer m.Unlock()
		return tagLayout(d.path, art.Descriptor, tags)
	}
	repo := d.ref.Context()
	c, err := b.client(ctx, d)
	if err != nil {
		return classify("tagging", displayName(repo.Name()), &repo, err)
	}
	// Ask where every tag points first, all at once: an unchanged re-run
	// then costs one round trip per destination, not one per tag. A tag
	// that cannot be read is moved (the push below asks again and says why
	// if it fails).
	stale := make([]bool, len(tags))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(tagProbes)
	for i, t := range tags {
		g.Go(func() error {
			desc, err := remote.Head(repo.Tag(t), append(slices.Clip(c.opts), remote.WithContext(gctx))...)
			stale[i] = err != nil || desc.Digest != art.Digest()
			return nil
		})
	}
	_ = g.Wait() // the probes never fail: a failed one marks its tag stale
	for i, t := range tags {
		if !stale[i] {
			continue
		}
		tag := repo.Tag(t)
		// Push by tag sends only the manifest, as the pusher knows the
		// content is there; it too leaves a tag already pointing at the
		// digest alone (a tag moved here meanwhile by another release).
		if err := c.pusher.Push(ctx, tag, art.taggable()); err != nil {
			return classify("tagging", displayName(tag.Name()), &repo, err)
		}
	}
	return nil
}

// tagProbes bounds the tag lookups of one destination in flight at once.
const tagProbes = 8
