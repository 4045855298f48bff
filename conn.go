// conn.go owns one WebSocket connection: the checks made before the upgrade
// and its only reader (readPump). What it has to write is sendq.go's.

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// maxClientIDLen bounds the client's idempotency key.
const maxClientIDLen = 64

// maxFrameSize is the largest frame read from a client: a body of maxBody
// bytes may grow sixfold through JSON escapes (\u0001), plus the envelope.
// Anything larger closes the socket with 1009.
func maxFrameSize(maxBody int) int64 { return int64(maxBody)*6 + 1024 }

// conn is one authenticated WebSocket. It has one goroutine of its own,
// readPump; a writer goroutine exists only while it has something to write
// (see sendq.go), so an idle connection costs little.
type conn struct {
	ws  *websocket.Conn
	out *batchConn    // under ws; the writer batches its writes
	in  *bufio.Reader // ws reads through it; nil if it is gorilla's own
	hub *hub
	com *committer

	// Set before readPump starts; read-only afterwards.
	user       string
	addr       string // client IP, for the per-address socket limit
	admin      bool
	sessionKey string
	firstTime  bool // the user had never connected before
	maxBody    int

	// allowance is the user's message allowance, shared by every socket
	// of theirs and their uploads (see userRates).
	allowance *userRates
	readDone  chan struct{} // closed when readPump returns

	q sendQueue // what waits to be written; see sendq.go

	// hidden is set while the client says its page is not visible (a
	// "visibility" frame): its user may then be pushed (push.go). A
	// socket that never says counts as visible.
	hidden atomic.Bool
}

// clientFrame is what a client may send.
type clientFrame struct {
	Type     string `json:"type"` // send, edit, delete, react, typing, visibility
	Room     string `json:"room"`
	Body     string `json:"body"`      // send, edit
	ClientID string `json:"client_id"` // send; echoed in errors of any type
	ID       uint64 `json:"id"`        // edit, delete, react
	Emoji    string `json:"emoji"`     // react
	ReplyTo  uint64 `json:"reply_to"`  // send: the id of the message answered, in the same room
	Visible  *bool  `json:"visible"`   // visibility: whether the page is visible
}

// frameOps maps the client frames that change a room to their store op.
var frameOps = map[string]changeOp{"send": opSend, "edit": opEdit, "delete": opDelete, "react": opReact}

// sameOrigin reports whether the request's Origin, if any, names the host it
// was sent to. Browsers always send Origin on WebSocket handshakes, so a
// page on another site cannot open a socket with our cookie.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser
	}
	// A browser's Origin is scheme://host[:port], nothing else; anything
	// that does not reduce to the request's host is another site.
	host, ok := strings.CutPrefix(origin, "http://")
	if !ok {
		host, ok = strings.CutPrefix(origin, "https://")
	}
	return ok && strings.EqualFold(host, r.Host)
}

// handleWS checks origin and session, and only then upgrades.
func (s *server) handleWS(w http.ResponseWriter, r *http.Request) {
	c := s.socketFor(w, r)
	if c == nil {
		return // socketFor has answered the client.
	}
	bw := &batchingWriter{ResponseWriter: w}
	ws, err := s.upgrader.Upgrade(bw, r, nil)
	if err != nil {
		return // Upgrade has answered the client.
	}
	c.ws, c.out, c.in = ws, bw.conn, bw.reader
	c.q.writing = true // by this goroutine, for the hello
	s.hub.pumps.Add(2) // it and readPump
	if refusal := s.hub.join(c); refusal != "" {
		s.hub.pumps.Add(-2)
		refuse(ws, bw.conn, refusal)
		return
	}
	c.write(false) // the 101 and the hello, in one write, from here
	s.recheckSession(c)
	// A fresh goroutine, not this handler's: net/http grew this stack to
	// parse the request, and an idle connection would keep it.
	go c.readPump()
}

// socketFor checks a WebSocket request's origin and session, and returns
// the connection it may open (not yet upgraded), or nil when it has
// answered the request with why not. It is apart from handleWS so that
// the session and user records it reads are off the stack by the time the
// socket is upgraded: net/http runs handlers on a goroutine that starts
// with a small stack, and a handshake deeper than that pays for a copy of
// the stack every time.
func (s *server) socketFor(w http.ResponseWriter, r *http.Request) *conn {
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, "cross-origin WebSocket refused")
		return nil
	}
	var sess session
	var u user
	if !s.authenticate(w, r, &sess, &u) {
		return nil
	}
	s.sessions.touch(nil, r, &sess)
	firstTime := u.FirstConnected.IsZero()
	if firstTime {
		s.recordFirstConnection(u.Name)
	}
	return &conn{
		hub:        s.hub,
		com:        s.com,
		user:       u.Name,
		addr:       clientAddr(r),
		admin:      u.Admin,
		sessionKey: sess.Key,
		firstTime:  firstTime,
		maxBody:    s.cfg.MaxBody,
		allowance:  s.posts,
		readDone:   make(chan struct{}),
	}
}

// recordFirstConnection notes that name has opened a socket: from now on
// their coming back is "back", not "joined".
func (s *server) recordFirstConnection(name string) {
	if err := s.st.updateUser(name, func(u *user) { u.FirstConnected = time.Now().UTC() }); err != nil {
		slog.Warn("record first connection", "user", name, "err", err)
	}
}

// recheckSession closes c, just registered, if its session has ended since
// socketFor read it: a logout that ran in between missed this socket, and
// it must not outlive its session. A change of rights in that window missed
// it too: its hello may say the old ones, so it is asked to reconnect.
func (s *server) recheckSession(c *conn) {
	var sess session
	var u user
	switch err := s.st.getSessionAndUser(c.sessionKey, &sess, &u); {
	case err != nil:
		s.hub.closeSessions(c.sessionKey)
	case u.Admin != c.admin:
		s.hub.rightsChanged(c.user)
	}
}

// refuse closes a socket the hub did not admit, with the reason, and waits
// briefly for the peer's answering close so the reason is read.
func refuse(ws *websocket.Conn, out *batchConn, reason string) {
	defer ws.Close()
	code := websocket.ClosePolicyViolation
	if reason == shutdownReason {
		code = websocket.CloseGoingAway
	}
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(writeWait))
	if err := out.flush(time.Now().Add(writeWait)); err != nil { // the 101 and the close
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
		// The peer closed or vanished (or we closed the socket): nothing
		// more can be said to it, so the reader closes the socket itself
		// rather than waking a writer to do it.
		close(c.readDone)
		c.ws.Close()
		c.hub.leave(c)
		c.hub.pumps.Done()
	}()
	c.ws.SetReadLimit(maxFrameSize(c.maxBody))
	// The hub pings every pingPeriod; a peer silent for longer than
	// pongWait (pongs included) is gone.
	pongWait := c.hub.pingPeriod * 10 / 9
	c.ws.SetReadDeadline(time.Now().Add(pongWait))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		if c.in != nil && c.in.Buffered() == 0 {
			c.out.waitReadable() // idle here, with a small stack
		}
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
	if f.Type == "visibility" {
		c.hidden.Store(!*f.Visible) // read by the hub when it hands messages to the pusher
		return
	}
	if f.Type == "typing" {
		c.hub.typing(c, f.Room) // never stored; the hub throttles it
		return
	}
	// Counted after validation: a malformed frame stores nothing either, and
	// is answered without eating the sender's allowance.
	if !c.allowance.allow(c.user) {
		c.reply(newErrorFrame("rate_limited", "slow down: too many messages", f.ClientID))
		return
	}
	c.com.submit(&pendingSend{from: c, req: appendRequest{
		Op:    frameOps[f.Type],
		Msg:   message{Room: f.Room, User: c.user, Body: f.Body, ClientID: f.ClientID, ID: f.ID, ReplyTo: f.ReplyTo},
		Emoji: f.Emoji,
	}})
}

// sendError is a refused client frame: its wire code, the reason, and the
// client_id to echo (empty when the frame had none worth echoing).
type sendError struct{ code, msg, clientID string }

func (e sendError) Error() string { return e.code + ": " + e.msg }

// decodeClientFrame parses and validates one client frame. One that passes
// has a known type, names a room or DM validly, and has what its type needs:
// a non-blank body of at most maxBody bytes (send, edit), a message id
// (edit, delete, react), one emoji of reactionSet (react); a client_id is at
// most maxClientIDLen bytes. Whether a send's reply_to names a message is
// for the commit to say (errReplyNotFound); other types drop it. Otherwise
// the error is a sendError.
func decodeClientFrame(data []byte, maxBody int) (clientFrame, error) {
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return f, sendError{"bad_json", "frame is not valid JSON: " + err.Error(), ""}
	}
	if f.Type != "send" {
		f.ReplyTo = 0 // only a new message answers one; an edit keeps what it answered
	}
	cid := f.ClientID
	if len(cid) > maxClientIDLen {
		cid = "" // not a client_id we accept, so not one to echo
	}
	_, changes := frameOps[f.Type]
	hasBody := f.Type == "send" || f.Type == "edit"
	if f.Type == "visibility" {
		if f.Visible == nil {
			return f, sendError{"bad_visibility", `visibility needs "visible": true or false`, ""}
		}
		return f, nil
	}
	switch {
	case !changes && f.Type != "typing":
		return f, sendError{"unknown_type", "unknown frame type " + quote(f.Type), cid}
	case !isRoomKey(f.Room):
		return f, sendError{"unknown_room", "no such room: " + quote(f.Room), cid}
	case hasBody && strings.TrimSpace(f.Body) == "":
		return f, sendError{"empty", "message is empty", cid}
	case hasBody && len(f.Body) > maxBody:
		return f, sendError{"too_long", "message is longer than " + byteSize(maxBody), cid}
	case len(f.ClientID) > maxClientIDLen:
		return f, sendError{"bad_client_id", "client_id is longer than 64 bytes", ""}
	case changes && f.Type != "send" && f.ID == 0:
		return f, sendError{"unknown_message", "id must name a message", cid}
	case f.Type == "react" && !reactionSet[f.Emoji]:
		return f, sendError{"bad_emoji", "a reaction is one emoji from the picker, not " + quote(f.Emoji), cid}
	}
	return f, nil
}

// reply sends one frame to this connection alone, through the hub (the hub
// decides, in order with everything else, what each connection is sent).
func (c *conn) reply(f errorFrame) {
	c.hub.send(c, prepare(f))
}

// quote shows client-chosen text in an error message, bounded.
func quote(s string) string {
	return `"` + truncate(s, 40) + `"`
}
