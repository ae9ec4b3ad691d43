package sign

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestAttachedTag(t *testing.T) {
	h := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	if got := AttachedTag(h, SignatureSuffix); got != "sha256-"+h.Hex+".sig" {
		t.Errorf("AttachedTag = %q", got)
	}
	if got := AttachedTag(h, AttestationSuffix); !strings.HasSuffix(got, ".att") {
		t.Errorf("AttachedTag = %q", got)
	}
}

func TestCheckDigest(t *testing.T) {
	if _, err := checkDigest(name.Digest{}); err == nil {
		t.Error("zero digest accepted")
	}
	d, _ := name.NewDigest("example.com/a/b@sha256:" + strings.Repeat("0", 64))
	h, err := checkDigest(d)
	if err != nil || h.Algorithm != "sha256" {
		t.Errorf("checkDigest = %v, %v", h, err)
	}
}
