// Package shell quotes words for the commands stevedore prints (verify
// commands in the ledger, the summary and the plan), so that they run as
// printed in a POSIX shell.
package shell

import "strings"

// Quote returns a as one POSIX shell word: as it is when it holds only a
// conservative safe set (letters, digits, @%+=:,./_-), else in single
// quotes. An allow-list, not a deny-list, so that a character nobody
// thought of (a newline, !, a non-ASCII letter) is quoted too.
func Quote(a string) string {
	if a != "" && strings.IndexFunc(a, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0 {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}
