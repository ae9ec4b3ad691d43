package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/version"
)

// Plan is what a release will do, worked out before anything happens.
type Plan struct {
	Version    string         `json:"version"`
	GitTag     string         `json:"git_tag,omitempty"`
	Commit     string         `json:"commit,omitempty"`
	Snapshot   bool           `json:"snapshot"`
	Dirty      bool           `json:"dirty,omitempty"`
	Notes      []string       `json:"notes,omitempty"`
	Images     []PlannedImage `json:"images"`
	Steps      []string       `json:"steps"`
	LedgerPath string         `json:"ledger"`
}

// DefaultLedger is where a release is recorded unless stevedore.yaml's
// ledger or --ledger says otherwise.
const DefaultLedger = "dist/release.json"

// outputDir is where the release writes SBOMs and public keys: next to the
// ledger, or dist/ when it writes none.
func (p *Plan) outputDir() string {
	if p.LedgerPath == "" {
		return filepath.Dir(DefaultLedger)
	}
	return filepath.Dir(p.LedgerPath)
}

// PlannedImage is one image of the plan.
type PlannedImage struct {
	Name         string   `json:"name"`
	Context      string   `json:"context"`
	Dockerfile   string   `json:"dockerfile"`
	Target       string   `json:"target,omitempty"`
	Platforms    []string `json:"platforms"`
	Destinations []string `json:"destinations"`
	Tags         []string `json:"tags"`
	SBOM         []string `json:"sbom"`
	Signing      string   `json:"signing"`
	// Builder is "embedded" or the BuildKit daemon's address;
	// PlatformBuilders the platforms built elsewhere.
	Builder          string            `json:"builder"`
	PlatformBuilders map[string]string `json:"platform_builders,omitempty"`

	img  Image
	sign Signing
}

// plan works out the version, every image's tags and destinations, and
// checks every reference before anything is built.
func (r *releaser) plan(ctx context.Context) (*Plan, error) {
	p := &Plan{Steps: Steps, Snapshot: r.o.snapshot}
	switch {
	case r.o.ledgerSet:
		p.LedgerPath = r.o.ledgerPath // "": no ledger
	case r.cfg.Ledger != "":
		p.LedgerPath = r.cfg.Ledger
	default:
		p.LedgerPath = DefaultLedger
	}
	p.Steps = slices.DeleteFunc(slices.Clone(Steps), func(s string) bool {
		return (s == StepGitTag && !r.o.gitTag) || (s == StepPin && len(r.cfg.Pin) == 0) || (s == StepLedger && p.LedgerPath == "")
	})
	var (
		rel     *version.Release
		noGit   bool
		release *version.Release
	)
	for i, img := range r.cfg.Images {
		var (
			rs     []version.Rule
			flavor version.Flavor
			err    error
		)
		if rules := firstNonEmpty(img.Tags, r.cfg.Tags); rules != "" {
			if rs, err = version.ParseRules(rules); err != nil {
				return nil, fmt.Errorf("image %s: %w", img.Name, err)
			}
		}
		if fl := firstNonEmpty(img.Flavor, r.cfg.Flavor); fl != "" {
			if flavor, err = version.ParseFlavor(fl); err != nil {
				return nil, fmt.Errorf("image %s: %w", img.Name, err)
			}
		}
		switch {
		case i == 0:
			// The version is planned once, from the first image's rules;
			// the other images only evaluate their own rules against it.
			vopts := []version.Option{version.WithEvent(r.o.event), version.WithMetadataEnv(r.o.metaEnv),
				version.WithRules(rs), version.WithFlavor(flavor)}
			if r.cfg.TagPrefix != "" {
				vopts = append(vopts, version.WithTagPrefix(r.cfg.TagPrefix))
			}
			if r.cfg.Prerelease != "" && !r.o.snapshot {
				vopts = append(vopts, version.WithPrerelease(r.cfg.Prerelease))
			}
			if r.o.bump != "" {
				vopts = append(vopts, version.WithBump(r.o.bump))
			}
			rel, err = version.Plan(ctx, r.o.dir, vopts...)
			switch {
			case errors.Is(err, version.ErrNotGit), errors.Is(err, version.ErrNoCommits):
				// A directory that is not (yet) a repository can still be
				// built and signed: as a snapshot with no version history.
				noGit, rel = true, &version.Release{Version: "0.0.0", Tags: []string{}}
			case err != nil:
				return nil, err
			}
			release = rel
		case noGit:
			rel = &version.Release{Version: "0.0.0", Tags: []string{}}
		default:
			tags, err := release.TagsWith(rs, flavor)
			if err != nil {
				return nil, fmt.Errorf("image %s: planning image tags: %w", img.Name, err)
			}
			imgRel := *release
			imgRel.Tags = tags
			rel = &imgRel
		}
		pi := PlannedImage{
			Name: img.Name, Context: firstNonEmpty(img.Context, "."), Dockerfile: img.Dockerfile, Target: img.Target,
			// [] (this machine's platform), never null in --json.
			Platforms: append([]string{}, img.Platforms...), Destinations: img.Destinations, SBOM: firstNonEmptyList(img.SBOM, r.cfg.SBOM, []string{"spdx-json"}),
			img: img, sign: r.cfg.Sign,
		}
		if img.Sign != nil {
			pi.sign = *img.Sign
		}
		if e := r.o.signingEnv; e != nil && r.o.signer == nil {
			if pi.sign, err = e.resolve(pi.sign); err != nil {
				return nil, fmt.Errorf("image %s: %w", img.Name, err)
			}
		}
		if pi.Dockerfile == "" {
			pi.Dockerfile = filepath.Join(pi.Context, "Dockerfile")
		}
		if len(pi.Destinations) == 0 {
			pi.Destinations = []string{"oci:dist/" + img.Name}
		}
		pi.Signing = describeSigning(pi.sign, r.canSign())
		pi.Tags = append([]string{}, rel.Tags...)
		p.Images = append(p.Images, pi)
		for _, d := range pi.Destinations {
			if _, err := publish.ParseReference(r.destination(d), r.o.publish...); err != nil {
				return nil, fmt.Errorf("image %s: %w", img.Name, err)
			}
		}
	}
	if err := r.planBuildInputs(); err != nil {
		return nil, err
	}
	if err := r.planBuilders(ctx, p); err != nil {
		return nil, err
	}
	p.Commit = release.Commit
	p.Notes = release.Notes
	switch {
	case noGit:
		p.Snapshot = true
		p.Version = "0.0.0-SNAPSHOT"
		p.Notes = append(p.Notes, fmt.Sprintf("%s is not a git repository with commits: releasing a snapshot (version 0.0.0-SNAPSHOT, no tags)", r.o.dir))
		for i := range p.Images {
			p.Images[i].Tags = []string{}
		}
	case r.o.snapshot:
		v := release.Version
		if v == "" {
			v = "0.0.0"
		}
		if i := strings.IndexAny(v, "-+"); i >= 0 {
			v = v[:i]
		}
		p.Version = fmt.Sprintf("%s-SNAPSHOT-%s", v, release.Commit[:min(7, len(release.Commit))])
		for i := range p.Images {
			// A snapshot gets its own version tag and the sha tag: never a
			// floating one.
			tags := []string{version.Sanitize(p.Version)}
			for _, t := range p.Images[i].Tags {
				if strings.HasPrefix(t, "sha-") {
					tags = append(tags, t)
				}
			}
			p.Images[i].Tags = tags
		}
	case !release.Releasable:
		since := release.CurrentTag
		if since == "" {
			since = "the first commit"
		}
		return nil, fmt.Errorf("%w: no feat, fix, perf or breaking commit since %s; commit one, pass --bump patch|minor|major, or build a snapshot with --snapshot", ErrNothingToRelease, since)
	default:
		p.Version, p.GitTag = release.Version, release.GitTag
	}
	// A build context that differs from the commit is refused or marked;
	// a directory without git has no commit to differ from.
	if !noGit {
		if err := r.checkDirty(ctx, p); err != nil {
			return nil, err
		}
	}
	r.plan_ = p
	// The push check's round trips run while the keys are decrypted
	// (scrypt: CPU, the plan step's largest cost on an unchanged re-run).
	// A dry run only prints the plan: it may name registries this machine
	// cannot reach or has no credentials for.
	checkCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	checked := make(chan error, 1)
	go func() {
		if r.o.dryRun {
			checked <- nil
			return
		}
		checked <- r.checkDestinations(checkCtx, p)
	}()
	if err := r.prepareSigners(ctx); err != nil {
		cancel() // the signing material's error is the one to fix first
		<-checked
		return nil, err
	}
	if err := <-checked; err != nil {
		return nil, err
	}
	return p, nil
}

// destination turns a configured destination into a reference: registry
// repositories are used by digest, so a tag written there is refused.
func (r *releaser) destination(d string) string {
	if strings.HasPrefix(d, publish.LayoutPrefix) {
		return publish.LayoutPrefix + r.path(strings.TrimPrefix(d, publish.LayoutPrefix))
	}
	return d
}

func describeSigning(s Signing, canSign bool) string {
	format := ""
	if s.Format != "" && s.Format != FormatLegacy {
		format = ", " + s.Format + " format"
	}
	switch {
	case s.Disabled || !canSign:
		return "none"
	case s.Keyless:
		// Name the signing config: with one, the services are whatever it
		// lists (a private Sigstore), not the public Fulcio and Rekor.
		via := "Fulcio + Rekor"
		if s.SigningConfig != "" {
			via = "signing config " + s.SigningConfig
		}
		if id := firstNonEmpty(s.Identity, s.IdentityRegexp); id != "" {
			return "keyless as " + id + " (" + via + ")" + format
		}
		return "keyless (" + via + ")" + format
	case s.Key != "":
		return "key " + s.Key + format
	}
	return "key .stevedore/cosign.key (created if missing)" + format
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func firstNonEmptyList(l ...[]string) []string {
	for _, x := range l {
		if len(x) > 0 {
			return x
		}
	}
	return nil
}
