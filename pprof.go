//go:build pprof

// pprof.go links net/http/pprof into builds made with -tags pprof (the load
// tool's, for profiling). Release builds leave it out: it is a developer's
// tool, and about 0.4 MB of every binary. The Host check and the loopback
// rule around it are in metrics.go, in every build.

package main

import (
	"net/http"
	"net/http/pprof"
)

// pprofBuilt says whether this binary can serve -pprof.
const pprofBuilt = true

// pprofRoutes adds the profiler's handlers to mux.
func pprofRoutes(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}
