// targets.go is the servers under test as the scenarios see them: Hearth
// (and, with -baseline, Hearth at an older commit), the gorilla chat
// example and the raw-TCP ceiling, each started on a fresh port and
// spoken to in its own protocol. Building them and running their
// processes is in servers.go.

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// hearthLoadFlags raise the limits one machine playing thousands of
// clients would hit; they are printed at the top of every run.
var hearthLoadFlags = []string{
	"-msg-rate", "1000000", "-msg-burst", "1000000",
	"-max-conns-per-user", "1000000", "-max-conns-per-addr", "1000000",
}

// loadUsers is how many accounts the clients share unless a scenario says
// otherwise (cfg.users); loadPassword is theirs.
const (
	loadUsers    = 20
	loadPassword = "load-test-password"
)

// --- the protocol each target speaks ---

// delivery is one message as a receiver sees it.
type delivery struct {
	sender, seq int
	sentNs      int64
	id          uint64 // the server's id for the message: Hearth's; 0 for the others
}

// client is one connection of any target. Send is called by one goroutine
// and Read by another.
type client interface {
	Send(sender, seq int, sentNs int64) error
	// Read blocks for the next frame and calls fn for each message in it.
	Read(fn func(delivery)) error
	Close()
}

// target is a running server.
type target interface {
	Name() string
	PID() int
	Dial() (client, error)
	Stop()
}

// appendPayload writes "sender seq sentNs".
func appendPayload(b []byte, sender, seq int, sentNs int64) []byte {
	b = strconv.AppendInt(b, int64(sender), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, ' ')
	return strconv.AppendInt(b, sentNs, 10)
}

func parsePayload(p []byte) (delivery, bool) {
	f := bytes.Fields(p)
	if len(f) != 3 {
		return delivery{}, false
	}
	s, err1 := strconv.Atoi(string(f[0]))
	q, err2 := strconv.Atoi(string(f[1]))
	ns, err3 := strconv.ParseInt(string(f[2]), 10, 64)
	return delivery{sender: s, seq: q, sentNs: ns}, err1 == nil && err2 == nil && err3 == nil
}

// dialer is shared by every WebSocket client: one frame read costs the same
// for every target, and a large read buffer lets a burst of frames arrive in
// one system call.
var dialer = websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 32 << 10, WriteBufferSize: 1024}

// helloBuffers are what Hearth's clients read their hello into. The connect
// scenario opens thousands of clients a second, and growing a fresh buffer
// for each 1.2 KB hello took three allocations and 6 KiB of zeroed memory:
// CPU the load tool's clients take from the cores the servers use too.
var helloBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readFrame reads the next data frame into buf (reused), skipping nothing:
// control frames are handled inside gorilla.
func readFrame(ws *websocket.Conn, buf *bytes.Buffer) ([]byte, error) {
	_, r, err := ws.NextReader()
	if err != nil {
		return nil, err
	}
	buf.Reset()
	_, err = buf.ReadFrom(r)
	return buf.Bytes(), err
}

// --- Hearth ---

type hearthTarget struct {
	name    string // "hearth", or "base" for Hearth at -baseline
	cmd     *exec.Cmd
	addr    string
	dir     string
	cookies []string
	next    atomic.Int64 // the cookie the next Dial takes
	origin  string       // the Origin a browser sends, and the socket's URL
	url     string
}

// startHearth runs Hearth on a fresh database with cfg.users accounts,
// logs in sessions sessions, and waits until it serves.
func startHearth(bins binaries, cfg config, sessions int) (*hearthTarget, error) {
	dir, err := os.MkdirTemp(cfg.workDir, "hearth-")
	if err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "hearth.db")
	for i := range cfg.users {
		argv := bins.hearthArgv("user", "add", "-db", db, loadUser(i))
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin = strings.NewReader(loadPassword + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("hearth user add: %v: %s", err, out)
		}
	}
	return runHearth(bins, cfg, dir, db, sessions)
}

// loadUser is the name of the load tool's i-th account.
func loadUser(i int) string { return fmt.Sprintf("load%02d", i) }

// runHearth serves the database db as cfg says (pinned or not), logs in
// sessions sessions spread over cfg.users accounts, and waits until it
// serves.
func runHearth(bins binaries, cfg config, dir, db string, sessions int) (*hearthTarget, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "-addr", addr, "-db", db, "-log-level", "error"}, hearthLoadFlags...)
	env, argv := serverCommand(cfg, bins.hearthArgv(args...)...)
	cmd, err := startProcess(dir, env, argv...)
	if err != nil {
		return nil, err
	}
	h := &hearthTarget{name: "hearth", cmd: cmd, addr: addr, dir: dir, origin: "http://" + addr, url: "ws://" + addr + "/ws"}
	if err := waitServing(addr, 30*time.Second); err != nil {
		h.Stop()
		return nil, err
	}
	for i := range sessions {
		c, err := h.login(loadUser(i % cfg.users))
		if err != nil {
			h.Stop()
			return nil, err
		}
		h.cookies = append(h.cookies, c)
	}
	return h, nil
}

func (h *hearthTarget) login(user string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": loadPassword})
	resp, err := http.Post("http://"+h.addr+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(resp.Cookies()) == 0 {
		return "", fmt.Errorf("login %s: status %d", user, resp.StatusCode)
	}
	ck := resp.Cookies()[0]
	return ck.Name + "=" + ck.Value, nil
}

func (h *hearthTarget) Name() string { return h.name }
func (h *hearthTarget) PID() int     { return h.cmd.Process.Pid }
func (h *hearthTarget) Stop()        { stopProcess(h.cmd) }

func (h *hearthTarget) cookie() string {
	return h.cookies[h.next.Add(1)%int64(len(h.cookies))]
}

// Dial opens a socket with a session cookie, exactly as a browser would,
// and returns once the server's hello says it is registered.
func (h *hearthTarget) Dial() (client, error) {
	hdr := http.Header{"Cookie": {h.cookie()}, "Origin": {h.origin}}
	ws, _, err := dialer.Dial(h.url, hdr)
	if err != nil {
		return nil, err
	}
	buf := helloBuffers.Get().(*bytes.Buffer)
	defer helloBuffers.Put(buf)
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		data, err := readFrame(ws, buf) // whole, as a browser reads it
		if err != nil {
			ws.Close()
			return nil, fmt.Errorf("waiting for hello: %w", err)
		}
		if bytes.HasPrefix(data, []byte(`{"type":"hello"`)) {
			break
		}
	}
	ws.SetReadDeadline(time.Time{})
	return &hearthClient{ws: ws}, nil
}

type hearthClient struct {
	ws   *websocket.Conn
	buf  []byte
	rbuf bytes.Buffer
}

func (c *hearthClient) Send(sender, seq int, sentNs int64) error {
	b := append(c.buf[:0], `{"type":"send","room":"general","body":"`...)
	b = appendPayload(b, sender, seq, sentNs)
	// client_id starts with the time, as the web client's do.
	b = append(b, `","client_id":"c`...)
	b = strconv.AppendInt(b, sentNs, 36)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(sender), 10)
	b = append(b, `"}`...)
	c.buf = b
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

var (
	bodyField = []byte(`"body":"`)
	idField   = []byte(`"id":`)
)

func (c *hearthClient) Read(fn func(delivery)) error {
	data, err := readFrame(c.ws, &c.rbuf)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(data, []byte(`{"type":"message"`)) {
		return nil // presence and the like
	}
	i := bytes.Index(data, bodyField)
	if i < 0 {
		return nil
	}
	rest := data[i+len(bodyField):]
	if j := bytes.IndexByte(rest, '"'); j >= 0 {
		if d, ok := parsePayload(rest[:j]); ok {
			d.id = messageID(data)
			fn(d)
		}
	}
	return nil
}

// messageID reads the "id" of a message frame: the first such field, as the
// server writes it before the body. It returns 0 if there is none.
func messageID(frame []byte) uint64 {
	i := bytes.Index(frame, idField)
	if i < 0 {
		return 0
	}
	var id uint64
	for _, b := range frame[i+len(idField):] {
		if b < '0' || b > '9' {
			break
		}
		id = id*10 + uint64(b-'0')
	}
	return id
}

func (c *hearthClient) Close() { c.ws.Close() }

// --- the gorilla example ---

type gorillaTarget struct {
	cmd  *exec.Cmd
	addr string
	url  string
}

func startGorilla(bins binaries, cfg config) (*gorillaTarget, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	env, argv := serverCommand(cfg, bins.gorilla, "-addr", addr)
	cmd, err := startProcess(cfg.workDir, env, argv...)
	if err != nil {
		return nil, err
	}
	g := &gorillaTarget{cmd: cmd, addr: addr, url: "ws://" + addr + "/ws"}
	if err := waitServing(addr, 30*time.Second); err != nil {
		g.Stop()
		return nil, err
	}
	return g, nil
}

func (g *gorillaTarget) Name() string { return "gorilla" }
func (g *gorillaTarget) PID() int     { return g.cmd.Process.Pid }
func (g *gorillaTarget) Stop()        { stopProcess(g.cmd) }

func (g *gorillaTarget) Dial() (client, error) {
	ws, _, err := dialer.Dial(g.url, nil)
	if err != nil {
		return nil, err
	}
	return &lineWSClient{ws: ws}, nil
}

// lineWSClient speaks the gorilla example's protocol: text frames holding
// one or more messages separated by newlines.
type lineWSClient struct {
	ws   *websocket.Conn
	buf  []byte
	rbuf bytes.Buffer
}

func (c *lineWSClient) Send(sender, seq int, sentNs int64) error {
	c.buf = appendPayload(c.buf[:0], sender, seq, sentNs)
	return c.ws.WriteMessage(websocket.TextMessage, c.buf)
}

func (c *lineWSClient) Read(fn func(delivery)) error {
	data, err := readFrame(c.ws, &c.rbuf)
	if err != nil {
		return err
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if d, ok := parsePayload(line); ok {
			fn(d)
		}
	}
	return nil
}

func (c *lineWSClient) Close() { c.ws.Close() }

// --- the raw-TCP ceiling ---

type tcpTarget struct {
	cmd  *exec.Cmd
	addr string
}

func startTCP(bins binaries, cfg config) (*tcpTarget, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	env, argv := serverCommand(cfg, bins.self, "tcp-fanout-server", addr)
	cmd, err := startProcess(cfg.workDir, env, argv...)
	if err != nil {
		return nil, err
	}
	t := &tcpTarget{cmd: cmd, addr: addr}
	if err := waitServing(addr, 30*time.Second); err != nil {
		t.Stop()
		return nil, err
	}
	return t, nil
}

func (t *tcpTarget) Name() string { return "tcp" }
func (t *tcpTarget) PID() int     { return t.cmd.Process.Pid }
func (t *tcpTarget) Stop()        { stopProcess(t.cmd) }

func (t *tcpTarget) Dial() (client, error) {
	c, err := localDialer().Dial("tcp", t.addr)
	if err != nil {
		return nil, err
	}
	return &tcpClient{c: c, r: bufio.NewReaderSize(c, 32<<10)}, nil
}

type tcpClient struct {
	c   net.Conn
	r   *bufio.Reader
	buf []byte
}

func (c *tcpClient) Send(sender, seq int, sentNs int64) error {
	c.buf = append(appendPayload(c.buf[:0], sender, seq, sentNs), '\n')
	_, err := c.c.Write(c.buf)
	return err
}

func (c *tcpClient) Read(fn func(delivery)) error {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if d, ok := parsePayload(line); ok {
		fn(d)
	}
	return nil
}

func (c *tcpClient) Close() { c.c.Close() }

// serveTCPFanout is the ceiling: every line any client writes goes to every
// client, with the gorilla example's design minus WebSocket: a hub
// goroutine, a bounded queue per client (dropped when full) and a writer per
// client that coalesces whatever is queued into one write.
func serveTCPFanout(args []string) {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: loadtest tcp-fanout-server ADDR")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	type peer struct {
		c    net.Conn
		send chan []byte
	}
	register, unregister := make(chan *peer), make(chan *peer)
	broadcast := make(chan []byte, 256)
	go func() {
		peers := map[*peer]bool{}
		for {
			select {
			case p := <-register:
				peers[p] = true
			case p := <-unregister:
				if peers[p] {
					delete(peers, p)
					close(p.send)
				}
			case m := <-broadcast:
				for p := range peers {
					select {
					case p.send <- m:
					default:
						delete(peers, p)
						close(p.send)
					}
				}
			}
		}
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p := &peer{c: c, send: make(chan []byte, 256)}
		register <- p
		go func() { // writer
			w := bufio.NewWriterSize(c, 16<<10)
			for m := range p.send {
				w.Write(m)
				for n := len(p.send); n > 0; n-- {
					w.Write(<-p.send)
				}
				if w.Flush() != nil {
					break
				}
			}
			c.Close()
		}()
		go func() { // reader
			r := bufio.NewReaderSize(c, 4096)
			for {
				line, err := r.ReadBytes('\n')
				if err != nil {
					unregister <- p
					return
				}
				broadcast <- line
			}
		}()
	}
}
