package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sreevishnu07/stevedore/publish"
)

func loginCommand(getenv env, stdin io.Reader) *cli.Command {
	return &cli.Command{
		Name:      "login",
		Usage:     "check and store credentials for a registry in docker's config.json",
		UsageText: "echo \"$TOKEN\" | stevedore login REGISTRY -u USER --password-stdin",
		Description: `Credentials are checked against the registry first, then stored where docker
stores them ($DOCKER_CONFIG or ~/.docker/config.json, through its credential
helper when one is configured), so docker, crane and cosign see them too.`,
		OnUsageError: commandUsage,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "username", Aliases: []string{"u"}, Usage: "user name"},
			&cli.BoolFlag{Name: "password-stdin", Usage: "read the password or token from standard input"},
			&cli.StringSliceFlag{Name: "insecure-registry", Usage: "allow plain HTTP to this `HOST[:PORT]`"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("login needs exactly one REGISTRY argument, e.g. stevedore login ghcr.io -u USER --password-stdin")
			}
			registry := c.Args().First()
			user := c.String("username")
			if user == "" {
				return usageErrorf("login needs --username")
			}
			if !c.Bool("password-stdin") {
				// Passwords on the command line end up in shell history and
				// process listings; there is deliberately no --password flag.
				return usageErrorf("login reads the secret from standard input: echo \"$TOKEN\" | stevedore login %s -u %s --password-stdin", registry, user)
			}
			data, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
			if err != nil {
				return fmt.Errorf("reading password from standard input: %w", err)
			}
			secret := strings.TrimRight(string(data), "\r\n")
			if secret == "" {
				return usageErrorf("login read an empty password from standard input")
			}
			err = publish.Login(c.Context, registry, user, secret, dockerConfigDir(getenv),
				publish.WithInsecureRegistries(c.StringSlice("insecure-registry")...))
			if errors.Is(err, publish.ErrDenied) {
				// The registry's own 401 text ("authentication required")
				// reads as if no credentials were sent: say what happened.
				return refusedLogin(fmt.Sprintf("logging in to %s: %s refused the username or password for %s: check them (a token also needs read and write scopes) and run stevedore login again", registry, registry, user))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.Writer, "Login succeeded: %s as %s\n", registry, user)
			return nil
		},
	}
}

// refusedLogin is a login the registry refused: exit code 3, as every
// refusal of credentials.
type refusedLogin string

func (e refusedLogin) Error() string { return string(e) }
func (e refusedLogin) Unwrap() error { return publish.ErrDenied }
