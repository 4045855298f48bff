// sendq.go owns what a connection has to write: its bounded queue, the
// writer goroutine that flushes it (started when something is queued, gone
// when the queue is empty, so an idle connection holds no goroutine and no
// buffer for writing), the close frame, and batchConn, the socket under
// the websocket, which turns one flush into one system call (and hands the
// reader first what readwait_unix.go's waitReadable read early).

package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const (
	// writeWait is how long one flush may take.
	writeWait = 10 * time.Second
	// sendQueueSize and maxQueuedBytes bound what waits for a slow peer, in
	// queue slots (a committed batch of messages, or one presence event for
	// every room) and in bytes; past either, the peer is disconnected rather
	// than waited for.
	sendQueueSize  = 256
	maxQueuedBytes = 4 << 20
	// writerLinger is how long a writer with nothing to write waits for more
	// before it exits: a busy room keeps its writers, an idle connection
	// soon has none.
	writerLinger = 20 * time.Millisecond
	// closeGrace is how long the writer waits, after sending a close frame,
	// for the peer's answering close before dropping the TCP connection.
	// Closing at once would reset a peer that is still writing, and it would
	// never read why it was closed.
	closeGrace = time.Second
)

// sendQueue is a connection's outgoing queue. The hub (and only the hub)
// adds to it and closes it; the writer goroutine drains it.
type sendQueue struct {
	mu          sync.Mutex
	items       []frames  // nil when empty: an idle queue holds no memory
	bytes       int64     // queued and not yet written
	since       time.Time // when the oldest of items was queued
	writing     bool      // a writer goroutine is running
	closing     bool      // no more frames: the writer sends the close frame
	closeCode   int
	closeReason string
	waiting     bool          // the writer lingers, waiting on wake
	wake        chan struct{} // wakes the lingering writer; exists while a writer does
}

// enqueue adds f to c's queue and makes sure a writer runs, and returns the
// queue's depth; queued is when the hub began queueing it (the write stage
// is timed from then). It returns ok false when the queue is full (in
// slots or bytes): the hub then drops c. Called by the hub only.
func (c *conn) enqueue(f frames, queued time.Time) (depth int, ok bool) {
	n := f.size()
	c.q.mu.Lock()
	defer c.q.mu.Unlock()
	if c.q.closing {
		return 0, true // on its way out; nothing more to write
	}
	if len(c.q.items) >= sendQueueSize || c.q.bytes+n > maxQueuedBytes {
		return len(c.q.items), false
	}
	if len(c.q.items) == 0 {
		c.q.since = queued
	}
	c.q.items = append(c.q.items, f)
	c.q.bytes += n
	c.startWriterLocked()
	return len(c.q.items), true
}

// closeWith asks the writer to send a close frame with code and reason after
// what is queued, then close the socket. Called by the hub only.
func (c *conn) closeWith(code int, reason string) {
	c.q.mu.Lock()
	defer c.q.mu.Unlock()
	if c.q.closing {
		return
	}
	c.q.closing, c.q.closeCode, c.q.closeReason = true, code, reason
	select {
	case <-c.readDone:
		return // the reader has closed the socket
	default:
	}
	c.startWriterLocked()
}

// startWriterLocked wakes the writer, or starts one if none runs. c.q.mu
// must be held.
func (c *conn) startWriterLocked() {
	if c.q.writing {
		if c.q.waiting {
			select {
			case c.q.wake <- struct{}{}:
			default: // already woken
			}
		}
		return
	}
	c.q.wake = make(chan struct{}, 1)
	c.q.writing = true
	c.hub.pumps.Add(1)
	go c.write(true)
}

// write is the writer goroutine: at most one runs per connection. It sends
// everything queued in one flush, again and again; when the queue has been
// empty for writerLinger it returns. Or it sends the close frame and closes
// the socket.
//
// The handshake's goroutine runs it first, with linger false, to send the
// hello itself; the connection then starts with writing set, so the hub
// starts no other writer meanwhile.
func (c *conn) write(linger bool) {
	defer c.hub.pumps.Done()
	var lingerTimer *time.Timer
	lingered := !linger // the queue stayed empty for writerLinger
	for {
		c.q.mu.Lock()
		items, closing, since := c.q.items, c.q.closing, c.q.since
		c.q.items = nil
		if len(items) == 0 && !closing {
			if lingered {
				c.q.writing, c.q.wake = false, nil
				c.q.mu.Unlock()
				return
			}
			c.q.waiting = true
			wake := c.q.wake
			c.q.mu.Unlock()
			if lingerTimer == nil {
				lingerTimer = time.NewTimer(writerLinger)
			} else {
				lingerTimer.Reset(writerLinger)
			}
			select {
			case <-wake:
			case <-lingerTimer.C:
				lingered = true
			}
			c.q.mu.Lock()
			c.q.waiting = false
			c.q.mu.Unlock()
			continue
		}
		lingered = !linger || onlyPings(items)
		code, reason := c.q.closeCode, c.q.closeReason
		c.q.mu.Unlock()

		if len(items) > 0 {
			var n int64
			c.out.hold()
			for _, f := range items {
				for _, fr := range f {
					c.out.Write(fr) // whole pre-encoded frames, beside gorilla's pings and closes
				}
				n += f.size()
			}
			err := c.out.flush(time.Now().Add(writeWait))
			metricStageWrite.Update(time.Since(since).Seconds())
			c.q.mu.Lock()
			c.q.bytes -= n
			c.q.mu.Unlock()
			if err != nil {
				c.abandon()
				return
			}
		}
		if closing {
			select {
			case <-c.readDone:
				// The peer closed (gorilla echoed its close frame) or
				// vanished: there is no one to tell.
			default:
				c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeWait))
				// readPump sees the peer's answering close (gorilla's
				// default close handler echoes ours) and returns.
				select {
				case <-c.readDone:
				case <-time.After(closeGrace):
				}
			}
			c.ws.Close()
			return
		}
	}
}

// abandon gives up on a socket that cannot be written: readPump then fails
// and unregisters it. The writer stays marked as running, so none restarts.
func (c *conn) abandon() {
	c.q.mu.Lock()
	c.q.closing, c.q.items = true, nil
	c.q.mu.Unlock()
	c.ws.Close()
}

// pingFrame is an empty ping, pre-encoded like every other frame: the hub
// queues it for every connection every ping period, so no connection needs a
// timer of its own.
var pingFrame = frames{frame{0x89, 0x00}}

// onlyPings reports whether items are the hub's pings and nothing else. A
// writer started for a ping writes it and exits, rather than linger for
// more that an idle socket will not get: one timer less per socket and
// ping, on a machine that should sleep between them.
func onlyPings(items []frames) bool {
	for _, f := range items {
		if len(f) != 1 || !bytes.Equal(f[0], pingFrame[0]) {
			return false
		}
	}
	return len(items) > 0
}

// batchConn is the socket under a websocket.Conn. Between hold and flush
// it gathers writes into one buffer, so the writer sends many frames with
// one system call; otherwise writes go straight through. Control frames
// that gorilla writes from other goroutines (the close handler's echo, pong
// replies) wait behind a hold for its flush.
type batchConn struct {
	net.Conn
	mu      sync.Mutex
	holding bool
	buf     *[]byte // from batchBuffers while holding

	// What waitReadable read before the reader asked: the part of it not
	// yet handed out, or the error or end of stream it met. Used by the
	// reader goroutine only.
	early   *[]byte // from earlyBuffers while there is data in it
	unread  []byte
	readErr error
}

// earlyBuffers lends waitReadable a buffer only while data waits in it.
// 4 KiB holds a few typical frames and whatever a client sends at once.
var earlyBuffers = sync.Pool{New: func() any { b := make([]byte, 4<<10); return &b }}

// Read hands out first what waitReadable read early, then reads the socket.
func (b *batchConn) Read(p []byte) (int, error) {
	if b.early == nil {
		if b.readErr != nil {
			return 0, b.readErr
		}
		return b.Conn.Read(p)
	}
	n := copy(p, b.unread)
	b.unread = b.unread[n:]
	if len(b.unread) == 0 {
		earlyBuffers.Put(b.early)
		b.early, b.unread = nil, nil
	}
	return n, nil
}

// SetWriteDeadline is called by gorilla before each control frame. While
// holding, the frame only joins the buffer, and flush sets its own deadline.
func (b *batchConn) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.holding {
		return nil
	}
	return b.Conn.SetWriteDeadline(t)
}

// batchBuffers lends write buffers only while a batch is gathered, so an
// idle connection holds none.
var batchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.holding {
		*b.buf = append(*b.buf, p...)
		return len(p), nil
	}
	return b.Conn.Write(p)
}

// hold starts gathering writes; holding already, it keeps gathering.
func (b *batchConn) hold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.holding {
		b.holding = true
		b.buf = batchBuffers.Get().(*[]byte)
	}
}

// flush writes what was gathered since hold, in one write, by deadline.
func (b *batchConn) flush(deadline time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.holding = false
	b.Conn.SetWriteDeadline(deadline)
	_, err := b.Conn.Write(*b.buf)
	if cap(*b.buf) <= 1<<20 { // do not keep a giant burst's buffer around
		*b.buf = (*b.buf)[:0]
		batchBuffers.Put(b.buf)
	}
	b.buf = nil
	return err
}

// batchingWriter hands gorilla's Upgrade a batchConn instead of the raw
// hijacked connection, and a read buffer of ours over it, so the reader can
// tell when the buffer is empty and wait with waitReadable.
type batchingWriter struct {
	http.ResponseWriter
	conn   *batchConn
	reader *bufio.Reader // nil if the client sent data early (gorilla refuses it)
}

// readBufferSize is the connection's read buffer: more than 256 bytes, so
// gorilla takes the one offered with the hijacked connection (the Upgrader's
// ReadBufferSize is 0), and small, since an idle socket keeps it.
const readBufferSize = 272

func (w *batchingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response does not support hijacking")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Hold from the start: gorilla's 101 response then leaves in one write
	// with the hello frame, flushed by the connection's first writer.
	w.conn = &batchConn{Conn: nc}
	w.conn.hold()
	if brw.Reader.Buffered() == 0 { // else gorilla refuses the handshake
		w.reader = bufio.NewReaderSize(w.conn, readBufferSize)
		brw = bufio.NewReadWriter(w.reader, brw.Writer)
	}
	return w.conn, brw, nil
}
