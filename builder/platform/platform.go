// Package platform reads target platforms the way BuildKit does, so that
// every spelling of one platform builds the same image.
//
// BuildKit normalises each platform it is given (containerd's platforms
// package): linux/aarch64, linux/arm64/v8 and linux/arm64 are all
// linux/arm64 with no variant, linux/arm is linux/arm/v7, x86_64 is amd64.
// The image config, the index descriptor and TARGETPLATFORM/TARGETVARIANT
// all carry the normalised form, and so must stevedore's: otherwise one
// Dockerfile built for linux/arm64/v8 gives two different digests.
package platform

import (
	"fmt"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Parse reads OS/ARCH[/VARIANT] (as --platform takes it) and normalises it.
// Unlike containerd's parser it does not fill a missing OS from the host:
// stevedore builds Linux images on any host, so "arm64" alone is an error.
func Parse(s string) (v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("platform %q: want OS/ARCH[/VARIANT], for example linux/arm64", s)
	}
	return Normalize(*p), nil
}

// Normalize gives p BuildKit's spelling of its OS, architecture and
// variant; the OS version and features are kept as they are.
func Normalize(p v1.Platform) v1.Platform {
	n := platforms.Normalize(specs.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant})
	p.OS, p.Architecture, p.Variant = n.OS, n.Architecture, n.Variant
	return p
}
