// handoff.go is how a listener that sorts its connections, off the accept
// loop, hands them to an http.Server: the accept loop they share, and the
// queue the server's Accept takes from (tlsmux.go, handshakes.go).

package main

import (
	"errors"
	"net"
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
