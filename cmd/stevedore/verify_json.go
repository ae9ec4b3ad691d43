package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/sreevishnu07/stevedore/sign"
)

// verifiedJSON is verify --json: what verified, in the CLI's JSON
// convention. Predicates are left out (an SBOM can be megabytes; `stevedore
// sbom` and cosign verify-attestation print them).
type verifiedJSON struct {
	Ref           string          `json:"ref"`
	Digest        string          `json:"digest"`
	Kind          string          `json:"kind"` // "signature" or "attestation"
	PredicateType string          `json:"predicate_type,omitempty"`
	Signatures    []signatureJSON `json:"signatures"`
	Command       string          `json:"cosign_command"`
	// Platforms are the index's manifests verified with --recursive.
	Platforms []string `json:"platforms,omitempty"`
}

type signatureJSON struct {
	Key             string            `json:"key,omitempty"`
	Identity        string            `json:"identity,omitempty"`
	Issuer          string            `json:"issuer,omitempty"`
	ClaimedIdentity string            `json:"claimed_identity,omitempty"`
	PredicateType   string            `json:"predicate_type,omitempty"`
	Annotations     map[string]string `json:"annotations"`
	Tlog            bool              `json:"tlog"`
}

func writeVerifiedJSON(w io.Writer, s subject, typ, key string, v *sign.Verified) error {
	out := verifiedJSON{Ref: s.String(), Digest: s.digest.String(), Kind: "signature", Signatures: []signatureJSON{}, Command: v.Command}
	if typ != "" {
		out.Kind = "attestation"
		if uri, err := sign.PredicateTypeURI(typ); err == nil {
			out.PredicateType = uri
		}
	}
	for _, sig := range v.Signatures {
		j := signatureJSON{Identity: sig.Identity, Issuer: sig.Issuer, ClaimedIdentity: sig.ClaimedIdentity,
			PredicateType: sig.PredicateType, Annotations: map[string]string{}, Tlog: sig.Tlog}
		if sig.Identity == "" {
			j.Key = key
		}
		for _, k := range slices.Sorted(maps.Keys(sig.Annotations)) {
			j.Annotations[k] = sig.Annotations[k]
		}
		out.Signatures = append(out.Signatures, j)
	}
	for _, p := range v.Platforms {
		out.Platforms = append(out.Platforms, s.at(platformDigest(p)))
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
