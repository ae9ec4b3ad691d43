package lint

import (
	"context"
	"strings"
	"testing"
)

// TestBuildEveryInstruction runs the build-time checks over instructions
// and flags the front end only dispatches when building (mounts, network,
// security, heredocs, ONBUILD): none may fail or stop the checks.
func TestBuildEveryInstruction(t *testing.T) {
	df := `# syntax=docker/dockerfile:1
FROM scratch AS base
FROM scratch
RUN --mount=type=cache,target=/c,uid=1,gid=2,mode=0700 --mount=type=secret,id=s,required=false --mount=type=ssh --mount=type=tmpfs,target=/t,size=1m --mount=type=bind,from=base,target=/b,rw true
RUN --network=none --security=sandbox true
RUN <<EOF
echo hi
EOF
COPY --link --chmod=0755 --parents --exclude=*.log . /app/
ADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 https://example.com/a /a
ONBUILD RUN true
HEALTHCHECK --interval=5s --start-interval=1s CMD ["true"]
STOPSIGNAL SIGTERM
USER 1000:1000
VOLUME /data
EXPOSE 80/tcp
CMD run
`
	rep, err := Build(context.Background(), []byte(df), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != "JSONArgsRecommended" || rep.Findings[0].Line != 17 {
		t.Errorf("findings %v, want JSONArgsRecommended on line 17", rep.Findings)
	}
}

func TestBadCheckConfiguration(t *testing.T) {
	_, err := Check(context.Background(), []byte("# check=bogus\nFROM scratch\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "# check=") {
		t.Errorf("directive: %v", err)
	}
	_, err = Check(context.Background(), []byte("FROM scratch\n"), Options{BuildArgs: map[string]string{CheckArg: "nope"}})
	if err == nil || !strings.Contains(err.Error(), "--build-arg "+CheckArg) {
		t.Errorf("build arg: %v", err)
	}
}
