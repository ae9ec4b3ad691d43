package publish

import (
	"path"
	"strings"

	"github.com/sreevishnu07/stevedore/ledger"
)

// Unrecorded is a destination Record left out of the ledger: the ledger
// already records an image of that name under another digest.
type Unrecorded struct {
	Destination Destination
	Name        string
	// Recorded is the digest the ledger keeps for Name.
	Recorded string
}

// Record adds what r published to l (see ledger.Ledger.Record), so that
// `stevedore pin --from` finds it: content a release recorded joins its
// image; other content becomes an image named for its first destination
// (the repository's last path element, or the layout directory's name),
// unless the ledger already has an image of that name, with another
// digest: those destinations are returned, not recorded.
func (r *Result) Record(l *ledger.Ledger) []Unrecorded {
	if len(r.Destinations) == 0 {
		return nil
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(r.Destinations[0].Ref, LayoutPrefix), "@")
	name := path.Base(strings.TrimSuffix(first, "/"))
	var out []Unrecorded
	for _, d := range r.Destinations {
		if other := l.Record(name, d.Digest, ledger.Destination{Ref: d.Ref, Tags: d.Tags}); other != "" {
			out = append(out, Unrecorded{Destination: d, Name: name, Recorded: other})
		}
	}
	return out
}
