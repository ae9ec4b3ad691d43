package isolate

import (
	"reflect"
	"strings"
	"testing"
)

func TestWithHome(t *testing.T) {
	env := []string{"A=1"}
	if got := withHome(env, "/root"); !reflect.DeepEqual(got, []string{"A=1", "HOME=/root"}) {
		t.Errorf("withHome = %q", got)
	}
	if len(env) != 1 {
		t.Error("withHome modified the caller's slice")
	}
	if got := withHome([]string{"HOME=/x"}, "/root"); !reflect.DeepEqual(got, []string{"HOME=/x"}) {
		t.Errorf("withHome kept HOME? %q", got)
	}
}

func TestHostsFile(t *testing.T) {
	h := hostsFile("box")
	if !strings.Contains(h, "127.0.0.1\tlocalhost box\n") || !strings.Contains(h, "::1") {
		t.Errorf("hosts = %q", h)
	}
}

func TestSpecEnvPath(t *testing.T) {
	if p := (&Spec{Env: []string{"PATH=/a", "PATH=/b"}}).envPath(); p != "/b" {
		t.Errorf("envPath = %q (last PATH wins, as in execve)", p)
	}
	if p := (&Spec{}).envPath(); p != defaultPath {
		t.Errorf("envPath without PATH = %q", p)
	}
}
