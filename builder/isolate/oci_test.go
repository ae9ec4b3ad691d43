package isolate

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestOCIConfig(t *testing.T) {
	root := t.TempDir()
	writeRootfsEtc(t, root)
	secret := t.TempDir() + "/s"
	writeFile(t, secret, "x")
	p, err := newPlan(&Spec{Rootfs: root, Args: []string{"sh", "-c", "true"}, Env: []string{"A=1"}, User: "builder",
		Dir: "/w", Network: NetworkNone, Hostname: "h", Mounts: []Mount{{Source: secret, Target: "/run/secrets/s", ReadOnly: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.cleanup()
	b, err := json.Marshal(ociConfig(&Spec{Args: []string{"sh", "-c", "true"}}, p))
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	for _, want := range []string{`"uid":1000`, `"gid":1000`, `"additionalGids":[1000,2000,3000]`, `"cwd":"/w"`,
		`"env":["A=1","HOME=/home/builder"]`, `{"type":"network"}`, `"hostname":"h"`,
		`"destination":"/run/secrets/s","type":"bind"`, `"options":["rbind","rprivate","ro"]`, `"destination":"/etc/hosts"`} {
		if !strings.Contains(js, want) {
			t.Errorf("config.json lacks %s:\n%s", want, js)
		}
	}
}

func TestOCIMissingRuntime(t *testing.T) {
	root := busyboxRootfs(t)
	err := Run(t.Context(), Spec{Rootfs: root, Args: []string{"true"}}, WithIsolation(IsolationOCI), WithRuntime("/nonexistent/runc"))
	if err == nil || !strings.Contains(err.Error(), "no OCI runtime") {
		t.Errorf("err = %v", err)
	}
}
