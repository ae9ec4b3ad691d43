package sign

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// spdx is a minimal SPDX 2.3 JSON document.
const spdx = `{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"app","documentNamespace":"https://example.com/app","creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: stevedore"]},"packages":[{"name":"busybox","SPDXID":"SPDXRef-busybox","versionInfo":"1.36.1","downloadLocation":"NOASSERTION"}]}`

func TestAttestVerifySPDX(t *testing.T) {
	a, b := keys(t)
	ctx, d := newRegistryImage(t)

	res, err := Attest(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(spdx))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signed) != 1 {
		t.Fatalf("result = %+v", res)
	}
	got, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Signatures) != 1 || got.Signatures[0].PredicateType != "https://spdx.dev/Document" {
		t.Fatalf("verified = %+v", got.Signatures)
	}
	var doc map[string]any
	if err := json.Unmarshal(got.Signatures[0].Predicate, &doc); err != nil || doc["spdxVersion"] != "SPDX-2.3" {
		t.Fatalf("predicate = %s (%v)", got.Signatures[0].Predicate, err)
	}
	if !strings.Contains(got.Command, "cosign verify-attestation --type spdxjson --key cosign.pub --insecure-ignore-tlog") {
		t.Errorf("command = %q", got.Command)
	}

	t.Run("same attestation again is skipped", func(t *testing.T) {
		res, err := Attest(ctx, d, a.signer(t), "https://spdx.dev/Document", []byte(spdx))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Skipped) != 1 {
			t.Fatalf("result = %+v, want skipped", res)
		}
		if n := sigLayers(t, d, AttestationSuffix); n != 1 {
			t.Fatalf(".att has %d layers, want 1", n)
		}
	})
	t.Run("other type is ErrNoSignature", func(t *testing.T) {
		_, err := VerifyAttestation(ctx, d, PredicateCycloneDX, WithKey(a.verifier(t)), WithIgnoreTlog(true))
		if !errors.Is(err, ErrNoSignature) || !strings.Contains(err.Error(), "https://spdx.dev/Document") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("other key is ErrInvalidSignature", func(t *testing.T) {
		_, err := VerifyAttestation(ctx, d, PredicateSPDXJSON, WithKey(b.verifier(t)), WithIgnoreTlog(true))
		if !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAttestProvenanceAndCustom(t *testing.T) {
	a, _ := keys(t)
	ctx, d := newRegistryImage(t)
	base, _ := name.NewDigest("docker.io/library/busybox@sha256:" + strings.Repeat("ab", 32))
	prov, err := Provenance(ProvenanceInput{
		BuilderID:  "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.0.0",
		SourceRepo: "https://github.com/o/r", Commit: strings.Repeat("c", 40), Ref: "refs/tags/v1.0.0",
		BuildArgs:  map[string]string{"VERSION": "1.0.0"},
		BaseImages: []name.Digest{base},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Attest(ctx, d, a.signer(t), PredicateSLSA1, prov); err != nil {
		t.Fatal(err)
	}
	custom := "https://example.com/test-result/v1"
	if _, err := Attest(ctx, d, a.signer(t), custom, []byte(`{"passed":true}`)); err != nil {
		t.Fatal(err)
	}
	for _, pt := range []string{PredicateSLSA1, "https://slsa.dev/provenance/v1", custom} {
		got, err := VerifyAttestation(ctx, d, pt, WithKey(a.verifier(t)), WithIgnoreTlog(true))
		if err != nil {
			t.Fatalf("%s: %v", pt, err)
		}
		if len(got.Signatures) != 1 {
			t.Fatalf("%s: %d verified", pt, len(got.Signatures))
		}
	}
	got, _ := VerifyAttestation(ctx, d, PredicateSLSA1, WithKey(a.verifier(t)), WithIgnoreTlog(true))
	if !bytes.Contains(got.Signatures[0].Predicate, []byte(`"gitCommit":"cccc`)) {
		t.Errorf("predicate = %s", got.Signatures[0].Predicate)
	}
}

func TestAttestLargePredicateRefusedWithTlog(t *testing.T) {
	a, _ := keys(t)
	ctx, d := newRegistryImage(t)
	big := `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"` + strings.Repeat("x", DefaultMaxTlogEntry) + `"}`
	// Refused before signing or contacting Rekor (there is no network here).
	_, err := Attest(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(big), WithTlogUpload(true), WithRekorURL("http://127.0.0.1:1"))
	if err == nil || !strings.Contains(err.Error(), "transparency-log bound") {
		t.Fatalf("err = %v", err)
	}
	if n := sigLayers(t, d, AttestationSuffix); n != 0 {
		t.Fatalf("wrote %d attestations", n)
	}
	// With tlog upload off (the default for keys) it is fine.
	if _, err := Attest(ctx, d, a.signer(t), PredicateSPDXJSON, []byte(big)); err != nil {
		t.Fatal(err)
	}
}

func TestPredicateTypeURI(t *testing.T) {
	for in, want := range map[string]string{
		"spdxjson":                     "https://spdx.dev/Document",
		"cyclonedx":                    "https://cyclonedx.org/bom",
		"slsaprovenance1":              "https://slsa.dev/provenance/v1",
		"https://example.com/thing/v1": "https://example.com/thing/v1",
	} {
		got, err := PredicateTypeURI(in)
		if err != nil || got != want {
			t.Errorf("PredicateTypeURI(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := PredicateTypeURI("sbom"); err == nil {
		t.Error("unknown short name accepted")
	}
}
