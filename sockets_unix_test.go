// sockets_unix_test.go tests what Hearth does with its TCP sockets below
// net/http and gorilla: the listener's keep-alive setting and the reader's
// early read (readwait_unix.go), on real loopback connections.

//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// acceptedPair returns both ends of a fresh loopback connection through ln.
func acceptedPair(t *testing.T, ln net.Listener) (server, client net.Conn) {
	t.Helper()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func keepAliveOn(t *testing.T, c net.Conn) bool {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var on int
	var sockErr error
	if err := rc.Control(func(fd uintptr) {
		on, sockErr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	}); err != nil {
		t.Fatal(err)
	}
	if sockErr != nil {
		t.Fatal(sockErr)
	}
	return on != 0
}

// TestListenLeavesLivenessToHearth: Hearth's own pings and timeouts find
// dead peers, so its listener does not also ask the kernel for probes
// (which net.Listen does by default, as the second case checks).
func TestListenLeavesLivenessToHearth(t *testing.T) {
	ln, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if server, _ := acceptedPair(t, ln); keepAliveOn(t, server) {
		t.Error("a connection Hearth accepted has TCP keep-alive on")
	}
	std, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer std.Close()
	if server, _ := acceptedPair(t, std); !keepAliveOn(t, server) {
		t.Error("net.Listen's connection has keep-alive off: this test cannot tell the difference")
	}
}

// TestEarlyRead: what waitReadable reads while waking the reader comes out
// of Read first, whole and in order, through a reader smaller than it; the
// buffer goes back once handed out; the end of the stream, a reset and a
// passed deadline all reach the reader as errors.
func TestEarlyRead(t *testing.T) {
	ln, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	t.Run("data then end", func(t *testing.T) {
		server, client := acceptedPair(t, ln)
		b := &batchConn{Conn: server}
		r := bufio.NewReaderSize(b, readBufferSize)
		want := bytes.Repeat([]byte("0123456789abcdef"), 1024) // 16 KiB: more than one early buffer
		go func() {
			client.Write(want)
			client.Close()
		}()
		b.waitReadable()
		if b.early == nil || len(b.unread) == 0 {
			t.Fatal("waitReadable returned without reading what arrived")
		}
		got := make([]byte, len(want))
		for n := 0; n < len(want); {
			if r.Buffered() == 0 {
				b.waitReadable()
			}
			m, err := r.Read(got[n:])
			if err != nil {
				t.Fatalf("after %d bytes: %v", n, err)
			}
			n += m
		}
		if !bytes.Equal(got, want) {
			t.Fatal("the bytes read differ from those sent")
		}
		if b.early != nil {
			t.Error("the early buffer is still held after everything in it was read")
		}
		b.waitReadable()
		if _, err := r.ReadByte(); err != io.EOF {
			t.Errorf("after the peer closed: %v, want io.EOF", err)
		}
		if _, err := b.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("a second read after the end: %v, want io.EOF again", err)
		}
	})

	t.Run("reset", func(t *testing.T) {
		server, client := acceptedPair(t, ln)
		b := &batchConn{Conn: server}
		client.(*net.TCPConn).SetLinger(0) // close with a reset
		client.Close()
		b.waitReadable()
		_, err := b.Read(make([]byte, 16))
		var op *net.OpError
		if !errors.As(err, &op) || !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("after a reset: %v, want a *net.OpError wrapping ECONNRESET", err)
		}
	})

	t.Run("deadline", func(t *testing.T) {
		server, _ := acceptedPair(t, ln)
		b := &batchConn{Conn: server}
		server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		done := make(chan struct{})
		go func() { b.waitReadable(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("waitReadable did not return at the read deadline")
		}
		if _, err := b.Read(make([]byte, 16)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("after the deadline: %v, want os.ErrDeadlineExceeded", err)
		}
	})
}
