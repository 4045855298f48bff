// store_messages.go owns message history: appending and changing messages
// in group commits, history pages and catch-up by rev, mentions, and
// retention's pruning. Read markers are store_reads.go's.

package main

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// message is one stored chat message. Its JSON form is the wire form of the
// "message" and "update" frames and of the history API.
type message struct {
	Type      string              `json:"type"` // "message", or "update" for a change
	Room      string              `json:"room"`
	ID        uint64              `json:"id"`
	Rev       uint64              `json:"rev"` // the room's rev of this message's latest change
	User      string              `json:"user"`
	Body      string              `json:"body"`
	TS        time.Time           `json:"ts"`
	ClientID  string              `json:"client_id,omitempty"`
	Edited    time.Time           `json:"edited,omitzero"`
	Deleted   bool                `json:"deleted,omitempty"`
	Reactions map[string][]string `json:"reactions,omitempty"` // emoji → users, in order of reacting
	Bot       bool                `json:"bot,omitempty"`       // posted by a webhook
	Mentions  []string            `json:"mentions,omitempty"`  // users named with @, who exist
	File      *attachment         `json:"file,omitempty"`
	ReplyTo   uint64              `json:"reply_to,omitempty"` // the id of the message in the same room this one answers
	// Reply is what a reply shows of the message it answers, as that
	// message is when this copy is read; never stored. Nil when ReplyTo
	// is 0 or names a message retention has removed.
	Reply *replyPreview `json:"reply,omitempty"`
}

// replyPreviewLen bounds the text of the original a reply carries: enough
// for the quoted line above it, not the whole message again.
const replyPreviewLen = 200

// replyPreview is the quote above a reply: who wrote the original and the
// start of its text, or that it was deleted. It is made from the original
// as stored whenever the reply is read, so a history page never shows a
// stale quote; a client already showing a reply hears of an edit or a
// delete of the original from the original's own update frame.
type replyPreview struct {
	User    string `json:"user"`
	Body    string `json:"body,omitempty"` // at most replyPreviewLen bytes, cut on a rune boundary
	Deleted bool   `json:"deleted,omitempty"`
}

// errReplyNotFound refuses a reply whose reply_to names no message of the
// room, or one already deleted: there is nothing left to answer. (A reply
// stays when its original is deleted later; its quote then says so.)
var errReplyNotFound = errors.New("message replied to is not in the room or was deleted")

// previewOf is the quote a reply shows of orig.
func previewOf(orig message) *replyPreview {
	if orig.Deleted {
		return &replyPreview{User: orig.User, Deleted: true}
	}
	return &replyPreview{User: orig.User, Body: truncate(orig.Body, replyPreviewLen)}
}

// addReply fills m.Reply from the message it answers in mb, the bucket of
// m's room. An original that retention has removed leaves Reply nil.
func addReply(mb *bbolt.Bucket, m *message) error {
	m.Reply = nil
	if m.ReplyTo == 0 {
		return nil
	}
	orig, err := getMessage(mb, m.Room, m.ReplyTo)
	if errors.Is(err, errMessageNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reply %d to %d: %w", m.ID, m.ReplyTo, err)
	}
	m.Reply = previewOf(orig)
	return nil
}

// storedMessage is the value kept in bbolt; room and id live in the bucket
// name and key.
type storedMessage struct {
	User      string              `json:"u"`
	Body      string              `json:"b"`
	TS        time.Time           `json:"t"`
	ClientID  string              `json:"c,omitempty"`
	Rev       uint64              `json:"r,omitempty"`
	Edited    time.Time           `json:"e,omitzero"`
	Deleted   bool                `json:"d,omitempty"`
	Reactions map[string][]string `json:"x,omitempty"`
	Bot       bool                `json:"o,omitempty"`
	Mentions  []string            `json:"m,omitempty"`
	File      *attachment         `json:"f,omitempty"`
	ReplyTo   uint64              `json:"p,omitempty"` // the id answered (its parent); absent in records older than replies
}

// changeOp is what an appendRequest does.
type changeOp uint8

const (
	opSend   changeOp = iota // a new message (with Upload, a file too)
	opEdit                   // replace the body of one's own message
	opDelete                 // delete one's own message (an admin: anyone's)
	opReact                  // toggle one's reaction on a message

	// Room ops (see roomChange) are committed in order with the messages
	// around them, so whoever hears the batch hears the rooms change
	// between the same messages as they did on disk.
	opCreateRoom // Change.New
	opOpenDM     // Change.New, unless the DM exists (Change.Created says)
	opSetMembers // Change.Members of a private room, by its creator or an admin
	opUpdateRoom // Change.Settings
	opRenameRoom // to Change.To
	opDeleteRoom // with everything it holds
)

// changesRoom reports whether op is a room op.
func (op changeOp) changesRoom() bool { return op >= opCreateRoom }

// reactionEmoji are the quick reactions, offered first on every message. A
// reaction may be any emoji of reactionSet (emoji.go); these are among them.
var reactionEmoji = []string{"👍", "❤️", "😂", "😮", "😢", "🎉"}

// maxReactionKinds bounds the different emoji on one message, so that the
// people of a room cannot grow one message by reacting with every emoji
// there is. A reaction already there can always be added to or taken back.
const maxReactionKinds = 20

// errTooManyReactions refuses a reaction with a new emoji on a message
// that has maxReactionKinds already.
var errTooManyReactions = errors.New("too many different reactions on the message")

// appendRequest is one change waiting to be committed. For opSend the caller
// fills Msg's Room, User, Body, ClientID and, for a reply, ReplyTo; for the
// message changes Room, ID, User (and Body to edit); for room ops Room (the
// room changed), User (who asks) and Change. appendMessages leaves in Msg
// the message as stored (with Reply, for a reply).
type appendRequest struct {
	Op     changeOp
	Msg    message
	Emoji  string      // opReact
	Upload *fileUpload // opSend of a file: made visible with its message, or not at all
	Change roomChange  // room ops
	// Dup is set when Msg.ClientID was already stored for this user and room:
	// Msg then holds the stored message and nothing new was written.
	Dup bool
	// Err is set when this request alone was refused: errRoomNotFound,
	// errMessageNotFound, errNotYours, errReplyNotFound.
	Err error
	// Bot is set for a webhook's message: it may post to its room without
	// being a member, and only to the room created at BotRoom (its
	// identity), not to another room that has since taken the name.
	Bot     bool
	BotRoom time.Time
	// Room is the room as it stood when the request was committed: who may
	// see the result is decided by it, not by the hub's copy. For a room op
	// it is the room as changed (as it was, for opDeleteRoom).
	Room room
}

// fileUpload is an upload whose chunks are all written (see handleUpload),
// to complete with its message, in the message's transaction: a message
// refused or found stored already leaves it pending, for its handler to
// delete.
type fileUpload struct {
	File attachment // as stored but for its room, which the commit sets
}

// reset clears what a commit sets, so that bbolt may run the transaction's
// function again.
func (req *appendRequest) reset() {
	req.Dup, req.Err, req.Room = false, nil, room{}
	req.Change.Was, req.Change.Created, req.Change.Revoked = room{}, false, nil
}

// appendMessages applies every request in one transaction, so one fsync
// commits the whole batch, in slice order: a room op changes the rooms the
// requests after it see. Within a room, ids and revs are assigned in slice
// order and increase strictly. A send whose client_id was already stored
// by the same user in the same room is answered from the store (Dup). A
// request for a room its user may not see gets errRoomNotFound; a change to
// a missing or deleted message errMessageNotFound (a reply to one,
// errReplyNotFound); to someone else's
// errNotYours; room ops are refused as changeRoomTx says. The returned
// error means nothing at all was committed, and the in-memory rooms are as
// they were.
//
// Only one goroutine may call it at a time: while a server runs, its
// committer (tools and tests with no server, see commitAlone). The rooms
// copy is updated after the commit, outside bbolt's lock, and that one
// caller is what keeps two commits' updates in commit order.
func (st *store) appendMessages(reqs []*appendRequest, now time.Time) error {
	now = now.UTC().Truncate(time.Millisecond)
	var rooms roomOverlay
	// New messages' index entries wait, and are written indexBatch at a
	// time, in the commit that brings the count there (store_search.go).
	var waiting, added []roomID
	var flushed bool
	err := st.db.Update(func(tx *bbolt.Tx) error {
		// Update's fn must be safe to rerun: everything it sets starts over.
		rooms = roomOverlay{st: st}
		added = added[:0]
		msgs, cids, revs := tx.Bucket(bucketMessages), tx.Bucket(bucketClientIDs), tx.Bucket(bucketRevs)
		for _, req := range reqs {
			req.reset()
			if req.Op.changesRoom() {
				if err := changeRoomTx(tx, &rooms, req, now); err != nil {
					return fmt.Errorf("room op %d on %q: %w", req.Op, req.Msg.Room, err)
				}
				continue
			}
			m := &req.Msg
			mb, cb, rb := msgs.Bucket([]byte(m.Room)), cids.Bucket([]byte(m.Room)), revs.Bucket([]byte(m.Room))
			r, ok := rooms.room(m.Room)
			if mb == nil || cb == nil || rb == nil || !ok || !(req.Bot || r.visibleTo(m.User)) || (req.Bot && !r.Created.Equal(req.BotRoom)) {
				req.Err = errRoomNotFound // a non-member learns nothing more
				continue
			}
			req.Room = r
			if r.Archived && req.Op != opDelete {
				req.Err = errRoomArchived
				continue
			}
			// All three fill at their end (ids and revs increase;
			// client_ids mostly start with a time): full pages, half the
			// file of bbolt's default split at 50%.
			mb.FillPercent, cb.FillPercent, rb.FillPercent = appendFillPercent, appendFillPercent, appendFillPercent
			var err error
			if req.Op == opSend {
				err = appendTx(tx, mb, cb, rb, req, now)
			} else {
				err = changeTx(tx, mb, rb, req, now)
			}
			if err != nil {
				return err
			}
			if req.Op == opSend && req.Err == nil && !req.Dup {
				added = append(added, roomID{m.Room, m.ID})
			}
		}
		waiting, flushed = nil, st.unindexed.len()+len(added) >= indexBatch
		if flushed {
			waiting = st.unindexed.list()
			return indexWaitingTx(tx, append(waiting, added...))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: append %d changes: %w", len(reqs), err)
	}
	if flushed {
		st.unindexed.drop(waiting)
	} else {
		st.unindexed.add(added)
	}
	for _, req := range reqs {
		// A deleted room's waiting messages are gone, and a renamed one's
		// were indexed under its new name: forget them, before a room
		// made later under the old name reuses their ids.
		if (req.Op == opDeleteRoom || req.Op == opRenameRoom) && req.Err == nil {
			st.unindexed.dropRoom(req.Msg.Room)
		}
	}
	st.applyRooms(rooms)
	return nil
}

// appendTx stores a new message (or finds it stored already, by client_id).
func appendTx(tx *bbolt.Tx, mb, cb, rb *bbolt.Bucket, req *appendRequest, now time.Time) error {
	m := &req.Msg
	var cidKey []byte
	if m.ClientID != "" {
		// client_id first: ids that start with a time, as the web
		// client's do, then land at the end of the index, so a commit
		// appends to one page instead of rewriting one per sender.
		cidKey = []byte(m.ClientID + "\x00" + m.User)
		if idBytes := cb.Get(cidKey); idBytes != nil {
			stored, err := getMessage(mb, m.Room, binary.BigEndian.Uint64(idBytes))
			if err != nil {
				return err
			}
			req.Msg, req.Dup = stored, true
			return addReply(mb, &req.Msg)
		}
	}
	if m.ReplyTo != 0 {
		// Checked in the commit, against the room as stored: an original
		// deleted a moment ago in this same batch is refused too.
		orig, err := getMessage(mb, m.Room, m.ReplyTo)
		if errors.Is(err, errMessageNotFound) || (err == nil && orig.Deleted) {
			req.Err = errReplyNotFound
			return nil
		}
		if err != nil {
			return err
		}
		m.Reply = previewOf(orig)
	}
	if u := req.Upload; u != nil {
		// The file's bytes are in its chunks already: the commit only
		// makes it visible, with the message, or not at all.
		a := u.File
		a.Room = m.Room // the room it is committed to, which decides who may fetch it
		a, err := completeUploadTx(tx, a, now)
		var quota *quotaError
		if errors.Is(err, errUploadGone) || errors.As(err, &quota) {
			req.Err = err // refuses this upload alone
			return nil
		}
		if err != nil {
			return err
		}
		a = a.description() // the message says which room, who and when
		m.File = &a
	}
	id, err := mb.NextSequence()
	if err != nil {
		return err
	}
	m.Type, m.ID, m.TS, m.Bot = "message", id, now, req.Bot
	m.Mentions = mentionsTx(tx, m.Body)
	if err := putMessage(mb, rb, m); err != nil {
		return err
	}
	// Its index entries are written later, with others (appendMessages).
	if cidKey != nil {
		return cb.Put(cidKey, idKey(id))
	}
	return nil
}

// changeTx edits, deletes or reacts to a stored message.
func changeTx(tx *bbolt.Tx, mb, rb *bbolt.Bucket, req *appendRequest, now time.Time) error {
	stored, err := getMessage(mb, req.Msg.Room, req.Msg.ID)
	if errors.Is(err, errMessageNotFound) || (err == nil && stored.Deleted) {
		req.Err = errMessageNotFound
		return nil
	}
	if err != nil {
		return err
	}
	who := req.Msg.User
	switch req.Op {
	case opEdit:
		if stored.User != who || stored.Bot {
			req.Err = errNotYours
			return nil
		}
		if err := indexTx(tx, &stored, false); err != nil {
			return err
		}
		stored.Body, stored.Edited = req.Msg.Body, now
		stored.Mentions = mentionsTx(tx, stored.Body)
		if err := indexTx(tx, &stored, true); err != nil {
			return err
		}
	case opDelete:
		// Whether the requester may delete anyone's message is read here, in
		// the commit, not taken from the socket: rights taken away since it
		// opened must not linger on it.
		if (stored.User != who || stored.Bot) && !isAdminTx(tx, who) {
			req.Err = errNotYours
			return nil
		}
		if err := indexTx(tx, &stored, false); err != nil {
			return err
		}
		if stored.File != nil {
			if err := deleteFileTx(tx, stored.File.ID); err != nil {
				return err
			}
		}
		stored.Body, stored.Deleted, stored.Reactions, stored.Mentions, stored.File = "", true, nil, nil, nil
		stored.ReplyTo = 0 // nothing of a deleted message is kept, not whom it answered
	case opReact:
		users, ok := stored.Reactions[req.Emoji]
		if !ok && len(stored.Reactions) >= maxReactionKinds {
			req.Err = errTooManyReactions
			return nil
		}
		if i := slices.Index(users, who); i >= 0 {
			users = slices.Delete(users, i, i+1)
		} else {
			users = append(users, who)
		}
		if stored.Reactions == nil {
			stored.Reactions = map[string][]string{}
		}
		stored.Reactions[req.Emoji] = users
		if len(users) == 0 {
			delete(stored.Reactions, req.Emoji)
		}
	}
	stored.Type = "update"
	if err := putMessage(mb, rb, &stored); err != nil {
		return err
	}
	req.Msg = stored
	return addReply(mb, &req.Msg)
}

// putMessage gives m the room's next rev and stores it.
func putMessage(mb, rb *bbolt.Bucket, m *message) error {
	rev, err := rb.NextSequence()
	if err != nil {
		return err
	}
	m.Rev = rev
	val, err := json.Marshal(storedMessage{
		User: m.User, Body: m.Body, TS: m.TS, ClientID: m.ClientID, Rev: m.Rev,
		Edited: m.Edited, Deleted: m.Deleted, Reactions: m.Reactions, Bot: m.Bot, Mentions: m.Mentions, File: m.File,
		ReplyTo: m.ReplyTo,
	})
	if err != nil {
		return err
	}
	key := idKey(m.ID)
	if err := mb.Put(key, val); err != nil {
		return err
	}
	return rb.Put(idKey(rev), key)
}

// roomRev returns the room's latest rev: every change up to it is reflected
// in what is read after.
func (st *store) roomRev(roomName string) (uint64, error) {
	var rev uint64
	err := st.db.View(func(tx *bbolt.Tx) error {
		rb := tx.Bucket(bucketRevs).Bucket([]byte(roomName))
		if rb == nil {
			return errRoomNotFound
		}
		rev = rb.Sequence()
		return nil
	})
	return rev, err
}

// changes returns up to limit messages of the room that changed after rev
// since (new, edited, deleted or reacted to), each as it is now, in the
// order of their latest change, and the rev the caller has caught up to.
func (st *store) changes(roomName string, since uint64, limit int) ([]message, uint64, error) {
	var out []message
	upTo := since
	err := st.db.View(func(tx *bbolt.Tx) error {
		rb := tx.Bucket(bucketRevs).Bucket([]byte(roomName))
		mb := tx.Bucket(bucketMessages).Bucket([]byte(roomName))
		if rb == nil || mb == nil {
			return errRoomNotFound
		}
		if since == math.MaxUint64 {
			return nil // nothing changed after the last rev (and +1 would wrap to the first)
		}
		c := rb.Cursor()
		for k, v := c.Seek(idKey(since + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			upTo = binary.BigEndian.Uint64(k)
			m, err := getMessage(mb, roomName, binary.BigEndian.Uint64(v))
			if errors.Is(err, errMessageNotFound) {
				continue // removed by retention
			}
			if err != nil {
				return err
			}
			if m.Rev == upTo { // else a later change of it follows
				if err := addReply(mb, &m); err != nil {
					return err
				}
				out = append(out, m)
			}
		}
		return nil
	})
	return out, upTo, err
}

// historyQuery selects a page of one room's history: with Forward, the Limit
// messages just above After (catch-up); otherwise the Limit messages just
// below Before, or the newest Limit when Before is 0 (infinite scroll).
type historyQuery struct {
	Forward       bool
	Before, After uint64
	Limit         int
	// Changes asks instead for what changed after rev Since (see changes).
	Changes bool
	Since   uint64
}

// history returns a page of room's messages in ascending id order. It returns
// errRoomNotFound for an unknown room.
func (st *store) history(roomName string, q historyQuery) ([]message, error) {
	out := make([]message, 0, q.Limit)
	err := st.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMessages).Bucket([]byte(roomName))
		if b == nil {
			return errRoomNotFound
		}
		c := b.Cursor()
		add := func(k, v []byte) error {
			m, err := decodeMessage(roomName, k, v)
			if err != nil {
				return err
			}
			if err := addReply(b, &m); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		}
		if q.Forward {
			if q.After == math.MaxUint64 {
				return nil // nothing comes after the last id (and +1 would wrap to the first)
			}
			for k, v := c.Seek(idKey(q.After + 1)); k != nil && len(out) < q.Limit; k, v = c.Next() {
				if err := add(k, v); err != nil {
					return err
				}
			}
			return nil
		}
		var k, v []byte
		if q.Before > 0 {
			c.Seek(idKey(q.Before))
			k, v = c.Prev()
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < q.Limit; k, v = c.Prev() {
			if err := add(k, v); err != nil {
				return err
			}
		}
		// Collected newest first; the contract is ascending.
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return nil
	})
	return out, err
}

// getMessage returns a stored message, or errMessageNotFound.
func getMessage(b *bbolt.Bucket, roomName string, id uint64) (message, error) {
	k := idKey(id)
	v := b.Get(k)
	if v == nil {
		return message{}, errMessageNotFound
	}
	return decodeMessage(roomName, k, v)
}

// decodeMessage builds a message from a stored key and value. Strings are
// copied out of the transaction's memory by json.Unmarshal.
func decodeMessage(roomName string, k, v []byte) (message, error) {
	var sm storedMessage
	if err := json.Unmarshal(v, &sm); err != nil {
		return message{}, fmt.Errorf("message %d in %q: %w", binary.BigEndian.Uint64(k), roomName, err)
	}
	if sm.File != nil { // names stored before they were cleaned on upload
		sm.File.Name = cleanFileName(sm.File.Name)
	}
	return message{
		Type: "message", Room: roomName, ID: binary.BigEndian.Uint64(k), Rev: sm.Rev, User: sm.User, Body: sm.Body,
		TS: sm.TS, ClientID: sm.ClientID, Edited: sm.Edited, Deleted: sm.Deleted, Reactions: sm.Reactions, Bot: sm.Bot,
		Mentions: sm.Mentions, File: sm.File, ReplyTo: sm.ReplyTo,
	}, nil
}

func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), id)
}

var mentionPattern = regexp.MustCompile(`(?:^|[^a-z0-9_.-])@([a-z0-9_.-]{1,32})`)

// mentionsTx returns the existing users that body names with @, once each.
func mentionsTx(tx *bbolt.Tx, body string) []string {
	var out []string
	users := tx.Bucket(bucketUsers)
	for _, m := range mentionPattern.FindAllStringSubmatch(body, -1) {
		name := strings.TrimRight(m[1], ".-") // "@ann." at the end of a sentence
		if users.Get([]byte(name)) != nil && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// pruneRoom removes up to batch of a room's oldest messages that its
// retention says go: older than KeepDays, or beyond the newest
// KeepMessages. Each goes with its index entries, client_id entry and
// file. more says whether another batch remains. One small transaction a
// call, so chat's commits wait for at most one batch.
//
// It changes no room, so it needs not go through the committer: the room's
// retention is read from the rooms bucket inside its own write transaction,
// which bbolt orders with every commit, so a room renamed, deleted or
// re-created meanwhile is pruned by the rules it has, or not at all.
func (st *store) pruneRoom(name string, now time.Time, batch int) (removed int, more bool, err error) {
	if r, ok := st.room(name); !ok || (r.KeepDays <= 0 && r.KeepMessages <= 0) {
		return 0, false, nil // the common case, without a write transaction
	}
	err = st.db.Update(func(tx *bbolt.Tx) error {
		removed, more = 0, false
		var r room
		if err := getJSON(tx.Bucket(bucketRooms), []byte(name), &r, errRoomNotFound); errors.Is(err, errRoomNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		cutoff := time.Time{}
		if r.KeepDays > 0 {
			cutoff = now.AddDate(0, 0, -r.KeepDays)
		}
		mb := tx.Bucket(bucketMessages).Bucket([]byte(name))
		cb := tx.Bucket(bucketClientIDs).Bucket([]byte(name))
		if mb == nil || cb == nil || (r.KeepDays <= 0 && r.KeepMessages <= 0) {
			return nil
		}
		// Messages beyond the newest KeepMessages: the last id minus that.
		var keepFrom uint64
		if r.KeepMessages > 0 {
			if k, _ := mb.Cursor().Last(); k != nil {
				if last := binary.BigEndian.Uint64(k); last > uint64(r.KeepMessages) {
					keepFrom = last - uint64(r.KeepMessages) + 1
				}
			}
		}
		c := mb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.First() {
			m, err := decodeMessage(name, k, v)
			if err != nil {
				return err
			}
			if m.ID >= keepFrom && (cutoff.IsZero() || !m.TS.Before(cutoff)) {
				return nil // the oldest left stays: done
			}
			if removed == batch {
				more = true
				return nil
			}
			if err := indexTx(tx, &m, false); err != nil {
				return err
			}
			if m.File != nil {
				if err := deleteFileTx(tx, m.File.ID); err != nil {
					return err
				}
			}
			if m.ClientID != "" {
				cb.Delete([]byte(m.ClientID + "\x00" + m.User))
			}
			if err := c.Delete(); err != nil {
				return err
			}
			removed++
		}
		return nil
	})
	return removed, more, err
}

// eachMessage calls fn with every message of a room, oldest first, in one
// read transaction.
func (st *store) eachMessage(roomName string, fn func(message) error) error {
	return st.db.View(func(tx *bbolt.Tx) error {
		mb := tx.Bucket(bucketMessages).Bucket([]byte(roomName))
		if mb == nil {
			return errRoomNotFound
		}
		return mb.ForEach(func(k, v []byte) error {
			m, err := decodeMessage(roomName, k, v)
			if err != nil {
				return err
			}
			return fn(m)
		})
	})
}
