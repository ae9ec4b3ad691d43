package sbom

import (
	"testing"
	"time"
)

func TestOptionDefaults(t *testing.T) {
	o := makeOptions(nil)
	if o.repo != nil || !o.created.IsZero() || o.tempDir != "" || o.toolName != "" || o.parallelism != 0 {
		t.Errorf("defaults = %+v, want all zero", o)
	}
}

func TestOptions(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	o := makeOptions([]Option{
		WithRepository(fixtureRepository(t)),
		WithCreated(at),
		WithTempDir("/x"),
		WithTool("stevedore", "v1"),
		WithParallelism(1),
	})
	if o.repo == nil || o.repo.Name() != fixtureRepo || !o.created.Equal(at) || o.tempDir != "/x" ||
		o.toolName != "stevedore" || o.toolVersion != "v1" || o.parallelism != 1 {
		t.Errorf("options = %+v", o)
	}
}
