//go:build unix

package builder

// linkConformanceCases follow BuildKit's frontend/dockerfile/dockerfile_test.go
// (testCopyLink*): COPY --link builds its layer as on an empty filesystem,
// so it depends on nothing below it.
var linkConformanceCases = []conformanceCase{
	{name: "copy-link-parent-owned", files: map[string]string{"a.txt": "a\n"},
		dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir -m 0700 -p /app/deep && chown 1000:1000 /app /app/deep\nCOPY --link a.txt /app/deep/\nRUN busybox stat -c '%n %a %u:%g' /app /app/deep /app/deep/a.txt > /st\n"},
	{name: "copy-link-through-symlink", files: map[string]string{"a.txt": "a\n"},
		dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir /real && ln -s /real /link\nCOPY --link a.txt /link/\nRUN busybox stat -c '%n %F %a' /link /link/* /real > /ls; ls /real >> /ls\n"},
	{name: "copy-link-onto-dir-no-slash", files: map[string]string{"a.txt": "a\n"},
		dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir -m 0750 /d\nCOPY --link a.txt /d\nRUN busybox stat -c '%n %F %a %s' /d > /ls\n"},
	{name: "copy-link-dir-onto-existing", files: map[string]string{"dir/a": "a\n", "dir/s/b": "b\n"},
		dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir -m 0700 /e && chown 1000 /e && echo old > /e/old\nCOPY --link dir/ /e/\nRUN busybox stat -c '%n %a %u:%g' /e /e/s > /st\n"},
	{name: "copy-link-workdir-chmod", files: map[string]string{"a.txt": "a\n"},
		dockerfile: "FROM stevedore-test/busybox:1\nWORKDIR /w\nRUN chmod 0700 /w\nCOPY --link --chmod=0750 a.txt rel/deeper/\nCOPY --link --chown=1000:1000 a.txt /new/x/b.txt\n"},
	{name: "copy-link-from-stage", files: map[string]string{"a.txt": "a\n"},
		dockerfile: "FROM stevedore-test/busybox:1 AS b\nRUN mkdir -p /out/s && echo o > /out/s/f && ln -s f /out/s/l\nFROM stevedore-test/busybox:1\nRUN ln -s /tmp /x\nCOPY --link --from=b /out /x/\n"},
	{name: "copy-link-onto-file", files: map[string]string{"a.txt": "a\n"},
		dockerfile: "FROM stevedore-test/busybox:1\nRUN echo file > /f\nCOPY --link a.txt /f/\n"},
	{name: "add-link-archive", setup: tarFile("t.tar", ""),
		dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir -m 0711 /u\nADD --link t.tar /u/\n"},
}

func init() { conformanceCases = append(conformanceCases, linkConformanceCases...) }
