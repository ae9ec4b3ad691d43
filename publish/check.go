package publish

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// CheckPush asks the registry of ref whether it is reachable and the
// credentials may push to ref's repository, leaving nothing behind: it
// opens a blob upload with push scope and cancels it, as
// go-containerregistry's remote.CheckPushPermission does (a token with push
// scope alone is not enough: Docker Hub hands one out to credentials that
// cannot push). A layout needs no check. A refusal wraps ErrDenied and
// names the registry and the fix; a registry that cannot be reached wraps
// the network error.
func CheckPush(ctx context.Context, ref Reference, opts ...Option) error {
	return NewBatch(opts...).CheckPush(ctx, ref)
}

// CheckPush is the package's CheckPush through the batch's client for
// ref's repository: the ping and token it costs serve the batch's pushes
// and tags afterwards.
func (b *Batch) CheckPush(ctx context.Context, ref Reference) error {
	if ref.IsLayout() {
		return nil
	}
	repo := ref.Repository()
	reg := repo.RegistryStr()
	object := displayRegistry(reg) + "/" + repo.RepositoryStr()
	what := "checking push access to " + object
	c, err := b.client(ctx, ref)
	if ce := new(*credentialsError); errors.As(err, ce) {
		return fmt.Errorf("%s: %w", what, *ce)
	}
	if err != nil {
		return refusedPush(what, reg, classify("checking push access to", object, &repo, err))
	}
	client := &http.Client{Transport: c.tr}
	url := fmt.Sprintf("%s://%s/v2/%s/blobs/uploads/", repo.Scheme(), reg, repo.RepositoryStr())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return refusedPush(what, reg, classify("checking push access to", object, &repo, err))
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusAccepted); err != nil {
		return refusedPush(what, reg, classify("checking push access to", object, &repo, err))
	}
	// Cancel the upload: some registries reserve space for it. A registry
	// that cannot cancel drops it after a while anyway.
	if loc, err := resp.Location(); err == nil {
		if del, err := http.NewRequestWithContext(ctx, http.MethodDelete, loc.String(), nil); err == nil {
			if r, err := client.Do(del); err == nil {
				r.Body.Close()
			}
		}
	}
	return nil
}

// refusedPush rewords a refusal as what to do about it; other errors pass
// through (classified: unreachable, rate limited, …).
func refusedPush(what, reg string, err error) error {
	if opErr := new(*net.OpError); errors.As(err, opErr) {
		return newKindError(ErrUnavailable, *opErr, "%s: %s does not answer (check the registry address and the network)", what, displayRegistry(reg))
	}
	if !errors.Is(err, ErrDenied) {
		return err
	}
	var te *transport.Error
	status := 0
	if errors.As(err, &te) {
		status = te.StatusCode
	}
	return newKindError(ErrDenied, nil, "%s: %s refused the credentials for a push (HTTP %d): %s", what, displayRegistry(reg), status, deniedHint(reg, status))
}
