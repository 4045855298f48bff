// disk_unix.go reads free disk space where the system has statfs(2):
// Linux, macOS and FreeBSD. See disk.go for what is done with it.

//go:build linux || darwin || freebsd

package main

import (
	"fmt"
	"syscall"
)

// freeDiskSpace is the bytes available to an unprivileged process on the
// file system that holds dir (the blocks root's reserve leaves out: what
// a full disk means to us, since bbolt's writes fail there first for
// anyone but root, and root's reserve is no place for a chat to fill).
func freeDiskSpace(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
