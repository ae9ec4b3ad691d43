package pipeline

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/sreevishnu07/stevedore/publish"
)

// pushAll runs the push step of every image at once through one
// publish.Batch: a layer several images share goes to each registry once,
// at most --jobs uploads run at a time across all images and destinations,
// and the first failure cancels the other pushes. Nothing is tagged yet
// (tags move in StepTag), so a failure here leaves every tag where it was.
func (r *releaser) pushAll(ctx context.Context) error {
	r.publishBatch()
	g, gctx := errgroup.WithContext(ctx)
	for _, ir := range r.images {
		g.Go(func() error {
			return r.step(gctx, StepPush, ir.p.Name, func(ctx context.Context) (string, error) { return r.push(ctx, ir) })
		})
	}
	return g.Wait()
}

// publishBatch is the release's one publish.Batch: the push check, the
// pushes, signing, verification and the tags reach each repository
// through its client, authenticated once.
func (r *releaser) publishBatch() *publish.Batch {
	r.batchOnce.Do(func() { r.batch = publish.NewBatch(r.o.publish...) })
	return r.batch
}

// ErrDestination means the plan step found a registry destination that
// cannot be pushed to (unreachable, or credentials it refuses): nothing was
// built; fix the credentials or the destination and re-run.
var ErrDestination = errors.New("destination cannot be pushed to")

// checkDestinations asks every registry destination, before anything is
// built, whether it answers and the credentials may push there: a wrong
// password or a missing `packages: write` otherwise shows only after the
// build, after minutes of work. Each repository is asked once, all at once.
func (r *releaser) checkDestinations(ctx context.Context, p *Plan) error {
	seen := map[string]bool{}
	g, gctx := errgroup.WithContext(ctx)
	for _, pi := range p.Images {
		for _, d := range pi.Destinations {
			ref, err := publish.ParseReference(r.destination(d), r.o.publish...)
			if err != nil || ref.IsLayout() || seen[ref.Repository().String()] {
				continue // a bad reference was reported by plan already
			}
			seen[ref.Repository().String()] = true
			g.Go(func() error {
				if err := r.publishBatch().CheckPush(gctx, ref); err != nil {
					return &destinationError{image: pi.Name, err: err}
				}
				return nil
			})
		}
	}
	return g.Wait()
}

// destinationError carries ErrDestination without repeating its text.
type destinationError struct {
	image string
	err   error
}

func (e *destinationError) Error() string {
	return fmt.Sprintf("image %s: %v (nothing was built)", e.image, e.err)
}

func (e *destinationError) Unwrap() []error { return []error{ErrDestination, e.err} }
