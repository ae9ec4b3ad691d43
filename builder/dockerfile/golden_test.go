package dockerfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The goldens under testdata/golden were written by a real `docker build`
// (testdata/record.sh; the engine version is in golden/ENGINE). That engine
// is Debian's docker.io 20.10.24, whose built-in BuildKit is older than the
// v0.29 front end we follow. Where the two write different history text,
// the entry below gives what v0.29 writes, checked against its
// dockerfile2llb source, and why.
var knownEngineDiffs = map[string]map[int]string{
	"metadata": {
		// dispatchArg records the --build-arg value in the history.
		3: "ARG FLAVOR=spicy",
		// dispatchExpose formats the normalized port list, not a map.
		7: "EXPOSE [443/tcp 53/udp 80/tcp 8000/tcp 8001/tcp 8002/tcp]",
		// HealthcheckConfig gained StartInterval, printed as a fifth field.
		15: `HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "30s" "5s" "10s" "0s" '\x03'}`,
	},
	"entrypoint": {
		2: `HEALTHCHECK &{["CMD" "/bin/app" "health"] "0s" "0s" "0s" "0s" '\x00'}`,
		4: `HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" '\x00'}`,
	},
	"run": {
		1: "ARG TARGET=world",
		// dispatchCopy writes --chmod into the history.
		5: "COPY --chmod=0644 hello.txt /app/copy.txt # buildkit",
		// runCommandString lists a re-declared ARG once.
		10: `RUN |2 GREETING=hello TARGET=world /bin/sh -c echo "again $GREETING" # buildkit`,
	},
}

type goldenImage struct {
	Author  *string         `json:"author"`
	Config  map[string]any  `json:"config"`
	History []goldenHistory `json:"history"`
}

type goldenHistory struct {
	CreatedBy  *string `json:"created_by"`
	Comment    string  `json:"comment"`
	EmptyLayer bool    `json:"empty_layer"`
}

type goldenBaseImage struct {
	Config  v1.Config    `json:"config"`
	History []v1.History `json:"history"`
}

func TestGoldenConfigAndHistory(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.Dockerfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden Dockerfiles: %v", err)
	}
	var base goldenBaseImage
	readJSON(t, "testdata/golden/busybox-base.json", &base)

	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".Dockerfile")
		t.Run(name, func(t *testing.T) {
			var want goldenImage
			readJSON(t, strings.TrimSuffix(file, ".Dockerfile")+".golden.json", &want)
			args := readArgs(t, strings.TrimSuffix(file, ".Dockerfile")+".args")

			st, hist := buildTarget(t, file, args, map[string]*v1.ConfigFile{
				"busybox-base": {Config: base.Config, History: base.History},
			})
			// The engine's history starts with the base image's own.
			want.History = want.History[len(base.History)*boolInt(hasImageBase(t, file)):]

			if len(hist) != len(want.History) {
				t.Fatalf("got %d history entries, golden has %d:\n%s", len(hist), len(want.History), dumpHistory(hist))
			}
			for i, h := range hist {
				w := want.History[i]
				wantBy := ""
				if w.CreatedBy != nil {
					wantBy = *w.CreatedBy
				}
				if diff, ok := knownEngineDiffs[name][i]; ok {
					if wantBy == diff {
						t.Errorf("history[%d]: the engine now writes %q like BuildKit v0.29: drop the knownEngineDiffs entry", i, diff)
					}
					wantBy = diff
				}
				if h.CreatedBy != wantBy || h.Comment != w.Comment || h.EmptyLayer != w.EmptyLayer {
					t.Errorf("history[%d]:\n got  %q (empty_layer=%v, comment=%q)\n want %q (empty_layer=%v, comment=%q)",
						i, h.CreatedBy, h.EmptyLayer, h.Comment, wantBy, w.EmptyLayer, w.Comment)
				}
			}

			wantAuthor := ""
			if want.Author != nil {
				wantAuthor = *want.Author
			}
			if st.Author != wantAuthor {
				t.Errorf("author = %q, want %q", st.Author, wantAuthor)
			}
			got := configMap(t, st.Config)
			wantCfg := dropNulls(want.Config)
			if !reflect.DeepEqual(got, wantCfg) {
				g, _ := json.MarshalIndent(got, "", "  ")
				w, _ := json.MarshalIndent(wantCfg, "", "  ")
				t.Errorf("config differs from docker's:\n got  %s\n want %s", g, w)
			}
		})
	}
}

// buildTarget applies every instruction of every needed stage, the way an
// executor would, and returns the target's state and its history entries.
func buildTarget(t *testing.T, file string, args map[string]string, images map[string]*v1.ConfigFile) (*State, []v1.History) {
	t.Helper()
	df := parseFile(t, file)
	g, err := df.Plan(PlanOptions{BuildArgs: args, BuildPlatform: v1.Platform{OS: "linux", Architecture: "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	states := map[int]*State{}
	hists := map[int][]v1.History{}
	for _, ps := range g.Stages {
		var st *State
		var h []v1.History
		switch ps.Base.Kind {
		case FromStage:
			st, err = g.NewStateFromStage(ps.Index, states[ps.Base.Stage])
			h = append(h, hists[ps.Base.Stage]...)
		case FromImage:
			img, ok := images[ps.Base.Ref]
			if !ok {
				t.Fatalf("test has no config for image %s", ps.Base.Ref)
			}
			st, err = g.NewState(ps.Index, img)
		default:
			st, err = g.NewState(ps.Index, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range append(st.Triggers, ps.Instructions...) {
			step, err := st.Apply(in)
			if err != nil {
				t.Fatal(err)
			}
			if step.History != nil {
				h = append(h, *step.History)
			}
		}
		states[ps.Index], hists[ps.Index] = st, h
	}
	return states[g.Target], hists[g.Target]
}

func hasImageBase(t *testing.T, file string) bool {
	df := parseFile(t, file)
	return df.Stages[0].From == "busybox-base"
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func parseFile(t *testing.T, file string) *Dockerfile {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	df, err := Parse(f, filepath.Base(file))
	if err != nil {
		t.Fatal(err)
	}
	return df
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	dt, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(dt, v); err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
}

func readArgs(t *testing.T, file string) map[string]string {
	t.Helper()
	dt, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(dt)), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			args[k] = v
		}
	}
	return args
}

// configMap puts our config in the same shape as docker's JSON, so fields
// docker writes as null or false compare equal to our omitted ones.
func configMap(t *testing.T, c v1.Config) map[string]any {
	dt, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(dt, &m); err != nil {
		t.Fatal(err)
	}
	return dropNulls(m)
}

func dropNulls(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			continue
		case bool:
			if !x {
				continue
			}
		case string:
			if x == "" {
				continue
			}
		case map[string]any:
			v = dropNulls(x)
		}
		out[k] = v
	}
	return out
}

func dumpHistory(h []v1.History) string {
	var b strings.Builder
	for i, e := range h {
		fmt.Fprintf(&b, "  %d %s\n", i, e.CreatedBy)
	}
	return b.String()
}

func parseFileErr(file string) (*Dockerfile, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, filepath.Base(file))
}
