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
// One way, top to bottom; each part is its own type and reaches only the
// parts below it:
//
//	Build (build.go)            options → store, context, shared caches; one
//	  │                         stageRunner per platform; --cache-to export
//	  ├─ planStages (stage.go)  dockerfile.Plan for the platform → Graph
//	  ├─ stageRunner (stage.go) walks the graph's levels, starts each stage
//	  │    │                    from scratch, a stage or an image, applies
//	  │    │                    each instruction to the stage's config and
//	  │    │                    hands layer steps down; assembles the target
//	  │    ├─ cachingExecutor (cachestep.go)  wraps step execution: the
//	  │    │    │                step key, local lookup, --cache-from fetch,
//	  │    │    │                record, and the layers --cache-to exports;
//	  │    │    │                explains every miss
//	  │    │    ├─ stepCache (cache.go)        the step cache on disk
//	  │    │    ├─ sharedCache (remotecache.go) --cache-from entries, used layers
//	  │    │    └─ executor (executor.go, run.go, copy.go, sshmount.go)
//	  │    │         prepares a step (what its key is made of) and makes its
//	  │    │         layer: RUN isolated, COPY/ADD, WORKDIR's directory
//	  │    │         ├─ stageSet (stages.go)  finished stages and their
//	  │    │         │                        materialized filesystems
//	  │    │         ├─ sources (sources.go, gitsource.go, gitcache.go,
//	  │    │         │           gitsubmodule.go, download.go)  images
//	  │    │         │           pulled and unpacked, named contexts, the
//	  │    │         │           build context, git repositories (through
//	  │    │         │           the git cache), ADD URLs
//	  │    │         └─ layerWriter (executor.go)  changes → a stored layer
//	  │    └─ assemble (image.go)  a stage's layers, history and config → image
//	  └─ recorder (progress.go)   warnings, bases, step reports and events,
//	                              shared by every part that reports
package builder
