package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/internal/suggest"
)

// "Did you mean" hints for mistyped commands and flags, with the same
// measure the configuration loader uses for unknown stevedore.yaml keys.

// didYouMean is ` (did you mean "x"?)` for the candidate nearest to got, or
// "" when none is close.
func didYouMean(got string, candidates []string) string {
	if s := suggest.Nearest(got, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// undefinedFlag is the prefix of the flag package's error for a flag the
// command does not define; the name follows it with one dash.
const undefinedFlag = "flag provided but not defined: -"

// flagUsageError rewrites a flag parsing error of cmd (nil for the global
// flags) into a usage error that names the command and, for an unknown
// flag, the nearest one it has.
func flagUsageError(app *cli.App, cmd *cli.Command, err error) error {
	prefix, help, flags := "", app.Name, app.Flags
	if cmd != nil {
		prefix, help, flags = cmd.Name+": ", app.Name+" "+cmd.Name, cmd.Flags
	}
	name, ok := strings.CutPrefix(err.Error(), undefinedFlag)
	if !ok {
		return usageErrorf("%s%v", prefix, err)
	}
	var known []string
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		for _, n := range f.Names() {
			known = append(known, dashed(n))
		}
	}
	known = append(known, "--help")
	return usageErrorf("%sunknown flag %s%s; run %s --help for the flags", prefix, dashed(name), didYouMean(dashed(name), known), help)
}

// dashed spells a flag name as it is typed: -f, --file.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// unknownCommand is the usage error for a command stevedore does not have.
func unknownCommand(app *cli.App, name string) error {
	var known []string
	for _, c := range app.Commands {
		if !c.Hidden {
			known = append(known, c.Names()...)
		}
	}
	return usageErrorf("unknown command %q%s; run %s --help for the list", name, didYouMean(name, known), app.Name)
}

// unknownSubcommand is the usage error for a subcommand cmd does not have.
func unknownSubcommand(cmd *cli.Command, name string) error {
	var known []string
	for _, c := range cmd.Subcommands {
		if !c.Hidden {
			known = append(known, c.Names()...)
		}
	}
	return usageErrorf("unknown command %q for %s%s; run stevedore %s --help for the list", name, cmd.Name, didYouMean(name, known), cmd.Name)
}

// checkedHelp wraps the help command so `stevedore help NAME` for an
// unknown NAME is a usage error with a hint, as an unknown command is,
// rather than urfave/cli's bare "No help topic" with its own exit code.
func checkedHelp(app *cli.App) {
	for i, c := range app.Commands {
		if c.Name != "help" {
			continue
		}
		help := *c // the help command is shared by every app: change a copy
		action := help.Action
		help.Action = func(ctx *cli.Context) error {
			if n := ctx.Args().First(); n != "" && app.Command(n) == nil {
				return unknownCommand(app, n)
			}
			return action(ctx)
		}
		app.Commands[i] = &help
	}
}
