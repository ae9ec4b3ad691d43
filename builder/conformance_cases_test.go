package builder

// conformanceCases are Dockerfiles drawn from BuildKit's frontend tests
// (frontend/dockerfile/dockerfile_test.go), each checked against BuildKit
// v0.29 by TestConformance.
// runStubs: BuildKit v0.29 leaves the /dev, /proc and /sys mount points
// of a RUN step in the layer; stevedore writes none.
const runStubs = "BuildKit leaves RUN's /dev, /proc, /sys mount points as 0755 directories"

var conformanceCases = []conformanceCase{
	{name: "env-forms", dockerfile: "FROM stevedore-test/busybox:1\nENV A=1 B=\"two words\"\nENV C 3\nENV D=${A}x\n"},
	{name: "cmd-entrypoint-json", dockerfile: "FROM stevedore-test/busybox:1\nENTRYPOINT [\"sh\", \"-c\"]\nCMD [\"echo hi\"]\n"},
	{name: "cmd-shell-form", dockerfile: "FROM stevedore-test/busybox:1\nCMD echo hi\n"},
	{name: "workdir-relative", dockerfile: "FROM stevedore-test/busybox:1\nWORKDIR /a\nWORKDIR b\nRUN touch f\n", known: runStubs},
	{name: "user-label-expose", dockerfile: "FROM stevedore-test/busybox:1\nUSER app\nLABEL a=b \"c d\"=e\nEXPOSE 80 443/tcp 53/udp\n"},
	{name: "volume-stopsignal", dockerfile: "FROM stevedore-test/busybox:1\nVOLUME /data [\"/logs\"]\nSTOPSIGNAL SIGTERM\n"},
	{name: "healthcheck", dockerfile: "FROM stevedore-test/busybox:1\nHEALTHCHECK --interval=5s --timeout=3s --retries=2 CMD true\n"},
	{name: "healthcheck-none", dockerfile: "FROM stevedore-test/busybox:1\nHEALTHCHECK NONE\n"},
	{name: "shell-onbuild", dockerfile: "FROM stevedore-test/busybox:1\nSHELL [\"/bin/sh\", \"-ec\"]\nONBUILD RUN echo x\n"},
	{name: "copy-file-dir", dockerfile: "FROM stevedore-test/busybox:1\nCOPY a.txt /dst/\nCOPY d /d2\n", files: map[string]string{"a.txt": "a\n", "d/x": "x\n", "d/sub/y": "y\n"}},
	{name: "copy-chown-chmod", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --chown=app:app --chmod=0750 a.txt /opt/x/\n", files: map[string]string{"a.txt": "a\n"}, known: "BuildKit gives the parent directories COPY --chmod creates the --chmod mode; stevedore 0755"},
	{name: "run-writes", dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir -p /x/y && echo hi > /x/y/f && chmod 600 /x/y/f\n", known: runStubs},
	{name: "run-delete-base-file", dockerfile: "FROM stevedore-test/busybox:1\nRUN rm /etc/group\n", known: runStubs},
	{name: "multistage-copy-from", dockerfile: "FROM stevedore-test/busybox:1 AS a\nRUN echo a > /a\nFROM stevedore-test/busybox:1\nCOPY --from=a /a /b\n"},
	{name: "arg-default-override", dockerfile: "FROM stevedore-test/busybox:1\nARG V=1\nRUN echo $V > /v\n", buildArgs: map[string]string{"V": "2"}, known: runStubs},
	{name: "target-stage", dockerfile: "FROM stevedore-test/busybox:1 AS one\nRUN touch /one\nFROM one AS two\nRUN touch /two\n", target: "one", known: runStubs},
	{name: "secret-mount", dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=secret,id=s cat /run/secrets/s | wc -c > /n\n", secrets: map[string]string{"s": "hush"}, known: runStubs},
	{name: "fail-copy-missing", dockerfile: "FROM stevedore-test/busybox:1\nCOPY nope /x\n", fail: true},
	{name: "fail-run-exit", dockerfile: "FROM stevedore-test/busybox:1\nRUN true\nRUN false\n", fail: true},
	{name: "fail-unknown-instruction", dockerfile: "FROM stevedore-test/busybox:1\nFOO bar\n", fail: true},
	{name: "copy-parents", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --parents a/b/f.txt /out/\n", files: map[string]string{"a/b/f.txt": "f\n"}, known: "COPY --parents is ignored"},
	{name: "copy-exclude", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --exclude=*.log d /out/\n", files: map[string]string{"d/keep.txt": "k\n", "d/drop.log": "l\n"}, known: "COPY --exclude is ignored"},
	{name: "copy-chmod-zero", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --chmod=0 a.txt /a\n", files: map[string]string{"a.txt": "a\n"}, known: "--chmod=0 gives 0644"},
	{name: "copy-wildcard-none", dockerfile: "FROM stevedore-test/busybox:1\nCOPY a.txt nomatch* /out/\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "copy-wildcard", dockerfile: "FROM stevedore-test/busybox:1\nCOPY *.txt /out/\n", files: map[string]string{"a.txt": "a\n", "b.txt": "b\n", "c.md": "c\n"}},
	{name: "copy-from-keeps-owner", dockerfile: "FROM stevedore-test/busybox:1 AS a\nRUN touch /f && chown 1000:1000 /f\nFROM stevedore-test/busybox:1\nCOPY --from=a /f /f\n", known: "COPY --from without --chown resets owners to 0:0"},
	{name: "copy-into-symlinked-dir", dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir /real && ln -s /real /link\nCOPY a.txt /link/\n", files: map[string]string{"a.txt": "a\n"}, known: "COPY into a symlinked directory replaces the link"},
	{name: "duplicate-stage-last-wins", dockerfile: "FROM stevedore-test/busybox:1 AS s\nRUN echo 1 > /v\nFROM stevedore-test/busybox:1 AS s\nRUN echo 2 > /v\nFROM stevedore-test/busybox:1\nCOPY --from=s /v /v\n"},
	{name: "from-later-stage", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --from=later /v /v\nFROM stevedore-test/busybox:1 AS later\nRUN touch /v\n", known: runStubs},
	{name: "add-local-file", dockerfile: "FROM stevedore-test/busybox:1\nADD a.txt /a\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "fail-add-checksum-local", dockerfile: "FROM stevedore-test/busybox:1\nADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 a.txt /a\n", files: map[string]string{"a.txt": "a\n"}, fail: true},
	{name: "cache-mount-uid", dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=cache,target=/c,uid=1000,gid=1000,mode=0700 busybox stat -c '%u:%g %a' /c > /out\n", known: "cache mount uid/gid/mode are ignored"},
	{name: "tmpfs-mount", dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=tmpfs,target=/t touch /t/x && ls /t > /out\n", known: runStubs},
	{name: "bind-mount-from-stage", dockerfile: "FROM stevedore-test/busybox:1 AS a\nRUN echo a > /a\nFROM stevedore-test/busybox:1\nRUN --mount=type=bind,from=a,target=/m cat /m/a > /out\n", known: runStubs},
	{name: "arg-before-from", dockerfile: "ARG B=stevedore-test/busybox:1\nFROM $B\nARG B\nRUN echo $B > /b\n", known: runStubs},
	{name: "env-in-copy-dest", dockerfile: "FROM stevedore-test/busybox:1\nENV D=/dst\nCOPY a.txt $D/\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "dockerignore", dockerfile: "FROM stevedore-test/busybox:1\nCOPY . /ctx/\n", files: map[string]string{".dockerignore": "*.log\n", "a.txt": "a\n", "b.log": "b\n"}},
	{name: "heredoc-run", dockerfile: "FROM stevedore-test/busybox:1\nRUN <<EOF\necho hi > /h\nEOF\n", known: runStubs},
	{name: "maintainer", dockerfile: "FROM stevedore-test/busybox:1\nMAINTAINER someone\n"},
	{name: "chown-unknown-user", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --chown=nobodyhere a.txt /a\n", files: map[string]string{"a.txt": "a\n"}, known: "BuildKit v0.29 builds COPY --chown with a user missing from /etc/passwd; stevedore refuses it"},
}
