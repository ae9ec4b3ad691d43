package main

import (
	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/sign"
)

// formatFlag selects where sign and attest write: the legacy
// sha256-<hex>.sig/.att tags (what cosign v2, Kyverno and policy-controller
// read), Sigstore bundles as OCI referrers (cosign v3's default), or both.
func formatFlag() cli.Flag {
	return &cli.StringFlag{Name: "format", Value: "legacy", Usage: "signature `FORMAT`: legacy (.sig/.att tags), bundle (Sigstore bundle as an OCI referrer, as cosign v3) or both"}
}

// signFormats reads --format: which of the two formats to write.
func signFormats(c *cli.Context) (legacy, bundle bool, err error) {
	f := c.String("format")
	if c.String("signing-config") != "" && !c.IsSet("format") {
		f = "bundle" // as cosign v3 signs with a signing config
	}
	switch f {
	case "legacy":
		return true, false, nil
	case "bundle", "both":
		return f == "both", true, nil
	default:
		return false, false, usageErrorf("--format %q: legacy, bundle or both", f)
	}
}

// verifyFormatFlag selects which store verify and pin --verify read.
func verifyFormatFlag() cli.Flag {
	return &cli.StringFlag{Name: "format", Value: "auto", Usage: "signature `FORMAT` to accept: auto (a Sigstore bundle referrer, else the legacy .sig/.att tag), bundle or legacy"}
}

// verifyFormat reads --format of verify and pin --verify.
func verifyFormat(c *cli.Context) (sign.Format, error) {
	switch f := c.String("format"); f {
	case "auto":
		return sign.AnyFormat, nil
	case "bundle":
		return sign.BundleFormat, nil
	case "legacy":
		return sign.LegacyFormat, nil
	default:
		return 0, usageErrorf("--format %q: auto, bundle or legacy", f)
	}
}
