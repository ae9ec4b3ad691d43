package version

import (
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestMatchTags(t *testing.T) {
	all := []gitTag{
		{"v1.0.0", "a"}, {"v1.2", "a"}, {"release-5", "a"}, {"vfoo", "a"}, {"v2.0.0-rc.1", "b"},
		{"1.5.0", "a"}, {"app/v3.0.0", "c"}, {"v1.1.0+b2", "d"}, {"v1.1.0+b10", "d"}, {"v1.1.0", "d"}, {"v01.0.0", "a"},
	}
	reach := map[string]bool{"v1.0.0": true, "v1.1.0": true}
	got := matchTags(all, reach, "v")
	want := []string{"v2.0.0-rc.1", "v1.1.0", "v1.1.0+b10", "v1.1.0+b2", "v1.0.0"}
	if len(got) != len(want) {
		t.Fatalf("got %d tags: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Name != w {
			t.Errorf("tag %d = %s, want %s", i, got[i].Name, w)
		}
	}
	if !got[1].Reachable || got[0].Reachable {
		t.Errorf("reachability lost: %+v", got)
	}
	if app := matchTags(all, reach, "app/v"); len(app) != 1 || app[0].Version.String() != "3.0.0" {
		t.Errorf("app/v tags = %+v", app)
	}
}

func TestNextPrerelease(t *testing.T) {
	tags := matchTags([]gitTag{
		{"v1.3.0-rc.1", "a"}, {"v1.3.0-rc.3", "b"}, {"v1.3.0-beta.9", "c"}, {"v1.4.0-rc.7", "d"}, {"v1.3.0-rc.x", "e"}, {"v1.3.0-rc", "f"},
	}, nil, "v")
	for _, tc := range []struct {
		target string
		id     string
		want   int
	}{
		{"1.3.0", "rc", 4},
		{"1.3.0", "beta", 10},
		{"1.3.0", "alpha", 1},
		{"1.5.0", "rc", 1},
	} {
		if got := nextPrerelease(tags, *semver.MustParse(tc.target), tc.id); got != tc.want {
			t.Errorf("nextPrerelease(%s, %s) = %d, want %d", tc.target, tc.id, got, tc.want)
		}
	}
}

func TestLevelBetweenAndBump(t *testing.T) {
	v := semver.MustParse
	if l := levelBetween(v("1.2.3"), v("2.0.0")); l != bumpMajor {
		t.Errorf("major: %d", l)
	}
	if l := levelBetween(v("1.2.3"), v("1.3.0")); l != bumpMinor {
		t.Errorf("minor: %d", l)
	}
	if l := levelBetween(v("1.2.3"), v("1.2.4")); l != bumpPatch {
		t.Errorf("patch: %d", l)
	}
	for level, want := range map[int]string{bumpNone: "1.2.3", bumpPatch: "1.2.4", bumpMinor: "1.3.0", bumpMajor: "2.0.0"} {
		if got := bumpVersion(v("1.2.3"), level).String(); got != want {
			t.Errorf("bumpVersion(%s) = %s, want %s", bumpName(level), got, want)
		}
	}
}
