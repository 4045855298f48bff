// store_rooms.go owns rooms and DMs: creating, membership, the in-memory
// copy of every room that each commit reads, renaming (every record the
// room holds moves in one transaction) and deleting (its bots revoked).

package main

import (
	"bytes"
	"errors"
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

// createRoom stores a new room with empty history. It returns errRoomExists
// if the name is taken.
func (st *store) createRoom(r room) error {
	st.roomWrites.Lock()
	defer st.roomWrites.Unlock()
	err := st.db.Update(func(tx *bbolt.Tx) error { return createRoomTx(tx, r) })
	if err == nil {
		st.cacheRoom(r)
	}
	return err
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

// openDM returns the direct conversation of a and b, creating it if needed
// (created tells which).
func (st *store) openDM(a, b string, now time.Time) (r room, created bool, err error) {
	name := dmName(a, b)
	if r, ok := st.room(name); ok {
		return r, false, nil
	}
	r = room{Name: name, Created: now, CreatedBy: a, Private: true, DM: true, Members: []string{min(a, b), max(a, b)}}
	switch err := st.createRoom(r); {
	case errors.Is(err, errRoomExists): // both opened it at once
		r, _ = st.room(name)
		return r, false, nil
	case err != nil:
		return room{}, false, err
	}
	return r, true, nil
}

// setRoomMembers replaces the members of a private room (not a DM) and
// returns the room as stored. It returns errRoomNotFound if there is no
// such private room.
func (st *store) setRoomMembers(name string, members []string) (room, error) {
	st.roomWrites.Lock()
	defer st.roomWrites.Unlock()
	var r room
	err := st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketRooms)
		if err := getJSON(b, []byte(name), &r, errRoomNotFound); err != nil {
			return err
		}
		if !r.Private || r.DM {
			return errRoomNotFound
		}
		r.Members = slices.Compact(slices.Sorted(slices.Values(members)))
		return putJSON(b, []byte(name), r)
	})
	if err != nil {
		return room{}, err
	}
	st.cacheRoom(r)
	return r, nil
}

// room returns the named room from the in-memory copy of the rooms bucket.
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

// cacheRoom records r in the in-memory copy, after its write committed.
func (st *store) cacheRoom(r room) {
	st.roomsMu.Lock()
	defer st.roomsMu.Unlock()
	st.rooms[r.Name] = r
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

// updateRoom applies fn to a stored room and saves it, atomically.
func (st *store) updateRoom(name string, fn func(*room)) (room, error) {
	st.roomWrites.Lock()
	defer st.roomWrites.Unlock()
	var r room
	err := st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketRooms)
		if err := getJSON(b, []byte(name), &r, errRoomNotFound); err != nil {
			return err
		}
		fn(&r)
		return putJSON(b, []byte(name), r)
	})
	if err == nil {
		st.cacheRoom(r)
	}
	return r, err
}

// renameRoom gives a room a new name, in one transaction: its history,
// revisions, client ids, search index, read markers, files and the bots
// posting to it all move, so nothing refers to the old name afterwards
// except the audit log and the bots' hooks (which keep working, see
// bot.Formerly). It returns errRoomNotFound, or errRoomExists if to is
// taken. A room's messages are copied once: a rename is rare, and bbolt
// cannot rename a bucket.
func (st *store) renameRoom(from, to string) (room, error) {
	st.roomWrites.Lock()
	defer st.roomWrites.Unlock()
	var r room
	err := st.db.Update(func(tx *bbolt.Tx) error {
		rooms := tx.Bucket(bucketRooms)
		if err := getJSON(rooms, []byte(from), &r, errRoomNotFound); err != nil {
			return err
		}
		if rooms.Get([]byte(to)) != nil {
			return errRoomExists
		}
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
		if err := rooms.Delete([]byte(from)); err != nil {
			return err
		}
		r.Name = to
		return putJSON(rooms, []byte(to), r)
	})
	if err != nil {
		return room{}, err
	}
	st.roomsMu.Lock()
	delete(st.rooms, from)
	st.rooms[to] = r
	st.roomsMu.Unlock()
	return r, nil
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

// deleteRoom removes a room with its history, files, index entries and
// read markers, in one transaction.
func (st *store) deleteRoom(name string, now time.Time) (revoked []bot, err error) {
	st.roomWrites.Lock()
	defer st.roomWrites.Unlock()
	if name == defaultRoom {
		return nil, errors.New("general cannot be deleted")
	}
	err = st.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketRooms).Get([]byte(name)) == nil {
			return errRoomNotFound
		}
		// Its bots go with it: whoever makes a room of the same name later
		// must not receive a doorbell's or an alarm's posts.
		var err error
		if revoked, err = revokeBotsTx(tx, now, func(b bot) bool { return b.Room == name }); err != nil {
			return err
		}
		mb := tx.Bucket(bucketMessages).Bucket([]byte(name))
		if mb != nil {
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
		return tx.Bucket(bucketRooms).Delete([]byte(name))
	})
	if err != nil {
		return nil, err
	}
	st.roomsMu.Lock()
	delete(st.rooms, name)
	st.roomsMu.Unlock()
	return revoked, nil
}
