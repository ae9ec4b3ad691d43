// Package profile is a stand-in for github.com/pkg/profile with the API
// syft's CLI framework (anchore/clio) compiles against for syft's
// `--profile` flag. stevedore never runs syft's CLI, so release builds
// replace the profiler (and fgprof and pprof's profile parser beneath it,
// about 1 ms of every start-up) with this package, whose Start profiles
// nothing.
package profile

// Profile is a profiling session's settings.
type Profile struct{ mode int }

// The profile kinds clio names; each only records its choice.
func CPUProfile(p *Profile)            { p.mode = 1 }
func MemProfile(p *Profile)            { p.mode = 2 }
func MemProfileHeap(p *Profile)        { p.mode = 3 }
func MemProfileAllocs(p *Profile)      { p.mode = 4 }
func MutexProfile(p *Profile)          { p.mode = 5 }
func BlockProfile(p *Profile)          { p.mode = 6 }
func TraceProfile(p *Profile)          { p.mode = 7 }
func ThreadcreationProfile(p *Profile) { p.mode = 8 }
func GoroutineProfile(p *Profile)      { p.mode = 9 }
func ClockProfile(p *Profile)          { p.mode = 10 }

// Stop ends the session.
func (*Profile) Stop() {}

// Start returns a session that profiles nothing.
func Start(options ...func(*Profile)) interface{ Stop() } {
	p := &Profile{}
	for _, o := range options {
		o(p)
	}
	return p
}
