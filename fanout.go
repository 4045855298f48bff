// fanout.go owns how a committed batch reaches the sockets, on the hub's
// goroutine: its messages, replies and room changes queued in commit
// order to those who may see them, the new messages offered to the
// pusher, and the room changes applied to the hub's rooms.

package main

import (
	"slices"
	"time"
)

// fanOut delivers a committed batch in its order, then closes each done:
// its new messages go to those who could see their rooms when they were
// committed, as one queue slot (in id order), a duplicate back to its
// sender only (it was acknowledged before), a refusal as an error frame to
// its sender. A room change takes effect where it stands in the batch: the
// messages committed before it are queued first, under the room as it was,
// and those after it follow its frame.
func (h *hub) fanOut(batch []*pendingSend) {
	start := time.Now()
	if len(batch) > 0 {
		metricStageHandoff.Update(start.Sub(batch[0].committed).Seconds())
		defer func() { metricStageFanout.Update(time.Since(start).Seconds()) }()
	}
	var delivered int
	for len(batch) > 0 {
		i := slices.IndexFunc(batch, func(p *pendingSend) bool { return p.req.Op.changesRoom() })
		if i < 0 {
			i = len(batch)
		}
		delivered += h.deliverByRoom(func(yield func(room, frames)) {
			// A sender's private replies take one queue slot too, however
			// many it has: a client resending its outbox must not be
			// dropped as slow.
			var replies map[*conn]frames
			for _, p := range batch[:i] {
				if p.private() {
					if _, ok := h.conns[p.from]; ok {
						if replies == nil {
							replies = make(map[*conn]frames)
						}
						replies[p.from] = append(replies[p.from], p.reply...)
					}
					continue
				}
				yield(p.req.Room, p.reply) // as committed, not as the hub now knows it
			}
			now := time.Now()
			for c, f := range replies {
				h.push(c, f, now)
			}
		})
		if i < len(batch) {
			if p := batch[i]; p.err == nil && p.req.Err == nil {
				h.changeRoom(&p.req)
			}
			i++
		}
		h.offerPushes(batch[:i])
		closeDone(batch[:i])
		batch = batch[i:]
	}
	metricDelivered.Add(delivered)
}

// offerPushes hands the new messages of a delivered batch to the pusher,
// with who is reading on a visible page now: they are not pushed.
func (h *hub) offerPushes(batch []*pendingSend) {
	if h.pusher == nil {
		return
	}
	var seen map[string]bool
	for _, p := range batch {
		if p.req.Op != opSend || p.private() {
			continue
		}
		if seen == nil {
			seen = make(map[string]bool)
			for c := range h.conns {
				if !c.hidden.Load() {
					seen[c.user] = true
				}
			}
		}
		h.pusher.offer(pushJob{msg: p.req.Msg, room: p.req.Room, seen: seen})
	}
}

// deliverByRoom queues, for every connection, the frames of the rooms its
// user may see, in the order given, as one slot, and returns how many
// frames it queued in all. When every room is public all connections share
// one slice.
func (h *hub) deliverByRoom(each func(yield func(r room, f frames))) (queued int) {
	var public frames
	type part struct {
		room room
		f    frames
	}
	var parts []part // in order, for the rare batch that has private rooms
	private := false
	each(func(r room, f frames) {
		parts = append(parts, part{r, f})
		if r.Private {
			private = true
		} else {
			public = append(public, f...)
		}
	})
	if !private {
		h.broadcast(public)
		return len(public) * len(h.conns)
	}
	perUser, now := map[string]frames{}, time.Now()
	for c := range h.conns {
		f, ok := perUser[c.user]
		if !ok {
			for _, p := range parts {
				if p.room.visibleTo(c.user) {
					f = append(f, p.f...)
				}
			}
			perUser[c.user] = f
		}
		h.push(c, f, now)
		queued += len(f)
	}
	return queued
}

// changeRoom applies a committed room op to the hub's rooms and tells the
// connections it concerns, deciding who by the room as committed before and
// after the change.
func (h *hub) changeRoom(req *appendRequest) {
	switch req.Op {
	case opCreateRoom, opSetMembers, opUpdateRoom:
		h.setRoom(req.Change.Was, req.Room)
	case opOpenDM:
		if req.Change.Created {
			h.setRoom(room{}, req.Room)
		}
	case opRenameRoom:
		from, r := req.Change.Was.Name, req.Room
		delete(h.rooms, from)
		h.rooms[r.Name] = r
		// room_renamed, with the old name in from, so open views follow.
		f, now := prepare(roomRenamedFrame{Type: "room_renamed", Room: r.Name, From: from}), time.Now()
		for c := range h.conns {
			if r.visibleTo(c.user) {
				h.push(c, f, now)
			}
		}
	case opDeleteRoom:
		old := req.Room
		delete(h.rooms, old.Name)
		f, now := prepare(roomFrame{Type: "room_removed", Room: old.Name}), time.Now()
		for c := range h.conns {
			if old.visibleTo(c.user) {
				h.push(c, f, now)
			}
		}
	}
}

// setRoom records a new room (was is zero), or a room's new members or
// settings, and tells the connections that see it now (a room frame) or
// saw it before and no longer do (room_removed).
func (h *hub) setRoom(was, r room) {
	existed := was.Name != ""
	h.rooms[r.Name] = r
	added, removed := prepare(roomFrameFor(r)), prepare(roomFrame{Type: "room_removed", Room: r.Name})
	queued := time.Now()
	for c := range h.conns {
		switch was, now := existed && was.visibleTo(c.user), r.visibleTo(c.user); {
		case now:
			h.push(c, added, queued) // new to them, or its members changed
		case was:
			h.push(c, removed, queued)
		}
	}
}
