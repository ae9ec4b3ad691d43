// Package dockerfile is the front end of `stevedore build`: it turns a
// Dockerfile into stages, a stage graph for one target, and, instruction by
// instruction, the image config and history that `docker build` (BuildKit)
// would write, plus plain descriptions of the filesystem operations (RUN,
// COPY, ADD) that an executor carries out.
//
// Parsing is BuildKit's own (frontend/dockerfile/parser and instructions), so
// line continuations, the escape and syntax directives, heredocs, JSON and
// shell forms and variable expansion behave exactly as in docker. The
// semantics on top (stage resolution, ARG scoping, config and history) follow
// BuildKit's dockerfile2llb; where they differ from an older docker engine the
// tests say so.
//
// The flow is:
//
//	df, err := dockerfile.Parse(r, "Dockerfile")
//	g, err := df.Plan(dockerfile.PlanOptions{Target: "app", BuildArgs: args})
//	for _, level := range g.Levels { // stages in one level may run in parallel
//		for _, i := range level {
//			ps := g.Stage(i)
//			// ps.Base says what to start from: scratch (nil config), an
//			// image or named context (its config), or a stage:
//			st, err := g.NewState(i, baseConfig) // or g.NewStateFromStage(i, parentState)
//			for _, in := range append(st.Triggers, ps.Instructions...) {
//				step, err := st.Apply(in) // updates st.Config
//				// append step.History (if any); run step.Run / step.Copy /
//				// step.Mkdir, which make a layer
//			}
//		}
//	}
//
// Nothing here does I/O beyond reading the Dockerfile, and no BuildKit type
// crosses the package boundary: the boundary types are go-containerregistry's
// v1.Config, v1.History and v1.Platform and the plain structs declared here.
package dockerfile
