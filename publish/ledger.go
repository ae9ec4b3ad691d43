package publish

import (
	"path"
	"strings"

	"github.com/sreevishnu07/stevedore/ledger"
)

// Record adds what r published to l (see ledger.Ledger.Record), so that
// `stevedore pin --from` finds it: content a release recorded joins its
// image; other content becomes an image named for its first destination
// (the repository's last path element, or the layout directory's name).
func (r *Result) Record(l *ledger.Ledger) {
	if len(r.Destinations) == 0 {
		return
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(r.Destinations[0].Ref, LayoutPrefix), "@")
	name := path.Base(strings.TrimSuffix(first, "/"))
	for _, d := range r.Destinations {
		l.Record(name, d.Digest, ledger.Destination{Ref: d.Ref, Tags: d.Tags})
	}
}
