// handshakes.go serves the WebSocket handshakes of a plain HTTP port itself,
// on connections that begin with one, and hands every other connection to
// net/http untouched.

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// handshakeLine is how a socket's handshake begins. A browser opens every
// WebSocket on a connection of its own, so a connection that begins with it
// carries that one request and then the socket's frames.
var handshakeLine = []byte("GET /ws HTTP/1.1\r\n")

// maxHandshakeHeader bounds a handshake's request line and headers, as
// net/http's default MaxHeaderBytes does (with its slack).
const maxHandshakeHeader = http.DefaultMaxHeaderBytes + 4096

// handshakeListener is the listener the http.Server accepts from. It reads
// the start of each new connection, off the accept loop. A connection that
// begins a handshake has that request parsed by http.ReadRequest and
// handed to handler (the same one the http.Server has) on a ResponseWriter
// that can be hijacked, which is all an upgrade needs; any other is handed
// to the http.Server with what was read put back.
//
// The handler sees the same request either way, and a handshake that comes
// on a connection that served other requests first still works, through
// net/http. What this saves is what net/http does for a request whose
// connection is about to be taken from it: a connection's state, contexts
// and buffers (8 KiB the hijack never gives back), and a goroutine started
// to watch the client go away that the hijack must then stop. It is about
// a tenth of the server's work per handshake (see the README's figures).
type handshakeListener struct {
	net.Listener
	handler       http.Handler
	headerTimeout time.Duration // for the request line and headers

	toHTTP *handoff      // what is not a handshake, for the http.Server
	idle   chan net.Conn // to a goroutine waiting for one to serve (work)
	done   chan struct{} // closed by Close
	once   sync.Once

	serving sync.WaitGroup // every connection being read or answered here
	mu      sync.Mutex
	reading map[net.Conn]struct{} // those still reading their request
}

// newHandshakeListener serves the handshakes of ln's connections with
// handler, allowing each headerTimeout for its request line and headers,
// and hands the rest on; serve it with an http.Server whose Handler is
// handler too.
func newHandshakeListener(ln net.Listener, handler http.Handler, headerTimeout time.Duration) *handshakeListener {
	l := &handshakeListener{
		Listener:      ln,
		handler:       handler,
		headerTimeout: headerTimeout,
		idle:          make(chan net.Conn),
		done:          make(chan struct{}),
		reading:       make(map[net.Conn]struct{}),
	}
	l.toHTTP = newHandoff(l.done)
	l.serving.Add(1) // the accept loop's own: Add never follows a Wait at zero
	go func() {
		defer l.serving.Done()
		acceptLoop(l.Listener, l.toHTTP, l.dispatch)
	}()
	return l
}

// dispatch gives c to a goroutine waiting for one, or to a new one.
func (l *handshakeListener) dispatch(c net.Conn) {
	l.serving.Add(1)
	select {
	case l.idle <- c:
	default:
		go l.work(c)
	}
}

// workerLinger is how long a goroutine that has served a connection waits
// for the next. A new goroutine starts with a small stack, and parsing a
// request outgrows it: every handshake on a fresh one paid for a copy of
// its stack (2.4% of the server's CPU under the connect load). One that
// served before has the room already.
const workerLinger = 2 * time.Second

// work serves c, then whatever connection the accept loop hands it next,
// until none comes for workerLinger or the listener closes.
func (l *handshakeListener) work(c net.Conn) {
	t := time.NewTimer(workerLinger)
	defer t.Stop()
	for {
		l.serve(c)
		t.Reset(workerLinger)
		select {
		case c = <-l.idle:
		case <-t.C:
			return
		case <-l.done:
			return
		}
	}
}

// Accept hands the http.Server the connections that are not handshakes.
func (l *handshakeListener) Accept() (net.Conn, error) { return l.toHTTP.Accept() }

// Close stops accepting, and cuts short the reading of requests under way:
// http.Server.Shutdown calls it, and then waits for what it serves itself,
// so wait must follow.
func (l *handshakeListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.mu.Lock()
		for c := range l.reading {
			c.SetReadDeadline(time.Now())
		}
		l.mu.Unlock()
	})
	return l.Listener.Close()
}

// wait waits until every handshake taken in has been answered or upgraded,
// as http.Server.Shutdown does for its requests, or until ctx is done, when
// it returns ctx's error.
func (l *handshakeListener) wait(ctx context.Context) error {
	served := make(chan struct{})
	go func() { l.serving.Wait(); close(served) }()
	select {
	case <-served:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serve reads the start of c, and serves its handshake or hands it on.
func (l *handshakeListener) serve(c net.Conn) {
	defer l.serving.Done()
	c.SetReadDeadline(time.Now().Add(l.headerTimeout))
	l.startReading(c) // after the deadline above, which Close may cut short
	br := handshakeReaders.Get().(*bufio.Reader)
	limit := &io.LimitedReader{R: c, N: maxHandshakeHeader}
	br.Reset(limit)
	var w *handshakeResponse // the handler's, if it comes to that
	defer func() {
		if w != nil && w.br == nil {
			return // the hijacker kept it
		}
		br.Reset(nil)
		handshakeReaders.Put(br)
	}()
	yes, err := startsHandshake(br)
	if err != nil {
		l.stopReading(c)
		c.Close() // it went away, or did not say what it wants in time
		return
	}
	if !yes {
		l.stopReading(c)
		c.SetReadDeadline(time.Time{}) // net/http sets its own
		l.toHTTP.give(newPeekedConn(c, br))
		return
	}
	req, status := readHandshake(br, limit)
	l.stopReading(c)
	switch {
	case req == nil && status == 0: // it went away, or took too long
		c.Close()
		return
	case req == nil:
		refusal := &handshakeResponse{conn: c, header: http.Header{}}
		http.Error(refusal, http.StatusText(status), status)
		refusal.finish()
		return
	}
	select {
	case <-l.done: // shutting down: the hub may be gone, as net/http would not start it
		c.Close()
		return
	default:
	}
	c.SetReadDeadline(time.Time{})
	// Its context is Background, where net/http's would end when the
	// handler returns: nothing on a socket's way in reads it.
	req.RemoteAddr = c.RemoteAddr().String()
	w = &handshakeResponse{conn: c, br: br, header: make(http.Header, 8)}
	defer func() {
		// As net/http does: a handler that panics loses its connection,
		// not the server.
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				slog.Error("panic serving a WebSocket handshake", "remote", req.RemoteAddr, "panic", v, "stack", string(debug.Stack()))
			}
			if !w.hijacked {
				c.Close()
			}
		}
	}()
	l.handler.ServeHTTP(w, req)
	if !w.hijacked {
		w.finish()
	}
}

func (l *handshakeListener) startReading(c net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reading[c] = struct{}{}
	select {
	case <-l.done: // Close has been and gone: read nothing
		c.SetReadDeadline(time.Now())
	default:
	}
}

func (l *handshakeListener) stopReading(c net.Conn) {
	l.mu.Lock()
	delete(l.reading, c)
	l.mu.Unlock()
}

// handshakeReaders hold a request while it is read. Requests are a few
// hundred bytes; a longer one is read on through the same buffer.
var handshakeReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1024) }}

// startsHandshake reports whether br begins with handshakeLine, reading no
// more than it must to tell: a request for anything else is handed on as
// soon as its first bytes differ, however slowly the rest comes.
func startsHandshake(br *bufio.Reader) (bool, error) {
	for n := 1; ; n = br.Buffered() + 1 {
		got, err := br.Peek(min(n, len(handshakeLine)))
		if !bytes.HasPrefix(handshakeLine, got) {
			return false, nil
		}
		if len(got) == len(handshakeLine) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// readHandshake reads the request that br begins, held to what net/http's
// server would accept, or returns the status net/http would refuse it with:
// none (0) for a client that went away or ran out of time.
func readHandshake(br *bufio.Reader, limit *io.LimitedReader) (*http.Request, int) {
	req, err := http.ReadRequest(br)
	var ne net.Error
	switch {
	case err != nil && limit.N <= 0:
		return nil, http.StatusRequestHeaderFieldsTooLarge
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne):
		return nil, 0
	case err != nil:
		return nil, http.StatusBadRequest
	}
	// What http.Server checks beyond parsing (net/http's readRequest;
	// ReadRequest has refused a second Host, and values with control
	// bytes, already), a little stricter: a Host, and a well-formed one.
	if req.Host == "" || !validHost(req.Host) {
		return nil, http.StatusBadRequest
	}
	for name := range req.Header {
		if !validHeaderName(name) {
			return nil, http.StatusBadRequest
		}
	}
	return req, 0
}

// validHost and validHeaderName are net/http's tests of a Host header and
// of a header's name (httpguts.ValidHostHeader and ValidHeaderFieldName,
// which net/http has but does not export): a Host holds only the bytes of a
// name, an IP literal with its zone, and a port; a name is an RFC 7230
// token.
func validHost(h string) bool { return onlyBytesOf(h, "!$%&'()*+,-.:;=[]_~") }

func validHeaderName(name string) bool {
	return name != "" && onlyBytesOf(name, "!#$%&'*+-.^_`|~")
}

// onlyBytesOf reports whether s holds only ASCII letters, digits and the
// bytes of also.
func onlyBytesOf(s, also string) bool {
	for _, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte(also, c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// handshakeResponse is the ResponseWriter of a handshake served by a
// handshakeListener. An upgrade hijacks it. Any other answer (401, 403,
// gorilla's 400) is held until the handler returns, then sent whole, and the
// connection closed: a browser does not use a WebSocket's connection again.
type handshakeResponse struct {
	conn     net.Conn
	br       *bufio.Reader
	header   http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (w *handshakeResponse) Header() http.Header { return w.header }

func (w *handshakeResponse) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *handshakeResponse) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

func (w *handshakeResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.hijacked = true
	w.conn.SetDeadline(time.Time{})
	// The request's reader goes back to its pool when the handler returns:
	// it is handed on only with the bytes it holds, which gorilla refuses
	// (the client spoke before the 101), so nothing keeps it. Otherwise
	// the hijacker gets a reader of its own: handleWS puts a buffer of its
	// own over the connection.
	br := w.br
	if br.Buffered() == 0 {
		br = bufio.NewReaderSize(w.conn, 16)
	} else {
		w.br = nil // not back to the pool
	}
	// gorilla writes its 101 in this writer's buffer; later frames go
	// through a buffer of its own (the Upgrader's WriteBufferPool).
	return w.conn, bufio.NewReadWriter(br, bufio.NewWriterSize(w.conn, 256)), nil
}

// finish sends what the handler wrote and closes the connection.
func (w *handshakeResponse) finish() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if _, ok := w.header["Date"]; !ok {
		w.header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	resp := &http.Response{
		StatusCode:    w.status,
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(&w.body),
		ContentLength: int64(w.body.Len()),
		Close:         true,
	}
	var b bytes.Buffer
	resp.Write(&b) // to a buffer: one write, under a deadline
	w.conn.SetWriteDeadline(time.Now().Add(writeWait))
	w.conn.Write(b.Bytes())
	closeLingering(w.conn)
}

// closeLingering closes c once the client has read what was written, as
// net/http does after a refusal: closing a socket with the client's bytes
// unread (a body, a request too large) resets the connection, and the
// client may lose the answer with it. It stops reading after lingerFor or
// lingerBytes.
func closeLingering(c net.Conn) {
	defer c.Close()
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	c.SetReadDeadline(time.Now().Add(lingerFor))
	io.CopyN(io.Discard, c, lingerBytes)
}

const (
	lingerFor   = 500 * time.Millisecond // net/http's rstAvoidanceDelay
	lingerBytes = 256 << 10              // net/http's maxPostHandlerReadBytes
)
