package pin

import (
	"strings"
	"testing"
)

func TestScanYAMLForms(t *testing.T) {
	src := "# leading comment\n" +
		"---\n" +
		"apiVersion: v1\nkind: List\nitems:\n" +
		"- apiVersion: v1\n  kind: Pod\n  spec:\n    containers: [ {name: a, image: \"nginx:1.27\"}, {image: 'redis:7', name: b} ]\n" +
		"---\n" +
		"apiVersion: v1\nkind: Pod\nmetadata: {name: é} # ünïcode before nothing\nspec:\n  containers:\n  - name: c\n    image: !!str ghcr.io/x/y:1\n" +
		"---\n" +
		"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n- name: app\n  newTag: v2\n" +
		"---\n" +
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  image: not-an-image-position:1\n"
	refs, err := Scan("deploy/all.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, string(r.Kind)+" "+itoa(r.Line)+":"+itoa(r.Column)+" "+src[r.Start:r.End]+" = "+r.Text)
	}
	want := []string{
		"kubernetes 9:37 nginx:1.27 = nginx:1.27",
		"kubernetes 9:60 redis:7 = redis:7",
		"kubernetes 17:18 ghcr.io/x/y:1 = ghcr.io/x/y:1",
		"kustomize 22:9 app = app:v2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestScanNonASCIIColumns(t *testing.T) {
	src := "services:\n  \"ünï\": {image: alpine:3.20}\n"
	refs, err := Scan("compose.yaml", []byte(src))
	if err != nil || len(refs) != 1 {
		t.Fatalf("%+v %v", refs, err)
	}
	r := refs[0]
	if src[r.Start:r.End] != "alpine:3.20" || r.Line != 2 || r.Column != 18 {
		t.Errorf("ref at %d:%d span %q", r.Line, r.Column, src[r.Start:r.End])
	}
}
