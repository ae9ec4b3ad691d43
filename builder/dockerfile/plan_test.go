package dockerfile

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		opts   PlanOptions
		levels string             // fmt of Graph.Levels
		bases  map[int]string     // stage index → "kind ref-or-stage"
		plats  map[int]string     // stage index → platform
		deps   map[int][]string   // stage index → "via kind name"
		warns  []string           // substrings, in order
		extra  func(*Graph) error // further checks
	}{
		{
			name: "go toolchain to runtime, cross-compiling", file: "go-two-stage",
			opts:   PlanOptions{BuildPlatform: amd64, TargetPlatform: arm64},
			levels: "[[0] [1]]",
			bases:  map[int]string{0: "image golang:1.26-bookworm", 1: "image gcr.io/distroless/static-debian12:nonroot"},
			plats:  map[int]string{0: "linux/amd64", 1: "linux/arm64/v8"},
			deps:   map[int][]string{1: {"FROM image gcr.io/distroless/static-debian12:nonroot", "COPY --from stage build"}},
		},
		{
			name: "build arg overrides a global ARG default", file: "go-two-stage",
			opts:   PlanOptions{BuildArgs: map[string]string{"GO_VERSION": "1.25"}},
			levels: "[[0] [1]]",
			bases:  map[int]string{0: "image golang:1.25-bookworm"},
		},
		{
			name: "ARG before FROM with ${VAR:-default}", file: "args-before-from",
			levels: "[[0] [1]]",
			bases:  map[int]string{0: "image docker.io/library/alpine:3.20", 1: "stage 0"},
		},
		{
			name: "ARG before FROM with build args", file: "args-before-from",
			opts:   PlanOptions{BuildArgs: map[string]string{"TAG": "3.19", "BASE": "busybox", "BASE_IMAGE": "ignored", "HTTP_PROXY": "http://p"}},
			levels: "[[0] [1]]",
			bases:  map[int]string{0: "image docker.io/library/busybox:3.19", 1: "stage 0"},
			// BASE_IMAGE is used in FROM but never declared, so docker ignores it.
			warns: []string{"build-args [BASE_IMAGE] were not consumed"},
		},
		{
			name: "diamond", file: "diamond",
			levels: "[[0] [1 2] [4]]",
			bases:  map[int]string{0: "image alpine", 1: "stage 0", 2: "stage 0", 4: "stage 0"},
			deps: map[int][]string{4: {
				"FROM stage base", "COPY --from stage left", "RUN --mount stage right", "COPY --from image busybox:1.36",
			}},
			extra: func(g *Graph) error {
				var order []int
				for _, ps := range g.Stages {
					order = append(order, ps.Index)
				}
				if fmt.Sprint(order) != "[0 1 2 4]" {
					return fmt.Errorf("order = %v, want [0 1 2 4] (stage 3 pruned)", order)
				}
				if g.Stage(3) != nil {
					return errors.New("unused stage 3 planned")
				}
				return nil
			},
		},
		{
			name: "--target prunes", file: "diamond", opts: PlanOptions{Target: "left"},
			levels: "[[0] [1]]",
		},
		{
			name: "--target is case-insensitive; COPY --from=0 by index", file: "diamond", opts: PlanOptions{Target: "UNUSED"},
			levels: "[[0] [3]]",
			deps:   map[int][]string{3: {"FROM scratch scratch", "COPY --from stage 0"}},
		},
		{
			name: "named context replaces a base image", file: "diamond",
			opts:   PlanOptions{NamedContexts: map[string]string{"alpine": "docker-image://alpine:3.20@sha256:abc"}},
			levels: "[[0] [1 2] [4]]",
			bases:  map[int]string{0: "context docker-image://alpine:3.20@sha256:abc"},
		},
		{
			name: "named context replaces a whole stage", file: "diamond",
			opts: PlanOptions{NamedContexts: map[string]string{"left": "./prebuilt", "busybox:1.36": "oci-layout://bb"}},
			// left no longer needs base, so it can start at once.
			levels: "[[0 1] [2] [4]]",
			bases:  map[int]string{1: "context ./prebuilt"},
			deps:   map[int][]string{1: {"FROM context left"}, 4: {"FROM stage base", "COPY --from stage left", "RUN --mount stage right", "COPY --from context busybox:1.36"}},
			extra: func(g *Graph) error {
				if !g.Stage(1).Overridden {
					return errors.New("stage left not marked overridden")
				}
				return nil
			},
		},
		{
			name: "predefined platform args in FROM", file: "inline:FROM --platform=$BUILDPLATFORM alpine AS b\nFROM img:${TARGETARCH}${TARGETVARIANT}-${TARGETOS} AS t\nCOPY --from=b / /\n",
			opts:   PlanOptions{BuildPlatform: amd64, TargetPlatform: arm64},
			levels: "[[0] [1]]",
			bases:  map[int]string{1: "image img:arm64v8-linux"},
			plats:  map[int]string{0: "linux/amd64", 1: "linux/arm64/v8"},
		},
		{
			name: "target platform defaults to build platform", file: "inline:FROM img:$TARGETPLATFORM\n",
			opts:   PlanOptions{BuildPlatform: amd64},
			levels: "[[0]]",
			bases:  map[int]string{0: "image img:linux/amd64"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := planFile(t, tt.file, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(g.Levels); got != tt.levels {
				t.Errorf("levels = %s, want %s", got, tt.levels)
			}
			for i, want := range tt.bases {
				if got := describe(g.Stage(i).Base); got != want {
					t.Errorf("stage %d base = %s, want %s", i, got, want)
				}
			}
			for i, want := range tt.plats {
				if got := g.Stage(i).Platform.String(); got != want {
					t.Errorf("stage %d platform = %s, want %s", i, got, want)
				}
			}
			for i, want := range tt.deps {
				var got []string
				for _, d := range g.Stage(i).Deps {
					s := d.Via + " " + d.Kind.String() + " " + d.Name
					got = append(got, s)
				}
				if strings.Join(got, "; ") != strings.Join(want, "; ") {
					t.Errorf("stage %d deps =\n %v\nwant\n %v", i, got, want)
				}
			}
			if len(g.Warnings) != len(tt.warns) {
				t.Errorf("warnings = %v, want %d", g.Warnings, len(tt.warns))
			}
			for i, w := range tt.warns {
				if i < len(g.Warnings) && !strings.Contains(g.Warnings[i].Message, w) {
					t.Errorf("warning %q does not contain %q", g.Warnings[i].Message, w)
				}
			}
			if tt.extra != nil {
				if err := tt.extra(g); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		opts PlanOptions
		kind error
		want string
	}{
		{"unknown target", "diamond", PlanOptions{Target: "nope"}, ErrUnknownStage,
			`planning diamond.Dockerfile: target stage "nope" could not be found (stages: base, left, right, unused, final)`},
		{"stage index out of range", "unknown-stage", PlanOptions{}, ErrUnknownStage,
			"planning unknown-stage.Dockerfile:5: invalid stage index 7"},
		{"cycle", "cycle", PlanOptions{}, ErrCycle,
			"planning cycle.Dockerfile:2: circular dependency detected on stage a (line 2 COPY --from b, line 5 COPY --from a)"},
		{"forward reference", "inline:FROM alpine AS a\nCOPY --from=b / /\nFROM alpine AS b\n", PlanOptions{Target: "a"}, ErrCycle,
			`Dockerfile:2: cannot copy from stage "b", it needs to be defined before current stage "a"`},
		{"blank base", "inline:ARG IMAGE\nFROM $IMAGE\n", PlanOptions{}, ErrInvalid,
			"Dockerfile:2: base name ($IMAGE) should not be blank"},
		{"variable in --from", "inline:FROM alpine\nARG S=x\nCOPY --from=$S / /\n", PlanOptions{}, ErrInvalid,
			"Dockerfile:3: variable expansion is not supported for --from"},
		{"bad platform", "inline:FROM --platform=linux/amd64/v3/x alpine\n", PlanOptions{}, ErrInvalid,
			"Dockerfile:1: parsing platform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := planFile(t, tt.file, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v is not %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n %q\ndoes not contain\n %q", err, tt.want)
			}
		})
	}
}

// planFile plans testdata/NAME.Dockerfile, or the text after "inline:".
func planFile(t *testing.T, file string, opts PlanOptions) (*Graph, error) {
	t.Helper()
	var df *Dockerfile
	if src, ok := strings.CutPrefix(file, "inline:"); ok {
		var err error
		df, err = Parse(strings.NewReader(src), "Dockerfile")
		if err != nil {
			t.Fatal(err)
		}
	} else {
		df = parseFile(t, "testdata/"+file+".Dockerfile")
	}
	if opts.BuildPlatform.OS == "" {
		opts.BuildPlatform = amd64
	}
	return df.Plan(opts)
}

func describe(s Source) string {
	switch s.Kind {
	case FromStage:
		return fmt.Sprintf("stage %d", s.Stage)
	case FromScratch:
		return "scratch"
	}
	return s.Kind.String() + " " + s.Ref
}
