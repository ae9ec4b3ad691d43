package isolate

import "testing"

func TestParseIsolation(t *testing.T) {
	for in, want := range map[string]Isolation{"": IsolationAuto, "auto": IsolationAuto,
		"namespaces": IsolationNamespaces, "rootless": IsolationRootless, "oci": IsolationOCI} {
		if got, err := ParseIsolation(in); err != nil || got != want {
			t.Errorf("ParseIsolation(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseIsolation("chroot"); err == nil {
		t.Error("unknown isolation accepted")
	}
	o := makeOptions([]Option{nil, WithTailSize(-5), WithRuntime("crun")})
	if o.tailSize != 0 || o.runtime != "crun" || o.isolation == IsolationAuto {
		t.Errorf("options = %+v", o)
	}
}
