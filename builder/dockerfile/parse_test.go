package dockerfile

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		file     string
		stages   []string // DisplayName of each stage
		meta     []string // global ARG names
		syntax   string
		escape   rune
		keywords map[int][]string // stage index → instruction keywords
	}{
		{
			file: "go-two-stage", stages: []string{"build", "stage-1"}, meta: []string{"GO_VERSION"},
			syntax: "docker/dockerfile:1.7", escape: '\\',
			keywords: map[int][]string{
				0: {"ARG", "WORKDIR", "COPY", "RUN", "COPY", "RUN"},
				1: {"COPY", "USER", "EXPOSE", "ENTRYPOINT"},
			},
		},
		{
			file: "args-before-from", stages: []string{"base", "stage-1"}, meta: []string{"REGISTRY", "BASE", "TAG"},
			escape: '\\',
		},
		{
			file: "heredoc", stages: []string{"stage-0"}, syntax: "docker/dockerfile:1", escape: '\\',
			keywords: map[int][]string{0: {"ARG", "RUN", "RUN", "RUN", "COPY", "COPY"}},
		},
		{
			file: "escape-backtick", stages: []string{"stage-0"}, escape: '`',
			keywords: map[int][]string{0: {"WORKDIR", "COPY", "RUN", "ENV", "CMD"}},
		},
		{
			file: "diamond", stages: []string{"base", "left", "right", "unused", "final"}, escape: '\\',
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			df := parseFile(t, "testdata/"+tt.file+".Dockerfile")
			var names []string
			for _, st := range df.Stages {
				names = append(names, st.DisplayName())
			}
			if strings.Join(names, ",") != strings.Join(tt.stages, ",") {
				t.Errorf("stages = %v, want %v", names, tt.stages)
			}
			var meta []string
			for _, a := range df.MetaArgs {
				meta = append(meta, a.Name)
			}
			if strings.Join(meta, ",") != strings.Join(tt.meta, ",") {
				t.Errorf("meta args = %v, want %v", meta, tt.meta)
			}
			if df.Syntax != tt.syntax || df.Escape != tt.escape {
				t.Errorf("syntax, escape = %q, %q; want %q, %q", df.Syntax, df.Escape, tt.syntax, tt.escape)
			}
			for i, want := range tt.keywords {
				var got []string
				for _, in := range df.Stages[i].Instructions {
					got = append(got, in.Keyword)
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("stage %d instructions = %v, want %v", i, got, want)
				}
			}
		})
	}
}

func TestParseLines(t *testing.T) {
	df := parseFile(t, "testdata/go-two-stage.Dockerfile")
	st := df.Stages[0]
	if st.Line != 3 || st.From != "golang:${GO_VERSION}-bookworm" || st.Platform != "$BUILDPLATFORM" {
		t.Errorf("stage 0 = line %d from %q platform %q", st.Line, st.From, st.Platform)
	}
	run := st.Instructions[5] // the RUN continued over four lines
	if run.Line != 10 || run.EndLine != 13 {
		t.Errorf("RUN spans lines %d-%d, want 10-13", run.Line, run.EndLine)
	}
	if !strings.Contains(run.Source, "--mount=type=secret") || strings.Contains(run.Source, "\\\n") {
		t.Errorf("RUN source not joined: %q", run.Source)
	}
	if df.Directives[0].Name != "syntax" || df.Directives[0].Line != 1 {
		t.Errorf("directives = %+v", df.Directives)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // substring of the error
	}{
		{"unknown instruction", "", "syntax-error.Dockerfile:5: unknown instruction: COPYY"},
		{"empty", "  \n", "Dockerfile is empty"},
		{"no FROM", "ARG A=1\n", "no build stage"},
		{"before FROM", "RUN true\nFROM scratch\n", "Dockerfile:1: RUN before the first FROM"},
		{"bad flag", "FROM scratch\n\nCOPY --nope a b\n", "Dockerfile:3: unknown flag: --nope"},
		{"bad stage name", "FROM alpine AS 1st\n", "Dockerfile:1: invalid name for build stage"},
		{"unterminated heredoc", "FROM alpine\nRUN <<EOT\necho hi\n", "Dockerfile:2:"},
		{"onbuild chain", "FROM alpine\nONBUILD ONBUILD RUN true\n", "Dockerfile:2: Chaining ONBUILD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.src == "" {
				_, err = parseFileErr("testdata/syntax-error.Dockerfile")
			} else {
				_, err = Parse(strings.NewReader(tt.src), "Dockerfile")
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "parsing ") {
				t.Errorf("error %q does not start with \"parsing \" and contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error %v is not ErrSyntax", err)
			}
		})
	}
}

func TestParseWarnings(t *testing.T) {
	src := "FROM alpine\nRUN echo a \\\n\n    && echo b\n"
	df, err := Parse(strings.NewReader(src), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if len(df.Warnings) != 1 || df.Warnings[0].Line == 0 {
		t.Errorf("warnings = %v, want one about the empty continuation line", df.Warnings)
	}
}
