// handshakes_test.go tests the handshake listener: a request is answered
// the same whichever door it comes through, a bad or slow one costs its own
// connection and nothing else, and shutdown waits for what it took in.

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// afterAnotherRequest dials the server and asks it for /healthz first, so
// that the handshake then sent on the same connection reaches the handler
// through net/http rather than through the handshake listener: a proxy
// that keeps its connections to Hearth open sends handshakes that way.
func afterAnotherRequest(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (net.Conn, error) { c.Close(); return nil, err }
	if _, err := fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr); err != nil {
		return fail(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fail(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close || br.Buffered() > 0 {
		return fail(fmt.Errorf("/healthz: %s, close %v, %d bytes more", resp.Status, resp.Close, br.Buffered()))
	}
	return c, nil
}

// doors are the two ways a handshake reaches the handler.
var doors = []struct {
	name string
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}{
	{"on a connection of its own", nil},
	{"after another request on its connection", afterAnotherRequest},
}

// Every request a handshake may be refused for gets the same answer from
// either door, and a good one is upgraded by both.
func TestHandshakeEitherDoor(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	valid := http.Header{"Cookie": {ann.cookieHeader()}, "Origin": {ts.URL}}
	for _, door := range doors {
		t.Run(door.name, func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				header http.Header
				want   int
			}{
				{"valid", valid, http.StatusSwitchingProtocols},
				{"no cookie", http.Header{"Origin": {ts.URL}}, http.StatusUnauthorized},
				{"cross-origin", http.Header{"Cookie": valid["Cookie"], "Origin": {"http://evil.example"}}, http.StatusForbidden},
				{"an unsupported version", http.Header{"Cookie": valid["Cookie"], "Origin": {ts.URL}, "Sec-WebSocket-Version": {"8"}}, http.StatusBadRequest},
			} {
				d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, NetDialContext: door.dial}
				ws, resp, err := d.Dial(ts.wsURL(), tc.header)
				if resp == nil {
					t.Fatalf("%s: no response: %v", tc.name, err)
				}
				if resp.StatusCode != tc.want {
					t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
				}
				if tc.want == http.StatusSwitchingProtocols {
					s := &socket{t: t, ws: ws}
					s.hello = s.expect(func(f wireFrame) bool { return f.Type == "hello" })
					s.say("general", "through a door", "c-"+tc.name)
					s.ack("c-" + tc.name)
					ws.Close()
					continue
				}
				if err == nil {
					ws.Close()
					t.Errorf("%s: upgraded although refused", tc.name)
				}
				// A refusal carries what every answer does.
				for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Content-Type"} {
					if resp.Header.Get(h) == "" {
						t.Errorf("%s: the %d has no %s", tc.name, resp.StatusCode, h)
					}
				}
			}
		})
	}
}

// A malformed handshake is refused as net/http refuses it, and costs only
// its own connection: a good handshake after each one still works.
func TestHandshakeMalformedRequests(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	host := "Host: " + ts.addr + "\r\n"
	upgrade := "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, tc := range []struct {
		name    string
		request string
		want    int
	}{
		{"a header line without a colon", "GET /ws HTTP/1.1\r\n" + host + "Not a header\r\n" + upgrade + "\r\n", http.StatusBadRequest},
		{"a header name with a space", "GET /ws HTTP/1.1\r\n" + host + "Bad Name: x\r\n" + upgrade + "\r\n", http.StatusBadRequest},
		{"a control byte in a value", "GET /ws HTTP/1.1\r\n" + host + "X-A: a\x01b\r\n" + upgrade + "\r\n", http.StatusBadRequest},
		{"no Host", "GET /ws HTTP/1.1\r\n" + upgrade + "\r\n", http.StatusBadRequest},
		{"two Hosts", "GET /ws HTTP/1.1\r\n" + host + host + upgrade + "\r\n", http.StatusBadRequest},
		{"a Host with a slash", "GET /ws HTTP/1.1\r\nHost: evil.example/x\r\n" + upgrade + "\r\n", http.StatusBadRequest},
		{"headers past the limit", "GET /ws HTTP/1.1\r\n" + host + "X-Big: " + strings.Repeat("a", 2*maxHandshakeHeader) + "\r\n" + upgrade + "\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"not an upgrade", "GET /ws HTTP/1.1\r\n" + host + "Cookie: " + ann.cookieHeader() + "\r\n\r\n", http.StatusBadRequest},
	} {
		for _, door := range doors {
			t.Run(tc.name+", "+door.name, func(t *testing.T) {
				dial := door.dial
				if dial == nil {
					dial = (&net.Dialer{}).DialContext
				}
				c, err := dial(t.Context(), "tcp", ts.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				// The reply may come before all is sent: write alongside.
				go io.WriteString(c, tc.request)
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatalf("no answer: %v", err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
				}
				s := ann.dial()
				s.say("general", "still here", "c-1")
				s.ack("c-1")
			})
		}
	}
}

// newHandshakeServer serves handler through a handshake listener on a real
// port, as newApp does, with headerTimeout for the request's head.
func newHandshakeServer(t *testing.T, handler http.Handler, headerTimeout time.Duration) (*handshakeListener, *http.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hl := newHandshakeListener(ln, handler, headerTimeout)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: headerTimeout, ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug)}
	served := make(chan struct{})
	go func() { srv.Serve(hl); close(served) }()
	t.Cleanup(func() {
		srv.Close()
		hl.Close()
		<-served
	})
	return hl, srv
}

// rawRequest sends request on a new connection to addr and returns the
// status of the answer, or the error that came instead.
func rawRequest(t *testing.T, addr, request string) (int, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

var teapot = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusTeapot)
	io.WriteString(w, r.URL.Path)
})

// A client that starts a request and stops is cut off at the header
// timeout, whichever door it is at, and holds up nobody meanwhile.
func TestHandshakeSlowClientsAreCutOff(t *testing.T) {
	const timeout = 300 * time.Millisecond
	hl, _ := newHandshakeServer(t, teapot, timeout)
	addr := hl.Addr().String()
	for _, start := range []string{"", "GET /w", "GET /ws HTTP/1.1\r\nHost: x\r\n", "GET /other HTTP/1.1\r\n"} {
		t.Run(fmt.Sprintf("%q", start), func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			began := time.Now()
			io.WriteString(c, start)
			// Meanwhile others are served, through either door.
			for _, path := range []string{"/ws", "/other"} {
				if status, err := rawRequest(t, addr, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); status != http.StatusTeapot {
					t.Errorf("GET %s while a client dawdles: %d, %v", path, status, err)
				}
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := io.Copy(io.Discard, c) // until the server closes it
			if waited := time.Since(began); err != nil || waited < timeout || waited > timeout+5*time.Second {
				t.Errorf("closed after %v (%v), want the header timeout (%v)", waited, err, timeout)
			}
			if n > 0 {
				t.Errorf("answered a request it never finished reading (%d bytes), as net/http does not", n)
			}
		})
	}
}

// A handler that panics loses its connection, not the server.
func TestHandshakePanicCostsOnlyItsConnection(t *testing.T) {
	var panics atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Panic") != "" {
			panics.Add(1)
			panic("a bug")
		}
		w.WriteHeader(http.StatusTeapot)
	})
	hl, _ := newHandshakeServer(t, h, time.Minute)
	addr := hl.Addr().String()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nX-Panic: 1\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := io.Copy(io.Discard, c); err != nil || n > 0 {
		t.Errorf("a panicking handler's connection: %d bytes, %v; want it closed at once", n, err)
	}
	if panics.Load() != 1 {
		t.Fatalf("the handler panicked %d times, want 1", panics.Load())
	}
	if status, err := rawRequest(t, addr, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n"); status != http.StatusTeapot {
		t.Errorf("after a panic: %d, %v", status, err)
	}
}

// Shutdown cuts short the requests still being read, and wait waits for a
// handshake in the hands of the handler, as http.Server.Shutdown does for
// its own requests.
func TestHandshakeListenerShutdown(t *testing.T) {
	release, entered := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		w.WriteHeader(http.StatusTeapot)
	})
	hl, srv := newHandshakeServer(t, h, time.Minute)
	addr := hl.Addr().String()

	dawdler, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer dawdler.Close()
	io.WriteString(dawdler, "GET /ws HTTP/1.1\r\n")

	answered := make(chan int, 1)
	go func() {
		status, _ := rawRequest(t, addr, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
		answered <- status
	}()
	<-entered

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if err := hl.wait(short); err == nil {
		t.Fatal("wait returned while a handshake was in the handler")
	}
	select {
	case status := <-answered:
		t.Fatalf("answered %d before the handler returned", status)
	default:
	}
	dawdler.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, dawdler); err != nil {
		t.Errorf("the dawdler's connection: %v, want closed", err)
	}
	close(release)
	if err := hl.wait(ctx); err != nil {
		t.Errorf("wait after the handler returned: %v", err)
	}
	if status := <-answered; status != http.StatusTeapot {
		t.Errorf("the handshake under way got %d", status)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("shutdown took %v with a one-minute header timeout", d)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still accepting after shutdown")
	}
}

// A passing accept error (out of file descriptors) reaches the
// http.Server, which waits and accepts again: the port keeps serving.
func TestHandshakeListenerSurvivesAcceptErrors(t *testing.T) {
	flaky := newFlakyListener(t, 3)
	hl := newHandshakeListener(flaky, teapot, time.Minute)
	var logged lockedBuffer
	srv := &http.Server{Handler: teapot, ErrorLog: log.New(&logged, "", 0)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(hl) }()
	for _, path := range []string{"/ws", "/other"} {
		if status, err := rawRequest(t, flaky.Addr().String(), "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); status != http.StatusTeapot {
			t.Errorf("GET %s after accept errors: %d, %v", path, status, err)
		}
	}
	if n := flaky.failures.Load(); n > 0 {
		t.Errorf("%d accept errors never happened", n)
	}
	srv.Close()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) { // and it has logged what it will
		t.Errorf("Serve: %v", err)
	}
	// Served, not swallowed: swallowed, a lasting one would spin.
	if got := strings.Count(logged.String(), "too many open files"); got != 3 {
		t.Errorf("the http.Server saw %d of the 3 accept errors; it logged:\n%s", got, logged.String())
	}
}

// lockedBuffer is a bytes.Buffer for a logger on another goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// flakyListener fails its first few Accepts with a temporary error.
type flakyListener struct {
	net.Listener
	failures atomic.Int32
}

// newFlakyListener listens on loopback and fails its first failures Accepts.
func newFlakyListener(t *testing.T, failures int32) *flakyListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &flakyListener{Listener: ln}
	l.failures.Store(failures)
	return l
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, temporaryError{}
	}
	return l.Listener.Accept()
}

type temporaryError struct{}

func (temporaryError) Error() string   { return "too many open files (a test's)" }
func (temporaryError) Timeout() bool   { return false }
func (temporaryError) Temporary() bool { return true }

// A connection accepted as the listener closes reads nothing: its request,
// however soon it comes, never reaches the handler, whose hub and store
// may be gone.
func TestHandshakeAfterCloseReachesNoHandler(t *testing.T) {
	var reached atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hl := newHandshakeListener(ln, h, time.Minute)
	hl.Close()
	server, client := net.Pipe()
	defer client.Close()
	hl.serving.Add(1) // as the accept loop does
	go hl.serve(server)
	go io.WriteString(client, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := io.Copy(io.Discard, client); err != nil || n > 0 {
		t.Errorf("after Close: %d bytes, %v; want the connection closed unanswered", n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hl.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if reached.Load() > 0 {
		t.Error("the handler ran after Close")
	}
}

// A refusal is not a reset: the server half-closes and keeps reading what
// the client is still sending (a body, say) for a while, as net/http does,
// so the client gets the whole answer, where closing a socket with bytes
// unread sends a reset that can destroy the answer in flight.
func TestHandshakeRefusalLingers(t *testing.T) {
	ts := newTestServer(t, nil)
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", ts.addr, 1<<20)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	if _, err := io.ReadAll(resp.Body); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("answer %d, %v; want a whole 401", resp.StatusCode, err)
	}
	if n, err := br.Read(make([]byte, 1)); n > 0 || err != io.EOF {
		t.Fatalf("after the answer: %d bytes, %v; want the server's end of the stream", n, err)
	}
	// The body, after the answer: the server still reads it.
	chunk := make([]byte, 16<<10)
	for i := range 16 {
		if _, err := c.Write(chunk); err != nil {
			t.Fatalf("write %d of the body after the refusal: %v; want it read, not reset", i, err)
		}
	}
}

// peekedConn hands out what was read ahead first, and the socket under it
// only once that is gone: waitReadable, given the descriptor while bytes
// wait in the buffer, would wait for data that already came.
func TestPeekedConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, server := tcpPair(t, ln)
	io.WriteString(client, "ahead")
	br := bufio.NewReader(server)
	if _, err := br.Peek(5); err != nil {
		t.Fatal(err)
	}
	pc := newPeekedConn(server, br)
	defer pc.Close()
	if _, err := pc.SyscallConn(); err == nil {
		t.Error("SyscallConn with bytes read ahead")
	}
	io.WriteString(client, " and on")
	got := make([]byte, 0, 16)
	for len(got) < len("ahead and on") {
		buf := make([]byte, 3)
		n, err := pc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "ahead and on" {
		t.Errorf("read %q", got)
	}
	if _, err := pc.SyscallConn(); err != nil {
		t.Errorf("SyscallConn once the bytes ahead are read: %v", err)
	}
	if err := pc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := io.Copy(io.Discard, client); err != nil || n > 0 {
		t.Errorf("after CloseWrite the peer read %d bytes, %v; want the end", n, err)
	}
}

// Connections one after another are served by the same goroutine, whose
// stack has grown already; it ends once none has come for workerLinger.
func TestHandshakeWorkersAreReusedThenEnd(t *testing.T) {
	hl, _ := newHandshakeServer(t, teapot, time.Minute)
	addr := hl.Addr().String()
	for i := range 30 {
		if status, err := rawRequest(t, addr, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n"); status != http.StatusTeapot {
			t.Fatalf("request %d: %d, %v", i, status, err)
		}
	}
	// A goroutine is reused only once it is back waiting, which a quick
	// next connection may beat: a few may serve, but never one each.
	if n := workers(); n < 1 || n > 10 {
		t.Errorf("%d goroutines served 30 connections one after another, want 1-10", n)
	}
	deadline := time.Now().Add(workerLinger + 10*time.Second)
	for workers() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d idle workers still there %v after the last connection", workers(), workerLinger+10*time.Second)
		}
		time.Sleep(20 * time.Millisecond) // polling, with the deadline above
	}
}

// workers counts the handshake listeners' goroutines waiting or serving.
func workers() int {
	n := 0
	for _, stack := range goroutines() {
		if strings.Contains(stack, "(*handshakeListener).work(") {
			n++
		}
	}
	return n
}

// tcpPair connects a client to ln and returns both ends, closed when t
// ends.
func tcpPair(t testing.TB, ln net.Listener) (client, server net.Conn) {
	t.Helper()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}
