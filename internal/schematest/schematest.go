// Package schematest checks, in tests, that what stevedore writes matches
// the JSON Schema files it ships for other tools.
package schematest

import (
	"bytes"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Validate fails t unless doc is valid against the schema file at
// schemaPath.
func Validate(t testing.TB, schemaPath string, doc []byte) {
	t.Helper()
	sch, err := jsonschema.NewCompiler().Compile(schemaPath)
	if err != nil {
		t.Fatalf("compiling %s: %v", schemaPath, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("decoding document: %v\n%s", err, doc)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("document does not match %s: %v\n%s", schemaPath, err, doc)
	}
}
