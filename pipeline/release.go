package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client"
	"golang.org/x/sync/errgroup"

	"github.com/sreevishnu07/stevedore/builder"
	"github.com/sreevishnu07/stevedore/builder/buildkit"
	"github.com/sreevishnu07/stevedore/builder/platform"
	"github.com/sreevishnu07/stevedore/event"
	"github.com/sreevishnu07/stevedore/ledger"
	"github.com/sreevishnu07/stevedore/pin"
	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sbom"
	"github.com/sreevishnu07/stevedore/sign"
	"github.com/sreevishnu07/stevedore/version"
)

// The release steps, in order. A failure names its step; tags move only in
// StepTag, after every earlier step succeeded for every image.
const (
	StepPlan   = "plan"
	StepBuild  = "build"
	StepPush   = "push"
	StepSBOM   = "sbom"
	StepSign   = "sign"
	StepVerify = "verify"
	StepTag    = "tag"
	StepLedger = "ledger"
	StepPin    = "pin"
	StepGitTag = "git-tag"
)

// Steps lists the release steps in order.
var Steps = []string{StepPlan, StepBuild, StepPush, StepSBOM, StepSign, StepVerify, StepTag, StepLedger, StepPin, StepGitTag}

// ErrNothingToRelease means no commit since the last release calls for one.
var ErrNothingToRelease = errors.New("nothing to release")

// StepError says which step of which image failed.
type StepError struct {
	Step  string
	Image string
	Err   error
}

func (e *StepError) Error() string {
	if e.Image == "" {
		return fmt.Sprintf("release step %s failed (no tag was moved): %v", e.Step, e.Err)
	}
	if e.Step == StepTag || e.Step == StepLedger || e.Step == StepPin || e.Step == StepGitTag {
		return fmt.Sprintf("release step %s failed for image %s: %v", e.Step, e.Image, e.Err)
	}
	return fmt.Sprintf("release step %s failed for image %s (no tag was moved): %v", e.Step, e.Image, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Report is what Release did.
type Report struct {
	Plan   *Plan
	Ledger *ledger.Ledger
	// Durations per image and step, for the summary table.
	Durations map[string]map[string]time.Duration
}

// Release runs the release transaction for cfg: plan, build, push by
// digest, SBOM, sign and attest, verify, move tags, write the ledger, and
// optionally create the git tag.
func Release(ctx context.Context, cfg *Config, opts ...Option) (*Report, error) {
	o := &options{dir: ".", progress: event.Discard, now: time.Now}
	for _, opt := range opts {
		opt(o)
	}
	r := &releaser{o: o, cfg: cfg, report: &Report{Durations: map[string]map[string]time.Duration{}}}
	defer r.closeBuilders()
	plan, err := r.plan(ctx)
	if errors.Is(err, ErrNothingToRelease) {
		return nil, err // an answer, not a failed step
	}
	if err != nil {
		return nil, &StepError{Step: StepPlan, Err: err}
	}
	r.report.Plan = plan
	if o.dryRun {
		return r.report, nil
	}
	if err := r.run(ctx); err != nil {
		return r.report, err
	}
	return r.report, nil
}

type releaser struct {
	o      *options
	cfg    *Config
	plan_  *Plan
	report *Report
	images []*imageRun
	// signers are the key signers loaded in the plan step, by key.
	signers map[string]*sign.Signer
	// signingConfigs are the keyless signing configs read in the plan
	// step, by sign.signing-config value.
	signingConfigs map[string]*sign.SigningConfig
	// batch carries every registry request of the release, from the push
	// check to the tags (see publishBatch); mu guards report while the
	// push steps run at once.
	batch     *publish.Batch
	batchOnce sync.Once
	mu        sync.Mutex
	// drivers are the BuildKit daemons by address, connected in the plan
	// step; clients are closed when the release ends.
	drivers map[string]*buildkit.Driver
	clients []*client.Client
}

// imageRun carries one image through the steps.
type imageRun struct {
	p        *PlannedImage
	res      *builder.Result
	art      publish.Artifact
	dsts     []publish.Reference
	signer   *sign.Signer
	sboms    []ledger.File
	sbomData map[string][]*sbomDoc // platform digest → documents
	ledger   ledger.Image
}

type sbomDoc struct {
	format sbom.Format
	data   []byte
}

func (r *releaser) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.o.dir, p)
}

// step runs one step for one image, timing and reporting it, and wraps its
// error with the step's name.
func (r *releaser) step(ctx context.Context, step, image string, f func(context.Context) (string, error)) error {
	r.o.progress.Emit(event.Phase{Image: image, Step: step})
	start := time.Now()
	detail, err := f(ctx)
	d := time.Since(start)
	r.mu.Lock()
	if r.report.Durations[image] == nil {
		r.report.Durations[image] = map[string]time.Duration{}
	}
	r.report.Durations[image][step] += d
	r.mu.Unlock()
	r.o.progress.Emit(event.Phase{Image: image, Step: step, Done: true, Err: err, Duration: d, Detail: detail})
	if err != nil {
		return &StepError{Step: step, Image: image, Err: err}
	}
	return nil
}

func (r *releaser) run(ctx context.Context) error {
	for i := range r.plan_.Images {
		r.images = append(r.images, &imageRun{p: &r.plan_.Images[i]})
	}
	for _, phase := range []struct {
		step string
		f    func(context.Context, *imageRun) (string, error)
	}{
		{StepBuild, r.build},
		{StepPush, r.push},
		{StepSBOM, r.sbom},
		{StepSign, r.sign},
		{StepVerify, r.verify},
		{StepTag, r.tag},
	} {
		if phase.step == StepPush {
			if err := r.pushAll(ctx); err != nil {
				return err
			}
			continue
		}
		if err := r.eachImage(ctx, phase.step, phase.f); err != nil {
			return err
		}
	}
	l := newLedger(r.plan_)
	for _, ir := range r.images {
		l.Images = append(l.Images, ir.ledger)
	}
	r.report.Ledger = l
	if r.plan_.LedgerPath != "" {
		if err := r.step(ctx, StepLedger, "", func(context.Context) (string, error) {
			p := r.path(r.plan_.LedgerPath)
			return p, ledger.Write(p, l)
		}); err != nil {
			return err
		}
	}
	if len(r.cfg.Pin) > 0 {
		if err := r.step(ctx, StepPin, "", func(ctx context.Context) (string, error) { return r.pin(ctx, l) }); err != nil {
			return err
		}
	}
	if r.o.gitTag && r.plan_.GitTag != "" {
		return r.step(ctx, StepGitTag, "", func(ctx context.Context) (string, error) {
			return r.plan_.GitTag, version.CreateTag(ctx, r.o.dir, r.plan_.GitTag, r.plan_.Commit, "stevedore release "+r.plan_.Version)
		})
	}
	return nil
}

// eachImage runs one step for every image. The registry-bound steps
// (sign, verify, tag) run for all images at once, so that a release of
// several images waits for each round trip once rather than once per image;
// the first failure cancels the others. Build and SBOM stay one image
// at a time: they are CPU-bound and parallel inside.
func (r *releaser) eachImage(ctx context.Context, step string, f func(context.Context, *imageRun) (string, error)) error {
	if step == StepBuild || step == StepSBOM {
		for _, ir := range r.images {
			if err := r.step(ctx, step, ir.p.Name, func(ctx context.Context) (string, error) { return f(ctx, ir) }); err != nil {
				return err
			}
		}
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, ir := range r.images {
		g.Go(func() error {
			return r.step(gctx, step, ir.p.Name, func(ctx context.Context) (string, error) { return f(ctx, ir) })
		})
	}
	return g.Wait()
}

// pin rewrites the configured deploy files to the digests just released,
// straight from the ledger: no registry lookup.
func (r *releaser) pin(ctx context.Context, l *ledger.Ledger) (string, error) {
	released, err := pin.NewLedger(firstNonEmpty(r.plan_.LedgerPath, "the release"), l)
	if err != nil {
		return "", err
	}
	// Released images from the ledger, third-party images from their registries.
	resolver := released.Or(pin.NewRegistryResolver(pin.WithPublishOptions(r.o.publish...)))
	var paths []string
	for _, p := range r.cfg.Pin {
		paths = append(paths, r.path(p))
	}
	res, err := pin.Pin(ctx, paths, resolver)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d references in %d files", len(res.Changes), len(res.Files)), nil
}

func (r *releaser) build(ctx context.Context, ir *imageRun) (string, error) {
	img := ir.p.img
	opts := append(r.contextOptions(r.plan_, ir.p),
		builder.WithTarget(img.Target),
		builder.WithBuildArgs(img.BuildArgs),
	)
	// stevedore.yaml's secrets and caches come before the command line's
	// build options, which win.
	for i := range r.cfg.Images {
		if r.cfg.Images[i].Name == ir.p.Name {
			inputs, cleanup, err := r.imageBuildInputs(i)
			if err != nil {
				return "", err
			}
			defer cleanup()
			opts = append(opts, inputs...)
		}
	}
	// Build steps are events of the release, as of a build.
	opts = append(opts, builder.WithProgress(r.o.progress))
	opts = append(opts, r.o.build...)
	var ps []v1.Platform
	for _, s := range img.Platforms {
		p, err := platform.Parse(s)
		if err != nil {
			return "", err
		}
		ps = append(ps, p)
	}
	var res *builder.Result
	var err error
	if len(ir.p.PlatformBuilders) > 0 {
		res, err = r.buildPlatforms(ctx, ir.p, opts, ps)
	} else {
		if len(ps) > 0 {
			opts = append(opts, builder.WithPlatforms(ps...))
		}
		res, err = builder.Build(ctx, append(opts, r.driverOption(ir.p.Builder)...)...)
	}
	if r.o.checks != nil && res != nil && len(res.Checks) > 0 {
		r.o.checks(ir.p.Name, res.Checks)
	}
	if res != nil {
		// What build prints as warnings (an unused build arg, a cache
		// that could not be read): a release must not hide them.
		for _, w := range res.Warnings {
			r.o.progress.Emit(event.Warning{Message: ir.p.Name + ": " + w})
		}
	}
	if err != nil {
		return "", err
	}
	labels, annotations := r.ociMetadata(ctx, ir)
	if res, err = withOCIMetadata(res, labels, annotations); err != nil {
		return "", err
	}
	art, err := publish.NewArtifact(res.Artifact())
	if err != nil {
		return "", err
	}
	ir.res, ir.art = res, art
	ir.ledger = ledger.Image{Name: ir.p.Name, Digest: art.Digest().String(), MediaType: string(art.Descriptor.MediaType),
		ImageID: art.Digest().String(), Labels: labels, Annotations: annotations}
	if art.Image != nil {
		if id, err := art.Image.ConfigName(); err == nil {
			ir.ledger.ImageID = id.String()
		}
	}
	for _, pi := range res.Platforms {
		d, _ := pi.Image.Digest()
		ir.ledger.Platforms = append(ir.ledger.Platforms, ledger.Platform{Platform: pi.Platform.String(), Digest: d.String()})
	}
	return art.Digest().String(), nil
}

// push sends the content to every destination by digest; no tag yet.
func (r *releaser) push(ctx context.Context, ir *imageRun) (string, error) {
	for _, d := range ir.p.Destinations {
		ref, err := publish.ParseReference(r.destination(d), r.o.publish...)
		if err != nil {
			return "", err
		}
		if ref.Tag() != "" {
			return "", fmt.Errorf("destination %s has a tag; tags come from the tag rules: write the repository only", d)
		}
		ir.dsts = append(ir.dsts, ref)
	}
	res, err := r.publishBatch().Publish(ctx, ir.art, ir.dsts, nil)
	if err != nil {
		return "", err
	}
	var refs []string
	for _, d := range res.Destinations {
		ir.ledger.Destinations = append(ir.ledger.Destinations, ledger.Destination{Ref: d.Ref, Tags: []string{}})
		refs = append(refs, d.Ref)
	}
	return strings.Join(refs, " "), nil
}

// sbom catalogs every platform's image from the local build result: the
// layers are read from the build's store, never pulled back.
func (r *releaser) sbom(ctx context.Context, ir *imageRun) (string, error) {
	ir.sbomData = map[string][]*sbomDoc{}
	var formats []sbom.Format
	for _, s := range ir.p.SBOM {
		f, err := sbom.ParseFormat(s)
		if err != nil {
			return "", err
		}
		formats = append(formats, f)
	}
	dir := r.path(filepath.Join(r.plan_.outputDir(), "sbom"))
	docs, err := r.catalogPlatforms(ctx, ir)
	if err != nil {
		return "", err
	}
	cached, baseCached := 0, 0
	for i, pi := range ir.res.Platforms {
		doc := docs[i]
		if doc.FromCache {
			cached++
		} else if u := doc.LayerCache; u.NewLayersOnly && !u.Stored {
			baseCached++
		}
		d, _ := pi.Image.Digest()
		for _, f := range formats {
			var b strings.Builder
			if err := doc.Encode(&b, f); err != nil {
				return "", err
			}
			data := []byte(b.String())
			file := filepath.Join(dir, fmt.Sprintf("%s-%s-%s%s", ir.p.Name, pi.Platform.OS, strings.ReplaceAll(strings.TrimPrefix(pi.Platform.String(), pi.Platform.OS+"/"), "/", "-"), f.Extension()))
			if err := writeFileAtomic(file, data); err != nil {
				return "", fmt.Errorf("writing SBOM %s: %w", file, err)
			}
			sum := sha256.Sum256(data)
			ir.sboms = append(ir.sboms, ledger.File{Path: file, Format: f.String(), Platform: pi.Platform.String(), Digest: "sha256:" + hex.EncodeToString(sum[:])})
			ir.sbomData[d.String()] = append(ir.sbomData[d.String()], &sbomDoc{format: f, data: data})
		}
	}
	ir.ledger.SBOMs = ir.sboms
	if cached > 0 || baseCached > 0 {
		return fmt.Sprintf("%d files (%d of %d platforms from the SBOM cache, %d with only their new layers cataloged)", len(ir.sboms), cached, len(ir.res.Platforms), baseCached), nil
	}
	return fmt.Sprintf("%d files", len(ir.sboms)), nil
}

// sbomJobs is how many platforms of an index are cataloged at once. Each
// catalog holds its image's file index and decompressed layers, so memory
// grows with it; two keeps a two-core runner busy while a platform's
// layers are being read, and an index of one platform is unaffected.
const sbomJobs = 2

// catalogPlatforms makes the SBOM of every platform's image, sbomJobs at a
// time, in the order of the platforms; the first failure cancels the rest.
func (r *releaser) catalogPlatforms(ctx context.Context, ir *imageRun) ([]*sbom.SBOM, error) {
	sopts := slices.Clone(r.o.sbom)
	if repo, ok := ir.registryRepo(); ok {
		sopts = append(sopts, sbom.WithRepository(repo))
	}
	docs := make([]*sbom.SBOM, len(ir.res.Platforms))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(sbomJobs)
	for i, pi := range ir.res.Platforms {
		g.Go(func() error {
			doc, err := sbom.Generate(gctx, pi.Image, sopts...)
			if err != nil {
				return fmt.Errorf("cataloging %s: %w", pi.Platform, err)
			}
			docs[i] = doc
			return nil
		})
	}
	return docs, g.Wait()
}

// registryRepo is the image's first registry destination, the name its
// SBOM gives it.
func (ir *imageRun) registryRepo() (name.Repository, bool) {
	for _, d := range ir.dsts {
		if !d.IsLayout() {
			return d.Repository(), true
		}
	}
	return name.Repository{}, false
}
