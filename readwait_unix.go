// readwait_unix.go lets an idle connection's reader wait for data with a
// shallow stack: blocked inside gorilla's frame reader, a goroutine keeps a
// stack twice the size, and an idle socket pays for it.

//go:build unix

package main

import (
	"errors"
	"syscall"
)

// waitReadable returns when the socket has data to read, has failed, or has
// passed its read deadline; the read that follows finds out which. On a
// socket that is not a plain TCP one it returns at once.
func (b *batchConn) waitReadable() {
	sc, ok := b.Conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	rc.Read(func(fd uintptr) bool {
		// Peek without taking anything: EAGAIN means nothing yet, so wait.
		_, _, err := syscall.Recvfrom(int(fd), b.peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return !errors.Is(err, syscall.EAGAIN)
	})
}
