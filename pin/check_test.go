package pin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestCheckFindings(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "app.yaml", `apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: a
          image: nginx:1.27   # not pinned
        - name: b
          image: "redis:7@sha256:`+digestOf('a').Hex+`"
        - name: c
          image: ghcr.io/acme/base@sha256:`+digestOf('b').Hex+`
`)
	got, err := Check(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []Finding{{
		File: p, Line: 8, Column: 18, Ref: "nginx:1.27", Rule: RuleUnpinned,
		Message: "image nginx:1.27 is not pinned to a digest",
		Fix:     "stevedore pin --write " + p,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Check =\n%+v\nwant\n%+v", got, want)
	}

	// Strict: redis:7 now names another digest.
	r := &hashResolver{}
	got, err = Check(context.Background(), []string{dir}, WithStrict(r))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Rule != RuleTagMoved || got[1].Line != 10 || got[1].Column != 19 ||
		got[1].Digest != fakeDigest("index.docker.io/library/redis:7").String() ||
		!strings.Contains(got[1].Fix, "stevedore pin --update "+p) {
		t.Fatalf("strict findings = %+v", got)
	}
	// The CLI prints a fix in parentheses, "(fix: …)": none of its own.
	if strings.ContainsAny(got[1].Fix, "()") {
		t.Errorf("tag-moved fix %q holds parentheses", got[1].Fix)
	}
	if r.calls["index.docker.io/library/nginx:1.27"] != 0 {
		t.Error("strict check resolved an unpinned reference; it only needs pinned ones")
	}
	// Strict, tag unchanged: only the unpinned finding.
	r.override = map[string]v1.Hash{"index.docker.io/library/redis:7": digestOf('a')}
	got, err = Check(context.Background(), []string{dir}, WithStrict(r))
	if err != nil || len(got) != 1 {
		t.Fatalf("strict with unchanged tag = %+v, %v", got, err)
	}
}

// Positions in every kind of file of the realistic tree.
func TestCheckPositionsAcrossKinds(t *testing.T) {
	fs, err := Check(context.Background(), []string{"testdata/src"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, filepath.ToSlash(f.File)+":"+itoa(f.Line)+":"+itoa(f.Column)+" "+f.Ref)
	}
	want := []string{
		"testdata/src/.github/workflows/ci.yml:6:16 golang:1.22-bookworm",
		"testdata/src/.github/workflows/ci.yml:9:16 postgres:16.3",
		"testdata/src/.github/workflows/ci.yml:16:24 alpine:3.20",
		"testdata/src/.github/workflows/ci.yml:22:15 ghcr.io/acme/linter:v2",
		"testdata/src/Dockerfile:7:13 ghcr.io/acme/tools:2.0",
		"testdata/src/Dockerfile:9:28 docker.io/library/busybox:1.36",
		"testdata/src/Dockerfile:12:32 node:20-alpine",
		"testdata/src/Dockerfile:15:6 gcr.io/distroless/static-debian12:nonroot",
		"testdata/src/chart/values.yaml:6:15 ghcr.io/acme/web:1.4.2",
		"testdata/src/chart/values.yaml:12:17 acme/worker:1.4.2",
		"testdata/src/chart/values.yaml:17:23 docker.io/envoyproxy/envoy:v1.30.1",
		"testdata/src/chart/values.yaml:20:10 prom/statsd-exporter:v0.26.1",
		"testdata/src/chart/values.yaml:29:17 acme/nulled:7",
		"testdata/src/deploy/cronjob.yaml:13:23 ghcr.io/acme/backup:2024.06",
		"testdata/src/deploy/deployment.yaml:16:24 ghcr.io/acme/web:1.4.2",
		"testdata/src/deploy/deployment.yaml:25:19 docker.io/envoyproxy/envoy:v1.30.1",
		"testdata/src/deploy/deployment.yaml:26:18 busybox",
		"testdata/src/deploy/multi.yaml:16:38 postgres:16.3",
		"testdata/src/deploy/multi.yaml:16:79 quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
		"testdata/src/deploy/multi.yaml:27:16 registry.example.com:5000/ops/agent:3",
		"testdata/src/deploy/multi.yaml:38:16 alpine:3.20",
		"testdata/src/deploy/multi.yaml:48:12 nginx:1.27",
		"testdata/src/deploy/multi.yaml:51:12 busybox:1.36",
		"testdata/src/deploy/multi.yaml:62:16 nginx:1.27",
		"testdata/src/docker-compose.yml:2:10 ghcr.io/acme/web:1.4.2",
		"testdata/src/docker-compose.yml:13:13 postgres:16.3",
		"testdata/src/overlays/prod/kustomization.yaml:6:11 ghcr.io/acme/web:1.4.2",
		"testdata/src/overlays/prod/kustomization.yaml:9:14 docker.io/library/postgres:16.3",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Check's findings print in the object --write and --update print:
// lowercase keys, empty lists as [].
func TestFormatJSON(t *testing.T) {
	var b bytes.Buffer
	if err := FormatJSON(&b, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(b.String()), ""); got != `{"changes":[],"findings":[],"files":[]}` {
		t.Fatalf("empty: %s", b.String())
	}
	b.Reset()
	in := []Finding{{File: "a.yaml", Line: 1, Column: 2, Ref: "x:1", Rule: RuleTagMoved, Message: "m", Fix: "f", Digest: digestOf('c').String()}}
	if err := FormatJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Changes  []any            `json:"changes"`
		Findings []map[string]any `json:"findings"`
		Files    []string         `json:"files"`
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Changes == nil || out.Files == nil || len(out.Findings) != 1 {
		t.Fatalf("json = %s", b.String())
	}
	if f := out.Findings[0]; f["file"] != "a.yaml" || f["line"] != 1.0 || f["column"] != 2.0 || f["rule"] != "tag-moved" || f["digest"] != digestOf('c').String() {
		t.Errorf("json = %s", b.String())
	}
}

func TestCheckVerifiesPinnedDigests(t *testing.T) {
	signed, unsigned := digestOf('a'), digestOf('b')
	src := "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n" +
		"  - image: ghcr.io/acme/web:1.4@" + signed.String() + "\n" +
		"  - image: ghcr.io/acme/api:2@" + unsigned.String() + "\n" +
		"  - image: docker.io/library/nginx:1.27@" + unsigned.String() + "\n"
	file := writeFile(t, t.TempDir(), "pod.yaml", src)
	v := &verifierFunc{fn: func(d name.Digest) error {
		if d.DigestStr() == unsigned.String() {
			return errors.New("no signature")
		}
		return nil
	}}
	findings, err := Check(context.Background(), []string{file}, WithVerifier(v), WithAllow("docker.io/library/*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Rule != RuleUnsigned || findings[0].Line != 6 || !strings.Contains(findings[0].Message, "no signature") {
		t.Errorf("findings = %+v; want one unsigned finding for line 6 (nginx is allowed)", findings)
	}
	if len(findings) == 1 && strings.ContainsAny(findings[0].Fix, "()") {
		t.Errorf("unsigned fix %q holds parentheses; the CLI prints it in \"(fix: …)\"", findings[0].Fix)
	}
	if len(v.seen) != 2 {
		t.Errorf("verified %v; want web and api only", v.seen)
	}
}
