// store_reads.go owns read markers and unread counts: how far each person
// has read each room (it only moves forward), and how many messages by
// others, and how many naming them, lie after it.

package main

import (
	"encoding/binary"
	"slices"

	"go.etcd.io/bbolt"
)

// setRead records that user has read room up to id; it never moves back.
// It returns the marker as stored.
func (st *store) setRead(userName, roomName string, id uint64) (uint64, error) {
	key := []byte(userName + "\x00" + roomName)
	err := st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketReads)
		if v := b.Get(key); v != nil && binary.BigEndian.Uint64(v) >= id {
			id = binary.BigEndian.Uint64(v)
			return nil
		}
		return b.Put(key, idKey(id))
	})
	return id, err
}

// maxUnreadCount caps counting: past it a badge says "999+" anyway.
const maxUnreadCount = 1000

// ReadState is how far a person has read a room and what lies after.
// Newest says where the counting stopped: a client adds the messages it
// hears of after that id, and no earlier one, so none is counted twice.
// (Exported only so that JSON can fill it where it is embedded by pointer.)
type ReadState struct {
	Read     uint64 `json:"read"`     // the id read up to
	Unread   int    `json:"unread"`   // messages by others after it (at most maxUnreadCount)
	Mentions int    `json:"mentions"` // of those, how many name the viewer
	Newest   uint64 `json:"newest"`   // the room's newest message id when counted; 0 for none
}

// unread returns user's read marker in room and, after it, how many
// messages by others there are and how many of those mention the user
// (each capped at maxUnreadCount), with the room's newest id as counted.
func (st *store) unread(userName, roomName string) (rs ReadState, err error) {
	err = st.db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketReads).Get([]byte(userName + "\x00" + roomName)); v != nil {
			rs.Read = binary.BigEndian.Uint64(v)
		}
		mb := tx.Bucket(bucketMessages).Bucket([]byte(roomName))
		if mb == nil {
			return errRoomNotFound
		}
		c := mb.Cursor()
		if k, _ := c.Last(); k != nil {
			rs.Newest = binary.BigEndian.Uint64(k)
		}
		for k, v := c.Seek(idKey(rs.Read + 1)); k != nil && rs.Unread < maxUnreadCount; k, v = c.Next() {
			m, err := decodeMessage(roomName, k, v)
			if err != nil {
				return err
			}
			if m.User == userName || m.Deleted {
				continue
			}
			rs.Unread++
			if slices.Contains(m.Mentions, userName) {
				rs.Mentions++
			}
		}
		return nil
	})
	return rs, err
}
