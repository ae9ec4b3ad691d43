package main

//go:generate go run . docs ../../docs/cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// docsDir is where the CLI reference lives in the repository.
const docsDir = "docs/cli"

// regenerateDocs is the one command that brings docs/cli in line with
// the flags; the sync test and CONTRIBUTING.md name it.
const regenerateDocs = "go generate ./cmd/stevedore"

// docsCommand writes the CLI reference from the command definitions
// themselves, so it cannot drift from the flags (a test compares them).
// Hidden: it is for stevedore's own repository.
func docsCommand() *cli.Command {
	return &cli.Command{
		Name:         "docs",
		Usage:        "write the CLI reference (Markdown, one file per command) to DIR",
		UsageText:    "stevedore docs DIR",
		Hidden:       true,
		OnUsageError: commandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("docs needs the directory to write, e.g. stevedore docs %s", docsDir)
			}
			return writeDocs(c.Args().First(), cliReference(c.App))
		},
	}
}

// cliReference renders the reference: file name to content.
func cliReference(app *cli.App) map[string][]byte {
	files := map[string][]byte{}
	var index bytes.Buffer
	fmt.Fprintf(&index, "# %s command line reference\n\n", app.Name)
	fmt.Fprintf(&index, "%s: %s.\n\n", app.Name, app.Usage)
	fmt.Fprintf(&index, "Generated from the command definitions by `%s`; do not edit by hand.\n\n", regenerateDocs)
	index.WriteString("| command | what it does |\n|---|---|\n")
	for _, cmd := range app.Commands {
		if cmd.Hidden || cmd.Name == "help" {
			continue
		}
		file := app.Name + "_" + cmd.Name + ".md"
		fmt.Fprintf(&index, "| [%s %s](%s) | %s |\n", app.Name, cmd.Name, file, cell(cmd.Usage))
		files[file] = commandReference(app, cmd.Name, cmd)
		for _, sub := range cmd.Subcommands {
			if sub.Hidden || sub.Name == "help" {
				continue
			}
			name := cmd.Name + " " + sub.Name
			file := app.Name + "_" + cmd.Name + "_" + sub.Name + ".md"
			fmt.Fprintf(&index, "| [%s %s](%s) | %s |\n", app.Name, name, file, cell(sub.Usage))
			files[file] = commandReference(app, name, sub)
		}
	}
	index.WriteString("\nEvery command also takes `--help`. Global flags: `--help`, `--version`.\n")
	index.WriteString("\nOld flag spellings still accepted, with a deprecation notice:\n\n| command | old | use |\n|---|---|---|\n")
	for _, cmd := range app.Commands {
		renames := renamedFlags[cmd.Name]
		olds := make([]string, 0, len(renames))
		for old := range renames {
			olds = append(olds, old)
		}
		slices.Sort(olds)
		for _, old := range olds {
			fmt.Fprintf(&index, "| %s | `%s` | `%s` |\n", cmd.Name, dashed(old), dashed(renames[old]))
		}
	}
	index.WriteString("\nExit codes: [exit-codes.md](exit-codes.md).\n")
	files["README.md"] = index.Bytes()
	files["exit-codes.md"] = exitCodeReference(app)
	return files
}

// exitCodeReference is the table of exit codes, from exitCodes.
func exitCodeReference(app *cli.App) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s exit codes\n\n", app.Name)
	fmt.Fprintf(&b, "Every command exits with one of these. Generated from the definitions by `%s`; do not edit by hand.\n\n", regenerateDocs)
	writeRow(&b, []string{"code", "meaning"})
	writeRow(&b, []string{"---", "---"})
	for _, e := range exitCodes {
		writeRow(&b, []string{strconv.Itoa(e.code), cell(e.meaning)})
	}
	b.WriteString("\nSee also: [all commands](README.md).\n")
	return b.Bytes()
}

// commandReference is the page of cmd, spelled name after the program
// ("cache du" for a subcommand).
func commandReference(app *cli.App, name string, cmd *cli.Command) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s %s\n\n%s.\n\n", app.Name, name, upperFirst(cmd.Usage))
	usage := cmd.UsageText
	if usage == "" {
		usage = app.Name + " " + name + " [options]"
	}
	fmt.Fprintf(&b, "```\n%s\n```\n\n", usage)
	if len(cmd.Aliases) > 0 {
		fmt.Fprintf(&b, "Also spelled: %s.\n\n", strings.Join(cmd.Aliases, ", "))
	}
	if cmd.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(cmd.Description))
	}
	var rows [][]string
	env := false
	for _, f := range cmd.Flags {
		d, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		env = env || len(d.GetEnvVars()) > 0
		rows = append(rows, flagRow(d))
	}
	if len(rows) > 0 {
		head := []string{"flag", "default", "environment", "description"}
		if !env {
			// no flag of this command reads one: no empty column
			head = slices.Delete(head, 2, 3)
			for i := range rows {
				rows[i] = slices.Delete(rows[i], 2, 3)
			}
		}
		b.WriteString("## Flags\n\n")
		writeRow(&b, head)
		writeRow(&b, slices.Repeat([]string{"---"}, len(head)))
		for _, r := range rows {
			writeRow(&b, r)
		}
		b.WriteString("\n")
	}
	var subs []string
	for _, sub := range cmd.Subcommands {
		if !sub.Hidden && sub.Name != "help" {
			subs = append(subs, fmt.Sprintf("[%s %s %s](%s_%s_%s.md)", app.Name, name, sub.Name, app.Name, name, sub.Name))
		}
	}
	if len(subs) > 0 {
		fmt.Fprintf(&b, "Commands: %s.\n\n", strings.Join(subs, ", "))
	}
	fmt.Fprintf(&b, "See also: [all commands](README.md).\n")
	return b.Bytes()
}

func writeRow(b *bytes.Buffer, cells []string) {
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// flagRow is the cells spellings, default, environment, description.
func flagRow(f cli.DocGenerationFlag) []string {
	placeholder, usage := unquoteUsage(f.GetUsage())
	if placeholder == "" && f.TakesValue() {
		placeholder = "VALUE"
	}
	var names []string
	for _, n := range f.Names() {
		s := dashed(n)
		if placeholder != "" {
			s += " " + placeholder
		}
		names = append(names, "`"+s+"`")
	}
	if s, ok := f.(cli.DocGenerationSliceFlag); ok && s.IsSliceFlag() && !strings.Contains(usage, "repeatable") {
		usage += " (repeatable)"
	}
	var env []string
	for _, e := range f.GetEnvVars() {
		env = append(env, "`$"+e+"`")
	}
	return []string{strings.Join(names, ", "), defaultText(f), strings.Join(env, ", "), cell(usage)}
}

// unquoteUsage reads a flag's value placeholder from its usage as
// urfave/cli's help does: the first `quoted` word (then unquoted).
func unquoteUsage(usage string) (placeholder, text string) {
	before, rest, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	name, after, ok := strings.Cut(rest, "`")
	if !ok {
		return "", usage
	}
	return name, before + name + after
}

// defaultText is the flag's default as typed, or empty when it is the
// zero value (off, nothing).
func defaultText(f cli.DocGenerationFlag) string {
	s := f.GetDefaultText()
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	if s == "" || s == "false" {
		return ""
	}
	return "`" + s + "`"
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// writeDocs replaces the Markdown files of dir with files, so a renamed
// or removed command leaves no stale page behind.
func writeDocs(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing the CLI reference: %w", err)
	}
	old, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return fmt.Errorf("writing the CLI reference: %w", err)
	}
	for _, p := range old {
		if _, keep := files[filepath.Base(p)]; !keep {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("removing the stale page %s: %w", p, err)
			}
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			return fmt.Errorf("writing the CLI reference: %w", err)
		}
	}
	return nil
}
