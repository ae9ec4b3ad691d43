package builder

import "github.com/sreevishnu07/stevedore/builder/store"

// HoldCache leases the cache directory dir until release is called, as
// every Build does for its own run: a command that reads the layers a
// build returned after Build (writing an output, pushing, SBOM, signing)
// holds it for the whole command, so `stevedore cache prune` running
// meanwhile keeps those layers.
func HoldCache(dir string) (release func(), err error) {
	l, err := store.Acquire(dir)
	if err != nil {
		return nil, err
	}
	return l.Release, nil
}
