package sign

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateAndLoadKeys(t *testing.T) {
	a, _ := keys(t)
	if !bytes.Contains(a.priv, []byte("ENCRYPTED SIGSTORE PRIVATE KEY")) {
		t.Errorf("private key is not a cosign encrypted key:\n%s", a.priv)
	}
	if !bytes.Contains(a.pub, []byte("PUBLIC KEY")) {
		t.Errorf("public key:\n%s", a.pub)
	}
	s := a.signer(t)
	pem, err := s.PublicKeyPEM()
	if err != nil || !bytes.Equal(pem, a.pub) {
		t.Fatalf("signer public key differs: %v", err)
	}
	if s.Keyless() {
		t.Error("key signer reports keyless")
	}

	dir := t.TempDir()
	kp, pp := filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	os.WriteFile(kp, a.priv, 0o600)
	os.WriteFile(pp, a.pub, 0o644)
	if _, err := LoadSignerFile(kp, a.password); err != nil {
		t.Fatal(err)
	}
	v, err := LoadVerifierFile(pp)
	if err != nil {
		t.Fatal(err)
	}
	if v.ref != pp {
		t.Errorf("verifier ref = %q", v.ref)
	}
}

func TestLoadSignerWrongPasswordKeepsSecret(t *testing.T) {
	a, _ := keys(t)
	wrong := []byte("hunter2-not-the-password")
	_, err := LoadSigner(a.priv, wrong)
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	if strings.Contains(err.Error(), string(wrong)) || strings.Contains(err.Error(), string(a.password)) {
		t.Fatalf("error leaks a password: %v", err)
	}
	if !strings.Contains(err.Error(), "password") {
		t.Errorf("error gives no hint: %v", err)
	}
	if _, err := LoadSigner([]byte("not a key"), nil); err == nil {
		t.Fatal("garbage accepted")
	}
	if _, err := LoadVerifier([]byte("not a key")); err == nil {
		t.Fatal("garbage public key accepted")
	}
}

func TestKMSWithoutProvider(t *testing.T) {
	for _, uri := range []string{"awskms:///arn:aws:kms:us-east-1:1:key/x", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "hashivault://k", "azurekms://v.vault.azure.net/k"} {
		if !IsKMSURI(uri) {
			t.Errorf("IsKMSURI(%q) = false", uri)
		}
		_, err := LoadKMSSigner(context.Background(), uri)
		if !errors.Is(err, ErrKMSNotLinked) || !strings.Contains(err.Error(), "sign/kms") {
			t.Errorf("%s: err = %v", uri, err)
		}
	}
	if IsKMSURI("cosign.key") {
		t.Error("file taken for KMS")
	}
	if _, err := LoadKMSVerifier(context.Background(), "cosign.pub"); err == nil {
		t.Error("file accepted as KMS URI")
	}
}
