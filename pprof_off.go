//go:build !pprof

// pprof_off.go stands in for pprof.go in builds without -tags pprof: no
// profiler, and -pprof says how to get one.

package main

import "net/http"

// pprofBuilt says whether this binary can serve -pprof.
const pprofBuilt = false

// pprofRoutes adds nothing: this build has no profiler.
func pprofRoutes(*http.ServeMux) {}
