package sigstoretest

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// TUFTarget is one target file of a TUF repository.
type TUFTarget struct {
	Name string
	Data []byte
	// Usage is the Sigstore usage ("Fulcio", "Rekor", "CTFE", "TSA") that
	// clients built on sigstore/sigstore's TUF package look key targets up
	// by (custom metadata {"sigstore": {"usage": …, "status": "Active"}});
	// empty for none. sigstore-go's client reads trusted_root.json by name.
	Usage string
}

// TUFRepository is a signed TUF repository served over loopback HTTP, as
// a private Sigstore deployment publishes its trust root: what clients that
// take Sigstore trust only from TUF (Kyverno, policy-controller) are
// pointed at with a mirror URL and an initial root.
type TUFRepository struct {
	// URL is the mirror's base URL (http://127.0.0.1:PORT).
	URL string
	// Root is 1.root.json, the trust anchor a client starts from.
	Root []byte
	// RootFile is the path of a copy of Root.
	RootFile string
}

// tufExpiry is how long the metadata is valid: longer than any test, short
// enough that nothing relies on it lasting.
const tufExpiry = 24 * time.Hour

// ServeTUF writes a TUF repository holding targets (one Ed25519 key signs
// every role; consistent snapshots, so targets are also served under their
// SHA-256 names) and serves it until the test ends.
func ServeTUF(t testing.TB, targets ...TUFTarget) *TUFRepository {
	t.Helper()
	dir := t.TempDir()
	files, err := tufFiles(targets)
	if err != nil {
		t.Fatalf("building a TUF repository: %v", err)
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, p, b)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	rootFile := filepath.Join(t.TempDir(), "root.json")
	write(t, rootFile, files["1.root.json"])
	return &TUFRepository{URL: srv.URL, Root: files["1.root.json"], RootFile: rootFile}
}

// TUF serves a TUF repository for s: its trusted_root.json, the target
// sigstore-go's client and cosign v3 read, plus extra.
func (s *Sigstore) TUF(t testing.TB, extra ...TUFTarget) *TUFRepository {
	t.Helper()
	tr, err := os.ReadFile(s.TrustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	return ServeTUF(t, append([]TUFTarget{{Name: "trusted_root.json", Data: tr}}, extra...)...)
}

// tufFiles returns the repository's files by path: version 1 of every
// role, under both the versioned names clients with consistent snapshots
// fetch and the plain ones older clients fetch.
func tufFiles(targets []TUFTarget) (map[string][]byte, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := signature.LoadSigner(priv, crypto.Hash(0))
	if err != nil {
		return nil, err
	}
	key, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		return nil, err
	}
	expires := time.Now().UTC().Add(tufExpiry)
	files := map[string][]byte{}

	tg := metadata.Targets(expires)
	for _, target := range targets {
		info, err := metadata.TargetFile().FromBytes(target.Name, target.Data, "sha256")
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", target.Name, err)
		}
		if target.Usage != "" {
			custom, err := json.Marshal(map[string]any{"sigstore": map[string]string{"usage": target.Usage, "status": "Active"}})
			if err != nil {
				return nil, err
			}
			raw := json.RawMessage(custom)
			info.Custom = &raw
		}
		tg.Signed.Targets[target.Name] = info
		files["targets/"+target.Name] = target.Data
		files["targets/"+hex.EncodeToString(info.Hashes["sha256"])+"."+target.Name] = target.Data
	}

	root := metadata.Root(expires)
	for _, role := range []string{metadata.ROOT, metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := root.Signed.AddKey(key, role); err != nil {
			return nil, err
		}
	}
	// Signed and written in the order each one's hash-free reference
	// needs (snapshot names targets' version, timestamp snapshot's).
	for _, m := range []struct {
		name string
		md   interface {
			Sign(signature.Signer) (*metadata.Signature, error)
			ToBytes(bool) ([]byte, error)
		}
		versioned bool
	}{
		{"root", root, true},
		{"targets", tg, true},
		{"snapshot", metadata.Snapshot(expires), true},
		{"timestamp", metadata.Timestamp(expires), false},
	} {
		if _, err := m.md.Sign(signer); err != nil {
			return nil, fmt.Errorf("signing %s: %w", m.name, err)
		}
		b, err := m.md.ToBytes(false)
		if err != nil {
			return nil, err
		}
		files[m.name+".json"] = b
		if m.versioned {
			files["1."+m.name+".json"] = b
		}
	}
	return files, nil
}
