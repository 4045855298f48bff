// presence.go owns who is here, on the hub's goroutine: the sorted list
// of who is online that hellos and presence frames carry, the presence
// grace that keeps a reload from being announced, the "back", "joined"
// and "left" announcements, and relaying who is typing (never stored).

package main

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// onlineNames returns who is online, sorted. Every hello and presence
// frame carries the list, and it changes far less often than sockets come
// and go (a reload is within the grace), so it is kept between changes.
// Callers only read it, and it is never changed in place (a change makes
// a new one), so a list handed out through do stays valid after.
func (h *hub) onlineNames() []string {
	if h.names == nil {
		h.names = slices.AppendSeq(make([]string, 0, len(h.online)), maps.Keys(h.online)) // [] in JSON, not null
		slices.Sort(h.names)
	}
	return h.names
}

// onlineJSON is onlineNames encoded, kept between changes like the list:
// every hello carries it.
func (h *hub) onlineJSON() []byte {
	if h.namesJSON == nil {
		h.namesJSON, _ = json.Marshal(h.onlineNames()) // a []string always encodes
	}
	return h.namesJSON
}

// onlineChanged drops the kept online list: online's keys have changed.
func (h *hub) onlineChanged() {
	h.names, h.namesJSON = nil, nil
}

// left forgets user's presence, grace and all, and says they left.
func (h *hub) left(user string) {
	delete(h.leaving, user)
	delete(h.online, user)
	h.onlineChanged()
	h.announce(user, "left")
}

// armGrace makes sure run hears within d that a "left" may be due. One
// timer serves everyone in their grace: a phone that drops and redials
// all evening costs a map entry, not a timer each time, and a user who
// comes back is simply no longer in leaving when it fires.
func (h *hub) armGrace(d time.Duration) {
	if h.graceArmed {
		// For an earlier due time, since the grace is the same for
		// everyone; leavesDue sets it again for the rest.
		return
	}
	h.graceArmed = true
	if h.graceTimer == nil {
		h.graceTimer = time.AfterFunc(d, func() { h.later(h.leavesDue) })
		return
	}
	h.graceTimer.Reset(d)
}

// leavesDue announces "left" for everyone whose grace has run out, the
// earliest first, and sets the timer for the next one still in it.
func (h *hub) leavesDue() {
	h.graceArmed = false
	now := time.Now()
	var due []string
	var next time.Time
	for user, at := range h.leaving {
		switch {
		case !now.Before(at):
			due = append(due, user)
		case next.IsZero() || at.Before(next):
			next = at
		}
	}
	slices.SortFunc(due, func(a, b string) int {
		return cmp.Or(h.leaving[a].Compare(h.leaving[b]), strings.Compare(a, b))
	})
	for _, user := range due {
		h.left(user)
	}
	if !next.IsZero() {
		h.armGrace(next.Sub(now))
	}
}

// announce sends a presence event about user to every room they may see,
// heard by those who may see it, as one queue slot per connection however
// many rooms there are. A private room's online list holds its members only.
func (h *hub) announce(user, event string) {
	online := h.onlineNames()
	h.deliverByRoom(func(yield func(room, frames)) {
		for _, name := range h.roomsOf(user) {
			r := h.rooms[name]
			who := online
			if r.Private {
				who = slices.DeleteFunc(slices.Clone(online), func(u string) bool { return !r.visibleTo(u) })
			}
			yield(r, prepare(presenceFrame{Type: "presence", Room: name, User: user, Event: event, Online: who}))
		}
	})
}

// relayTyping tells everyone else who may see the room that c's user is
// typing there. Nothing is stored.
func (h *hub) relayTyping(c *conn, room string) {
	r, ok := h.rooms[room]
	if _, live := h.conns[c]; !live || !ok || !r.visibleTo(c.user) {
		return
	}
	key := c.user + "\x00" + room
	if time.Since(h.typed[key]) < typingEvery {
		return
	}
	h.typed[key] = time.Now()
	f, now := prepare(typingFrame{Type: "typing", Room: room, User: c.user}), time.Now()
	for other := range h.conns {
		if other.user != c.user && r.visibleTo(other.user) {
			h.push(other, f, now)
		}
	}
}
