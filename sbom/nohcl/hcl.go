// Package hcl is a stand-in for github.com/hashicorp/hcl/v2 with the API
// syft's Terraform lock-file cataloger compiles against. That cataloger is
// in syft's directory set only; stevedore catalogs images, whose set leaves
// it out, so release builds replace HCL (and go-cty beneath it) with this
// package, whose decoding fails with ErrUnsupported instead.
package hcl

import "errors"

// ErrUnsupported is returned by every decode: a release binary of stevedore
// parses no HCL.
var ErrUnsupported = errors.New("parsing HCL (Terraform lock files) is not supported by stevedore's release binary, which catalogs images only (build with `go install github.com/sreevishnu07/stevedore/cmd/stevedore@VERSION` for the full parser)")

// EvalContext is the evaluation context of a decode.
type EvalContext struct{}
