package pipeline

import (
	"github.com/sreevishnu07/stevedore/internal/atomicfile"
	"github.com/sreevishnu07/stevedore/ledger"
)

// newLedger starts the release record (package ledger owns its schema,
// shared with publish and pin) from the plan.
func newLedger(p *Plan) *ledger.Ledger {
	return &ledger.Ledger{SchemaVersion: ledger.SchemaVersion, Version: p.Version, GitTag: p.GitTag, Commit: p.Commit, Snapshot: p.Snapshot, Dirty: p.Dirty}
}

func writeFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data, 0o600)
}
