package main

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"
)

// renamedFlags are the old spellings each command still accepts, by the
// current flag they now mean. One word per concept across commands:
// --destination is where an image goes (it was --to, --output), --tag a
// literal tag and --tag-rule a metadata-action rule (it was --tags, one
// letter away from --tag). The old spellings are hidden flags: they stay
// out of help, completion and the CLI reference, and print a notice.
var renamedFlags = map[string]map[string]string{
	"build":   {"output": "destination", "o": "destination", "to": "destination"},
	"publish": {"to": "destination"},
	"merge":   {"to": "destination"},
	"release": {"tags": "tag-rule"},
	"plan":    {"tags": "tag-rule", "tags-file": "tag-rules-file"},
	"version": {"tags": "tag-rule", "tags-file": "tag-rules-file"},
}

// acceptRenamedFlags adds each command's old spellings as hidden flags
// whose values go to the current flag before the command runs.
func acceptRenamedFlags(cmds []*cli.Command) {
	for _, cmd := range cmds {
		renames := renamedFlags[cmd.Name]
		if len(renames) == 0 {
			continue
		}
		olds := make([]string, 0, len(renames))
		for old := range renames {
			olds = append(olds, old)
		}
		slices.Sort(olds) // notices in a stable order
		for _, old := range olds {
			cmd.Flags = append(cmd.Flags, hiddenLike(flagNamed(cmd.Flags, renames[old]), old))
		}
		before := cmd.Before
		cmd.Before = func(c *cli.Context) error {
			for _, old := range olds {
				if err := moveRenamed(c, old, renames[old]); err != nil {
					return err
				}
			}
			if before != nil {
				return before(c)
			}
			return nil
		}
	}
}

// moveRenamed gives the values of the old spelling to the current flag.
func moveRenamed(c *cli.Context, old, current string) error {
	if !c.IsSet(old) {
		return nil
	}
	if c.IsSet(current) {
		return usageErrorf("%s and %s are the same flag (%s is its old spelling); keep %s", dashed(old), dashed(current), dashed(old), dashed(current))
	}
	fmt.Fprintf(c.App.ErrWriter, "stevedore: %s is deprecated and will be removed; use %s\n", dashed(old), dashed(current))
	values := c.StringSlice(old)
	if len(values) == 0 {
		values = []string{c.String(old)}
	}
	for _, v := range values {
		if err := c.Set(current, v); err != nil {
			return usageErrorf("%s: %v", dashed(current), err)
		}
	}
	return nil
}

func flagNamed(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	panic("renamedFlags names a flag the command does not have: " + name)
}

// hiddenLike is a hidden flag called name taking the same kind of value.
func hiddenLike(f cli.Flag, name string) cli.Flag {
	switch f.(type) {
	case *cli.StringSliceFlag:
		return &cli.StringSliceFlag{Name: name, Hidden: true}
	case *cli.StringFlag:
		return &cli.StringFlag{Name: name, Hidden: true}
	}
	panic(fmt.Sprintf("renamedFlags: flag %s is a %T, not a string flag", f.Names()[0], f))
}
