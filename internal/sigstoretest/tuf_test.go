package sigstoretest_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	sgtuf "github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/sigstore/sigstore/pkg/tuf"

	"github.com/sreevishnu07/stevedore/internal/sigstoretest"
)

// Both TUF clients Sigstore verifiers are built on read the repository:
// sigstore-go's (go-tuf v2; trusted_root.json by name) and sigstore/sigstore's
// (go-tuf v0.7; key targets by their Sigstore usage), which Kyverno
// initializes before reading either. A client anchored in another
// repository's root refuses it.
func TestServeTUF(t *testing.T) {
	trusted := []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)
	ctfe := []byte("-----BEGIN PUBLIC KEY-----\nplaceholder\n-----END PUBLIC KEY-----\n")
	repo := sigstoretest.ServeTUF(t,
		sigstoretest.TUFTarget{Name: "trusted_root.json", Data: trusted},
		sigstoretest.TUFTarget{Name: "ctfe.pub", Data: ctfe, Usage: "CTFE"})

	get := func(root []byte, name string) ([]byte, error) {
		opts := sgtuf.DefaultOptions().WithRoot(root).WithRepositoryBaseURL(repo.URL).WithCachePath(t.TempDir())
		c, err := sgtuf.New(opts)
		if err != nil {
			return nil, err
		}
		return c.GetTarget(name)
	}
	got, err := get(repo.Root, "trusted_root.json")
	if err != nil || !bytes.Equal(got, trusted) {
		t.Fatalf("sigstore-go's TUF client: %q, %v; want %q", got, err, trusted)
	}
	other := sigstoretest.ServeTUF(t)
	if got, err := get(other.Root, "trusted_root.json"); err == nil {
		t.Fatalf("a client anchored in another root read %q", got)
	}

	t.Setenv("TUF_ROOT", filepath.Join(t.TempDir(), "tuf"))
	ctx := context.Background()
	if err := tuf.Initialize(ctx, repo.URL, repo.Root); err != nil {
		t.Fatalf("sigstore/sigstore's TUF client: %v", err)
	}
	c, err := tuf.NewFromEnv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.GetTargetsByMeta(tuf.CTFE, nil)
	if err != nil || len(keys) != 1 || !bytes.Equal(keys[0].Target, ctfe) {
		t.Fatalf("sigstore/sigstore's TUF client, CTFE targets: %v, %v", keys, err)
	}
	if b, err := c.GetTarget("trusted_root.json"); err != nil || !bytes.Equal(b, trusted) {
		t.Fatalf("sigstore/sigstore's TUF client: %q, %v", b, err)
	}
}
