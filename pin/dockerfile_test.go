package pin

import (
	"reflect"
	"testing"
)

func TestScanDockerfile(t *testing.T) {
	src := "# escape=`\n" +
		"ARG BASE=alpine:3.20\n" +
		"FROM `\n    --platform=linux/amd64 `\n    golang:1.22 AS Build\n" +
		"FROM build AS test\n" +
		"COPY --from=BUILD /a /a\n" +
		"COPY --from=0 /a /a\n" +
		"COPY --chown=1:1 --from=\"ghcr.io/acme/assets:1\" /x /x\n" +
		"RUN --mount=type=cache,target=/c --mount=from=busybox:1.36,target=/bb true\n" +
		"RUN --mount=type=bind,from=build,target=/b true\n" +
		"FROM ${BASE}\n" +
		"FROM $BASE AS other\n" +
		"FROM scratch\n" +
		"FROM debian@sha256:" + digestOf('d').Hex + "\n"
	refs, err := Scan("build/app.Dockerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.Field+" "+itoa(r.Line)+":"+itoa(r.Column)+" "+src[r.Start:r.End])
	}
	want := []string{
		"FROM 5:5 golang:1.22",
		"COPY --from 9:26 ghcr.io/acme/assets:1",
		"RUN --mount from 10:47 busybox:1.36",
		"FROM 15:6 debian@sha256:" + digestOf('d').Hex,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if !refs[3].Pinned() || refs[0].Pinned() {
		t.Error("pinned flags wrong")
	}
}
