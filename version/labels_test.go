package version

import (
	"reflect"
	"testing"
	"time"
)

// The push01 case of metadata-action's meta.test.ts with its repo.json.
func TestOCIAnnotations(t *testing.T) {
	got := OCIAnnotations(RepoInfo{Name: "Hello-World", Description: "This your first repo!", URL: "https://github.com/octocat/Hello-World", License: "MIT"},
		"dev", "860c1904a1ce19322e91ac35af1ab07466440c37", time.Date(2020, 1, 10, 0, 30, 0, 0, time.UTC))
	want := map[string]string{
		"org.opencontainers.image.created":     "2020-01-10T00:30:00.000Z",
		"org.opencontainers.image.description": "This your first repo!",
		"org.opencontainers.image.licenses":    "MIT",
		"org.opencontainers.image.revision":    "860c1904a1ce19322e91ac35af1ab07466440c37",
		"org.opencontainers.image.source":      "https://github.com/octocat/Hello-World",
		"org.opencontainers.image.title":       "Hello-World",
		"org.opencontainers.image.url":         "https://github.com/octocat/Hello-World",
		"org.opencontainers.image.version":     "dev",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if got := OCIAnnotations(RepoInfo{}, "", "", time.Time{}); len(got) != 0 {
		t.Errorf("empty values must be left out, got %v", got)
	}
}
