package builder

// WithSSH makes SSH agents available to RUN --mount=type=ssh,id=ID (and to
// ADD from git@… URLs, which use "default"): id → the agent's unix socket.
// Default: none.
func WithSSH(idToSocket map[string]string) Option {
	return func(o *options) { o.sshAgents = idToSocket }
}
