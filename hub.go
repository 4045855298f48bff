// hub.go owns rooms and live connections: the hub's state, its goroutine
// (run, which holds every map; everyone else talks to it over channels),
// the calls other goroutines make, and admitting, dropping and queueing
// for a connection. Who is here is presence.go's, and how a committed
// batch reaches the sockets fanout.go's. It never touches disk: messages
// and room changes reach it only after the committer has stored them, in
// one stream, in the order they were committed.

package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Close codes Hearth sends besides the standard ones.
const (
	// closeSessionEnded tells the client its session was logged out, revoked
	// or expired: show the login form, do not reconnect.
	closeSessionEnded = 4001
	// closeRightsChanged tells the client its user's rights changed (made
	// or no longer an admin): reconnect at once; the new hello says them.
	closeRightsChanged = 4002
)

// hub routes frames between connections: each connection hears the rooms
// its user may see (every public room, the private rooms and DMs they are a
// member of). Create it with newHub, start run, and stop it by cancelling
// run's context.
type hub struct {
	register   chan registration
	unregister chan *conn
	deliver    chan []*pendingSend // committed batches, in commit order: messages and room changes
	// calls holds everything else for run to do (see do and later): one
	// channel rather than one per kind, since run waits on all of its
	// channels at once and each costs that wait on every wake-up (two a
	// handshake).
	calls chan func()
	done  chan struct{} // closed when run returns

	// refusals holds join's answer channels, used again: every socket
	// opened needs one for a moment. A hub's own, not a global pool, as a
	// channel made in a synctest bubble (a test's) must stay in it.
	refusals sync.Pool

	// pumps counts the read and write goroutines of every connection, so
	// shutdown can wait for them. Add is called by handleWS (a reader) and
	// by the hub starting a writer; Done by the goroutines themselves.
	pumps sync.WaitGroup

	// connCount is len(conns), for /metrics (read from other goroutines).
	connCount atomic.Int64

	// pusher, when set (before run; read-only after), is handed every new
	// message once delivered, to push to those not reading (push.go).
	pusher *pusher

	// Read-only after newHub.
	maxPerUser, maxPerAddr int           // concurrent sockets allowed; the excess is refused
	pingPeriod             time.Duration // how often every socket is pinged
	presenceGrace          time.Duration // how long "left" waits for the user to come back

	// Owned by run.
	conns     map[*conn]struct{}
	online    map[string]int       // user name → open connections; 0 while leaving
	names     []string             // online's keys, sorted; nil when they changed since
	namesJSON []byte               // names, encoded; nil when they changed since
	leaving   map[string]time.Time // users with no connection → when their "left" is due
	// graceTimer tells run when the earliest "left" is due (see
	// leavesDue): one timer for everyone leaving, not one each.
	graceTimer *time.Timer
	graceArmed bool
	byAddr     map[string]int       // client address → open connections
	rooms      map[string]room      // name → room, as committed (changed only by fanOut); a connection hears the rooms its user may see
	typed      map[string]time.Time // user "\x00" room → when their typing was last relayed
	notice     *noticeFrame         // the admins' current notice (the disk's), nil when none: see setNotice
}

// typingEvery is how often one user's typing in one room is relayed: a
// typing indicator needs no more, and a chatty keyboard costs no more.
const typingEvery = 2 * time.Second

// shutdownReason is the close reason every socket gets at shutdown.
const shutdownReason = "server shutting down"

// registration asks run to admit c; run answers on refusal ("" admits).
type registration struct {
	c       *conn
	refusal chan string // buffered, so run never waits on it
}

// kickRequest closes every connection of the listed sessions, or of user,
// with code and reason (closeSessionEnded and "session ended" when zero).
// When leaver is set (an explicit logout) and leaver is left with no
// connection, "left" is announced at once instead of after the grace.
type kickRequest struct {
	sessions []string
	user     string
	code     int
	reason   string
	leaver   string
}

// newHub returns a hub serving rooms that admits at most maxPerUser sockets
// per user and maxPerAddr per client address.
func newHub(rooms []room, maxPerUser, maxPerAddr int, pingPeriod, presenceGrace time.Duration) *hub {
	byName := make(map[string]room, len(rooms))
	for _, r := range rooms {
		byName[r.Name] = r
	}
	return &hub{
		pingPeriod:    pingPeriod,
		presenceGrace: presenceGrace,
		calls:         make(chan func(), 256),
		typed:         make(map[string]time.Time),
		leaving:       make(map[string]time.Time),
		maxPerUser:    maxPerUser,
		maxPerAddr:    maxPerAddr,
		byAddr:        make(map[string]int),
		register:      make(chan registration),
		unregister:    make(chan *conn),
		deliver:       make(chan []*pendingSend, 64),
		done:          make(chan struct{}),
		conns:         make(map[*conn]struct{}),
		online:        make(map[string]int),
		rooms:         byName,
	}
}

// run is the hub's goroutine. When ctx is done it closes every connection
// with 1001 (going away) and returns; senders then see done closed.
func (h *hub) run(ctx context.Context) {
	defer close(h.done)
	pings := time.NewTicker(h.pingPeriod)
	defer pings.Stop()
	for {
		select {
		case <-pings.C:
			h.broadcast(pingFrame)
			for k, t := range h.typed {
				if time.Since(t) > typingEvery {
					delete(h.typed, k)
				}
			}
		case fn := <-h.calls:
			fn()
		case <-ctx.Done():
			if h.graceTimer != nil {
				h.graceTimer.Stop()
			}
			for c := range h.conns {
				// No "left" announcements: everyone is leaving at once.
				delete(h.conns, c)
				h.connCount.Add(-1)
				c.closeWith(websocket.CloseGoingAway, shutdownReason)
			}
			return
		case r := <-h.register:
			r.refusal <- h.add(r.c)
		case c := <-h.unregister:
			h.drop(c, websocket.CloseNormalClosure, "")
		case batch := <-h.deliver:
			h.fanOut(batch)
		}
	}
}

// --- calls from other goroutines; each gives up once the hub has stopped ---

// join registers c, or explains why it may not join: too many sockets for
// its user or address, or the hub has stopped.
func (h *hub) join(c *conn) (refusal string) {
	ch, _ := h.refusals.Get().(chan string)
	if ch == nil {
		ch = make(chan string, 1)
	}
	r := registration{c: c, refusal: ch}
	defer h.refusals.Put(ch) // empty again: its one answer was read, or none was sent
	select {
	case h.register <- r:
		return <-r.refusal
	case <-h.done:
		return shutdownReason
	}
}

// leave unregisters c; called by c's readPump when it returns.
func (h *hub) leave(c *conn) {
	select {
	case h.unregister <- c:
	case <-h.done:
	}
}

// send queues frames for c alone.
func (h *hub) send(c *conn, f frames) {
	h.later(func() {
		if _, ok := h.conns[c]; ok {
			h.push(c, f, time.Now())
		}
	})
}

// closeSessions closes every connection opened with one of the sessions.
func (h *hub) closeSessions(keys ...string) {
	h.do(func() { h.kickOut(kickRequest{sessions: keys}) })
}

// loggedOut closes the sockets of a session that logged out. A logout is
// not a reload: if it leaves its user with no connection, "left" is
// announced at once rather than after the presence grace.
func (h *hub) loggedOut(user, key string) {
	h.do(func() { h.kickOut(kickRequest{sessions: []string{key}, leaver: user}) })
}

// sessionKeys returns the session keys of every open socket (with repeats
// for sessions with several sockets), or nil once the hub has stopped.
func (h *hub) sessionKeys() []string {
	var keys []string
	h.do(func() {
		keys = make([]string, 0, len(h.conns))
		for c := range h.conns {
			keys = append(keys, c.sessionKey)
		}
	})
	return keys
}

// typing relays that c's user is typing in room, at most every typingEvery.
// It never blocks: when the hub is busy a typing event is simply lost. It
// takes at most a quarter of the hub's queue, so a client sending nothing
// but typing frames cannot hold up the rest (kicks, replies, read markers).
func (h *hub) typing(c *conn, room string) {
	if len(h.calls) >= cap(h.calls)/4 {
		return
	}
	select {
	case h.calls <- func() { h.relayTyping(c, room) }:
	default:
	}
}

// do runs fn on the hub's goroutine, where it may read and change the
// hub's state, and waits for it. It returns false if the hub has stopped
// before running it.
func (h *hub) do(fn func()) bool {
	done := make(chan struct{})
	select {
	case h.calls <- func() { fn(); close(done) }:
	case <-h.done:
		return false
	}
	select {
	case <-done:
		return true
	case <-h.done: // run has returned, so done is closed by now or never
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
}

// later runs fn on the hub's goroutine without waiting for it: after what
// the same goroutine asked before through do, later or typing, but it
// returns once fn is queued (or the hub has stopped), not once it has run.
func (h *hub) later(fn func()) {
	select {
	case h.calls <- fn:
	case <-h.done:
	}
}

// closeUser closes every socket of a user with closeSessionEnded and
// reason (for instance "account disabled", which the client shows).
func (h *hub) closeUser(name, reason string) {
	h.do(func() { h.kickOut(kickRequest{user: name, code: closeSessionEnded, reason: reason}) })
}

// rightsChanged closes every socket of a user with closeRightsChanged, so
// each reconnects and its new hello carries the user's rights as stored
// now. (What a socket may do is checked in the commit regardless.)
func (h *hub) rightsChanged(name string) {
	h.do(func() { h.kickOut(kickRequest{user: name, code: closeRightsChanged, reason: "rights changed"}) })
}

// sendUser queues frames for every socket of user.
func (h *hub) sendUser(user string, f frames) {
	h.later(func() {
		now := time.Now()
		for c := range h.conns {
			if c.user == user {
				h.push(c, f, now)
			}
		}
	})
}

// setNotice makes n the admins' current notice and sends it to every
// admin socket now; later admin sockets find it in their hello. A notice
// with level "ok" takes the current one down. Any goroutine may call it;
// it returns once the hub has queued n (or has stopped).
func (h *hub) setNotice(n noticeFrame) {
	h.do(func() {
		h.notice = &n
		if n.Level == "ok" {
			h.notice = nil
		}
		f, now := prepare(n), time.Now()
		for c := range h.conns {
			if c.admin {
				h.push(c, f, now)
			}
		}
	})
}

// --- run's helpers: only run calls these ---

// add admits c, or returns why not.
func (h *hub) add(c *conn) (refusal string) {
	if refusal := h.admit(c); refusal != "" {
		return refusal
	}
	h.conns[c] = struct{}{}
	h.connCount.Add(1)
	h.byAddr[c.addr]++
	if _, ok := h.online[c.user]; !ok {
		h.onlineChanged()
	}
	h.online[c.user]++
	first := h.online[c.user] == 1
	if _, ok := h.leaving[c.user]; ok {
		// Back within the grace: as far as anyone saw, never gone.
		delete(h.leaving, c.user)
		first = false
	}
	// hello is the client's signal that it is registered: anything committed
	// from now on reaches it live, so history it fetches after this has no gap.
	hello := helloFrame{Type: "hello", User: c.user, Admin: c.admin, Rooms: h.roomsOf(c.user), MaxBody: c.maxBody}
	if c.admin {
		hello.Notice = h.notice
	}
	h.push(c, prepareHello(hello, h.onlineJSON()), time.Now())
	if first {
		event := "back"
		if c.firstTime {
			event = "joined"
		}
		h.announce(c.user, event)
	}
	return ""
}

// admit explains why c may not join, or returns "": a flood of sockets from
// one account or one address must not starve everyone else.
func (h *hub) admit(c *conn) string {
	switch {
	case h.online[c.user] >= h.maxPerUser:
		return fmt.Sprintf("too many connections for %s (limit %d)", c.user, h.maxPerUser)
	case h.byAddr[c.addr] >= h.maxPerAddr:
		return fmt.Sprintf("too many connections from %s (limit %d)", c.addr, h.maxPerAddr)
	}
	return ""
}

// drop closes c's queue with the given close code, if c is still registered,
// and announces "left" when it was the user's last connection.
func (h *hub) drop(c *conn, code int, reason string) {
	if _, ok := h.conns[c]; !ok {
		return
	}
	delete(h.conns, c)
	h.connCount.Add(-1)
	c.closeWith(code, reason)
	if h.byAddr[c.addr]--; h.byAddr[c.addr] == 0 {
		delete(h.byAddr, c.addr)
	}
	h.online[c.user]--
	if h.online[c.user] > 0 {
		return
	}
	if h.presenceGrace <= 0 {
		h.left(c.user)
		return
	}
	// A reload or a dropped phone connection is back in a moment: say
	// "left" only if the user stays away for the grace.
	h.leaving[c.user] = time.Now().Add(h.presenceGrace)
	h.armGrace(h.presenceGrace)
}

// kickOut drops every connection of k's sessions or user, with k's close
// code and reason, and announces k.leaver's "left" at once if it leaves
// them with no connection.
func (h *hub) kickOut(k kickRequest) {
	if k.code == 0 {
		k.code, k.reason = closeSessionEnded, "session ended"
	}
	for c := range h.conns {
		if c.user == k.user || slices.Contains(k.sessions, c.sessionKey) {
			h.drop(c, k.code, k.reason)
		}
	}
	if _, ok := h.leaving[k.leaver]; ok {
		h.left(k.leaver)
	}
}

// push queues f for c, dropping c if its queue is full (in slots or in
// bytes): a peer that does not read must not hold up anyone else, nor hold
// more than maxQueuedBytes of the server's memory. queued is when the
// caller began queueing: a loop over every socket reads the clock once,
// not once a socket (it costs more than the rest of a push).
func (h *hub) push(c *conn, f frames, queued time.Time) {
	if len(f) == 0 {
		return
	}
	if depth, ok := c.enqueue(f, queued); ok {
		metricQueueSlots.Update(float64(depth))
		return
	}
	slog.Warn("dropping slow connection", "user", c.user)
	h.drop(c, websocket.ClosePolicyViolation, "too slow: send queue full")
	// The writer may be stuck writing to a peer that does not read;
	// closing the socket (safe from any goroutine) frees it now rather
	// than at its write deadline.
	c.ws.Close()
}

// broadcast queues f for every connection.
func (h *hub) broadcast(f frames) {
	now := time.Now()
	for c := range h.conns {
		h.push(c, f, now) // drop during range is safe: Go allows delete while iterating.
	}
}

// roomsOf returns the names of the rooms user may see, sorted.
func (h *hub) roomsOf(user string) []string {
	names := make([]string, 0, len(h.rooms))
	for name, r := range h.rooms {
		if r.visibleTo(user) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}
