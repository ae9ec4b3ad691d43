package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// env looks up an environment variable. Commands receive it instead of
// calling os.Getenv so tests run without touching the process environment.
type env func(string) string

// run executes one invocation and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv env) int {
	app := newApp(stdin, stdout, stderr, getenv)
	if completing(args) {
		complete(app, args, stdout)
		return exitOK
	}
	err := app.RunContext(ctx, flagsFirst(app, args))
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	fmt.Fprintf(stderr, "stevedore: %s\n", errorText(err))
	return code
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv env) *cli.App {
	app := &cli.App{
		Name:      "stevedore",
		Usage:     "take a commit to a signed, published, verifiable container release",
		Version:   buildInfo().Version,
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are printed and mapped to exit codes by run, in one place.
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: false,
		// Tag rules are comma-separated key=value lists (metadata-action
		// syntax): repeatable flags must not be split on commas.
		DisableSliceFlagSeparator: true,
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return flagUsageError(c.App, nil, err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return unknownCommand(c.App, c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			versionCommand(getenv),
			planCommand(getenv),
			buildCommand(getenv),
			releaseCommand(getenv),
			publishCommand(getenv),
			loginCommand(getenv, stdin),
			sbomCommand(getenv),
			signCommand(getenv),
			attestCommand(getenv),
			verifyCommand(getenv),
			keygenCommand(getenv),
			pinCommand(getenv),
			mergeCommand(getenv),
			cacheCommand(getenv, stdin),
			completionCommand(),
			docsCommand(),
		},
	}
	acceptRenamedFlags(app.Commands)
	app.Setup() // adds the help command, which checkedHelp wraps
	checkedHelp(app)
	return app
}

// usageError marks errors in what the user typed (flags, arguments), as
// opposed to failures of the work itself.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// commandUsage wraps a command's own OnUsageError so flag errors name the
// command and map to the usage exit code.
func commandUsage(c *cli.Context, err error, _ bool) error {
	return flagUsageError(c.App, c.Command, err)
}

// errorText keeps error output on one line per cause, so CI logs and
// annotations show the whole message.
func errorText(err error) string {
	return strings.TrimSpace(err.Error())
}
