package dockerfile

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/util/system"
)

// RunOp is a RUN, ready to execute: everything is expanded and resolved.
type RunOp struct {
	// Args is the argv: exec form as written, shell form wrapped in SHELL
	// (or /bin/sh -c).
	Args []string
	// Env is the environment: ENV and ARGs in scope.
	Env []string
	// ProxyEnv holds the proxy build args (HTTP_PROXY, ...): set for the
	// command but, as in docker, kept out of the image and its history.
	ProxyEnv []string
	// Dir and User are the working directory and user to run as.
	Dir  string
	User string
	// Mounts are the --mount flags in order.
	Mounts []Mount
	// Network is "default", "none" or "host".
	Network string
	// Security is "sandbox" or "insecure".
	Security string
	// Files are heredoc scripts to mount read-only: a single heredoc that
	// starts with #! is written to /dev/pipes/NAME (mode 0755) and Args
	// runs it, as BuildKit does.
	Files []InlineFile
}

// Mount is one RUN --mount.
type Mount struct {
	Type     string // bind, cache, tmpfs, secret, ssh
	Target   string
	Source   string
	From     string  // as written; "" means the build context (bind) or empty (cache)
	FromRef  *Source // what From resolves to; nil when From is ""
	ReadOnly bool
	// Cache mounts.
	CacheID string
	Sharing string // shared, private, locked
	// Secret and ssh mounts.
	Required bool
	Env      string // secret exposed as this environment variable
	// Ownership and mode; nil means the default for the mount type.
	Mode *uint64
	UID  *uint64
	GID  *uint64
	// SizeLimit is tmpfs size= in bytes, 0 for unlimited.
	SizeLimit int64
}

// CopyOp is a COPY or ADD, expanded.
type CopyOp struct {
	Add bool // ADD (URLs, archives unpacked) rather than COPY
	// From is --from as written ("" means the build context); FromRef says
	// what it is: a stage, a named context or an image.
	From    string
	FromRef *Source
	// Sources are the paths (or URLs, for ADD) relative to the source.
	Sources []string
	// Inline are heredoc sources (COPY <<EOF dest).
	Inline []InlineFile
	// Dest is the destination made absolute against the working directory;
	// a trailing slash, when written, is kept (it means "into a directory").
	Dest    string
	Chown   string
	Chmod   string
	Link    bool
	Parents bool
	Exclude []string
	// ADD only.
	Checksum   string
	KeepGitDir *bool
	Unpack     *bool
}

// InlineFile is a heredoc body.
type InlineFile struct {
	Name string // the file name (COPY) or heredoc word (RUN)
	Data string
	Mode uint32
}

func (s *State) applyRun(c *instructions.RunCommand) (Step, error) {
	args := c.CmdLine
	op := &RunOp{Dir: system.ToSlash(s.Config.WorkingDir, s.Platform.OS), User: s.Config.User}
	if len(c.Files) > 0 {
		if len(args) != 1 || !c.PrependShell {
			return Step{}, fmt.Errorf("parsing produced an invalid run command: %v", args)
		}
		if hd := parser.MustParseHeredoc(args[0]); hd != nil {
			// The command is only the heredoc: run its body.
			data := c.Files[0].Data
			if c.Files[0].Chomp {
				data = parser.ChompHeredocContent(data)
			}
			if s.Platform.OS != "windows" && strings.HasPrefix(data, "#!") {
				op.Files = append(op.Files, InlineFile{Name: c.Files[0].Name, Data: data, Mode: 0o755})
				args = []string{path.Join("/dev/pipes", c.Files[0].Name)}
			} else {
				args = []string{data}
			}
		} else {
			// A command with heredocs in it: give the shell the whole text.
			var b strings.Builder
			b.WriteString(args[0])
			for _, f := range c.Files {
				b.WriteByte('\n')
				b.WriteString(f.Data)
				b.WriteString(f.Name)
			}
			args = []string{b.String()}
		}
	}
	if c.PrependShell {
		args = s.withShell(args)
	}
	op.Args = args
	op.Env = s.Env()
	op.ProxyEnv = s.proxyEnv()
	for _, m := range instructions.GetMounts(c) {
		mm := Mount{
			Type: string(m.Type), Target: m.Target, Source: m.Source, From: m.From, ReadOnly: m.ReadOnly,
			CacheID: m.CacheID, Sharing: string(m.CacheSharing), Required: m.Required,
			Mode: m.Mode, UID: m.UID, GID: m.GID, SizeLimit: m.SizeLimit,
		}
		if m.Env != nil {
			mm.Env = *m.Env
		}
		if m.From != "" {
			src := s.g.resolveFrom(m.From)
			mm.FromRef = &src
		}
		op.Mounts = append(op.Mounts, mm)
	}
	op.Network = instructions.GetNetwork(c)
	if op.Network == "" {
		op.Network = instructions.NetworkDefault
	}
	op.Security = instructions.GetSecurity(c)
	if op.Security == "" {
		op.Security = instructions.SecuritySandbox
	}
	step := history("RUN "+runCommandString(args, s.args, s.env)+" # buildkit", true)
	step.Run = op
	return step, nil
}

// runCommandString is BuildKit's RUN history text: "|N K=V ..." for the N
// ARGs in scope (each once, latest value), then the argv joined by spaces.
func runCommandString(args []string, declared []instructions.KeyValuePairOptional, env envList) string {
	var kvs []string
	idx := map[string]int{}
	for _, a := range declared {
		v, ok := env.Get(a.Key)
		if !ok {
			v = a.ValueString()
		}
		if i, ok := idx[a.Key]; ok {
			kvs[i] = a.Key + "=" + v
			continue
		}
		idx[a.Key] = len(kvs)
		kvs = append(kvs, a.Key+"="+v)
	}
	if len(kvs) > 0 {
		kvs = append([]string{"|" + strconv.Itoa(len(kvs))}, kvs...)
	}
	return strings.Join(append(kvs, args...), " ")
}

func (s *State) proxyEnv() []string {
	var out []string
	for _, k := range proxyArgs {
		if v, ok := s.g.buildArgs[k]; ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

func (s *State) applyCopy(c *instructions.CopyCommand) (Step, error) {
	for _, src := range c.SourcePaths {
		switch {
		case isGitRef(src):
			return Step{}, fmt.Errorf("source can't be a git ref for COPY: use ADD %s", src)
		case strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"):
			return Step{}, fmt.Errorf("source can't be a URL for COPY: use ADD %s", src)
		}
	}
	op := &CopyOp{
		From: c.From, Sources: slices.Clone(c.SourcePaths), Chown: c.Chown, Chmod: c.Chmod,
		Link: c.Link, Parents: c.Parents, Exclude: slices.Clone(c.ExcludePatterns),
	}
	if c.From != "" {
		src := s.g.resolveFrom(c.From)
		op.FromRef = &src
	}
	return s.finishCopy(op, c.SourcesAndDest)
}

// isGitRef reports whether an ADD source names a git repository, with
// BuildKit's rules.
func isGitRef(src string) bool {
	ref, isGit, err := dfgitutil.ParseGitRef(src)
	return err == nil && isGit && !ref.IndistinguishableFromLocal
}

func (s *State) applyAdd(c *instructions.AddCommand) (Step, error) {
	// As BuildKit: a checksum pins a download or a commit, so a local
	// source with one is a mistake, not something to ignore.
	if c.Checksum != "" {
		if len(c.SourcePaths) != 1 {
			return Step{}, fmt.Errorf("checksum can't be specified for multiple sources: ADD each pinned source on its own line")
		}
		src := c.SourcePaths[0]
		if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") && !isGitRef(src) {
			return Step{}, fmt.Errorf("--checksum requires HTTP(S) or Git sources, not %q: drop --checksum, or ADD the file from its URL", src)
		}
	}
	// A git source's URL is checked here, where its line is known, as
	// BuildKit's frontend does (a bad query, conflicting refs).
	for _, src := range c.SourcePaths {
		if ref, isGit, err := dfgitutil.ParseGitRef(src); isGit && err != nil {
			return Step{}, fmt.Errorf("parsing the git source %s: %w", src, err)
		} else if err == nil && ref.KeepGitDir != nil && c.KeepGitDir != nil && *ref.KeepGitDir != *c.KeepGitDir {
			return Step{}, fmt.Errorf("inconsistent keep-git-dir configuration: --keep-git-dir=%v but the URL says keep-git-dir=%v", *c.KeepGitDir, *ref.KeepGitDir)
		}
	}
	op := &CopyOp{
		Add: true, Sources: slices.Clone(c.SourcePaths), Chown: c.Chown, Chmod: c.Chmod,
		Link: c.Link, Exclude: slices.Clone(c.ExcludePatterns), Checksum: c.Checksum,
		KeepGitDir: c.KeepGitDir, Unpack: c.Unpack,
	}
	return s.finishCopy(op, c.SourcesAndDest)
}

// finishCopy resolves the destination and writes BuildKit's history text:
// "COPY|ADD [--parents] [--chown=X] [--chmod=Y] SRC... [<<NAME...] DEST".
func (s *State) finishCopy(op *CopyOp, sd instructions.SourcesAndDest) (Step, error) {
	for _, sc := range sd.SourceContents {
		op.Inline = append(op.Inline, InlineFile{Name: sc.Path, Data: sc.Data, Mode: 0o644})
	}
	dest, err := copyDest(s.Config.WorkingDir, sd.DestPath, s.Platform.OS)
	if err != nil {
		return Step{}, err
	}
	op.Dest = dest
	msg := "COPY"
	if op.Add {
		msg = "ADD"
	}
	if op.Parents {
		msg += " --parents"
	}
	if op.Chown != "" {
		msg += " --chown=" + op.Chown
	}
	if op.Chmod != "" {
		msg += " --chmod=" + op.Chmod
	}
	for _, src := range sd.SourcePaths {
		msg += " " + src
	}
	for _, sc := range sd.SourceContents {
		msg += " <<" + sc.Path
	}
	msg += " " + sd.DestPath
	step := history(msg+" # buildkit", true)
	step.Copy = op
	return step, nil
}
