package pipeline

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/sreevishnu07/stevedore/publish"
)

// pushAll runs the push step of every image at once through one
// publish.Batch: a layer several images share goes to each registry once,
// at most --jobs uploads run at a time across all images and destinations,
// and the first failure cancels the other pushes. Nothing is tagged yet
// (tags move in StepTag), so a failure here leaves every tag where it was.
func (r *releaser) pushAll(ctx context.Context) error {
	r.batch = publish.NewBatch(r.o.publish...)
	g, gctx := errgroup.WithContext(ctx)
	for _, ir := range r.images {
		g.Go(func() error {
			return r.step(gctx, StepPush, ir.p.Name, func(ctx context.Context) (string, error) { return r.push(ctx, ir) })
		})
	}
	return g.Wait()
}
