package sign

import (
	"bytes"
	"strings"
	"testing"
)

// Uploads need a Rekor server (network); here only what runs offline: the
// identity recorded and the error when Rekor cannot be reached.
func TestTlogOffline(t *testing.T) {
	a, _ := keys(t)
	s := a.signer(t)
	id, err := rekorIdentity(s)
	if err != nil || !bytes.Equal(id, a.pub) {
		t.Fatalf("rekor identity = %s, %v", id, err)
	}
	ctx, d := newRegistryImage(t)
	_, err = Sign(ctx, d, s, WithTlogUpload(true), WithRekorURL("http://127.0.0.1:1"))
	if err == nil || !strings.Contains(err.Error(), "uploading to http://127.0.0.1:1") {
		t.Fatalf("err = %v", err)
	}
	if n := sigLayers(t, d, SignatureSuffix); n != 0 {
		t.Fatalf("a signature without its tlog entry was written (%d layers)", n)
	}
}
