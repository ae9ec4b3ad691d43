package sbom

import (
	"context"
	"slices"
	"testing"
)

// TestPackages: the fixture's OS and language packages are all found, with
// syft's purls. syft qualifies every OS package with the release in
// /etc/os-release, so the apk package (whose database the fixture adds to a
// Debian tree) is reported as pkg:apk/debian/….
func TestPackages(t *testing.T) {
	img := viaLayout(t, fixtureImage(t))
	s, err := Generate(context.Background(), img, WithRepository(fixtureRepository(t)))
	if err != nil {
		t.Fatal(err)
	}

	type want struct{ typ, name, version, purl string }
	wants := []want{
		{"apk", "musl", "1.2.4-r2", "pkg:apk/debian/musl@1.2.4-r2?arch=x86_64&distro=debian-12"},
		{"deb", "libc6", "2.36-9+deb12u4", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"},
		{"deb", "zlib1g", "1:1.2.13.dfsg-1", "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib"},
		{"npm", "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"},
		{"python", "six", "1.16.0", "pkg:pypi/six@1.16.0"},
	}
	got := s.Packages()
	var gotW []want
	for _, p := range got {
		gotW = append(gotW, want{p.Type, p.Name, p.Version, p.PURL})
	}
	if !slices.Equal(gotW, wants) {
		t.Errorf("packages:\n got  %q\n want %q", gotW, wants)
	}
	for _, p := range got {
		if len(p.Paths) == 0 {
			t.Errorf("%s: no paths", p.Name)
		}
	}
	if d := s.Distro(); d != "debian 12" {
		t.Errorf("Distro() = %q, want debian 12", d)
	}
}
