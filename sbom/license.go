package sbom

import (
	"context"
	"sync"

	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
)

// sharedLicenseScanner holds syft's license scanner, built on first use and
// kept for the life of the process.
//
// syft builds a new scanner in every CreateSBOM call unless the context
// already carries one, and building it (compiling licensecheck's license
// patterns) costs about a second of CPU: more than cataloging a small image,
// and paid again for every platform of an index. The scanner is read-only once
// built (licensecheck's Scan is safe for concurrent use), so one serves every
// Generate call. It is built lazily, not at package init, so that processes
// that never make an SBOM never pay for it.
var sharedLicenseScanner = sync.OnceValues(func() (context.Context, error) {
	return syft.SetContextLicenseScanner(context.Background(), cataloging.DefaultLicenseConfig())
})

// withLicenseScanner returns ctx with the shared scanner visible to syft. syft
// only exposes the scanner as a context value, so the caller's context is
// layered over the one syft made: the caller's values (and deadline and
// cancellation) win, and syft finds its scanner underneath.
func withLicenseScanner(ctx context.Context) (context.Context, error) {
	base, err := sharedLicenseScanner()
	if err != nil {
		return nil, err
	}
	return valueFallback{Context: ctx, fallback: base}, nil
}

type valueFallback struct {
	context.Context
	fallback context.Context
}

func (c valueFallback) Value(key any) any {
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.fallback.Value(key)
}
