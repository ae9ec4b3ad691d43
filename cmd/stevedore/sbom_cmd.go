package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/sbom"
)

func sbomCommand(getenv env) *cli.Command {
	return &cli.Command{
		Name:      "sbom",
		Usage:     "list the packages in an image (SPDX, CycloneDX or syft JSON)",
		UsageText: "stevedore sbom REF [--format spdx-json|cyclonedx-json|syft-json]… [--output FILE]…",
		Description: `REF is oci:PATH[:TAG|@DIGEST] (read from disk, never pulled back) or a
registry reference. Every platform image of an index gets its own SBOM.
The n-th --output is the file for the n-th --format; for an index the
platform goes into each file name (sbom.spdx.json → sbom-linux-amd64.spdx.json).
Without --output a single document goes to stdout, and several go to files
named sbom[-PLATFORM].EXT in the current directory.`,
		OnUsageError: commandUsage,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "format", Usage: "`FORMAT`: spdx-json (default), cyclonedx-json or syft-json (repeatable)"},
			&cli.StringSliceFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the matching --format to `FILE` (repeatable; - for stdout)"},
			&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]` (localhost and 127.0.0.0/8 always are)"},
			&cli.StringFlag{Name: "cache-dir", Usage: "SBOM cache: an image cataloged before is not read again (default $XDG_CACHE_HOME/stevedore or ~/.cache/stevedore)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("sbom takes one image reference (got %d arguments)", c.NArg())
			}
			var formats []sbom.Format
			for _, f := range c.StringSlice("format") {
				ff, err := sbom.ParseFormat(f)
				if err != nil {
					return usageErrorf("--format: %v", err)
				}
				formats = append(formats, ff)
			}
			if len(formats) == 0 {
				formats = []sbom.Format{sbom.SPDXJSON}
			}
			outputs := c.StringSlice("output")
			if len(outputs) > 0 && len(outputs) != len(formats) {
				return usageErrorf("%d --output for %d --format: give one file per format, in the same order", len(outputs), len(formats))
			}
			ref, err := parseRef(c.Args().First(), c.StringSlice("insecure-registry"))
			if err != nil {
				return err
			}
			docs, err := generateSBOMs(c, getenv, ref, v1.Hash{})
			if err != nil {
				return err
			}
			single := len(docs)*len(formats) == 1
			for _, d := range docs {
				for i, f := range formats {
					file := ""
					switch {
					case len(outputs) > 0:
						file = outputs[i]
						if len(docs) > 1 && file != "-" {
							file = withPlatform(file, d.platform)
						}
					case !single:
						file = "sbom" + suffix(d.platform) + f.Extension()
					}
					var buf bytes.Buffer
					if err := d.sbom.Encode(&buf, f); err != nil {
						return err
					}
					if file == "" || file == "-" {
						if !single {
							return usageErrorf("several SBOMs (%d platforms × %d formats) cannot all go to stdout: name files with --output", len(docs), len(formats))
						}
						_, err := c.App.Writer.Write(buf.Bytes())
						return err
					}
					if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
						return fmt.Errorf("writing SBOM: %w", err)
					}
					cached := ""
					switch u := d.sbom.LayerCache; {
					case d.sbom.FromCache:
						cached = ", from cache"
					case u.NewLayersOnly && !u.Stored:
						cached = fmt.Sprintf(", %d base layers from the layer cache", u.BaseLayers)
					}
					fmt.Fprintf(c.App.ErrWriter, "wrote %s (%s, %s, %d packages%s)\n", file, f, d.label(), len(d.sbom.Packages()), cached)
				}
			}
			return nil
		},
	}
}

// platformSBOM is the SBOM of one platform image.
type platformSBOM struct {
	platform string // "linux/arm64/v8"; "" for a single image
	sbom     *sbom.SBOM
}

func (p platformSBOM) label() string {
	if p.platform == "" {
		return p.sbom.Digest.String()
	}
	return p.platform + " " + p.sbom.Digest.String()
}

// generateSBOMs catalogs ref (pinned to h when h is set): an image, or
// each platform image of an index. Layout images are read from disk.
func generateSBOMs(c *cli.Context, getenv env, ref publish.Reference, h v1.Hash) ([]platformSBOM, error) {
	if h.Hex != "" {
		var err error
		s := ref.String()
		if _, pinned := ref.Digest(); !pinned {
			s = subject{ref: ref, digest: h}.String()
		}
		if ref, err = parseRef(s, c.StringSlice("insecure-registry")); err != nil {
			return nil, err
		}
	}
	art, err := publish.Load(c.Context, ref, publishOptions(getenv, c.StringSlice("insecure-registry"))...)
	if err != nil {
		return nil, err
	}
	opts := []sbom.Option{sbom.WithCacheDir(cacheDir(c.String("cache-dir"), getenv))}
	if !ref.IsLayout() {
		opts = append(opts, sbom.WithRepository(ref.Repository()))
	}
	if art.Image != nil {
		s, err := sbom.Generate(c.Context, art.Image, opts...)
		if err != nil {
			return nil, err
		}
		return []platformSBOM{{sbom: s}}, nil
	}
	im, err := art.Index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	var out []platformSBOM
	for _, d := range im.Manifests {
		// Only platform images: nested indexes and buildx's attestation
		// manifests (platform unknown/unknown) hold no file system.
		if !d.MediaType.IsImage() || d.Platform == nil || d.Platform.OS == "unknown" {
			continue
		}
		img, err := art.Index.Image(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", ref, err)
		}
		s, err := sbom.Generate(c.Context, img, opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, platformSBOM{platform: d.Platform.String(), sbom: s})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cataloging %s: the index lists no platform image", ref)
	}
	return out, nil
}

func suffix(platform string) string {
	if platform == "" {
		return ""
	}
	return "-" + strings.ReplaceAll(platform, "/", "-")
}

// withPlatform puts the platform into a file name before its first
// extension: out/sbom.spdx.json → out/sbom-linux-amd64.spdx.json.
func withPlatform(file, platform string) string {
	dir, base := filepath.Split(file)
	stem, ext, _ := strings.Cut(base, ".")
	if ext != "" {
		ext = "." + ext
	}
	return dir + stem + suffix(platform) + ext
}
