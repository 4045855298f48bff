// readwait_unix.go lets an idle connection's reader wait for data with a
// shallow stack: blocked inside gorilla's frame reader, a goroutine keeps a
// stack twice the size, and an idle socket pays for it.

//go:build unix

package main

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// waitReadable returns when the socket has data to read, has failed, or has
// passed its read deadline. What has arrived it reads at once, into a
// buffer lent for as long as the data waits there, and Read hands that out
// first: the wake-up and the data cost one system call, where peeking at
// the socket and reading it after took two, and an idle socket holds no
// buffer. The end of the stream or a failure it keeps for Read to return.
// On a socket that is not a plain TCP one it returns at once.
func (b *batchConn) waitReadable() {
	if b.early != nil || b.readErr != nil {
		return
	}
	sc, ok := b.Conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	rc.Read(func(fd uintptr) bool {
		buf := earlyBuffers.Get().(*[]byte)
		n, err := syscall.Read(int(fd), *buf)
		for errors.Is(err, syscall.EINTR) {
			n, err = syscall.Read(int(fd), *buf)
		}
		if n > 0 {
			b.early, b.unread = buf, (*buf)[:n]
			return true
		}
		earlyBuffers.Put(buf)
		switch {
		case errors.Is(err, syscall.EAGAIN):
			return false // nothing yet, so wait
		case err != nil:
			b.readErr = &net.OpError{Op: "read", Net: "tcp", Source: b.LocalAddr(), Addr: b.RemoteAddr(), Err: os.NewSyscallError("read", err)}
		default:
			b.readErr = io.EOF // the peer closed its side
		}
		return true
	})
}
