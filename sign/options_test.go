package sign

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestOptionsDefaults(t *testing.T) {
	o := makeOptions(context.Background(), nil)
	if len(o.remote) != 2 || o.recursive || o.tlogUpload != nil || o.maxTlogEntry != DefaultMaxTlogEntry {
		t.Errorf("defaults = %+v", o)
	}
	if got := o.rekor(nil); got != DefaultRekorURL {
		t.Errorf("rekor = %q", got)
	}
	if got := o.rekor(&Signer{rekorURL: "https://rekor.example"}); got != "https://rekor.example" {
		t.Errorf("keyless signer's rekor ignored: %q", got)
	}
	o = makeOptions(context.Background(), []Option{WithRekorURL("https://r2.example")})
	if got := o.rekor(&Signer{rekorURL: "https://rekor.example"}); got != "https://r2.example" {
		t.Errorf("WithRekorURL ignored: %q", got)
	}
	// Key signers default to no tlog upload; keyless always upload.
	if up, _ := makeOptions(context.Background(), nil).upload(&Signer{}); up {
		t.Error("key signer uploads by default")
	}
	if up, _ := makeOptions(context.Background(), nil).upload(&Signer{cert: []byte("c")}); !up {
		t.Error("keyless signer does not upload")
	}
}

func TestRemoteOptionsNotMutated(t *testing.T) {
	base := make([]remote.Option, 1, 8)
	base[0] = remote.WithJobs(1)
	o1 := makeOptions(context.Background(), []Option{WithRemoteOptions(base...)})
	o2 := makeOptions(context.Background(), []Option{WithRemoteOptions(base...)})
	if len(o1.remote) != 2 || len(o2.remote) != 2 || len(base) != 1 {
		t.Fatalf("lens %d %d %d", len(o1.remote), len(o2.remote), len(base))
	}
}
