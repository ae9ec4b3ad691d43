package dockerfile

import (
	"strings"
	"testing"
)

// FuzzParsePlan feeds arbitrary text through parsing, planning and
// applying every instruction: bad input must give errors, never panics.
func FuzzParsePlan(f *testing.F) {
	for _, seed := range []string{
		"FROM scratch\nCOPY . /\n",
		"ARG BASE=alpine\nFROM ${BASE:-x} AS b\nRUN --mount=type=cache,target=/c echo hi\nFROM b\nCOPY --from=b /a /b\n",
		"# escape=`\nFROM scratch\nENV A=1 `\n  B=2\n",
		"FROM scratch\nRUN <<EOF\necho hi\nEOF\n",
		"FROM a AS x\nFROM x AS a\n",
		"FROM scratch\nHEALTHCHECK --interval=5s CMD true\nEXPOSE 80/udp 443\nONBUILD RUN x\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		df, err := Parse(strings.NewReader(text), "Dockerfile")
		if err != nil {
			return
		}
		g, err := df.Plan(PlanOptions{BuildArgs: map[string]string{"A": "1"}})
		if err != nil {
			return
		}
		for _, ps := range g.Stages {
			st, err := g.NewState(ps.Index, nil)
			if err != nil {
				return
			}
			for _, in := range ps.Instructions {
				if _, err := st.Apply(in); err != nil {
					break
				}
			}
		}
	})
}
