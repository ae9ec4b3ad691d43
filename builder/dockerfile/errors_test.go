package dockerfile

import (
	"errors"
	"testing"
)

func TestLocatedError(t *testing.T) {
	cause := errors.New("boom")
	err := locErr("planning", ErrCycle, "Dockerfile", 7, cause)
	if err.Error() != "planning Dockerfile:7: boom" {
		t.Errorf("text = %q", err)
	}
	if !errors.Is(err, ErrCycle) || !errors.Is(err, cause) {
		t.Error("sentinel or cause not reachable with errors.Is")
	}
	var le *LocatedError
	if !errors.As(err, &le) || le.Line != 7 || le.File != "Dockerfile" {
		t.Errorf("errors.As = %+v", le)
	}
	if got := locErr("parsing", ErrSyntax, "x", 0, cause).Error(); got != "parsing x: boom" {
		t.Errorf("no-line text = %q", got)
	}
}
