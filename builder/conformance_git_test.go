package builder

// gitConformanceCases follow BuildKit's frontend/dockerfile/dockerfile_addgit_test.go
// (testAddGit, testGitQueryString): ADD from a git repository served over
// smart HTTP on loopback by startGitServer. {{GIT}} is the server,
// {{GIT:REF}} the commit REF names.
var gitConformanceCases = []conformanceCase{
	{name: "git-add-tag", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git#v0.0.1 /x\nRUN cat /x/foo > /out\n"},
	{name: "git-add-default-branch", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git /x/\n"},
	{name: "git-add-annotated-tag", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git#v0.0.2 /a\n"},
	{name: "git-add-branch-subdir", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git#feature:sub /s\n"},
	{name: "git-add-query-branch-subdir", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git?branch=feature&subdir=sub /q/\n"},
	{name: "git-add-query-tag", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git?tag=v0.0.1 /t\n"},
	{name: "git-add-commit-ref", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git#{{GIT:v0.0.1}} /c\n"},
	{name: "git-add-checksum", dockerfile: "FROM stevedore-test/busybox:1\nARG REPO={{GIT}}/repo.git\nARG TAG=v0.0.1\nADD --checksum={{GIT:v0.0.1}} ${REPO}#${TAG} /c\n"},
	{name: "git-add-checksum-annotated", dockerfile: "FROM stevedore-test/busybox:1\nADD --checksum={{GIT:v0.0.2}} {{GIT}}/repo.git#v0.0.2 /c\n"},
	{name: "git-add-query-commit-short", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git?commit={{GIT:latest:short}} /c\n"},
	{name: "git-add-chown-chmod", dockerfile: "FROM stevedore-test/busybox:1\nADD --chown=4242:8484 --chmod=0750 {{GIT}}/repo.git#v0.0.1 /o\n"},
	{name: "git-add-exclude", dockerfile: "FROM stevedore-test/busybox:1\nADD --exclude=*.sh --exclude=dir/deeper {{GIT}}/repo.git /e/\n"},
	{name: "git-add-with-local", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git#feature:sub a.txt /m/\n", files: map[string]string{"a.txt": "a\n"}},
	{name: "git-add-into-existing", dockerfile: "FROM stevedore-test/busybox:1\nRUN mkdir -m 0700 /e && echo old > /e/old\nADD {{GIT}}/repo.git#v0.0.1 /e\n"},
	{name: "git-add-submodule", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git#withsub /w\nRUN cat /w/mod/.git > /dotgit\n",
		known: "a submodule's .git file points at the checkout's git directory, which is in BuildKit's state directory and outside the image in both"},
	// A submodule with a submodule of its own: both checked out; what the
	// final stage takes is compared whole (the .git files point outside
	// the image in both builders).
	{name: "git-add-nested-submodule", dockerfile: "FROM stevedore-test/busybox:1 AS r\nADD {{GIT}}/repo.git#withnestedsub /w\nRUN ls -a /w/mod /w/mod/inner > /ls\n" +
		"FROM stevedore-test/busybox:1\nCOPY --from=r /ls /w/foo /w/.gitmodules /w/mod/file /w/mod/.gitmodules /w/mod/inner/deep /out/\n"},
	// --keep-git-dir with a submodule: the repository's own .git, config
	// and submodule state as BuildKit leaves them.
	{name: "git-keep-git-dir-submodule", dockerfile: "FROM stevedore-test/busybox:1 AS r\nADD --keep-git-dir=true {{GIT}}/repo.git#withsub /r\nRUN ls -a /r /r/mod > /ls && cat /r/.git/HEAD /r/.git/config > /meta && ls /r/.git/modules > /modules 2>&1 || true\n" +
		"FROM stevedore-test/busybox:1\nCOPY --from=r /ls /meta /modules /r/mod/file /out/\n"},
	{name: "git-add-no-submodules", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git?ref=withsub&submodules=false /w\n"},
	{name: "git-keep-git-dir", dockerfile: "FROM stevedore-test/busybox:1 AS r\nADD --keep-git-dir=true {{GIT}}/repo.git#v0.0.1 /r\nRUN ls -a /r/.git > /ls && cat /r/.git/HEAD /r/.git/config > /meta\n" +
		"FROM stevedore-test/busybox:1\nCOPY --from=r /ls /meta /r/foo /out/\n"},
	{name: "git-keep-git-dir-query-annotated", dockerfile: "FROM stevedore-test/busybox:1 AS r\nADD {{GIT}}/repo.git?tag=v0.0.2&keep-git-dir=true /r\nRUN cat /r/.git/HEAD /r/.git/config > /meta && ls /r/.git/refs/tags > /tags\n" +
		"FROM stevedore-test/busybox:1\nCOPY --from=r /meta /tags /r/foo /out/\n"},
	{name: "git-keep-git-dir-false", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git?keep-git-dir=false /r\n"},
	{name: "git-add-over-ssh", ssh: []string{"default"}, dockerfile: "FROM stevedore-test/busybox:1\nADD {{GITSSH}}/repo.git#feature:sub /s\n"},
	{name: "git-add-over-ssh-key-files", sshKeys: []string{"default"}, dockerfile: "FROM stevedore-test/busybox:1\nADD {{GITSSH}}/repo.git#v0.0.2 /s\n"},
	{name: "fail-git-over-ssh-no-agent", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GITSSH}}/repo.git#v0.0.1 /s\n", fail: true},
	{name: "git-private-token", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/private.git /p\n", secrets: map[string]string{"GIT_AUTH_TOKEN": gitToken}},
	{name: "git-private-header", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/private.git#latest /p\n", secrets: map[string]string{"GIT_AUTH_HEADER": basicToken(gitToken)}},
	// Another ref than the cases with credentials: BuildKit shares one
	// source vertex between concurrent builds, secrets or not.
	{name: "fail-git-private-no-token", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/private.git#v0.0.1 /p\n", fail: true},
	{name: "fail-git-private-wrong-token", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/private.git#v0.0.2 /p\n", secrets: map[string]string{"GIT_AUTH_TOKEN": "wrong"}, fail: true},
	{name: "fail-git-checksum-mismatch", dockerfile: "FROM stevedore-test/busybox:1\nADD --checksum={{GIT:v0.0.1}} {{GIT}}/repo.git#latest /f\n", fail: true},
	{name: "fail-git-checksum-garbage", dockerfile: "FROM stevedore-test/busybox:1\nADD --checksum=foobar {{GIT}}/repo.git#latest /f\n", fail: true},
	{name: "fail-git-query-commit-mismatch", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git?tag=v0.0.1&commit={{GIT:latest}} /f\n", fail: true},
	{name: "fail-git-missing-ref", dockerfile: "FROM stevedore-test/busybox:1\nRUN true\nADD {{GIT}}/repo.git#nosuchref /f\n", fail: true},
	{name: "fail-git-tag-as-branch", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git?branch=v0.0.1 /f\n", fail: true},
	{name: "fail-git-ref-conflicts", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git?tag=v0.0.1#refs/heads/master /f\n", fail: true},
	{name: "fail-git-keep-git-dir-inconsistent", dockerfile: "FROM stevedore-test/busybox:1\nADD --keep-git-dir=false {{GIT}}/repo.git?keep-git-dir=true /f\n", fail: true},
	{name: "fail-git-copy", dockerfile: "FROM stevedore-test/busybox:1\nCOPY {{GIT}}/repo.git /f\n", fail: true},
	{name: "fail-git-checksum-multiple", dockerfile: "FROM stevedore-test/busybox:1\nADD --checksum={{GIT:v0.0.1}} {{GIT}}/repo.git#v0.0.1 a.txt /f/\n", files: map[string]string{"a.txt": "a\n"}, fail: true},
	{name: "fail-git-subdir-missing", dockerfile: "FROM stevedore-test/busybox:1\nADD {{GIT}}/repo.git#master:nodir /f\n", fail: true},
}

func init() { conformanceCases = append(conformanceCases, gitConformanceCases...) }
