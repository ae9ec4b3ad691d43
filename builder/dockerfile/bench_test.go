package dockerfile

import (
	"bytes"
	"fmt"
	"testing"
)

// generated is a Dockerfile of about n lines in 10 stages: a mix of the
// instructions a long generated file holds (ENV, ARG, LABEL, RUN with
// continuations, COPY, WORKDIR), each stage reading the one before. The
// variables cycle over 16 names: every RUN's history lists the ARGs in
// scope and sees the whole environment (as in BuildKit), so names that
// grow with the file would make the output itself grow quadratically.
func generated(n int) []byte {
	var b bytes.Buffer
	b.WriteString("# syntax=docker/dockerfile:1\nARG BASE=busybox:1\n")
	lines, perStage := 2, n/10
	for s := 0; lines < n; s++ {
		if s == 0 {
			fmt.Fprintf(&b, "FROM ${BASE} AS s0\n")
		} else {
			fmt.Fprintf(&b, "FROM s%d AS s%d\n", s-1, s)
		}
		lines++
		for i := 0; i < perStage && lines < n; i += 8 {
			k := i / 8 % 16
			fmt.Fprintf(&b, "ENV V%d=value-%d P%d=/opt/%d/bin:$V%d\n", k, i, k, i, k)
			fmt.Fprintf(&b, "ARG A%d=default-%d\n", k, i)
			fmt.Fprintf(&b, "LABEL l%d=\"${A%d}\"\n", k, k)
			fmt.Fprintf(&b, "RUN echo $V%d \\\n    && echo ${A%d:-none} > /f%d\n", k, k, i)
			fmt.Fprintf(&b, "COPY --chown=1000:1000 src/%d /dst/%d/\n", i, i)
			fmt.Fprintf(&b, "WORKDIR /w/%d\n", i)
			fmt.Fprintf(&b, "# a comment line %d\n", i)
			lines += 8
		}
	}
	return b.Bytes()
}

// BenchmarkProcess100k parses, plans and applies (expands every
// instruction into its step, without running anything) a 100,000-line
// Dockerfile, and reports the cost per line: processing must stay linear
// in the file's length.
func BenchmarkProcess100k(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		src := generated(n)
		lines := bytes.Count(src, []byte("\n"))
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				df, err := Parse(bytes.NewReader(src), "Dockerfile")
				if err != nil {
					b.Fatal(err)
				}
				g, err := df.Plan(PlanOptions{})
				if err != nil {
					b.Fatal(err)
				}
				states := map[int]*State{}
				for _, ps := range g.Stages {
					var st *State
					if ps.Base.Kind == FromStage {
						st, err = g.NewStateFromStage(ps.Index, states[ps.Base.Stage])
					} else {
						st, err = g.NewState(ps.Index, nil)
					}
					if err != nil {
						b.Fatal(err)
					}
					for _, in := range ps.Instructions {
						if _, err := st.Apply(in); err != nil {
							b.Fatal(err)
						}
					}
					states[ps.Index] = st
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lines), "ns/line")
		})
	}
}
