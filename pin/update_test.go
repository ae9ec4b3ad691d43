package pin

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// verifierFunc adapts a function to Verifier and records what it saw.
type verifierFunc struct {
	fn   func(name.Digest) error
	seen []string
}

func (v *verifierFunc) Verify(_ context.Context, d name.Digest) error {
	v.seen = append(v.seen, d.String())
	return v.fn(d)
}

func TestUpdate(t *testing.T) {
	old, moved := digestOf('a'), digestOf('b')
	src := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n" +
		"  - image: ghcr.io/acme/web:1.4@" + old.String() + " # web\n" +
		"  - image: docker.io/library/nginx:1.27@" + old.String() + "\n" +
		"  - image: redis:7@" + old.String() + "\n" + // tag has not moved
		"  - image: ghcr.io/acme/unpinned:1\n" // Update does not pin
	vals := "image:\n  repository: acme/web\n  tag: \"1.4\"\n  digest: " + old.String() + "\n"
	resolver := func() *hashResolver {
		return &hashResolver{override: map[string]v1.Hash{
			"ghcr.io/acme/web:1.4":               moved,
			"index.docker.io/library/nginx:1.27": moved,
			"index.docker.io/acme/web:1.4":       moved,
			"index.docker.io/library/redis:7":    old,
		}}
	}

	t.Run("verifier rejects", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "pod.yaml", src)
		v := &verifierFunc{fn: func(d name.Digest) error {
			if strings.HasPrefix(d.String(), "ghcr.io/acme/web@") {
				return errors.New("no matching signatures")
			}
			return nil
		}}
		res, err := Update(context.Background(), []string{p}, resolver(), v)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 1 || res.Findings[0].Rule != RuleUnsigned || res.Findings[0].Line != 5 ||
			!strings.Contains(res.Findings[0].Message, "no matching signatures") || res.Findings[0].Digest != moved.String() {
			t.Fatalf("findings = %+v", res.Findings)
		}
		want := strings.Replace(src, "nginx:1.27@"+old.String(), "nginx:1.27@"+moved.String(), 1)
		if got := readFile(t, p); got != want {
			t.Errorf("file:\n%s", diffLines(want, got))
		}
		if len(v.seen) != 2 {
			t.Errorf("verified %v; want the two moved digests only", v.seen)
		}
	})

	t.Run("allow list skips verification", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "pod.yaml", src)
		reject := &verifierFunc{fn: func(name.Digest) error { return errors.New("unsigned") }}
		res, err := Update(context.Background(), []string{p}, resolver(), reject, WithAllow("ghcr.io/acme/**", "docker.io/library/*"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 0 || len(res.Changes) != 2 || len(reject.seen) != 0 {
			t.Fatalf("changes %d findings %+v verified %v", len(res.Changes), res.Findings, reject.seen)
		}
		if got := readFile(t, p); strings.Count(got, moved.String()) != 2 || !strings.Contains(got, "ghcr.io/acme/unpinned:1\n") || !strings.Contains(got, " # web\n") {
			t.Errorf("file:\n%s", got)
		}
	})

	t.Run("no verifier, image map", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "values.yaml", vals)
		res, err := Update(context.Background(), []string{p}, resolver(), nil)
		if err != nil || len(res.Changes) != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		want := strings.Replace(vals, old.String(), moved.String(), 1)
		if got := readFile(t, p); got != want {
			t.Errorf("file:\n%s", diffLines(want, got))
		}
	})
}

func TestAllowedRepository(t *testing.T) {
	for _, tc := range []struct {
		globs []string
		repo  string
		want  bool
	}{
		{[]string{"ghcr.io/acme/*"}, "ghcr.io/acme/web", true},
		{[]string{"ghcr.io/acme/*"}, "ghcr.io/acme/team/web", false},
		{[]string{"ghcr.io/acme/**"}, "ghcr.io/acme/team/web", true},
		{[]string{"docker.io/library/*"}, "docker.io/library/nginx", true},
		{nil, "docker.io/library/nginx", false},
	} {
		got, err := AllowedRepository(tc.globs, tc.repo)
		if err != nil || got != tc.want {
			t.Errorf("AllowedRepository(%v, %q) = %v, %v", tc.globs, tc.repo, got, err)
		}
	}
}

// A chart that keeps the digest inside its tag ("1.4@sha256:…") gets the
// new digest there, not a second digest key.
func TestUpdateDigestInTag(t *testing.T) {
	old, moved := digestOf('a'), digestOf('b')
	vals := "image:\n  repository: acme/web\n  tag: 1.4@" + old.String() + "\n"
	p := writeFile(t, t.TempDir(), "values.yaml", vals)
	r := &hashResolver{override: map[string]v1.Hash{"index.docker.io/acme/web:1.4": moved}}
	if _, err := Update(context.Background(), []string{p}, r, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, p), strings.Replace(vals, old.String(), moved.String(), 1); got != want {
		t.Errorf("file:\n%s", diffLines(want, got))
	}
}
