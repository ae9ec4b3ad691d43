package layer

import (
	"testing"
	"time"
)

func TestBuildOptions(t *testing.T) {
	o, err := buildOptions(nil)
	must(t, err)
	if o.level != DefaultGzipLevel || o.compression != Gzip || !o.epoch.Equal(time.Unix(0, 0)) || o.concurrency < 1 {
		t.Fatalf("defaults: %+v", o)
	}
	o, err = buildOptions([]Option{WithCompression(Zstd), WithConcurrency(-3)})
	must(t, err)
	if o.level != DefaultZstdLevel || o.concurrency != 1 {
		t.Fatalf("zstd defaults: %+v", o)
	}
	for _, bad := range [][]Option{
		{WithLevel(0)},
		{WithLevel(10)},
		{WithCompression(Zstd), WithLevel(5)},
		{WithCompression(Compression(7))},
	} {
		if _, err := buildOptions(bad); err == nil {
			t.Errorf("options accepted: %+v", bad)
		}
	}
	if Zstd.String() != "zstd" || Gzip.String() != "gzip" {
		t.Error("Compression.String")
	}
}
