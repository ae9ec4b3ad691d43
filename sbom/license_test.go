package sbom

import (
	"bytes"
	"context"
	"testing"
)

// TestGenerateConcurrent: the caller catalogs an index's platforms in
// parallel; the shared license scanner and syft's globals must allow it.
func TestGenerateConcurrent(t *testing.T) {
	img := viaLayout(t, fixtureImage(t))
	want := encode(t, generateFixture(t), SyftJSON)
	errs := make(chan error, 4)
	outs := make(chan []byte, 4)
	for range 4 {
		go func() {
			s, err := Generate(context.Background(), img, WithRepository(fixtureRepository(t)))
			if err != nil {
				errs <- err
				return
			}
			var buf bytes.Buffer
			if err := s.Encode(&buf, SyftJSON); err != nil {
				errs <- err
				return
			}
			outs <- buf.Bytes()
		}()
	}
	for range 4 {
		select {
		case err := <-errs:
			t.Error(err)
		case got := <-outs:
			if !bytes.Equal(got, want) {
				t.Errorf("concurrent Generate differs:\n%s", firstDiff(got, want))
			}
		}
	}
}

// TestValueFallback: the caller's context values win over the ones syft's
// scanner context carries, and cancellation is the caller's.
func TestValueFallback(t *testing.T) {
	type key string
	base := context.WithValue(context.Background(), key("k"), "base")
	base = context.WithValue(base, key("only-base"), "base")
	caller, cancel := context.WithCancel(context.WithValue(context.Background(), key("k"), "caller"))
	ctx := valueFallback{Context: caller, fallback: base}
	if got := ctx.Value(key("k")); got != "caller" {
		t.Errorf("Value(k) = %v, want the caller's", got)
	}
	if got := ctx.Value(key("only-base")); got != "base" {
		t.Errorf("Value(only-base) = %v, want the fallback's", got)
	}
	if ctx.Value(key("none")) != nil {
		t.Error("Value(none) != nil")
	}
	cancel()
	if ctx.Err() == nil {
		t.Error("cancelling the caller's context did not reach the layered one")
	}
}
