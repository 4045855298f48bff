// handoff.go is how a listener that sorts its connections, off the accept
// loop, hands them to an http.Server: the accept loop they share, the
// queue the server's Accept takes from, and the connection that gives back
// what was read to sort it (tlsmux.go, handshakes.go).

package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"syscall"
)

// handoff carries connections to an http.Server's Accept, and the accept
// loop's errors with them.
type handoff struct {
	conns chan net.Conn
	errc  chan error
	done  <-chan struct{} // closed when the listener closes
}

func newHandoff(done <-chan struct{}) *handoff {
	return &handoff{conns: make(chan net.Conn), errc: make(chan error), done: done}
}

// Accept returns the next connection handed over, or the accept loop's
// next error.
func (h *handoff) Accept() (net.Conn, error) {
	select {
	case c := <-h.conns:
		return c, nil
	case err := <-h.errc:
		return nil, err
	case <-h.done:
		return nil, net.ErrClosed
	}
}

// give hands c over, or closes it if the listener closes first.
func (h *handoff) give(c net.Conn) {
	select {
	case h.conns <- c:
	case <-h.done:
		c.Close()
	}
}

// acceptLoop accepts from ln until it is closed, giving each connection to
// each, which must not wait. An error goes to errs' Accept: the
// http.Server waits a moment and accepts again after a passing one (out of
// file descriptors, say), so the loop goes on after it too; stopping at
// the first would leave the port deaf until restart.
func acceptLoop(ln net.Listener, errs *handoff, each func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case errs.errc <- err:
			case <-errs.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		each(c)
	}
}

// peekedConn reads first the bytes read ahead to tell what a connection
// is, then the connection itself. What net/http and a socket's reader look
// for in a TCP connection it passes on: CloseWrite, for a lingering close,
// and, once the bytes read ahead are gone, SyscallConn, for waitReadable.
type peekedConn struct {
	net.Conn
	ahead []byte
}

// newPeekedConn is c, with the bytes br holds to be read first.
func newPeekedConn(c net.Conn, br *bufio.Reader) *peekedConn {
	ahead, _ := br.Peek(br.Buffered())
	return &peekedConn{Conn: c, ahead: bytes.Clone(ahead)}
}

func (c *peekedConn) Read(p []byte) (int, error) {
	if len(c.ahead) == 0 {
		return c.Conn.Read(p)
	}
	n := copy(p, c.ahead)
	if c.ahead = c.ahead[n:]; len(c.ahead) == 0 {
		c.ahead = nil
	}
	return n, nil
}

func (c *peekedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (c *peekedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok || c.ahead != nil {
		return nil, errors.ErrUnsupported // its data would be read around
	}
	return sc.SyscallConn()
}
