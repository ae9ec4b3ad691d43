package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// versionCommand prints the tool's build info, as `docker version`,
// `cosign version` and `syft version` do. Release planning moved to
// `stevedore plan`; version with planning flags still plans, with a notice,
// so existing scripts keep working until they are updated.
func versionCommand(getenv env) *cli.Command {
	plan := planAction(getenv)
	return &cli.Command{
		Name:  "version",
		Usage: "print stevedore's version, commit, build date, Go and library versions",
		Description: `Prints the build info of this binary; --json prints one JSON object.
Release planning is "stevedore plan"; the planning flags still work here for
now (deprecated: they print a notice on stderr and run "stevedore plan").`,
		OnUsageError: commandUsage,
		Flags:        hidePlanFlags(planFlags()),
		Action: func(c *cli.Context) error {
			if planning(c) {
				fmt.Fprintln(c.App.ErrWriter, `stevedore: "stevedore version" with planning flags is deprecated; use "stevedore plan" with the same flags`)
				return plan(c)
			}
			if c.NArg() > 0 {
				return usageErrorf("version takes no arguments (got %q); release planning is stevedore plan", c.Args().First())
			}
			info := buildInfo()
			if c.Bool("json") {
				return writeJSON(c.App.Writer, info)
			}
			writeBuildInfo(c.App.Writer, info)
			return nil
		},
	}
}

// planning reports whether any flag other than --json was given: only
// plan knows those.
func planning(c *cli.Context) bool {
	for _, n := range c.FlagNames() {
		if n != "json" && c.IsSet(n) {
			return true
		}
	}
	return false
}

// hidePlanFlags keeps the deprecated planning flags out of version's help
// and the CLI reference; --json stays visible.
func hidePlanFlags(flags []cli.Flag) []cli.Flag {
	for _, f := range flags {
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Hidden = true
		case *cli.BoolFlag:
			f.Hidden = f.Name != "json"
		case *cli.StringSliceFlag:
			f.Hidden = true
		}
	}
	return flags
}
