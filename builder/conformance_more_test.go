//go:build unix

package builder

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ulikunitz/xz"
)

// moreConformanceCases follow the instructions BuildKit's frontend tests
// (frontend/dockerfile/dockerfile_test.go) exercise one by one: expansion,
// WORKDIR, USER, ONBUILD, SHELL, HEALTHCHECK, EXPOSE, LABEL, ADD of local
// archives, COPY's source forms, .dockerignore and heredocs.
var moreConformanceCases = []conformanceCase{
	{name: "arg-env-expansion", dockerfile: "FROM stevedore-test/busybox:1\nARG A=x\nENV B=${A:-def} C=${UNSET:-def} D=${A:+alt} E=${UNSET:+alt} F=$A$A G='$A' H=\"\\$A\" I=${A}_y\n"},
	{name: "env-same-line-uses-old", dockerfile: "FROM stevedore-test/busybox:1\nENV A=1\nENV A=2 B=$A\nENV C=$A\n"},
	{name: "env-continuation", dockerfile: "FROM stevedore-test/busybox:1\nENV A=1 \\\n    B=2 \\\n    C=\"3 4\"\n"},
	{name: "arg-not-in-stage-scope", dockerfile: "ARG V=global\nFROM stevedore-test/busybox:1\nRUN echo \"[$V]\" > /v\nARG V\nRUN echo \"[$V]\" > /w\n"},
	{name: "arg-env-in-run", dockerfile: "FROM stevedore-test/busybox:1\nARG X=1\nENV Y=$X\nRUN echo $X $Y > /o\n", buildArgs: map[string]string{"X": "9"}},
	{name: "workdir-creates-parents", dockerfile: "FROM stevedore-test/busybox:1\nWORKDIR /a/b/c\nWORKDIR ../d\n"},
	{name: "workdir-env", dockerfile: "FROM stevedore-test/busybox:1\nENV D=/w\nWORKDIR $D/x\nRUN pwd > /pwd\n"},
	{name: "workdir-as-user", dockerfile: "FROM stevedore-test/busybox:1\nUSER app\nWORKDIR /srv/app\n"},
	{name: "user-uid-gid-run", dockerfile: "FROM stevedore-test/busybox:1\nUSER 1000:1000\nRUN touch /tmp/x\n"},
	{name: "user-name-run", dockerfile: "FROM stevedore-test/busybox:1\nUSER app\nRUN touch /tmp/y && id > /tmp/id\n"},
	{name: "onbuild-trigger", dockerfile: "FROM stevedore-test/busybox:1 AS a\nONBUILD RUN touch /ob\nONBUILD ENV OB=1\nFROM a\nRUN ls /ob\n"},
	{name: "shell-used-by-run", dockerfile: "FROM stevedore-test/busybox:1\nSHELL [\"/bin/busybox\", \"sh\", \"-c\"]\nRUN echo $0 > /s\nCMD echo shell-form\n"},
	{name: "healthcheck-all-flags", dockerfile: "FROM stevedore-test/busybox:1\nHEALTHCHECK --interval=10s --timeout=2s --start-period=5s --start-interval=1s --retries=3 CMD [\"true\"]\n"},
	{name: "healthcheck-shell", dockerfile: "FROM stevedore-test/busybox:1\nHEALTHCHECK CMD wget -q http://localhost/ || exit 1\n"},
	{name: "stopsignal-number", dockerfile: "FROM stevedore-test/busybox:1\nSTOPSIGNAL 9\n"},
	{name: "expose-forms", dockerfile: "FROM stevedore-test/busybox:1\nARG P=7000\nEXPOSE 8080/tcp 9000/udp 8081-8083 $P\nEXPOSE 80/TCP\n"},
	{name: "label-multi", dockerfile: "FROM stevedore-test/busybox:1\nLABEL a=1 b=\"two words\" c=3\nLABEL \"d e\"=\"f g\"\nLABEL a=override\n"},
	{name: "entrypoint-resets-cmd", dockerfile: "FROM stevedore-test/busybox:1 AS a\nCMD [\"x\"]\nFROM a\nENTRYPOINT [\"echo\"]\n"},
	{name: "cmd-before-entrypoint", dockerfile: "FROM stevedore-test/busybox:1\nCMD [\"x\"]\nENTRYPOINT [\"echo\"]\n"},
	{name: "volume-forms", dockerfile: "FROM stevedore-test/busybox:1\nVOLUME /a /b\nVOLUME [\"/c\", \"/d\"]\n"},
	{name: "escape-directive", dockerfile: "# escape=`\nFROM stevedore-test/busybox:1\nRUN echo a `\n  b > /o\n"},
	{name: "add-tar", dockerfile: "FROM stevedore-test/busybox:1\nADD a.tar /x/\n", setup: tarFile("a.tar", "")},
	{name: "add-tar-gz", dockerfile: "FROM stevedore-test/busybox:1\nADD a.tar.gz /x\n", setup: tarFile("a.tar.gz", "gz")},
	{name: "add-tar-xz", dockerfile: "FROM stevedore-test/busybox:1\nADD a.tar.xz /x/\n", setup: tarFile("a.tar.xz", "xz")},
	{name: "add-tar-chown", dockerfile: "FROM stevedore-test/busybox:1\nADD --chown=app:app a.tar /x/\n", setup: tarFile("a.tar", "")},
	{name: "add-tar-no-unpack", dockerfile: "FROM stevedore-test/busybox:1\nADD --unpack=false a.tar /x/\n", setup: tarFile("a.tar", "")},
	{name: "copy-tar-not-unpacked", dockerfile: "FROM stevedore-test/busybox:1\nCOPY a.tar.gz /x/\n", setup: tarFile("a.tar.gz", "gz")},
	{name: "copy-wildcard-dirs", dockerfile: "FROM stevedore-test/busybox:1\nCOPY d* /out/\n", files: map[string]string{"d1/a": "a\n", "d2/b": "b\n", "d2/s/c": "c\n"}},
	{name: "copy-wildcard-nested", dockerfile: "FROM stevedore-test/busybox:1\nCOPY src/*/*.go /out/\n", files: map[string]string{"src/a/x.go": "x\n", "src/b/y.go": "y\n", "src/b/z.txt": "z\n"}},
	{name: "copy-dir-dot", dockerfile: "FROM stevedore-test/busybox:1\nCOPY d/. /out\nCOPY d/ /out2/\n", files: map[string]string{"d/a": "a\n", "d/s/b": "b\n"}},
	{name: "copy-dir-into-existing", dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir -m 0700 /e && chown 5:5 /e\nCOPY d /e/\n", files: map[string]string{"d/a": "a\n"}, modes: map[string]os.FileMode{"d": 0o750}},
	{name: "copy-chown-into-existing", dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir /e\nCOPY --chown=1000:1000 d/. /e/\n", files: map[string]string{"d/a": "a\n", "d/s/b": "b\n"}},
	{name: "copy-chmod-creates-parent", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --chmod=0640 a.txt /srv/a.txt\nCOPY --chmod=4755 a.txt /p/q/\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "copy-chmod-symbolic", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --chmod=u+x,g-r a.txt /a\nCOPY --chmod=go=rX d /d/\n", files: map[string]string{"a.txt": "a\n", "d/f": "f\n", "d/s/g": "g\n"}, modes: map[string]os.FileMode{"d/s": 0o700}},
	{name: "copy-chmod-dir", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --chmod=0700 d /d/\n", files: map[string]string{"d/a": "a\n", "d/s/b": "b\n"}},
	{name: "copy-source-modes", dockerfile: "FROM stevedore-test/busybox:1\nCOPY . /c/\n", files: map[string]string{"x.sh": "#!/bin/sh\n", "ro": "r\n", "d/f": "f\n"}, modes: map[string]os.FileMode{"x.sh": 0o755, "ro": 0o400, "d": 0o700}},
	{name: "copy-symlink-source", dockerfile: "FROM stevedore-test/busybox:1\nCOPY link /out/\nCOPY dlink /dl/\n", files: map[string]string{"target.txt": "t\n", "d/f": "f\n"}, setup: symlinks("link", "target.txt", "dlink", "d")},
	{name: "copy-symlink-inside-dir", dockerfile: "FROM stevedore-test/busybox:1\nCOPY d /d/\n", files: map[string]string{"d/f": "f\n"}, setup: symlinks("d/l", "f", "d/abs", "/etc/passwd")},
	{name: "copy-to-workdir-relative", dockerfile: "FROM stevedore-test/busybox:1\nWORKDIR /app\nCOPY a.txt .\nCOPY a.txt sub/\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "copy-multi-source", dockerfile: "FROM stevedore-test/busybox:1\nCOPY a.txt b.txt /out/\n", files: map[string]string{"a.txt": "a\n", "b.txt": "b\n"}},
	{name: "copy-parents-pivot", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --parents src/./a/*.go /out/\nCOPY --parents x/y /p/\n", files: map[string]string{"src/a/m.go": "m\n", "src/a/n.txt": "n\n", "x/y/z": "z\n"}},
	{name: "copy-exclude-multi", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --exclude=*.tmp --exclude=cache . /c/\n", files: map[string]string{"a": "a\n", "b.tmp": "b\n", "cache/x": "x\n", "s/c.tmp": "c\n"}},
	{name: "dockerignore-negation", dockerfile: "FROM stevedore-test/busybox:1\nCOPY . /c/\n", files: map[string]string{".dockerignore": "*.txt\n!keep.txt\nd\n!d/keep\n", "a.txt": "a\n", "keep.txt": "k\n", "d/x": "x\n", "d/keep": "k\n", "o": "o\n"}},
	{name: "dockerignore-dir-glob", dockerfile: "FROM stevedore-test/busybox:1\nCOPY . /c/\n", files: map[string]string{".dockerignore": "**/*.log\n.git\nDockerfile\n", "a.log": "a\n", "s/b.log": "b\n", ".git/HEAD": "h\n", "keep": "k\n"}},
	{name: "heredoc-copy", dockerfile: "FROM stevedore-test/busybox:1\nCOPY <<EOF /h.txt\nhello $HOME\nEOF\nCOPY <<A <<B /hd/\na\nA\nb\nB\n"},
	{name: "heredoc-run-stdin", dockerfile: "FROM stevedore-test/busybox:1\nRUN cat <<EOF > /x\nline one\nEOF\n"},
	{name: "heredoc-shebang", dockerfile: "FROM stevedore-test/busybox:1\nRUN <<EOF\n#!/bin/sh\necho hi > /s\nEOF\n"},
	{name: "copy-into-existing-owned-dirs", dockerfile: "FROM stevedore-test/busybox:1\nCOPY a.txt /home/app/\nCOPY a.txt /tmp/sub/\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "secret-mount-defaults", dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=secret,id=s busybox stat -c '%a %u:%g' /run/secrets/s > /o\n", secrets: map[string]string{"s": "hush"}},
	{name: "secret-mount-mode-uid", dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=secret,id=s,target=/k,mode=0440,uid=1000,gid=1000 busybox stat -c '%a %u:%g' /k > /o\n", secrets: map[string]string{"s": "hush"}},
	{name: "secret-env", dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=secret,id=s,env=TOKEN echo ${#TOKEN} > /o\n", secrets: map[string]string{"s": "hush"}},
	{name: "copy-link-into-existing", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --link a.txt /home/app/\nCOPY --link --chown=1000:1000 a.txt /new/dir/\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "copy-link-chown-name", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --link --chown=app:app a.txt /a\n", files: map[string]string{"a.txt": "a\n"}, fail: true,
		known: "BuildKit v0.29 fails COPY --link --chown with a user name (invalid user index: -1); stevedore resolves the name in the image, as without --link"},
	{name: "context-fifo", dockerfile: "FROM stevedore-test/busybox:1\nCOPY . /c/\n", files: map[string]string{"a.txt": "a\n"}, setup: specialFiles("fifo")},
	{name: "context-socket", dockerfile: "FROM stevedore-test/busybox:1\nCOPY . /c/\n", files: map[string]string{"a.txt": "a\n"}, setup: specialFiles("socket")},
	{name: "run-network-host", dockerfile: "FROM stevedore-test/busybox:1\nRUN --network=host true\n", fail: true,
		known: "BuildKit refuses --network=host without the network.host entitlement; stevedore's RUN uses the host's network by default, so it grants it"},
	{name: "add-url", dockerfile: "FROM stevedore-test/busybox:1\nADD {{URL}}/a.txt /web/\nADD {{URL}}/dir/b.txt /web/renamed\n"},
	{name: "add-url-into-existing-dir", dockerfile: "FROM stevedore-test/busybox:1\nADD {{URL}}/a.txt /tmp\nCOPY <<EOF /home/app\nhi\nEOF\n"},
	{name: "add-url-checksum-chmod", dockerfile: "FROM stevedore-test/busybox:1\nADD --checksum={{SUM}} --chmod=0644 --chown=app:app {{URL}}/a.txt /a\n"},
	{name: "fail-add-url-checksum-mismatch", dockerfile: "FROM stevedore-test/busybox:1\nADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 {{URL}}/a.txt /a\n", fail: true},
	{name: "fail-add-url-404", dockerfile: "FROM stevedore-test/busybox:1\nRUN true\nADD {{URL}}/missing.txt /m\n", fail: true},
	{name: "arg-empty-in-env", dockerfile: "FROM stevedore-test/busybox:1\nARG FOO\nARG BAR=\nRUN env | grep -E '^(FOO|BAR)=' | sort > /env.txt\n"},
	{name: "arg-default-with-global", dockerfile: "ARG my_arg=x\nFROM stevedore-test/busybox:1\nARG my_arg\nENV my_env=foo-$my_arg\nRUN echo $my_env > /e\n"},
	{name: "env-empty-values", dockerfile: "FROM stevedore-test/busybox:1\nENV FOO=\"\"\nENV BAR=\nENV BAZ=\" \"\n"},
	{name: "arg-default-expansion", dockerfile: "FROM stevedore-test/busybox:1\nARG FOO=${BAR:-default}\nARG BAZ=${FOO}x\nRUN echo $FOO $BAZ > /o\n"},
	{name: "arg-multi", dockerfile: "FROM stevedore-test/busybox:1\nARG A=1 B=2 C\nRUN echo $A$B$C > /o\n", buildArgs: map[string]string{"C": "3"}},
	{name: "arg-quoted-meta", dockerfile: "ARG FOO=\"bar baz\"\nFROM stevedore-test/busybox:1\nARG FOO\nRUN echo \"$FOO\" > /f\n"},
	{name: "add-chown-expand", dockerfile: "FROM stevedore-test/busybox:1\nARG group=app\nENV owner=1000\nADD --chown=${owner}:${group} a.txt /\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "fail-copy-from-arg", dockerfile: "ARG S=a\nFROM stevedore-test/busybox:1 AS a\nRUN echo a > /x\nFROM stevedore-test/busybox:1 AS b\nRUN echo b > /x\nFROM stevedore-test/busybox:1\nCOPY --from=$S /x /y\n", buildArgs: map[string]string{"S": "b"}, fail: true},
	{name: "copy-from-image", dockerfile: "FROM stevedore-test/busybox:1 AS unused\nFROM scratch\nCOPY --from=stevedore-test/busybox:1 /etc/passwd /p\n"},
	{name: "onbuild-cleared-in-grandchild", dockerfile: "FROM stevedore-test/busybox:1 AS a\nONBUILD ENV X=1\nFROM a AS b\nFROM b\n"},
	{name: "builtin-platform-args", dockerfile: "FROM stevedore-test/busybox:1\nARG TARGETPLATFORM\nARG TARGETOS TARGETARCH BUILDPLATFORM\nRUN echo $TARGETPLATFORM $TARGETOS $TARGETARCH $BUILDPLATFORM > /p\n"},
	{name: "stage-name-case", dockerfile: "FROM stevedore-test/busybox:1 AS Builder\nRUN touch /b\nFROM stevedore-test/busybox:1\nCOPY --from=builder /b /b\n"},
	{name: "empty-stage", dockerfile: "FROM stevedore-test/busybox:1 AS empty\nFROM stevedore-test/busybox:1\nCOPY --from=empty /etc/group /g\n"},
	{name: "copy-override-file", dockerfile: "FROM stevedore-test/busybox:1\nCOPY a.txt /x/f\nCOPY b.txt /x/f\n", files: map[string]string{"a.txt": "a\n", "b.txt": "bb\n"}},
	{name: "copy-unicode-path", dockerfile: "FROM stevedore-test/busybox:1\nCOPY . /u/\n", files: map[string]string{"h\u00e9llo w\u00f6rld.txt": "h\n", "\u65e5\u672c/\u8a9e": "j\n"}},
	{name: "workdir-copy-relative", dockerfile: "FROM stevedore-test/busybox:1\nWORKDIR /w\nCOPY a.txt rel\nWORKDIR sub\nCOPY a.txt ./\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "workdir-exists", dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir -m 0700 /w && chown 5:5 /w\nWORKDIR /w\n"},
	{name: "cmd-entrypoint-shell-with-shell", dockerfile: "FROM stevedore-test/busybox:1\nSHELL [\"/bin/busybox\", \"sh\", \"-c\"]\nCMD echo hi\nENTRYPOINT echo x\n"},
	{name: "expose-expansion", dockerfile: "FROM stevedore-test/busybox:1\nARG PORTS=\"3000 4000/udp\"\nEXPOSE $PORTS\nEXPOSE 5000\n"},
	{name: "lowercase-instructions", dockerfile: "from stevedore-test/busybox:1\nrun echo lower > /l\ncopy a.txt /a\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "copy-through-context-symlink-dir", dockerfile: "FROM stevedore-test/busybox:1\nCOPY link/f /out/\nCOPY link/* /all/\n", files: map[string]string{"real/f": "f\n", "real/g": "g\n"}, setup: symlinks("link", "real")},
	{name: "copy-through-stage-symlink", dockerfile: "FROM stevedore-test/busybox:1 AS a\nRUN mkdir /real && echo f > /real/f && ln -s /real /link && ln -s real/f /flink\nFROM stevedore-test/busybox:1\nCOPY --from=a /link/f /f\nCOPY --from=a /flink /fl\nCOPY --from=a /link /ld/\n"},
	{name: "copy-wildcard-symlinks", dockerfile: "FROM stevedore-test/busybox:1\nCOPY sub/l* /out/\n", files: map[string]string{"sub/t1": "1\n", "sub/t2": "2\n"}, setup: symlinks("sub/l1", "t1", "sub/l2", "t2")},
	{name: "add-archive-wildcard", dockerfile: "FROM stevedore-test/busybox:1\nADD *.tar /dest/\n", setup: func(t *testing.T, dir string) { tarFile("one.tar", "")(t, dir); tarFile("two.tar", "")(t, dir) }},
	{name: "dockerignore-per-dockerfile", dockerfile: "FROM stevedore-test/busybox:1\nCOPY . /c/\n", files: map[string]string{".dockerignore": "a\n", "Dockerfile.dockerignore": "b\n", "a": "a\n", "b": "b\n"}},
	{name: "bind-mount-rw-discarded", dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=bind,target=/m,rw echo changed > /m/a.txt && cat /m/a.txt > /seen && touch /m/new\nRUN --mount=type=bind,target=/m cat /m/a.txt > /after && ls /m > /ls\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "bind-mount-file-source", dockerfile: "FROM stevedore-test/busybox:1 AS a\nRUN echo s > /s\nFROM stevedore-test/busybox:1\nRUN --mount=type=bind,from=a,source=/s,target=/x/s cat /x/s > /o\n"},
	{name: "tmpfs-mount-size", dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=tmpfs,target=/t,size=1m busybox stat -c %a /t > /o && busybox df -k /t | busybox awk 'NR==2{print $2}' >> /o\nRUN --mount=type=tmpfs,target=/u busybox stat -c %a /u > /p\n"},
	{name: "bind-mount-context-dockerignore", dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=bind,target=/m ls -a /m | sort > /ls\n", files: map[string]string{".dockerignore": "secret.txt\n", "secret.txt": "s\n", "a.txt": "a\n"}},
	{name: "run-network-none", dockerfile: "FROM stevedore-test/busybox:1\nRUN --network=none echo ok > /o\n"},
	{name: "run-exec-form", dockerfile: "FROM stevedore-test/busybox:1\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo exec > /e\"]\n"},
	{name: "fail-bad-chmod", dockerfile: "FROM stevedore-test/busybox:1\nCOPY --chmod=abc a.txt /a\n", files: map[string]string{"a.txt": "a\n"}, fail: true},
	{name: "fail-copy-from-missing-stage-file", dockerfile: "FROM stevedore-test/busybox:1 AS a\nFROM stevedore-test/busybox:1\nCOPY --from=a /nope /x\n", fail: true},
	{name: "fail-run-required-var", dockerfile: "FROM stevedore-test/busybox:1\nRUN ${NOPE:?must be set}\n", fail: true},
}

func init() { conformanceCases = append(conformanceCases, moreConformanceCases...) }

// tarFile makes a tar archive at name, compressed by "", "gz" or "xz",
// with a directory owned by 1000:1000, a file, an executable and a link.
func tarFile(name, compression string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		add := func(h *tar.Header, body string) {
			h.Size = int64(len(body))
			h.Format = tar.FormatPAX
			if err := tw.WriteHeader(h); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(tw, body); err != nil {
				t.Fatal(err)
			}
		}
		add(&tar.Header{Name: "top/", Typeflag: tar.TypeDir, Mode: 0o750, Uid: 1000, Gid: 1000}, "")
		add(&tar.Header{Name: "top/f.txt", Typeflag: tar.TypeReg, Mode: 0o640, Uid: 1000, Gid: 1000}, "f\n")
		add(&tar.Header{Name: "top/run.sh", Typeflag: tar.TypeReg, Mode: 0o755}, "#!/bin/sh\n")
		add(&tar.Header{Name: "top/l", Typeflag: tar.TypeSymlink, Linkname: "f.txt", Mode: 0o777}, "")
		add(&tar.Header{Name: "deep/a/b/c.txt", Typeflag: tar.TypeReg, Mode: 0o644}, "c\n")
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		switch compression {
		case "gz":
			zw := gzip.NewWriter(&out)
			zw.Write(buf.Bytes())
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
		case "xz":
			zw, err := xz.NewWriter(&out)
			if err != nil {
				t.Fatal(err)
			}
			zw.Write(buf.Bytes())
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
		default:
			out = buf
		}
		if err := os.WriteFile(filepath.Join(dir, name), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// symlinks makes links in the context: pairs of name and target.
func symlinks(pairs ...string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		for i := 0; i+1 < len(pairs); i += 2 {
			if err := os.Symlink(pairs[i+1], filepath.Join(dir, pairs[i])); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// specialFiles makes a fifo or a unix socket named "special" in the context.
func specialFiles(kind string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		p := filepath.Join(dir, "special")
		switch kind {
		case "fifo":
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}
		case "socket":
			l, err := net.Listen("unix", p)
			if err != nil {
				t.Fatal(err)
			}
			// Closing the listener would remove the socket file.
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			l.Close()
		}
	}
}
