package pipeline

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// summaryRow is one image's line in the summary.
type summaryRow struct {
	image, digest, tags, sboms, signed string
	durations                          []string
}

func (r *Report) rows() []summaryRow {
	var out []summaryRow
	if r == nil || r.Plan == nil {
		return nil
	}
	for i, pi := range r.Plan.Images {
		row := summaryRow{image: pi.Name, digest: "-", tags: strings.Join(pi.Tags, " "), sboms: "-", signed: "no"}
		if r.Ledger != nil && i < len(r.Ledger.Images) {
			li := r.Ledger.Images[i]
			row.digest = li.Digest
			row.sboms = fmt.Sprint(len(li.SBOMs))
			if len(li.Destinations) > 0 && li.Destinations[0].Signature != "" {
				row.signed = "yes"
			}
		}
		for _, s := range []string{StepBuild, StepPush, StepSBOM, StepSign, StepVerify, StepTag} {
			row.durations = append(row.durations, fmtDuration(r.Durations[pi.Name][s]))
		}
		out = append(out, row)
	}
	return out
}

func fmtDuration(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

// WriteSummary prints the end-of-release table: image, digest, tags, SBOM
// files, signature and the time each step took.
func (r *Report) WriteSummary(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tDIGEST\tTAGS\tSBOMS\tSIGNED\tBUILD\tPUSH\tSBOM\tSIGN\tVERIFY\tTAG")
	for _, row := range r.rows() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", row.image, row.digest, orDash(row.tags), row.sboms, row.signed, strings.Join(row.durations, "\t"))
	}
	return tw.Flush()
}

// Markdown is the summary for GitHub's step summary page.
func (r *Report) Markdown() string {
	var b strings.Builder
	if r.Plan != nil {
		kind := "Release"
		if r.Plan.Snapshot {
			kind = "Snapshot"
		}
		fmt.Fprintf(&b, "## %s %s\n\n", kind, r.Plan.Version)
	}
	b.WriteString("| Image | Digest | Tags | SBOMs | Signed | Build | Push | SBOM | Sign | Verify | Tag |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range r.rows() {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s |\n", row.image, row.digest, orDash(row.tags), row.sboms, row.signed, strings.Join(row.durations, " | "))
	}
	if r.Ledger != nil {
		var cmds []string
		for _, li := range r.Ledger.Images {
			cmds = append(cmds, li.Verify...)
		}
		if len(cmds) > 0 {
			b.WriteString("\nVerify with cosign:\n\n```sh\n" + strings.Join(cmds, "\n") + "\n```\n")
		}
	}
	return b.String()
}

// Write prints a dry run's plan.
func (p *Plan) Write(w io.Writer) error {
	kind := "release"
	if p.Snapshot {
		kind = "snapshot"
	}
	fmt.Fprintf(w, "%s %s", kind, p.Version)
	if p.GitTag != "" {
		fmt.Fprintf(w, " (git tag %s)", p.GitTag)
	}
	if p.Commit != "" {
		fmt.Fprintf(w, " of commit %s", p.Commit)
	}
	fmt.Fprintln(w)
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, pi := range p.Images {
		fmt.Fprintf(w, "\nimage %s\n", pi.Name)
		fmt.Fprintf(w, "  build         %s (context %s)", pi.Dockerfile, pi.Context)
		if pi.Target != "" {
			fmt.Fprintf(w, " target %s", pi.Target)
		}
		fmt.Fprintln(w)
		if pi.Builder != "" && pi.Builder != "embedded" {
			fmt.Fprintf(w, "  builder       %s\n", pi.Builder)
		}
		for _, p := range pi.Platforms {
			if b, ok := pi.PlatformBuilders[p]; ok {
				fmt.Fprintf(w, "  builder       %s on %s\n", p, b)
			}
		}
		if len(pi.Platforms) > 0 {
			fmt.Fprintf(w, "  platforms     %s\n", strings.Join(pi.Platforms, " "))
		}
		for _, d := range pi.Destinations {
			fmt.Fprintf(w, "  destination   %s\n", d)
		}
		fmt.Fprintf(w, "  tags          %s\n", orDash(strings.Join(pi.Tags, " ")))
		fmt.Fprintf(w, "  sbom          %s\n", strings.Join(pi.SBOM, " "))
		fmt.Fprintf(w, "  signing       %s\n", pi.Signing)
	}
	fmt.Fprintf(w, "\nsteps: %s\nledger: %s\n", strings.Join(p.Steps, " → "), firstNonEmpty(p.LedgerPath, "none (--ledger \"\")"))
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
