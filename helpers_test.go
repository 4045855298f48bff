// helpers_test.go holds the test helpers shared by every test file: a store
// in a temp dir, a real server on a loopback port that can be restarted on
// the same file and address (or on in-memory pipes, for tests inside a
// testing/synctest bubble), cookie-carrying HTTP clients and WebSocket
// dials, connections with no socket for tests of the hub alone, and the
// built binary for tests that run it as a person would.

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"
)

// TestMain owns binDir, where hearthBinary builds the binary, and removes
// it (and the benchmarks' big database, if one was built) after the tests.
func TestMain(m *testing.M) {
	bcryptCost = bcrypt.MinCost // hashing speed is not under test
	if os.Getenv("HEARTH_TEST_LOG") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	dir, err := os.MkdirTemp("", "hearth-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test binary dir:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(binDir)
	if bigDBPath != "" {
		os.RemoveAll(filepath.Dir(bigDBPath))
	}
	os.Exit(code)
}

// newTestStore opens a store in a fresh temp dir, closed at cleanup.
func newTestStore(t testing.TB) *store {
	t.Helper()
	st, err := openStore(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("openStore: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// testServer is a real Hearth server on a loopback port.
type testServer struct {
	t      testing.TB
	cfg    config
	addr   string // host:port, kept across restarts
	app    *app
	URL    string // http://host:port
	output bytes.Buffer
	// onPipes, set by newPipeServer, has the server listen on pipes (a new
	// listener at each start) instead of a TCP port.
	onPipes bool
	pipes   *pipeListener
	// wrapAppender, when set before start, replaces the committer's store.
	wrapAppender func(*store) messageAppender
}

// testConfig is the default config on a temp database, with limits that do
// not get in the way of tests that are not about them.
func testConfig(t testing.TB) config {
	cfg := defaultConfig()
	cfg.DBPath = filepath.Join(t.TempDir(), "hearth.db")
	cfg.Addr = "127.0.0.1:0"
	cfg.PresenceGrace = 0 // "left" at once, unless a test is about the grace
	cfg.MDNS = false      // tests do not announce themselves on the LAN
	// A test machine's small or busy temp disk must not pause uploads or
	// refuse messages, unless a test is about the disk (disk_test.go).
	cfg.DiskLow, cfg.DiskFloor = 1, 0
	return cfg
}

// newTestServer starts a server with cfg (testConfig when nil), stopped at
// cleanup.
func newTestServer(t testing.TB, edit func(*config)) *testServer {
	t.Helper()
	cfg := testConfig(t)
	if edit != nil {
		edit(&cfg)
	}
	ts := &testServer{t: t, cfg: cfg, addr: cfg.Addr}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

// newPipeServer is newTestServer listening on in-memory pipes instead of a
// TCP port, for tests inside a synctest bubble: there time is fake and only
// moves while every goroutine in the bubble waits on the bubble's own
// channels and timers, which a net.Pipe's reader does and a TCP socket's
// does not. Its clients, sockets and helpers work as over TCP, but every
// client address is "pipe". Call it inside synctest.Test.
func newPipeServer(t *testing.T, edit func(*config)) *testServer {
	t.Helper()
	cfg := testConfig(t)
	if edit != nil {
		edit(&cfg)
	}
	ts := &testServer{t: t, cfg: cfg, onPipes: true}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start() {
	ts.t.Helper()
	var ln net.Listener
	if ts.onPipes {
		ts.pipes = newPipeListener()
		ln = ts.pipes
		ts.URL = "http://hearth.test"
	} else {
		tcp, err := listen(ts.addr)
		if err != nil {
			ts.t.Fatalf("listen %s: %v", ts.addr, err)
		}
		ln = tcp
		ts.addr = ln.Addr().String()
		ts.URL = "http://" + ts.addr
	}
	st, err := openStore(ts.cfg.DBPath)
	if err != nil {
		ln.Close()
		ts.t.Fatalf("openStore: %v", err)
	}
	var appender messageAppender = st
	if ts.wrapAppender != nil {
		appender = ts.wrapAppender(st)
	}
	a, err := newApp(ts.cfg, st, appender, ln, &ts.output)
	if err != nil {
		st.Close()
		ln.Close()
		ts.t.Fatalf("newApp: %v", err)
	}
	ts.app = a
}

func (ts *testServer) stop() {
	if ts.app == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.app.shutdown(ctx); err != nil {
		ts.t.Errorf("shutdown: %v", err)
	}
	ts.app = nil
}

// restart stops the server, closing its database, and starts a new one on
// the same file and address.
func (ts *testServer) restart() {
	ts.t.Helper()
	ts.stop()
	ts.start()
}

func (ts *testServer) store() *store { return ts.app.st }

// addUser creates an account directly in the store.
func (ts *testServer) addUser(name, password string, admin bool) {
	ts.t.Helper()
	u, err := newUser(name, password, admin)
	if err != nil {
		ts.t.Fatalf("newUser(%q): %v", name, err)
	}
	if err := ts.store().createUser(u); err != nil {
		ts.t.Fatalf("createUser(%q): %v", name, err)
	}
}

// client is a browser stand-in: an HTTP client with its own cookie jar.
type client struct {
	t    testing.TB
	ts   *testServer
	http *http.Client
	jar  *cookiejar.Jar
}

func (ts *testServer) newClient() *client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if ts.onPipes {
		hc.Transport = &http.Transport{DialContext: ts.dialPipe}
	}
	return &client{t: ts.t, ts: ts, jar: jar, http: hc}
}

// loggedIn returns a client logged in as a new user called name.
func (ts *testServer) loggedIn(name string) *client {
	ts.t.Helper()
	ts.addUser(name, "password-"+name, false)
	c := ts.newClient()
	if status, body := c.do("POST", "/api/login", map[string]string{"username": name, "password": "password-" + name}, nil); status != http.StatusOK {
		ts.t.Fatalf("login %s: status %d: %s", name, status, body)
	}
	return c
}

// do sends a request with an optional JSON body and decodes a JSON answer
// into out (when not nil). It returns the status and the raw body.
func (c *client) do(method, path string, in, out any) (int, string) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			c.t.Fatal(err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.ts.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}

// cookieHeader is the Cookie header the client would send.
func (c *client) cookieHeader() string {
	u, _ := url.Parse(c.ts.URL)
	var parts []string
	for _, ck := range c.jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

// wsURL is the server's socket address.
func (ts *testServer) wsURL() string { return "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws" }

// dialWS opens /ws with header (cookie, origin), returning the refusal's
// response on failure.
func dialWS(ts *testServer, header http.Header) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	if ts.onPipes {
		d.NetDialContext = ts.dialPipe
	}
	return d.Dial(ts.wsURL(), header)
}

// dialPipe connects to a newPipeServer, whatever the address.
func (ts *testServer) dialPipe(ctx context.Context, _, _ string) (net.Conn, error) {
	return ts.pipes.dial(ctx)
}

// pipeListener is an in-memory net.Listener: dial hands Accept one end of
// a net.Pipe and returns the other. Made inside a synctest bubble, its
// channels and pipes are the bubble's, so goroutines waiting on them are
// durably blocked and the fake clock can move.
type pipeListener struct {
	conns     chan net.Conn
	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, errors.New("pipe listener closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// socket is a test WebSocket connection.
type socket struct {
	t     testing.TB
	ws    *websocket.Conn
	hello wireFrame // the server's first frame
}

// dial opens the client's socket and waits for the server's hello, so the
// connection is registered when it returns.
func (c *client) dial() *socket {
	c.t.Helper()
	h := http.Header{"Cookie": {c.cookieHeader()}, "Origin": {c.ts.URL}}
	ws, resp, err := dialWS(c.ts, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.t.Fatalf("dial /ws: %v (status %d)", err, status)
	}
	s := &socket{t: c.t, ws: ws}
	c.t.Cleanup(func() { ws.Close() })
	s.hello = s.expect(func(f wireFrame) bool { return f.Type == "hello" })
	return s
}

// wireFrame is any server frame, decoded loosely.
type wireFrame struct {
	Type      string              `json:"type"`
	Room      string              `json:"room"`
	ID        uint64              `json:"id"`
	User      string              `json:"user"`
	Body      string              `json:"body"`
	TS        time.Time           `json:"ts"`
	ClientID  string              `json:"client_id"`
	Event     string              `json:"event"`
	Online    []string            `json:"online"`
	Code      string              `json:"code"`
	Message   string              `json:"message"`
	Rooms     []string            `json:"rooms"`
	Rev       uint64              `json:"rev"`
	Edited    time.Time           `json:"edited"`
	Deleted   bool                `json:"deleted"`
	Reactions map[string][]string `json:"reactions"`
	Mentions  []string            `json:"mentions"`
	From      string              `json:"from"`   // room_renamed: the old name
	Admin     bool                `json:"admin"`  // hello
	Notice    *wireFrame          `json:"notice"` // hello, for admins: the current notice
	Kind      string              `json:"kind"`   // notice
	Level     string              `json:"level"`  // notice
	ReplyTo   uint64              `json:"reply_to"`
	Reply     *replyPreview       `json:"reply"`
}

func (s *socket) send(v any) {
	s.t.Helper()
	s.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := s.ws.WriteJSON(v); err != nil {
		s.t.Fatalf("write frame: %v", err)
	}
}

func (s *socket) say(room, body, clientID string) {
	s.t.Helper()
	s.send(map[string]string{"type": "send", "room": room, "body": body, "client_id": clientID})
}

// next reads one frame, failing the test after 5 s.
func (s *socket) next() (wireFrame, error) {
	s.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f wireFrame
	_, data, err := s.ws.ReadMessage()
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		s.t.Fatalf("server sent invalid JSON %q: %v", data, err)
	}
	return f, nil
}

// expect reads frames until one satisfies match, failing after 5 s without
// one; frames before it are skipped.
func (s *socket) expect(match func(wireFrame) bool) wireFrame {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		f, err := s.next()
		if err != nil {
			s.t.Fatalf("waiting for a frame: %v", err)
		}
		if match(f) {
			return f
		}
	}
	s.t.Fatal("no matching frame within 5s")
	return wireFrame{}
}

// ack waits for the acknowledgement of clientID.
func (s *socket) ack(clientID string) wireFrame {
	s.t.Helper()
	return s.expect(func(f wireFrame) bool {
		if f.Type == "error" && f.ClientID == clientID {
			s.t.Fatalf("send %s refused: %s %s", clientID, f.Code, f.Message)
		}
		return f.Type == "message" && f.ClientID == clientID
	})
}

// closed waits until the server closes the socket and returns its close
// code, skipping frames before it.
func (s *socket) closed(within time.Duration) int {
	s.t.Helper()
	s.ws.SetReadDeadline(time.Now().Add(within))
	for {
		_, _, err := s.ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		s.t.Fatalf("socket not closed with a close frame within %v: %v", within, err)
		return 0
	}
}

// jsonBody encodes v for a request body.
func jsonBody(v any) io.Reader {
	data, _ := json.Marshal(v)
	return bytes.NewReader(data)
}

// eventually polls cond every 10 ms until it holds, failing after within.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakeConn is a connection with no socket, for tests of the hub alone. It
// is marked as having a writer already, so the hub starts none and what it
// queues for the connection stays in the queue for queued to read.
func fakeConn(user, sessionKey string) *conn {
	c := &conn{user: user, addr: "192.0.2.1", sessionKey: sessionKey, readDone: make(chan struct{})}
	c.q.writing = true
	return c
}

// queued empties c's queue (see fakeConn) and returns what the hub put in
// it, decoded; a ping is a frame of type "ping".
func queued(t testing.TB, c *conn) []wireFrame {
	t.Helper()
	c.q.mu.Lock()
	items := c.q.items
	c.q.items, c.q.bytes = nil, 0
	c.q.mu.Unlock()
	var out []wireFrame
	for _, f := range items {
		for _, fr := range f {
			if fr[0] == pingFrame[0][0] {
				out = append(out, wireFrame{Type: "ping"})
				continue
			}
			payload := fr[2:] // textFrame's header: 2, 4 or 10 bytes
			switch fr[1] {
			case 126:
				payload = fr[4:]
			case 127:
				payload = fr[10:]
			}
			var w wireFrame
			if err := json.Unmarshal(payload, &w); err != nil {
				t.Fatalf("queued frame %q: %v", payload, err)
			}
			out = append(out, w)
		}
	}
	return out
}

// closedWith returns the close code the hub gave c (see fakeConn), or 0
// while it is open.
func closedWith(c *conn) int {
	c.q.mu.Lock()
	defer c.q.mu.Unlock()
	if !c.q.closing {
		return 0
	}
	return c.q.closeCode
}

// --- the built binary ---

var (
	binDir    string // made and removed by TestMain
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// hearthBinary builds the binary into binDir, once per test run.
func hearthBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(binDir, "hearth")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serverProcess is the binary running as a child.
type serverProcess struct {
	cmd   *exec.Cmd
	lines chan string // stdout lines
	done  chan error  // the exit status, once
	URL   string
}

// startBinary runs the binary with args in dir and waits until it serves.
func startBinary(t *testing.T, dir string, env []string, args ...string) *serverProcess {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(hearthBinary(t), append([]string{"-addr", addr}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if os.Getenv("HEARTH_TEST_LOG") == "" {
		cmd.Stderr = nil
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, lines: make(chan string, 100), done: make(chan error, 1), URL: "http://" + addr}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	eventually(t, 10*time.Second, "the binary to serve", func() bool {
		resp, err := http.Get(p.URL + "/api/me")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return p
}
