package builder

import (
	"testing"

	"github.com/sreevishnu07/stevedore/internal/sshtest"
)

// sshConformanceCases follow BuildKit's frontend/dockerfile/dockerfile_ssh_test.go:
// RUN --mount=type=ssh with a real ssh-agent forwarded by --ssh, listed
// inside the step by Debian's ssh-add (copied into the image with the
// libraries it loads).
var sshConformanceCases = []conformanceCase{
	{name: "ssh-mount-default", ssh: []string{"default"}, setup: sshAddRoot,
		dockerfile: "FROM stevedore-test/busybox:1\nCOPY sshroot/ /\nRUN --mount=type=ssh echo {{NONCE}} >/dev/null && ssh-add -l > /keys && echo $SSH_AUTH_SOCK > /sock && busybox stat -c '%u:%g %a %F' $SSH_AUTH_SOCK > /st\n"},
	{name: "ssh-mount-id-target-mode", ssh: []string{"mykey"}, setup: sshAddRoot,
		dockerfile: "FROM stevedore-test/busybox:1\nCOPY sshroot/ /\nRUN --mount=type=ssh,id=mykey,target=/tmp/agent.sock,uid=1000,gid=1001,mode=0660 echo {{NONCE}} >/dev/null && ssh-add -l > /keys && busybox stat -c '%u:%g %a' /tmp/agent.sock > /st && echo $SSH_AUTH_SOCK > /sock\n"},
	{name: "ssh-mount-as-user", ssh: []string{"default"}, setup: sshAddRoot,
		dockerfile: "FROM stevedore-test/busybox:1\nCOPY sshroot/ /\nUSER 1000\nRUN --mount=type=ssh,uid=1000 echo {{NONCE}} >/dev/null && ssh-add -l > /tmp/keys\n"},
	{name: "ssh-mount-two", ssh: []string{"default", "other"}, setup: sshAddRoot,
		dockerfile: "FROM stevedore-test/busybox:1\nCOPY sshroot/ /\nRUN --mount=type=ssh --mount=type=ssh,id=other echo {{NONCE}} >/dev/null && SSH_AUTH_SOCK=/run/buildkit/ssh_agent.1 ssh-add -l > /keys && ssh-add -l >> /keys && echo $SSH_AUTH_SOCK > /sock\n"},
	{name: "ssh-mount-env-wins", ssh: []string{"default"},
		dockerfile: "FROM stevedore-test/busybox:1\nENV SSH_AUTH_SOCK=/custom\nRUN --mount=type=ssh echo $SSH_AUTH_SOCK > /sock && ls /run/buildkit > /ls\n"},
	{name: "ssh-mount-optional-missing", setup: sshAddRoot,
		dockerfile: "FROM stevedore-test/busybox:1\nCOPY sshroot/ /\nRUN --mount=type=ssh (ssh-add -l 2>/dev/null || echo \"none $?\") > /out && echo $SSH_AUTH_SOCK >> /out && ls -a / > /root.ls\n"},
	// A step cannot change a forwarded agent: ssh-add -D fails, the keys stay.
	{name: "ssh-mount-read-only", ssh: []string{"default"}, setup: sshAddRoot,
		dockerfile: "FROM stevedore-test/busybox:1\nCOPY sshroot/ /\nRUN --mount=type=ssh echo {{NONCE}} >/dev/null && (ssh-add -D >/dev/null 2>&1; echo $?) > /delete && ssh-add -l > /keys\n"},
	// buildx's --ssh ID=KEYFILE,KEYFILE: the keys served by an agent of
	// the builder's own.
	{name: "ssh-key-files", sshKeys: []string{"default"}, setup: sshAddRoot,
		dockerfile: "FROM stevedore-test/busybox:1\nCOPY sshroot/ /\nRUN --mount=type=ssh echo {{NONCE}} >/dev/null && ssh-add -l > /keys && echo $SSH_AUTH_SOCK > /sock\n"},
	{name: "ssh-key-files-read-only", sshKeys: []string{"default"}, setup: sshAddRoot,
		dockerfile: "FROM stevedore-test/busybox:1\nCOPY sshroot/ /\nRUN --mount=type=ssh echo {{NONCE}} >/dev/null && (ssh-add -D >/dev/null 2>&1; echo $?) > /delete && (ssh-add -l || true) > /keys\n",
		known:      "deliberate: the agent serving --ssh key files is read-only, as a forwarded socket is in both; BuildKit lets a step remove the keys of key files (ssh-add -D), for the steps after it too"},
	{name: "ssh-key-files-id-and-agent", ssh: []string{"default"}, sshKeys: []string{"deploy"}, setup: sshAddRoot,
		dockerfile: "FROM stevedore-test/busybox:1\nCOPY sshroot/ /\nRUN --mount=type=ssh,id=deploy,target=/k.sock --mount=type=ssh echo {{NONCE}} >/dev/null && SSH_AUTH_SOCK=/k.sock ssh-add -l > /keys && ssh-add -l > /agent && echo $SSH_AUTH_SOCK > /sock\n"},
	{name: "fail-ssh-required-missing", dockerfile: "FROM stevedore-test/busybox:1\nRUN true\nRUN --mount=type=ssh,required=true true\n", fail: true},
	{name: "fail-ssh-source", ssh: []string{"default"}, dockerfile: "FROM stevedore-test/busybox:1\nRUN --mount=type=ssh,source=/x true\n", fail: true},
}

func sshAddRoot(t *testing.T, dir string) { sshtest.AddRoot(t, dir) }

func init() { conformanceCases = append(conformanceCases, sshConformanceCases...) }
