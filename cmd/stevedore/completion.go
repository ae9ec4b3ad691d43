package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// Shell completion. The scripts are thin: they hand the words typed so far
// back to stevedore with a marker as the last argument, and stevedore
// answers from its own command and flag definitions, so completion never
// goes stale against the binary the user runs.
const (
	// completeNames asks for candidates, one per line (bash). The name is
	// urfave/cli's, so scripts written for it keep working.
	completeNames = "--generate-bash-completion"
	// completeDescribed asks for "candidate<TAB>description" lines (zsh, fish).
	completeDescribed = "--generate-shell-completion"
)

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		UsageText: "stevedore completion bash|zsh|fish",
		Description: `Load it in the current shell, or install it once:

  bash:  source <(stevedore completion bash)
         stevedore completion bash > /etc/bash_completion.d/stevedore
  zsh:   stevedore completion zsh > "${fpath[1]}/_stevedore"   (then restart zsh)
  fish:  stevedore completion fish > ~/.config/fish/completions/stevedore.fish`,
		OnUsageError: commandUsage,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("completion needs one shell: bash, zsh or fish")
			}
			script, ok := completionScripts[c.Args().First()]
			if !ok {
				return usageErrorf("completion %q: want bash, zsh or fish%s", c.Args().First(), didYouMean(c.Args().First(), shells))
			}
			_, err := io.WriteString(c.App.Writer, script)
			return err
		},
	}
}

var shells = []string{"bash", "zsh", "fish"}

// completing reports whether args ask for completions rather than a run.
func completing(args []string) bool {
	if len(args) < 2 {
		return false
	}
	last := args[len(args)-1]
	return last == completeNames || last == completeDescribed
}

// complete prints the candidates for the word being typed. args is the
// whole command line: the program, the words before the cursor, the
// current word when it starts with "-", then the marker.
func complete(app *cli.App, args []string, w io.Writer) {
	describe := args[len(args)-1] == completeDescribed
	words := args[1 : len(args)-1]
	cur := ""
	if n := len(words); n > 0 && strings.HasPrefix(words[n-1], "-") {
		cur, words = words[n-1], words[:n-1]
	}
	for _, c := range candidates(app, words, cur) {
		if describe && c.usage != "" {
			fmt.Fprintf(w, "%s\t%s\n", c.name, oneLine(c.usage))
		} else {
			fmt.Fprintln(w, c.name)
		}
	}
}

type candidate struct{ name, usage string }

func candidates(app *cli.App, words []string, cur string) []candidate {
	var cmd *cli.Command
	var positional []string
	for _, w := range words {
		if strings.HasPrefix(w, "-") {
			continue
		}
		if cmd == nil {
			if cmd = app.Command(w); cmd == nil {
				return nil // an unknown command: nothing sensible to offer
			}
			continue
		}
		if sub := subcommand(cmd, w); sub != nil && len(positional) == 0 {
			cmd = sub // cache du, cache prune
			continue
		}
		positional = append(positional, w)
	}
	if cur != "" {
		flags := app.Flags
		if cmd != nil {
			flags = cmd.Flags
		}
		return flagCandidates(flags, cur)
	}
	var out []candidate
	switch {
	case cmd == nil || (cmd.Name == "help" && len(positional) == 0):
		for _, c := range app.Commands {
			if !c.Hidden {
				out = append(out, candidate{c.Name, c.Usage})
			}
		}
	case len(cmd.Subcommands) > 0 && len(positional) == 0:
		for _, c := range cmd.Subcommands {
			if !c.Hidden {
				out = append(out, candidate{c.Name, c.Usage})
			}
		}
	case cmd.Name == "completion" && len(positional) == 0:
		for _, s := range shells {
			out = append(out, candidate{s, s + " completion script"})
		}
	}
	// Otherwise the word is an argument (a directory, a reference): the
	// scripts fall back to the shell's file completion on no candidates.
	return out
}

func subcommand(cmd *cli.Command, name string) *cli.Command {
	for _, c := range cmd.Subcommands {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// flagCandidates lists the visible spellings of flags that start with cur:
// long names for "--", short ones too for a single "-".
func flagCandidates(flags []cli.Flag, cur string) []candidate {
	var out []candidate
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		usage := ""
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage = d.GetUsage()
		}
		for _, n := range f.Names() {
			spelled := "--" + n
			if len(n) == 1 {
				if strings.HasPrefix(cur, "--") {
					continue
				}
				spelled = "-" + n
			}
			if strings.HasPrefix(spelled, cur) {
				out = append(out, candidate{spelled, usage})
			}
		}
	}
	return out
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.ReplaceAll(s, "`", "")
}

var completionScripts = map[string]string{
	"bash": `# bash completion for stevedore: source <(stevedore completion bash)
_stevedore() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local -a words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	[[ ${words[0]} == "~/"* ]] && words[0]=$HOME/${words[0]#"~/"}
	local opts
	if [[ $cur == -* ]]; then
		opts=$("${words[@]}" "$cur" ` + completeNames + ` 2>/dev/null)
	else
		opts=$("${words[@]}" ` + completeNames + ` 2>/dev/null)
	fi
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o bashdefault -o default -F _stevedore stevedore
`,
	"zsh": `#compdef stevedore
# zsh completion for stevedore: stevedore completion zsh > "${fpath[1]}/_stevedore"
_stevedore() {
	local -a opts
	local cur=${words[CURRENT]}
	if [[ $cur == -* ]]; then
		opts=("${(@f)$(${words[1,CURRENT-1]} $cur ` + completeDescribed + ` 2>/dev/null)}")
	else
		opts=("${(@f)$(${words[1,CURRENT-1]} ` + completeDescribed + ` 2>/dev/null)}")
	fi
	opts=("${(@)opts//$'\t'/:}")
	if [[ -n ${opts[1]} ]]; then
		_describe 'stevedore' opts
	else
		_files
	fi
}
if [[ ${funcstack[1]} == _stevedore ]]; then
	_stevedore "$@"
else
	compdef _stevedore stevedore
fi
`,
	"fish": `# fish completion for stevedore: stevedore completion fish > ~/.config/fish/completions/stevedore.fish
function __stevedore_complete
	set -l tokens (commandline -opc)
	set -l cur (commandline -ct)
	if string match -q -- '-*' $cur
		$tokens $cur ` + completeDescribed + ` 2>/dev/null
	else
		$tokens ` + completeDescribed + ` 2>/dev/null
	end
end
# No candidates (an argument such as a directory): fish completes files.
complete -c stevedore -f -n '__stevedore_complete | string length -q' -a '(__stevedore_complete)'
`,
}
