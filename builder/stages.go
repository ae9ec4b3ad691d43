package builder

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/sreevishnu07/stevedore/builder/dockerfile"
	"github.com/sreevishnu07/stevedore/builder/rootfs"
)

// stage is a stage being built or finished.
type stage struct {
	ps    *dockerfile.PlannedStage
	state *dockerfile.State
	fs    fsState
	key   string // cache key of the filesystem so far
	// root is the materialized filesystem ("" until a step needs it), made
	// under work, and applied how many of fs.layers it holds.
	root    string
	work    string
	applied int
	rebuilt bool // a step of this stage missed the cache
	done    chan struct{}
}

// ensureRoot brings the stage's materialized filesystem up to date with its
// layers, creating it on first use. Only steps that miss the cache need it,
// so a fully cached build extracts nothing.
func (s *stage) ensureRoot(ctx context.Context) (string, error) {
	if s.root == "" {
		dir, err := os.MkdirTemp(s.work, "rootfs-")
		if err != nil {
			return "", err
		}
		s.root, s.applied = dir, 0
	}
	for ; s.applied < len(s.fs.layers); s.applied++ {
		if _, err := rootfs.Apply(ctx, s.root, s.fs.layers[s.applied]); err != nil {
			return "", fmt.Errorf("materializing the root filesystem: %w", err)
		}
	}
	return s.root, nil
}

// discardRoot drops a materialized filesystem a step left half-changed: the
// next step that needs it rebuilds it from the layers.
func (s *stage) discardRoot() {
	os.RemoveAll(s.root)
	s.root, s.applied = "", 0
}

// appliedInPlace says the materialized filesystem already holds the layer
// just added (a step that ran in place changed it).
func (s *stage) appliedInPlace() { s.applied++ }

// stageSet holds a platform's stages, for the stage runner building them
// and for steps reading finished ones (COPY --from, RUN --mount=from).
type stageSet struct {
	// mu serializes materializing a finished stage: stages that read it in
	// parallel take turns.
	mu     sync.Mutex
	stages map[int]*stage
}

func newStageSet(g *dockerfile.Graph, work string) *stageSet {
	ss := &stageSet{stages: map[int]*stage{}}
	for _, ps := range g.Stages {
		ss.stages[ps.Index] = &stage{ps: ps, work: work, done: make(chan struct{})}
	}
	return ss
}

// get is stage i, finished or not.
func (ss *stageSet) get(i int) *stage { return ss.stages[i] }

// finished waits for stage i to finish.
func (ss *stageSet) finished(i int) (*stage, error) {
	other, ok := ss.stages[i]
	if !ok {
		return nil, fmt.Errorf("stage %d is not part of this build", i)
	}
	<-other.done
	return other, nil
}

// root waits for stage i and returns its materialized filesystem, for COPY
// --from and RUN --mount=from.
func (ss *stageSet) root(ctx context.Context, i int) (string, *stage, error) {
	other, err := ss.finished(i)
	if err != nil {
		return "", nil, err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	dir, err := other.ensureRoot(ctx)
	return dir, other, err
}
