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

// unread returns user's read marker in room and, after it, how many
// messages by others there are and how many of those mention the user
// (each capped at maxUnreadCount).
func (st *store) unread(userName, roomName string) (read uint64, unread, mentions int, err error) {
	err = st.db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketReads).Get([]byte(userName + "\x00" + roomName)); v != nil {
			read = binary.BigEndian.Uint64(v)
		}
		mb := tx.Bucket(bucketMessages).Bucket([]byte(roomName))
		if mb == nil {
			return errRoomNotFound
		}
		c := mb.Cursor()
		for k, v := c.Seek(idKey(read + 1)); k != nil && unread < maxUnreadCount; k, v = c.Next() {
			m, err := decodeMessage(roomName, k, v)
			if err != nil {
				return err
			}
			if m.User == userName || m.Deleted {
				continue
			}
			unread++
			if slices.Contains(m.Mentions, userName) {
				mentions++
			}
		}
		return nil
	})
	return read, unread, mentions, err
}
