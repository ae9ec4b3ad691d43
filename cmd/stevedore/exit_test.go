package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sreevishnu07/stevedore/publish"
	"github.com/sreevishnu07/stevedore/version"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{usageErrorf("bad flag"), exitUsage},
		{fmt.Errorf("pushing ghcr.io/o/app: %w", publish.ErrDenied), exitDenied},
		{fmt.Errorf("parsing reference: %w", publish.ErrBadReference), exitUsage},
		{fmt.Errorf("planning version: %w", version.ErrShallow), exitUsage},
		{fmt.Errorf("planning version: %w", version.ErrTagExists), exitFailed},
		{fmt.Errorf("pushing: %w", publish.ErrUnavailable), exitFailed},
		{fmt.Errorf("pushing: %w", context.Canceled), exitCanceled},
		{errors.New("anything else"), exitFailed},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
