package pin

import (
	"context"
	"testing"
)

// Where the digest goes in Helm and Kustomize image maps.
func TestImageMapDigestSites(t *testing.T) {
	d := fakeDigest("index.docker.io/acme/app:1").String()
	for _, tc := range []struct{ name, file, in, want string }{
		{"helm block, no digest key", "values.yaml",
			"image:\n  repository: acme/app # the app\n  tag: \"1\"  # pinned tag\n  pullPolicy: Always\n",
			"image:\n  repository: acme/app # the app\n  tag: \"1\"  # pinned tag\n  digest: " + d + "\n  pullPolicy: Always\n"},
		{"helm flow", "values.yaml",
			"image: {repository: acme/app, tag: '1'}\n",
			"image: {repository: acme/app, tag: '1', digest: " + d + "}\n"},
		{"helm empty quoted digest", "values.yaml",
			"image:\n  digest: ''\n  repository: acme/app\n  tag: 1\n",
			"image:\n  digest: '" + d + "'\n  repository: acme/app\n  tag: 1\n"},
		{"helm null digest", "values.yaml",
			"image:\n  repository: acme/app\n  tag: 1\n  digest: ~ # filled by stevedore\n",
			"image:\n  repository: acme/app\n  tag: 1\n  digest: " + d + " # filled by stevedore\n"},
		{"helm tag last line, no newline", "values.yaml",
			"image:\n  repository: acme/app\n  tag: 1",
			"image:\n  repository: acme/app\n  tag: 1\n  digest: " + d},
		{"kustomize list item", "kustomization.yaml",
			"images:\n- name: acme/app\n  newTag: \"1\"\n",
			"images:\n- name: acme/app\n  newTag: \"1\"\n  digest: " + d + "\n"},
		{"kustomize newTag first", "kustomization.yaml",
			"images:\n  - newTag: \"1\"\n    name: acme/app\n",
			"images:\n  - newTag: \"1\"\n    digest: " + d + "\n    name: acme/app\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tc.file, tc.in)
			res, err := Pin(context.Background(), []string{p}, &hashResolver{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Changes) != 1 || res.Changes[0].New != "acme/app:1@"+d {
				t.Fatalf("changes = %+v", res.Changes)
			}
			if got := readFile(t, p); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestImageMapLeftAlone(t *testing.T) {
	for _, in := range []string{
		"image:\n  repository: acme/app\n",              // chart appVersion decides
		"image:\n  repository: acme/app\n  tag: \"\"\n", // same
		"image:\n  repository: \"{{ .Values.x }}\"\n  tag: 1\n",
		"image:\n  registry: ${REG}\n  repository: acme/app\n  tag: 1\n",
	} {
		refs, err := Scan("values.yaml", []byte(in))
		if err != nil || len(refs) != 0 {
			t.Errorf("%q: %+v, %v", in, refs, err)
		}
	}
	refs, err := Scan("kustomization.yaml", []byte("images:\n- name: app\n  newName: ghcr.io/acme/app\n"))
	if err != nil || len(refs) != 0 {
		t.Errorf("kustomize without newTag: %+v, %v", refs, err)
	}
}
