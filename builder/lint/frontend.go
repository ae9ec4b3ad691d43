package lint

import (
	"context"
	"errors"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// frontend is the gateway BuildKit's dockerfile front end runs against,
// reduced to what its checks read: the build options (target, build args,
// BUILDKIT_DOCKERFILE_CHECK), base image configs and the context's
// .dockerignore (for CopyIgnoredFile). Nothing is ever solved or run.
type frontend struct {
	opts         map[string]string
	dockerignore []byte
	images       metaResolver
}

var errNotHere = errors.New("not available to the build checks")

func (f *frontend) BuildOpts() gateway.BuildOpts {
	return gateway.BuildOpts{Opts: f.opts, LLBCaps: pb.Caps.CapSet(pb.Caps.All()), Caps: gwpb.Caps.CapSet(gwpb.Caps.All())}
}

// Solve is only asked for the build context's .dockerignore.
func (f *frontend) Solve(ctx context.Context, req gateway.SolveRequest) (*gateway.Result, error) {
	res := gateway.NewResult()
	res.SetRef(ignoreRef{data: f.dockerignore})
	return res, nil
}

func (f *frontend) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return f.images.ResolveImageConfig(ctx, ref, opt)
}

func (f *frontend) ResolveSourceMetadata(ctx context.Context, op *pb.SourceOp, opt sourceresolver.Opt) (*sourceresolver.MetaResponse, error) {
	return nil, errNotHere
}

func (f *frontend) Inputs(ctx context.Context) (map[string]llb.State, error) {
	return map[string]llb.State{}, nil
}

func (f *frontend) NewContainer(ctx context.Context, req gateway.NewContainerRequest) (gateway.Container, error) {
	return nil, errNotHere
}

func (f *frontend) Warn(ctx context.Context, dgst digest.Digest, msg string, opts gateway.WarnOpts) error {
	return nil
}

// ignoreRef is the build context as far as the checks read it: the
// ignore file's content, whatever name it is asked by.
type ignoreRef struct{ data []byte }

func (r ignoreRef) ToState() (llb.State, error)        { return llb.Scratch(), nil }
func (r ignoreRef) Evaluate(ctx context.Context) error { return nil }

func (r ignoreRef) ReadFile(ctx context.Context, req gateway.ReadRequest) ([]byte, error) {
	return r.data, nil
}

func (r ignoreRef) StatFile(ctx context.Context, req gateway.StatRequest) (*fstypes.Stat, error) {
	return nil, errNotHere
}

func (r ignoreRef) ReadDir(ctx context.Context, req gateway.ReadDirRequest) ([]*fstypes.Stat, error) {
	return nil, errNotHere
}
