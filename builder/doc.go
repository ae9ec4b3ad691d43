// Package builder turns a Dockerfile and a build context into OCI images with
// no daemon: stages run in dependency order (independent ones in parallel),
// RUN steps run in Linux namespaces on an overlay of the stage's root
// filesystem, and every step's layer is cached by what it depends on, with a
// reason given whenever the cache misses. Images are reproducible: the same
// inputs and build epoch give the same digest on any machine.
//
// Its sub-packages hold the parts: dockerfile (parsing, stage graph, config
// and history), buildcontext (COPY sources), layer (deterministic layers),
// rootfs (materializing layers), isolate (running commands) and store
// (content-addressed blobs and base images).
//
// # How a build flows
//
// One way, top to bottom: each part is its own type and reaches only the
// parts below it (an arrow is "calls"), never one above.
//
//	Build (build.go)               options → store, context, checks, caches;
//	 │                             then --cache-to export
//	 └─ buildEnv.buildPlatform     wires the parts below, per platform
//	     ├─ planStages (stage.go)  dockerfile.Plan for the platform → Graph
//	     └─ stageRunner (stage.go) walks the graph's levels (a level's stages
//	         │                     in parallel), starts each stage from
//	         │                     scratch, a stage or an image, applies each
//	         │                     instruction to the stage's config, hands
//	         │                     layer steps down, assembles the target
//	         ├─ cachingExecutor (cachestep.go)  wraps step execution: step
//	         │   │                 key, lookup, --cache-from fetch, record,
//	         │   │                 the layers --cache-to exports, why a
//	         │   │                 step missed
//	         │   ├─ stepCache (cache.go)          the step cache on disk
//	         │   ├─ sharedCache (remotecache.go)  --cache-from entries,
//	         │   │                                layers used
//	         │   └─ stepExecutor: executor (executor.go, run.go, copy.go,
//	         │       │             sshmount.go) prepares a step (what its
//	         │       │             key is made of) and makes its layer: RUN
//	         │       │             isolated, COPY/ADD, WORKDIR's directory
//	         │       └─ layerWriter (executor.go)  changes → stored layer
//	         ├─ stageSet, stage (stages.go)  the platform's stages; finished
//	         │                     ones' materialized filesystems, which
//	         │                     COPY --from and RUN --mount=from read
//	         ├─ sources (sources.go, gitsource.go, gitcache.go,
//	         │           gitsubmodule.go, download.go)  the build context,
//	         │           named contexts, images (pulled once, unpacked
//	         │           once), git repositories through the git cache, ADD
//	         │           URLs; it knows nothing of stages
//	         └─ assemble (image.go)  a stage's layers, history and config
//	                               → image
//
// The executor reads stageSet and sources too; the stage runner alone
// writes a stage's config, layers and cache key. recorder (progress.go)
// takes the warnings, bases and step events of every part into the Result.
package builder
