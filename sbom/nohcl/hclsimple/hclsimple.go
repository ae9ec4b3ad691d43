// Package hclsimple is the stand-in for HCL's hclsimple.
package hclsimple

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Decode refuses, naming the file.
func Decode(filename string, src []byte, ctx *hcl.EvalContext, target any) error {
	return fmt.Errorf("%s: %w", filename, hcl.ErrUnsupported)
}
