package layer

import "errors"

// Sentinel errors, matched with errors.Is.
var (
	// ErrUnsupported: the input uses a feature the conversion cannot express
	// faithfully, such as an overlay mounted with redirect_dir or metacopy,
	// whose upper directory alone does not hold the step's changes.
	ErrUnsupported = errors.New("unsupported")
	// ErrInvalidPath: a path is absolute after cleaning, escapes the layer
	// root, or is empty.
	ErrInvalidPath = errors.New("invalid layer path")
)
