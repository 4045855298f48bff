// store_rooms.go owns rooms and DMs: the room ops a commit applies in
// order with the messages around it (creating, opening a DM, membership,
// settings, renaming, where every record the room holds moves, and
// deleting, its bots revoked), and the in-memory copy of every room that
// each commit reads and only a commit changes.

package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// room is a stored room: public (everyone sees it), private (its members
// do), or a direct conversation between two users (a private room named
// by dmName).
type room struct {
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by,omitempty"`
	Private   bool      `json:"private,omitempty"`
	DM        bool      `json:"dm,omitempty"`
	Members   []string  `json:"members,omitempty"`  // of a private room or DM, sorted
	Archived  bool      `json:"archived,omitempty"` // readable, but takes no new messages
	// Retention: keep messages this many days, and at most this many
	// (0: no limit). A background job removes the rest.
	KeepDays     int `json:"keep_days,omitempty"`
	KeepMessages int `json:"keep_messages,omitempty"`
}

// visibleTo reports whether user may see, read and write in the room.
func (r room) visibleTo(user string) bool {
	return !r.Private || slices.Contains(r.Members, user)
}

// dmName is the room holding the direct conversation of a and b. Usernames
// cannot contain '@' or '+', so it cannot collide with a room or another DM.
func dmName(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "@" + a + "+" + b
}

// roomSettings are what an admin may change about a room (opUpdateRoom);
// a nil field stays as it is. It is also the admin API's request body.
type roomSettings struct {
	Archived     *bool `json:"archived"`
	KeepDays     *int  `json:"keep_days"`
	KeepMessages *int  `json:"keep_messages"`
}

// apply sets r's fields that s gives.
func (s roomSettings) apply(r *room) {
	if s.Archived != nil {
		r.Archived = *s.Archived
	}
	if s.KeepDays != nil {
		r.KeepDays = *s.KeepDays
	}
	if s.KeepMessages != nil {
		r.KeepMessages = *s.KeepMessages
	}
}

// roomChange is what a room op (see changeOp) carries, and what its commit
// found. The room it changes is the request's Msg.Room, the user asking
// Msg.User.
type roomChange struct {
	New      room         // opCreateRoom, opOpenDM: the room to make
	Members  []string     // opSetMembers: the new members
	Settings roomSettings // opUpdateRoom
	To       string       // opRenameRoom: the new name

	// Set by the commit.
	Was     room  // the room before the change; zero if there was none
	Created bool  // opOpenDM: made now, not found
	Revoked []bot // opDeleteRoom: its bots, revoked with it
}

// roomOverlay is one batch's view of the rooms while it is written: the
// rooms changed earlier in the batch over the in-memory copy, which holds
// what the last commit left. It reaches the copy only once the batch has
// committed (applyRooms), so a failed transaction leaves the copy as it was.
type roomOverlay struct {
	st      *store
	changed map[string]*room // name → the room as the batch left it; nil: gone
}

// room returns the named room as the batch sees it so far.
func (o *roomOverlay) room(name string) (room, bool) {
	if r, ok := o.changed[name]; ok {
		if r == nil {
			return room{}, false
		}
		return *r, true
	}
	return o.st.room(name)
}

// set records that the batch left the room called name as r (nil: gone).
func (o *roomOverlay) set(name string, r *room) {
	if o.changed == nil {
		o.changed = make(map[string]*room)
	}
	o.changed[name] = r
}

// applyRooms records a committed batch's room changes in the in-memory
// copy. Only the goroutine that commits (see appendMessages) calls it, so
// copies of two commits cannot land in the wrong order.
func (st *store) applyRooms(o roomOverlay) {
	if len(o.changed) == 0 {
		return
	}
	st.roomsMu.Lock()
	defer st.roomsMu.Unlock()
	for name, r := range o.changed {
		if r == nil {
			delete(st.rooms, name)
		} else {
			st.rooms[name] = *r
		}
	}
}

// changeRoomTx applies one room op in tx, reading rooms through rooms. A
// refusal is req.Err and writes nothing: errRoomExists (the name is taken),
// errRoomNotFound (no such room, or one the user may not see),
// errNotManager, errDefaultRoom. The returned error fails the transaction.
func changeRoomTx(tx *bbolt.Tx, rooms *roomOverlay, req *appendRequest, now time.Time) error {
	c, name, who := &req.Change, req.Msg.Room, req.Msg.User
	switch req.Op {
	case opCreateRoom, opOpenDM:
		r := c.New
		if old, ok := rooms.room(r.Name); ok {
			if req.Op == opOpenDM { // both of its people opened it at once
				req.Room, c.Was = old, old
				return nil
			}
			req.Err = errRoomExists
			return nil
		}
		if err := createRoomTx(tx, r); err != nil {
			return err
		}
		rooms.set(r.Name, &r)
		req.Room, c.Created = r, true
		return nil
	case opDeleteRoom:
		return deleteRoomTx(tx, rooms, req, now)
	case opRenameRoom:
		return renameRoomTx(tx, rooms, req)
	}
	r, ok := rooms.room(name)
	if !ok {
		req.Err = errRoomNotFound
		return nil
	}
	c.Was = r
	switch req.Op {
	case opSetMembers:
		// Who may is read here, in the commit: a change committed just
		// before (the asker taken out of the room) counts.
		if !r.Private || r.DM || !r.visibleTo(who) {
			req.Err = errRoomNotFound
			return nil
		}
		if r.CreatedBy != who && !isAdminTx(tx, who) {
			req.Err = errNotManager
			return nil
		}
		r.Members = slices.Compact(slices.Sorted(slices.Values(c.Members)))
	case opUpdateRoom:
		c.Settings.apply(&r)
	default:
		return fmt.Errorf("unknown room op %d", req.Op)
	}
	if err := putJSON(tx.Bucket(bucketRooms), []byte(r.Name), r); err != nil {
		return err
	}
	rooms.set(r.Name, &r)
	req.Room = r
	return nil
}

// commitAlone commits one change in a batch of its own, for tools and
// tests that hold the store with no server running. A hub, if there is
// one, is not told: while a server runs, changes go through its committer.
// It returns the change's refusal, if any, wrapped as "store: <what>: …";
// a failed commit's error comes from appendMessages, which says what failed.
func (st *store) commitAlone(req *appendRequest, what string) error {
	if err := st.appendMessages([]*appendRequest{req}, time.Now()); err != nil {
		return err
	}
	if req.Err != nil {
		return fmt.Errorf("store: %s: %w", what, req.Err)
	}
	return nil
}

// createRoom stores a new room with empty history, by itself (see
// commitAlone). It returns errRoomExists, wrapped, if the name is taken.
func (st *store) createRoom(r room) error {
	req := &appendRequest{Op: opCreateRoom, Msg: message{Room: r.Name}, Change: roomChange{New: r}}
	return st.commitAlone(req, fmt.Sprintf("create room %q", r.Name))
}

// renameRoom gives a room a new name, by itself (see commitAlone and
// renameRoomTx). It returns the room as renamed; errRoomNotFound,
// errDefaultRoom or, if to is taken, errRoomExists, each wrapped.
func (st *store) renameRoom(from, to string) (room, error) {
	req := &appendRequest{Op: opRenameRoom, Msg: message{Room: from}, Change: roomChange{To: to}}
	if err := st.commitAlone(req, fmt.Sprintf("rename room %q to %q", from, to)); err != nil {
		return room{}, err
	}
	return req.Room, nil
}

func createRoomTx(tx *bbolt.Tx, r room) error {
	b := tx.Bucket(bucketRooms)
	if b.Get([]byte(r.Name)) != nil {
		return errRoomExists
	}
	if _, err := tx.Bucket(bucketMessages).CreateBucketIfNotExists([]byte(r.Name)); err != nil {
		return err
	}
	if _, err := tx.Bucket(bucketClientIDs).CreateBucketIfNotExists([]byte(r.Name)); err != nil {
		return err
	}
	if _, err := tx.Bucket(bucketRevs).CreateBucketIfNotExists([]byte(r.Name)); err != nil {
		return err
	}
	return putJSON(b, []byte(r.Name), r)
}

// room returns the named room from the in-memory copy of the rooms bucket:
// the rooms as the last commit left them.
func (st *store) room(name string) (room, bool) {
	st.roomsMu.RLock()
	defer st.roomsMu.RUnlock()
	r, ok := st.rooms[name]
	return r, ok
}

// listRooms returns every room in name order.
func (st *store) listRooms() []room {
	st.roomsMu.RLock()
	defer st.roomsMu.RUnlock()
	out := make([]room, 0, len(st.rooms))
	for _, r := range st.rooms {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b room) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// loadRooms fills the in-memory copy of the rooms bucket, at open.
func (st *store) loadRooms() error {
	st.rooms = make(map[string]room)
	return st.db.View(func(tx *bbolt.Tx) error {
		return forEachJSON(tx.Bucket(bucketRooms), "room", func(_ []byte, r room) error {
			st.rooms[r.Name] = r
			return nil
		})
	})
}

// renameRoomTx gives the room req.Msg.Room the name req.Change.To: its
// history, revisions, client ids, search index, read markers, files and
// the bots posting to it all move, so nothing refers to the old name
// afterwards except the audit log and the bots' hooks (which keep working,
// see bot.Formerly). It refuses with errRoomNotFound, errRoomExists if the
// new name is taken, or errDefaultRoom. A room's messages are copied once:
// a rename is rare, and bbolt cannot rename a bucket.
func renameRoomTx(tx *bbolt.Tx, rooms *roomOverlay, req *appendRequest) error {
	from, to := req.Msg.Room, req.Change.To
	r, ok := rooms.room(from)
	_, taken := rooms.room(to)
	switch {
	case !ok:
		req.Err = errRoomNotFound
		return nil
	case from == defaultRoom:
		req.Err = errDefaultRoom
		return nil
	case taken:
		req.Err = errRoomExists
		return nil
	}
	req.Change.Was = r
	for _, top := range [][]byte{bucketMessages, bucketClientIDs, bucketRevs} {
		if err := renameBucketTx(tx.Bucket(top), []byte(from), []byte(to)); err != nil {
			return fmt.Errorf("move %s: %w", top, err)
		}
	}
	// The search index and the files name the room in each entry.
	files := tx.Bucket(bucketFiles)
	err := tx.Bucket(bucketMessages).Bucket([]byte(to)).ForEach(func(k, v []byte) error {
		m, err := decodeMessage(from, k, v)
		if err != nil {
			return err
		}
		if err := indexTx(tx, &m, false); err != nil {
			return err
		}
		m.Room = to
		if err := indexTx(tx, &m, true); err != nil {
			return err
		}
		if m.File == nil {
			return nil
		}
		var a attachment
		if err := getJSON(files, idKey(m.File.ID), &a, nil); err != nil || a.Room != from {
			return err // a file already gone stays gone
		}
		a.Room = to
		return putJSON(files, idKey(m.File.ID), a)
	})
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	if err := renameReadsTx(tx.Bucket(bucketReads), from, to); err != nil {
		return err
	}
	if err := renameBotRoomTx(tx.Bucket(bucketBots), from, to); err != nil {
		return err
	}
	if err := moveRoomLevelsTx(tx, from, to); err != nil {
		return err
	}
	if err := tx.Bucket(bucketRooms).Delete([]byte(from)); err != nil {
		return err
	}
	r.Name = to
	if err := putJSON(tx.Bucket(bucketRooms), []byte(to), r); err != nil {
		return err
	}
	rooms.set(from, nil)
	rooms.set(to, &r)
	req.Room = r
	return nil
}

// renameBucketTx moves parent's nested bucket from to the key to, with its
// sequence.
func renameBucketTx(parent *bbolt.Bucket, from, to []byte) error {
	old := parent.Bucket(from)
	if old == nil {
		_, err := parent.CreateBucket(to)
		return err
	}
	nb, err := parent.CreateBucket(to)
	if err != nil {
		return err
	}
	nb.FillPercent = appendFillPercent // keys are copied in order
	if err := old.ForEach(func(k, v []byte) error { return nb.Put(k, v) }); err != nil {
		return err
	}
	if err := nb.SetSequence(old.Sequence()); err != nil {
		return err
	}
	return parent.DeleteBucket(from)
}

// renameReadsTx moves every user's read marker in room from to to.
func renameReadsTx(reads *bbolt.Bucket, from, to string) error {
	type marker struct{ user, id []byte }
	var moved []marker
	err := reads.ForEach(func(k, v []byte) error {
		if user, r, ok := bytes.Cut(k, []byte{0}); ok && string(r) == from {
			moved = append(moved, marker{bytes.Clone(user), bytes.Clone(v)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range moved {
		if err := reads.Delete(append(append(bytes.Clone(m.user), 0), from...)); err != nil {
			return err
		}
		if err := reads.Put(append(append(bytes.Clone(m.user), 0), to...), m.id); err != nil {
			return err
		}
	}
	return nil
}

// renameBotRoomTx points the bots posting to room from at to.
func renameBotRoomTx(bots *bbolt.Bucket, from, to string) error {
	type moved struct {
		key []byte
		b   bot
	}
	var out []moved
	err := forEachJSON(bots, "bot", func(k []byte, b bot) error {
		if b.Room == from {
			b.Room = to
			b.Formerly = append(b.Formerly, from)
			out = append(out, moved{bytes.Clone(k), b})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range out {
		if err := putJSON(bots, m.key, m.b); err != nil {
			return err
		}
	}
	return nil
}

// deleteRoomTx removes the room req.Msg.Room with its history, files,
// index entries and read markers; its bots are revoked (req.Change.Revoked).
// req.Room is left holding the room as it was, to say who saw it. It
// refuses with errRoomNotFound or errDefaultRoom.
func deleteRoomTx(tx *bbolt.Tx, rooms *roomOverlay, req *appendRequest, now time.Time) error {
	name := req.Msg.Room
	r, ok := rooms.room(name)
	switch {
	case !ok:
		req.Err = errRoomNotFound
		return nil
	case name == defaultRoom:
		req.Err = errDefaultRoom
		return nil
	}
	// Its bots go with it: whoever makes a room of the same name later
	// must not receive a doorbell's or an alarm's posts.
	revoked, err := revokeBotsTx(tx, now, func(b bot) bool { return b.Room == name })
	if err != nil {
		return err
	}
	if mb := tx.Bucket(bucketMessages).Bucket([]byte(name)); mb != nil {
		err := mb.ForEach(func(k, v []byte) error {
			m, err := decodeMessage(name, k, v)
			if err != nil {
				return err
			}
			if err := indexTx(tx, &m, false); err != nil {
				return err
			}
			if m.File != nil {
				return deleteFileTx(tx, m.File.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, top := range [][]byte{bucketMessages, bucketClientIDs, bucketRevs} {
		if tx.Bucket(top).Bucket([]byte(name)) != nil {
			if err := tx.Bucket(top).DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
	}
	reads := tx.Bucket(bucketReads)
	var stale [][]byte
	reads.ForEach(func(k, _ []byte) error {
		if _, r, ok := bytes.Cut(k, []byte{0}); ok && string(r) == name {
			stale = append(stale, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range stale {
		if err := reads.Delete(k); err != nil {
			return err
		}
	}
	if err := moveRoomLevelsTx(tx, name, ""); err != nil {
		return err
	}
	if err := tx.Bucket(bucketRooms).Delete([]byte(name)); err != nil {
		return err
	}
	rooms.set(name, nil)
	req.Room, req.Change.Was, req.Change.Revoked = r, r, revoked
	return nil
}
