package sign

import "errors"

// Sentinel errors; test with errors.Is. The wrapping error says which
// subject, which key or identity, and why.
var (
	// ErrNoSignature: the subject has no signature (or no attestation of the
	// requested predicate type) at all.
	ErrNoSignature = errors.New("no signature")
	// ErrInvalidSignature: signatures exist but none verifies against the
	// given key or identity (wrong key, payload for another digest,
	// certificate identity or issuer mismatch, missing annotation, tampered
	// payload).
	ErrInvalidSignature = errors.New("invalid signature")
	// ErrKMSNotLinked: a KMS key URI was given but its provider is not linked
	// into the binary.
	ErrKMSNotLinked = errors.New("KMS provider not linked")
)
