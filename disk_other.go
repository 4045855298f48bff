// disk_other.go is for platforms where Hearth has no free-space call: the
// free space is unknown there, and nothing is refused for lack of it.

//go:build !linux && !darwin && !freebsd && !windows

package main

// freeDiskSpace always fails with errNoFreeSpaceCall.
func freeDiskSpace(dir string) (int64, error) { return 0, errNoFreeSpaceCall }
