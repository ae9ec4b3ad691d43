// Package suggest finds the known name closest to a mistyped one, for the
// "did you mean" hints of the configuration loader, the tag rules and the
// command line: one measure, so every hint agrees.
package suggest

// Nearest is the candidate closest to got by edit distance, or "" when none
// is within two edits: close enough to catch the usual typos (a dropped,
// doubled or swapped letter) without wild guesses.
func Nearest(got string, candidates []string) string {
	if got == "" {
		return ""
	}
	best, bestD := "", 3
	for _, c := range candidates {
		if d := Distance(got, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b, by byte.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
