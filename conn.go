// conn.go owns one WebSocket connection: the checks made before the upgrade,
// its only reader (readPump) and its only writer (writePump).

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

const (
	// writeWait is how long one frame may take to write.
	writeWait = 10 * time.Second
	// pongWait is how long the peer may stay silent, pongs included.
	pongWait = 60 * time.Second
	// pingPeriod must be shorter than pongWait.
	pingPeriod = (pongWait * 9) / 10
	// sendQueueSize and maxQueuedBytes bound what waits for a slow peer, in
	// queue slots (a committed batch of messages, or one presence event for
	// every room) and in bytes; past either, the peer is disconnected rather
	// than waited for.
	sendQueueSize  = 256
	maxQueuedBytes = 4 << 20
	// maxClientIDLen bounds the client's idempotency key.
	maxClientIDLen = 64
	// closeGrace is how long writePump waits, after sending a close frame,
	// for the peer's answering close before dropping the TCP connection.
	// Closing at once would reset a peer that is still writing, and it would
	// never read why it was closed.
	closeGrace = time.Second
)

// maxFrameSize is the largest frame read from a client: a body of maxBody
// bytes may grow sixfold through JSON escapes (\u0001), plus the envelope.
// Anything larger closes the socket with 1009.
func maxFrameSize(maxBody int) int64 { return int64(maxBody)*6 + 1024 }

// conn is one authenticated WebSocket.
type conn struct {
	ws  *websocket.Conn
	out *batchConn // under ws; writePump batches its writes
	hub *hub
	com *committer

	// Set before the pumps start; read-only afterwards.
	user       string
	addr       string // client IP, for the per-address socket limit
	admin      bool
	sessionKey string
	firstTime  bool // the user had never connected before
	maxBody    int

	limiter  *rate.Limiter // used by readPump only
	readDone chan struct{} // closed when readPump returns

	// send holds frames for writePump. Only the hub sends on it and closes
	// it; it sets closeCode and closeReason first, for writePump to read
	// once send is closed.
	send        chan frames
	queued      atomic.Int64 // bytes pushed by the hub and not yet written
	closeCode   int
	closeReason string
}

// clientFrame is what a client may send.
type clientFrame struct {
	Type     string `json:"type"`
	Room     string `json:"room"`
	Body     string `json:"body"`
	ClientID string `json:"client_id"`
}

// sameOrigin reports whether the request's Origin, if any, names the host it
// was sent to. Browsers always send Origin on WebSocket handshakes, so a
// page on another site cannot open a socket with our cookie.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// handleWS checks origin and session, and only then upgrades.
func (s *server) handleWS(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross-origin WebSocket refused")
		return
	}
	sess, u, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	s.sessions.touch(nil, r, &sess)
	firstTime := u.FirstConnected.IsZero()
	if firstTime {
		if err := s.st.updateUser(u.Name, func(u *user) { u.FirstConnected = time.Now().UTC() }); err != nil {
			slog.Warn("record first connection", "user", u.Name, "err", err)
		}
	}
	bw := &batchingWriter{ResponseWriter: w}
	ws, err := s.upgrader.Upgrade(bw, r, nil)
	if err != nil {
		return // Upgrade has answered the client.
	}
	c := &conn{
		ws:         ws,
		out:        bw.conn,
		hub:        s.hub,
		com:        s.com,
		user:       u.Name,
		addr:       clientAddr(r),
		admin:      u.Admin,
		sessionKey: sess.Key,
		firstTime:  firstTime,
		maxBody:    s.cfg.MaxBody,
		limiter:    rate.NewLimiter(s.cfg.MsgRate, s.cfg.MsgBurst),
		send:       make(chan frames, sendQueueSize),
		readDone:   make(chan struct{}),
	}
	s.hub.pumps.Add(2)
	if refusal := s.hub.join(c); refusal != "" {
		s.hub.pumps.Add(-2)
		refuse(ws, refusal)
		return
	}
	go c.writePump()
	go c.readPump()
	// A logout that ran between authenticate and join missed this socket;
	// it must not outlive its session.
	if _, err := s.st.getSession(sess.Key); errors.Is(err, errSessionNotFound) {
		s.hub.closeSessions(sess.Key)
	}
}

// refuse closes a socket the hub did not admit, with the reason, and waits
// briefly for the peer's answering close so the reason is read.
func refuse(ws *websocket.Conn, reason string) {
	defer ws.Close()
	code := websocket.ClosePolicyViolation
	if reason == shutdownReason {
		code = websocket.CloseGoingAway
	}
	if err := ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeWait)); err != nil {
		return
	}
	ws.SetReadDeadline(time.Now().Add(closeGrace))
	for {
		if _, _, err := ws.NextReader(); err != nil {
			return
		}
	}
}

// readPump reads frames until the socket fails or closes. It is the only
// reader of c.ws.
func (c *conn) readPump() {
	defer func() {
		close(c.readDone)
		c.hub.leave(c)
		c.hub.pumps.Done()
	}()
	c.ws.SetReadLimit(maxFrameSize(c.maxBody))
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			if websocket.IsUnexpectedCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure, websocket.CloseNoStatusReceived, websocket.CloseAbnormalClosure) {
				slog.Debug("socket read", "user", c.user, "err", err)
			}
			return
		}
		if kind != websocket.TextMessage {
			c.reply(newErrorFrame("bad_frame", "frames must be text", ""))
			continue
		}
		c.handle(data)
	}
}

// handle acts on one client frame.
func (c *conn) handle(data []byte) {
	f, err := decodeClientFrame(data, c.maxBody)
	if err != nil {
		var e sendError
		errors.As(err, &e)
		c.reply(newErrorFrame(e.code, e.msg, e.clientID))
		return
	}
	// Counted after validation: a malformed frame stores nothing either, and
	// is answered without eating the sender's allowance.
	if !c.limiter.Allow() {
		c.reply(newErrorFrame("rate_limited", "slow down: too many messages", f.ClientID))
		return
	}
	c.com.submit(&pendingSend{from: c, req: appendRequest{Msg: message{
		Room: f.Room, User: c.user, Body: f.Body, ClientID: f.ClientID,
	}}})
}

// sendError is a refused client frame: its wire code, the reason, and the
// client_id to echo (empty when the frame had none worth echoing).
type sendError struct{ code, msg, clientID string }

func (e sendError) Error() string { return e.code + ": " + e.msg }

// decodeClientFrame parses and validates one client frame. Only "send"
// frames exist; one that passes has a valid room name, a non-blank body of
// at most maxBody bytes and a client_id of at most maxClientIDLen bytes.
// Otherwise the error is a sendError.
func decodeClientFrame(data []byte, maxBody int) (clientFrame, error) {
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return f, sendError{"bad_json", "frame is not valid JSON: " + err.Error(), ""}
	}
	cid := f.ClientID
	if len(cid) > maxClientIDLen {
		cid = "" // not a client_id we accept, so not one to echo
	}
	switch {
	case f.Type != "send":
		return f, sendError{"unknown_type", "unknown frame type " + quote(f.Type), cid}
	case validRoomName(f.Room) != nil:
		return f, sendError{"unknown_room", "no such room: " + quote(f.Room), cid}
	case strings.TrimSpace(f.Body) == "":
		return f, sendError{"empty", "message is empty", cid}
	case len(f.Body) > maxBody:
		return f, sendError{"too_long", "message is longer than " + byteSize(maxBody), cid}
	case len(f.ClientID) > maxClientIDLen:
		return f, sendError{"bad_client_id", "client_id is longer than 64 bytes", ""}
	}
	return f, nil
}

// reply sends one frame to this connection alone, through the hub (the hub
// owns c.send).
func (c *conn) reply(f errorFrame) {
	c.hub.send(c, prepare(f))
}

// writePump writes queued frames and pings until the hub closes c.send or a
// write fails. It is the only writer of c.ws and closes it when done.
// Whatever is queued when it wakes goes out in one write: on loopback a
// write costs several microseconds, far more than a frame's bytes.
func (c *conn) writePump() {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		c.ws.Close()
		c.hub.pumps.Done()
	}()
	for {
		select {
		case batch, ok := <-c.send:
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			// Frames are whole and pre-encoded: they go into the batch
			// beside gorilla's own writes (pings, closes), never between
			// the bytes of one.
			c.out.hold()
			var written int64
			for ok {
				for _, f := range batch {
					c.out.Write(f)
				}
				written += batch.size()
				if len(c.send) == 0 {
					break
				}
				batch, ok = <-c.send
			}
			err := c.out.flush()
			c.queued.Add(-written)
			if err != nil {
				return
			}
			if !ok {
				c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeReason))
				// readPump sees the peer's answering close (gorilla's
				// default close handler echoes ours) and returns.
				select {
				case <-c.readDone:
				case <-time.After(closeGrace):
				}
				return
			}
		case <-ticker.C:
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}

// batchConn is the socket under a websocket.Conn. Between hold and flush
// it gathers writes into one buffer, so writePump sends many frames with one
// system call; otherwise writes go straight through. Control frames that
// gorilla writes from other goroutines (the close handler's echo) wait
// behind a hold for its flush.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	holding  bool
	buf      *[]byte   // from batchBuffers while holding
	deadline time.Time // the latest write deadline asked for while holding
}

// SetWriteDeadline is called by gorilla before every frame; while holding,
// only the last one matters, and it is applied once, at flush. (Setting a
// deadline costs a timer update each time.)
func (b *batchConn) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.holding {
		b.deadline = t
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

func (b *batchConn) hold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.holding = true
	b.buf = batchBuffers.Get().(*[]byte)
}

// flush writes what was gathered since hold, in one write.
func (b *batchConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.holding = false
	if !b.deadline.IsZero() {
		b.Conn.SetWriteDeadline(b.deadline)
		b.deadline = time.Time{}
	}
	_, err := b.Conn.Write(*b.buf)
	if cap(*b.buf) <= 1<<20 { // do not keep a giant burst's buffer around
		*b.buf = (*b.buf)[:0]
		batchBuffers.Put(b.buf)
	}
	b.buf = nil
	return err
}

// batchingWriter hands gorilla's Upgrade a batchConn instead of the raw
// hijacked connection.
type batchingWriter struct {
	http.ResponseWriter
	conn *batchConn
}

func (w *batchingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response does not support hijacking")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &batchConn{Conn: nc}
	return w.conn, brw, nil
}

// quote shows client-chosen text in an error message, bounded.
func quote(s string) string {
	return `"` + truncate(s, 40) + `"`
}
