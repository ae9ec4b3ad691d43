package pin

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/sreevishnu07/stevedore/publish"
)

// Resolver maps a tag (or digest) reference to the digest it names now.
type Resolver interface {
	Resolve(ctx context.Context, ref name.Reference) (v1.Hash, error)
}

// Authority is a Resolver that is the source of truth for what it records,
// as a release ledger is: Pin also moves references already pinned when the
// authority supersedes them (see Ledger.Supersedes). A registry is no
// authority: a moved tag there is news to check (Update, with --verify),
// not an instruction.
type Authority interface {
	Resolver
	Supersedes(ref name.Tag, digest v1.Hash) (tag string, to v1.Hash, ok bool)
}

// RegistryOption configures NewRegistryResolver.
type RegistryOption func(*registryResolver)

// WithPublishOptions sets how the registry is reached (credentials,
// retries, insecure hosts), through publish.RemoteOptions, so pin follows
// the same transport policy as publishing. Default: publish's defaults
// (anonymous, 5 attempts, plain HTTP only for loopback).
func WithPublishOptions(opts ...publish.Option) RegistryOption {
	return func(r *registryResolver) { r.publish = append(r.publish, opts...) }
}

// WithRemoteOptions appends raw go-containerregistry options after the
// publish ones (a later option wins). Default: none.
func WithRemoteOptions(opts ...remote.Option) RegistryOption {
	return func(r *registryResolver) { r.remote = append(r.remote, opts...) }
}

// WithPlatform pins the manifest of one platform of a multi-platform image
// instead of its index. Default: the digest the tag names, which for a
// multi-platform image is the index, so every node pulls its own platform.
// Single-platform images resolve to their manifest either way.
func WithPlatform(p v1.Platform) RegistryOption {
	return func(r *registryResolver) { r.platform = &p }
}

type registryResolver struct {
	publish  []publish.Option
	remote   []remote.Option
	platform *v1.Platform
}

// NewRegistryResolver resolves references against their registries: a HEAD
// request (a GET where the registry does not answer HEAD usefully), or with
// WithPlatform a GET of the index to pick the child.
func NewRegistryResolver(opts ...RegistryOption) Resolver {
	r := &registryResolver{}
	for _, opt := range opts {
		if opt != nil {
			opt(r)
		}
	}
	return r
}

func (r *registryResolver) Resolve(ctx context.Context, ref name.Reference) (v1.Hash, error) {
	if ref == nil {
		return v1.Hash{}, fmt.Errorf("resolving: nil reference")
	}
	ropts := append(publish.RemoteOptions(ctx, r.publish...), remote.WithContext(ctx))
	ropts = append(ropts, r.remote...)
	if r.platform == nil {
		desc, err := remote.Head(ref, ropts...)
		if err == nil {
			return desc.Digest, nil
		}
		gd, gerr := remote.Get(ref, ropts...)
		if gerr != nil {
			return v1.Hash{}, newError(ErrResolve, gerr, "resolving %s (check that the tag exists and the credentials can read it)", ref)
		}
		return gd.Digest, nil
	}
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return v1.Hash{}, newError(ErrResolve, err, "resolving %s (check that the tag exists and the credentials can read it)", ref)
	}
	if !desc.MediaType.IsIndex() {
		return desc.Digest, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return v1.Hash{}, newError(ErrResolve, err, "reading index %s", ref)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Hash{}, newError(ErrResolve, err, "reading index %s", ref)
	}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.Satisfies(*r.platform) {
			return m.Digest, nil
		}
	}
	return v1.Hash{}, newError(ErrResolve, nil, "resolving %s for platform %s: the index has no such platform (pin the index, or pick a platform it has)", ref, r.platform)
}

// ResolveAll resolves refs with at most jobs lookups in flight, each
// distinct reference once. The result is keyed by ref.Name(). Every failure
// is reported (joined), not only the first, so one run shows all that is
// missing.
func ResolveAll(ctx context.Context, r Resolver, refs []name.Reference, jobs int) (map[string]v1.Hash, error) {
	out, failed := resolveAll(ctx, r, refs, jobs)
	var errs []error
	for _, ref := range refs {
		if err := failed[ref.Name()]; err != nil {
			errs = append(errs, err)
			delete(failed, ref.Name())
		}
	}
	if len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("resolving references: %w", err)
	}
	return out, nil
}

func resolveAll(ctx context.Context, r Resolver, refs []name.Reference, jobs int) (map[string]v1.Hash, map[string]error) {
	out, failed := map[string]v1.Hash{}, map[string]error{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(jobs, 1))
	seen := map[string]bool{}
	for _, ref := range refs {
		key := ref.Name()
		if seen[key] {
			continue
		}
		seen[key] = true
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				mu.Lock()
				failed[key] = fmt.Errorf("resolving %s: %w", key, err)
				mu.Unlock()
				return nil
			}
			h, err := r.Resolve(gctx, ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[key] = err
				return nil
			}
			out[key] = h
			return nil
		})
	}
	_ = g.Wait()
	return out, failed
}
