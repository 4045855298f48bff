// disk_windows.go reads free disk space on Windows, through kernel32's
// GetDiskFreeSpaceExW (no cgo). See disk.go for what is done with it.

package main

import (
	"fmt"
	"syscall"
	"unsafe"
)

var procGetDiskFreeSpaceExW = syscall.NewLazyDLL("kernel32.dll").NewProc("GetDiskFreeSpaceExW")

// freeDiskSpace is the bytes available to this process's user on the
// volume that holds dir (quotas included).
func freeDiskSpace(dir string) (int64, error) {
	p, err := syscall.UTF16PtrFromString(dir)
	if err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	var avail, total, free uint64
	r, _, callErr := procGetDiskFreeSpaceExW.Call(uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&avail)), uintptr(unsafe.Pointer(&total)), uintptr(unsafe.Pointer(&free)))
	if r == 0 {
		return 0, fmt.Errorf("free space of %s: %w", dir, callErr)
	}
	return int64(avail), nil
}
