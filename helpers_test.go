// helpers_test.go holds the test helpers shared by every test file: a store
// in a temp dir, a real server on a loopback port that can be restarted on
// the same file and address, cookie-carrying HTTP clients and WebSocket
// dials.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/crypto/bcrypt"
)

func TestMain(m *testing.M) {
	bcryptCost = bcrypt.MinCost // hashing speed is not under test
	if os.Getenv("HEARTH_TEST_LOG") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	os.Exit(m.Run())
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

func (ts *testServer) start() {
	ts.t.Helper()
	ln, err := net.Listen("tcp", ts.addr)
	if err != nil {
		ts.t.Fatalf("listen %s: %v", ts.addr, err)
	}
	ts.addr = ln.Addr().String()
	ts.URL = "http://" + ts.addr
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
	return &client{t: ts.t, ts: ts, jar: jar, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
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
	return d.Dial(ts.wsURL(), header)
}

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
	From      string              `json:"from"`  // room_renamed: the old name
	Admin     bool                `json:"admin"` // hello
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
