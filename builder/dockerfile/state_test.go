package dockerfile

import (
	"fmt"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestNewStateFromImage(t *testing.T) {
	g, err := planFile(t, "inline:FROM base\nRUN true\n", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base := &v1.ConfigFile{Author: "upstream", Config: v1.Config{
		Env:        []string{"HOME=/root"},
		WorkingDir: "/w",
		User:       "nobody",
		OnBuild:    []string{"RUN echo triggered", "ARG X=1"},
	}}
	st, err := g.NewState(0, base)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(st.Config.Env) != "[HOME=/root PATH="+defaultPathEnv+"]" {
		t.Errorf("env = %v: PATH must be added when the base has none", st.Config.Env)
	}
	if st.Config.OnBuild != nil || len(st.Triggers) != 2 || st.Triggers[0].Keyword != "RUN" || st.Triggers[0].Line != 1 {
		t.Errorf("onbuild = %v, triggers = %+v", st.Config.OnBuild, st.Triggers)
	}
	step, err := st.Apply(st.Triggers[0])
	if err != nil {
		t.Fatal(err)
	}
	if step.Run.Dir != "/w" || step.Run.User != "nobody" || st.Author != "upstream" {
		t.Errorf("run dir/user = %s/%s, author %s", step.Run.Dir, step.Run.User, st.Author)
	}
	if base.Config.OnBuild == nil {
		t.Error("NewState changed the caller's config")
	}
	if _, err := g.NewState(5, nil); err == nil {
		t.Error("NewState accepted a stage the target does not need")
	}
}

func TestNewStateFromStageTriggers(t *testing.T) {
	_, states, hist := applyAll(t, "FROM scratch AS p\nONBUILD RUN echo from-parent\nFROM p AS c\nRUN echo own\nFROM c\n", PlanOptions{})
	if len(states[1].Triggers) != 1 || states[1].Triggers[0].Source != "RUN echo from-parent" {
		t.Errorf("child triggers = %+v", states[1].Triggers)
	}
	// Triggers run first in the child, and do not reach the grandchild.
	if fmt.Sprint(hist[1]) != "[RUN /bin/sh -c echo from-parent # buildkit RUN /bin/sh -c echo own # buildkit]" {
		t.Errorf("child history = %v", hist[1])
	}
	if len(states[2].Triggers) != 0 || states[2].Config.OnBuild != nil {
		t.Errorf("grandchild triggers = %+v, onbuild %v", states[2].Triggers, states[2].Config.OnBuild)
	}
}
