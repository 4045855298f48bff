// store.go owns the bbolt file: users, sessions, invites, rooms and message
// history. It is the only file that imports bbolt, and it never talks to the
// network.
//
// Layout (top-level buckets):
//
//	meta       key → value          cookie keys
//	users      name → user JSON
//	sessions   sha256(id) hex → session JSON
//	invites    code → invite JSON
//	rooms      name → room JSON
//	messages   room → bucket of id (8-byte big endian) → message JSON
//	clientids  room → bucket of client_id "\x00" user → id (8-byte big endian)
//	revs       room → bucket of rev → id (8-byte big endian each): every
//	           change to a room (a message, an edit, a delete, a reaction)
//	           takes the room's next rev, so catch-up can ask what changed
//	words      word "\x00" inverted ms (8) id (8) room → nothing: the search
//	           index, newest first for each word
//	reads      user "\x00" room → id of the last message they read
//	files      id (8) → file JSON; blobs: id (8) → the file's bytes
//	bots       sha256(token) hex → bot JSON
//	resets     sha256(token) hex → password reset JSON
//	audit      seq (8) → audit entry JSON: what admins did

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

var (
	bucketMeta      = []byte("meta")
	bucketUsers     = []byte("users")
	bucketSessions  = []byte("sessions")
	bucketInvites   = []byte("invites")
	bucketRooms     = []byte("rooms")
	bucketMessages  = []byte("messages")
	bucketClientIDs = []byte("clientids")
	bucketRevs      = []byte("revs")
	bucketWords     = []byte("words")
	bucketReads     = []byte("reads")
	bucketFiles     = []byte("files")
	bucketBlobs     = []byte("blobs")
	bucketBots      = []byte("bots")
	bucketResets    = []byte("resets")
	bucketAudit     = []byte("audit")

	keyCookieHash  = []byte("cookie_hash_key")
	keyCookieBlock = []byte("cookie_block_key")
)

var (
	errUserExists      = errors.New("user already exists")
	errUserNotFound    = errors.New("user not found")
	errUserDisabled    = errors.New("account is disabled")
	errSessionNotFound = errors.New("session not found")
	errRoomExists      = errors.New("room already exists")
	errRoomNotFound    = errors.New("room not found")
	errMessageNotFound = errors.New("message not found")
	errNotYours        = errors.New("not your message")
	errFileNotFound    = errors.New("file not found")
	errBotNotFound     = errors.New("bot not found")
	errNameTaken       = errors.New("name is taken")
	errRoomArchived    = errors.New("room is archived")
	errResetInvalid    = errors.New("reset link is unknown, used or expired")
	errInviteInvalid   = errors.New("invite is unknown, expired or used up")
	errSetupDone       = errors.New("setup is already done")
	errDatabaseInUse   = errors.New("database is in use by another process (is a Hearth server running on it?)")
	errDatabaseCorrupt = errors.New("not a Hearth database, or damaged (truncated or corrupt)")
)

// openTimeout bounds how long opening a database waits for another process
// (a running server, say) to release its lock.
const openTimeout = 2 * time.Second

// appendFillPercent is how full bbolt packs pages of the buckets that grow
// at their end.
const appendFillPercent = 0.95

// defaultRoom exists in every database from the start.
const defaultRoom = "general"

// user is a stored account.
type user struct {
	Name    string    `json:"name"`
	Hash    []byte    `json:"hash"` // bcrypt hash of the password
	Admin   bool      `json:"admin"`
	Created time.Time `json:"created"`
	// FirstConnected is when the user first opened a socket; zero until then.
	// It decides between the "joined" and "back" presence events.
	FirstConnected time.Time `json:"first_connected,omitzero"`
	// TrustedAddrs are the addresses the user last logged in from, newest
	// first: guesses from elsewhere cannot lock them out from these.
	TrustedAddrs []string `json:"trusted_addrs,omitempty"`
	// Disabled accounts cannot log in, and their sessions are gone.
	Disabled bool `json:"disabled,omitempty"`
}

// session is the server-side record behind a session cookie. The cookie holds
// the random id; the store keys the record by the id's SHA-256 (Key), so a
// copy of the database does not hand out live cookies.
type session struct {
	Key        string    `json:"key"`
	User       string    `json:"user"`
	Created    time.Time `json:"created"`
	LastSeen   time.Time `json:"last_seen"`
	Expires    time.Time `json:"expires"`
	UserAgent  string    `json:"user_agent"`
	RemoteAddr string    `json:"remote_addr"`
}

// invite lets people create accounts through /join?code=….
type invite struct {
	Code      string    `json:"code"`
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	MaxUses   int       `json:"max_uses"`
	Uses      int       `json:"uses"`
}

// usable reports whether the invite can still create an account at now.
func (inv invite) usable(now time.Time) bool {
	return now.Before(inv.Expires) && inv.Uses < inv.MaxUses
}

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
}

// attachment is a file shared in a message; its bytes are in the blobs bucket.
type attachment struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"` // as sniffed from the bytes
	Size int64  `json:"size"`
	// Width and Height of an image, so the client can lay it out before
	// it loads (no jump); zero for other files.
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Room   string `json:"room,omitempty"` // stored with the file, to check who may fetch it
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
}

// changeOp is what an appendRequest does.
type changeOp uint8

const (
	opSend   changeOp = iota // a new message
	opEdit                   // replace the body of one's own message
	opDelete                 // delete one's own message (an admin: anyone's)
	opReact                  // toggle one's reaction on a message
)

// reactionEmoji are the reactions a message can get.
var reactionEmoji = []string{"👍", "❤️", "😂", "😮", "😢", "🎉"}

// appendRequest is one change waiting to be committed. For opSend the caller
// fills Msg's Room, User, Body and ClientID; for the others Room, ID, User
// (and Body to edit). appendMessages leaves in Msg the message as stored.
type appendRequest struct {
	Op    changeOp
	Msg   message
	Emoji string // opReact
	// Dup is set when Msg.ClientID was already stored for this user and room:
	// Msg then holds the stored message and nothing new was written.
	Dup bool
	// Err is set when this request alone was refused: errRoomNotFound,
	// errMessageNotFound, errNotYours.
	Err error
	// Bot is set for a webhook's message: it may post to its room without
	// being a member, and only to the room created at BotRoom (its
	// identity), not to another room that has since taken the name.
	Bot     bool
	BotRoom time.Time
	// Room is the room as it stood when the request was committed: who may
	// see the result is decided by it, not by the hub's copy, which a rename
	// or delete may have changed in between.
	Room room
}

// store is the bbolt database. Its methods are safe for concurrent use.
type store struct {
	db   *bbolt.DB
	path string

	// rooms is every room, read at open and kept up to date by the
	// methods that write rooms: membership is checked on every message.
	roomsMu sync.RWMutex
	rooms   map[string]room
	// roomWrites orders each room write with its cache update, so a write
	// that committed first cannot update the cache last (and bring back a
	// room a rename or delete has just removed).
	roomWrites sync.Mutex

	// accounts caches decoded session and user records for the handshake,
	// which reads both on every socket. Every write of either goes through
	// updateAccounts, which empties the cache after it commits.
	accounts accountCache
}

// accountCache holds decoded records. gen counts invalidations, so a reader
// that loaded a record before a write committed cannot put it back after.
type accountCache struct {
	mu       sync.Mutex
	gen      uint64
	sessions map[string]session
	users    map[string]user
}

// updateAccounts runs fn in a write transaction that changes sessions or
// users, and empties the cache once it has committed.
func (st *store) updateAccounts(fn func(*bbolt.Tx) error) error {
	err := st.db.Update(fn)
	st.accounts.mu.Lock()
	st.accounts.gen++
	clear(st.accounts.sessions)
	clear(st.accounts.users)
	st.accounts.mu.Unlock()
	return err
}

// openStore opens (creating if needed) the database at path and makes sure
// every bucket and the default room exist. It fails with errDatabaseInUse
// after openTimeout if another process holds the file, and with
// errDatabaseCorrupt if the file is not a sound bbolt database; either way
// the file is left as it was.
func openStore(path string) (*store, error) {
	db, err := openDB(path, false)
	if err != nil {
		return nil, err
	}
	st := &store{db: db, path: path}
	if err := st.initialise(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: initialise %s: %w", path, err)
	}
	if err := st.loadRooms(); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: load rooms of %s: %w", path, err)
	}
	return st, nil
}

// openDB opens a bbolt file, read-only or not, turning the faults and
// panics of a damaged file into errDatabaseCorrupt and a held file into
// errDatabaseInUse.
func openDB(path string, readOnly bool) (db *bbolt.DB, err error) {
	// bbolt reads the file through mmap: a truncated or mangled file makes
	// it fault or panic inside Open. Turn both into an error here, where
	// nothing has been written yet.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("store: open %s: %w (%v)", path, errDatabaseCorrupt, r)
		}
	}()
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: openTimeout, ReadOnly: readOnly})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			err = errDatabaseInUse
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
			err = fmt.Errorf("%w: %w", errDatabaseCorrupt, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// A file shorter than the pages its meta page counts was cut short.
	// Reading those pages faults in whichever goroutine reads them (bbolt's
	// Check uses its own, where the fault cannot be recovered), so refuse it
	// here, before anything reads them.
	if fi, statErr := os.Stat(path); statErr == nil {
		var size int64
		db.View(func(tx *bbolt.Tx) error { size = tx.Size(); return nil })
		if fi.Size() < size {
			db.Close()
			return nil, fmt.Errorf("store: open %s: %w (%d bytes of the %d its header counts: cut short)", path, errDatabaseCorrupt, fi.Size(), size)
		}
	}
	return db, nil
}

// --- backups ---

// writeBackup writes a consistent copy of the database to w, from one read
// transaction: writers go on meanwhile. It returns the bytes written.
func (st *store) writeBackup(w io.Writer) (int64, error) {
	var n int64
	err := st.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// backupSize is the size a backup will have.
func (st *store) backupSize() int64 {
	var n int64
	st.db.View(func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// checkBackup opens the file at path read-only and checks it is a sound
// Hearth database: every page consistent (bbolt's own check) and every
// bucket of Hearth's there. It writes nothing.
func checkBackup(path string) (err error) {
	db, err := openDB(path, true)
	if err != nil {
		return err
	}
	defer db.Close()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("check %s: %w (%v)", path, errDatabaseCorrupt, r)
		}
	}()
	return db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("check %s: %w: %v", path, errDatabaseCorrupt, err)
		}
		for _, name := range [][]byte{bucketMeta, bucketUsers, bucketSessions, bucketRooms, bucketMessages} {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("check %s: %w: no %s bucket", path, errDatabaseCorrupt, name)
			}
		}
		return nil
	})
}

// compactDB copies the database at src into a new file at dst, leaving out
// the free pages bbolt keeps after deletes.
func compactDB(src, dst string) error {
	from, err := openDB(src, true)
	if err != nil {
		return err
	}
	defer from.Close()
	to, err := bbolt.Open(dst, 0o600, &bbolt.Options{Timeout: openTimeout})
	if err != nil {
		return fmt.Errorf("store: create %s: %w", dst, err)
	}
	if err := bbolt.Compact(to, from, 64<<20); err != nil {
		to.Close()
		return fmt.Errorf("store: compact %s: %w", src, err)
	}
	return to.Close()
}

// topBuckets are the buckets every database has.
var topBuckets = [][]byte{bucketMeta, bucketUsers, bucketSessions, bucketInvites, bucketRooms, bucketMessages, bucketClientIDs, bucketRevs,
	bucketWords, bucketReads, bucketFiles, bucketBlobs, bucketBots, bucketResets, bucketAudit}

// initialise creates whatever buckets or default room are missing. It
// writes only when something is missing, so opening a database to read it
// leaves the file untouched.
func (st *store) initialise() error {
	complete := true
	st.db.View(func(tx *bbolt.Tx) error {
		for _, name := range topBuckets {
			complete = complete && tx.Bucket(name) != nil
		}
		complete = complete && tx.Bucket(bucketRooms).Get([]byte(defaultRoom)) != nil
		return nil
	})
	if complete {
		st.db.View(func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketRooms).ForEach(func(k, _ []byte) error {
				complete = complete && tx.Bucket(bucketRevs).Bucket(k) != nil
				return nil
			})
		})
	}
	if complete {
		return nil
	}
	return st.db.Update(func(tx *bbolt.Tx) error {
		for _, name := range topBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if tx.Bucket(bucketRooms).Get([]byte(defaultRoom)) == nil {
			if err := createRoomTx(tx, room{Name: defaultRoom, Created: time.Now().UTC()}); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketRooms).ForEach(func(k, _ []byte) error {
			_, err := tx.Bucket(bucketRevs).CreateBucketIfNotExists(k)
			return err
		})
	})
}

// ping reads from the database, to show it answers.
func (st *store) ping() error {
	return st.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
}

// Close closes the database; pending writes were committed by their
// transactions already.
func (st *store) Close() error { return st.db.Close() }

// cookieKeys returns the securecookie hash and block keys, generating and
// storing them on first use so cookies outlive restarts.
func (st *store) cookieKeys(generate func(n int) []byte) (hashKey, blockKey []byte, err error) {
	err = st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		if h, k := b.Get(keyCookieHash), b.Get(keyCookieBlock); h != nil && k != nil {
			hashKey, blockKey = bytes.Clone(h), bytes.Clone(k)
			return nil
		}
		hashKey, blockKey = generate(64), generate(32)
		if err := b.Put(keyCookieHash, hashKey); err != nil {
			return err
		}
		return b.Put(keyCookieBlock, blockKey)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: cookie keys: %w", err)
	}
	return hashKey, blockKey, nil
}

// getMeta returns a copy of the value under key in the meta bucket, or nil.
func (st *store) getMeta(key string) []byte {
	var v []byte
	st.db.View(func(tx *bbolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucketMeta).Get([]byte(key)))
		return nil
	})
	return v
}

// putMeta stores values in the meta bucket, all in one transaction.
func (st *store) putMeta(values map[string][]byte) error {
	return st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		for k, v := range values {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// --- users ---

// createUser stores a new user. It returns errUserExists if the name is taken.
func (st *store) createUser(u user) error {
	return st.updateAccounts(func(tx *bbolt.Tx) error { return createUserTx(tx, u) })
}

func createUserTx(tx *bbolt.Tx, u user) error {
	b := tx.Bucket(bucketUsers)
	if b.Get([]byte(u.Name)) != nil || botNamedTx(tx, u.Name, true) {
		return errUserExists
	}
	return putJSON(b, []byte(u.Name), u)
}

// createFirstAdmin stores u as an admin, but only if no user exists yet. It
// returns errSetupDone otherwise.
func (st *store) createFirstAdmin(u user) error {
	u.Admin = true
	return st.updateAccounts(func(tx *bbolt.Tx) error {
		if k, _ := tx.Bucket(bucketUsers).Cursor().First(); k != nil {
			return errSetupDone
		}
		return createUserTx(tx, u)
	})
}

// getUser returns the named user, or errUserNotFound.
func (st *store) getUser(name string) (user, error) {
	return readJSON[user](st, bucketUsers, name, errUserNotFound)
}

// updateUser applies fn to the stored user and saves the result, atomically.
// It returns errUserNotFound if there is no such user.
func (st *store) updateUser(name string, fn func(*user)) error {
	return st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		var u user
		if err := getJSON(b, []byte(name), &u, errUserNotFound); err != nil {
			return err
		}
		fn(&u)
		return putJSON(b, []byte(name), u)
	})
}

// listUsers returns every user in name order.
func (st *store) listUsers() ([]user, error) {
	return listJSON[user](st, bucketUsers, "user")
}

// hasUsers reports whether any account exists.
func (st *store) hasUsers() (bool, error) {
	var any bool
	err := st.db.View(func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(bucketUsers).Cursor().First()
		any = k != nil
		return nil
	})
	return any, err
}

// --- sessions ---

// putSession stores (or replaces) a session record.
func (st *store) putSession(s session) error {
	return st.updateAccounts(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketSessions), []byte(s.Key), s)
	})
}

// getSession returns the session stored under key, or errSessionNotFound. It
// does not check expiry.
func (st *store) getSession(key string) (session, error) {
	return readJSON[session](st, bucketSessions, key, errSessionNotFound)
}

// getSessionAndUser returns the session stored under key and its user:
// errSessionNotFound or errUserNotFound if either is missing. It does not
// check expiry. Records come from the cache when they are there.
func (st *store) getSessionAndUser(key string) (session, user, error) {
	c := &st.accounts
	c.mu.Lock()
	s, okS := c.sessions[key]
	u, okU := c.users[s.User]
	gen := c.gen
	c.mu.Unlock()
	if okS && okU {
		return s, u, nil
	}
	err := st.db.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketSessions), []byte(key), &s, errSessionNotFound); err != nil {
			return err
		}
		return getJSON(tx.Bucket(bucketUsers), []byte(s.User), &u, errUserNotFound)
	})
	if err != nil {
		return session{}, user{}, err
	}
	c.mu.Lock()
	if c.gen == gen { // no write committed since we looked
		if c.sessions == nil {
			c.sessions, c.users = make(map[string]session), make(map[string]user)
		}
		c.sessions[key], c.users[u.Name] = s, u
	}
	c.mu.Unlock()
	return s, u, nil
}

// deleteSession removes the session stored under key. It returns
// errSessionNotFound if there was none.
func (st *store) deleteSession(key string) error {
	return st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if b.Get([]byte(key)) == nil {
			return errSessionNotFound
		}
		return b.Delete([]byte(key))
	})
}

// listSessions returns the sessions of one user, most recently seen first.
func (st *store) listSessions(name string) ([]session, error) {
	var out []session
	err := st.forEachSession(func(s session) error {
		if s.User == name {
			out = append(out, s)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out, err
}

// touchSession moves the session's last-seen time to now, its expiry to
// now+lifetime and its address to addr, and returns the result. It returns
// errSessionNotFound if the session was deleted meanwhile: a logout must
// never be undone by a request that read the session before it.
func (st *store) touchSession(key string, now time.Time, lifetime time.Duration, addr string) (session, error) {
	var s session
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if err := getJSON(b, []byte(key), &s, errSessionNotFound); err != nil {
			return err
		}
		s.LastSeen, s.Expires = now, now.Add(lifetime)
		if addr != "" {
			s.RemoteAddr = addr
		}
		return putJSON(b, []byte(key), s)
	})
	return s, err
}

// extendSessions moves the last-seen time of the sessions under keys to now
// and their expiry to now+lifetime. It returns the keys that no longer
// exist.
func (st *store) extendSessions(keys []string, now time.Time, lifetime time.Duration) (missing []string, err error) {
	if len(keys) == 0 {
		return nil, nil
	}
	err = st.updateAccounts(func(tx *bbolt.Tx) error {
		missing = missing[:0]
		b := tx.Bucket(bucketSessions)
		for _, k := range keys {
			var s session
			if err := getJSON(b, []byte(k), &s, errSessionNotFound); err != nil {
				if errors.Is(err, errSessionNotFound) {
					missing = append(missing, k)
					continue
				}
				return err
			}
			s.LastSeen, s.Expires = now, now.Add(lifetime)
			if err := putJSON(b, []byte(k), s); err != nil {
				return err
			}
		}
		return nil
	})
	return missing, err
}

// deleteExpiredSessions removes every session whose expiry is not after now
// and returns their keys.
func (st *store) deleteExpiredSessions(now time.Time) ([]string, error) {
	var expired []string
	err := st.updateAccounts(func(tx *bbolt.Tx) error {
		expired = expired[:0] // Update may not retry, but keep fn idempotent.
		b := tx.Bucket(bucketSessions)
		c := b.Cursor()
		for k, v := c.First(); k != nil; {
			var s session
			if err := json.Unmarshal(v, &s); err != nil || !now.Before(s.Expires) {
				expired = append(expired, string(k))
				if err := c.Delete(); err != nil {
					return err
				}
				k, v = c.Seek(k) // Delete leaves the cursor before the next key.
				continue
			}
			k, v = c.Next()
		}
		return nil
	})
	return expired, err
}

func (st *store) forEachSession(fn func(session) error) error {
	return st.db.View(func(tx *bbolt.Tx) error {
		return forEachJSON(tx.Bucket(bucketSessions), "session", func(_ []byte, s session) error { return fn(s) })
	})
}

// --- invites ---

// putInvite stores an invite.
func (st *store) putInvite(inv invite) error {
	return st.db.Update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketInvites), []byte(inv.Code), inv)
	})
}

// getInvite returns the invite with code, or errInviteInvalid.
func (st *store) getInvite(code string) (invite, error) {
	return readJSON[invite](st, bucketInvites, code, errInviteInvalid)
}

// listInvites returns every stored invite, newest first.
func (st *store) listInvites() ([]invite, error) {
	out, err := listJSON[invite](st, bucketInvites, "invite")
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, err
}

// deleteInvite removes an invite; deleting a missing one is not an error.
func (st *store) deleteInvite(code string) error {
	return st.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketInvites).Delete([]byte(code))
	})
}

// redeemInvite creates u through the invite with code and counts the use, in
// one transaction. It returns errInviteInvalid if the invite cannot be used at
// now, and errUserExists if the name is taken (the use is not counted).
func (st *store) redeemInvite(code string, u user, now time.Time) error {
	return st.updateAccounts(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketInvites)
		var inv invite
		if err := getJSON(b, []byte(code), &inv, errInviteInvalid); err != nil {
			return err
		}
		if !inv.usable(now) {
			return errInviteInvalid
		}
		if err := createUserTx(tx, u); err != nil {
			return err
		}
		inv.Uses++
		return putJSON(b, []byte(code), inv)
	})
}

// --- rooms ---

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
func (st *store) listRooms() ([]room, error) {
	st.roomsMu.RLock()
	defer st.roomsMu.RUnlock()
	out := make([]room, 0, len(st.rooms))
	for _, r := range st.rooms {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b room) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
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

// --- messages ---

// appendMessages applies every request in one transaction, so one fsync
// commits the whole batch. Within a room, ids and revs are assigned in
// slice order and increase strictly. A send whose client_id was already
// stored by the same user in the same room is answered from the store
// (Dup). A request for a room its user may not see gets errRoomNotFound; a
// change to a missing or deleted message errMessageNotFound; to someone
// else's errNotYours. The returned error means nothing at all was
// committed.
func (st *store) appendMessages(reqs []*appendRequest, now time.Time) error {
	now = now.UTC().Truncate(time.Millisecond)
	err := st.db.Update(func(tx *bbolt.Tx) error {
		msgs, cids, revs := tx.Bucket(bucketMessages), tx.Bucket(bucketClientIDs), tx.Bucket(bucketRevs)
		for _, req := range reqs {
			req.Dup, req.Err, req.Room = false, nil, room{} // Update's fn must be safe to rerun.
			m := &req.Msg
			mb, cb, rb := msgs.Bucket([]byte(m.Room)), cids.Bucket([]byte(m.Room)), revs.Bucket([]byte(m.Room))
			r, ok := st.room(m.Room)
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
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: append %d changes: %w", len(reqs), err)
	}
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
			return nil
		}
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
	if err := indexTx(tx, m, true); err != nil {
		return err
	}
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
			idk := idKey(stored.File.ID)
			if err := tx.Bucket(bucketFiles).Delete(idk); err != nil {
				return err
			}
			if err := tx.Bucket(bucketBlobs).Delete(idk); err != nil {
				return err
			}
		}
		stored.Body, stored.Deleted, stored.Reactions, stored.Mentions, stored.File = "", true, nil, nil, nil
	case opReact:
		users := stored.Reactions[req.Emoji]
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
	return nil
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
		Mentions: sm.Mentions, File: sm.File,
	}, nil
}

func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), id)
}

// --- mentions, reads and unread counts ---

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

// --- search ---

// wordKey is an index entry: the word, then the message's time inverted (so
// the newest comes first), its id and its room.
func wordKey(word string, m *message) []byte {
	k := make([]byte, 0, len(word)+1+16+len(m.Room))
	k = append(append(k, word...), 0)
	k = binary.BigEndian.AppendUint64(k, math.MaxUint64-uint64(m.TS.UnixMilli()))
	k = binary.BigEndian.AppendUint64(k, m.ID)
	return append(k, m.Room...)
}

// indexTx adds (or, with add false, removes) m's words to the index.
func indexTx(tx *bbolt.Tx, m *message, add bool) error {
	b := tx.Bucket(bucketWords)
	for _, w := range words(m.Body) {
		var err error
		if add {
			err = b.Put(wordKey(w, m), nil)
		} else {
			err = b.Delete(wordKey(w, m))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// search returns up to limit messages, newest first, holding every one of
// terms (already split by words) in rooms visible says may be seen.
func (st *store) search(terms []string, visible func(room string) bool, limit int) ([]message, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	var out []message
	err := st.db.View(func(tx *bbolt.Tx) error {
		// Walk the postings of the rarest term, and check the others in each
		// message found. Counting costs key steps only; decoding messages is
		// what is capped (searchExamineMax), so a common word chosen by the
		// searcher cannot make one search read the whole history.
		index := tx.Bucket(bucketWords)
		driver, fewest := "", 0
		for _, t := range terms {
			if n := countPostings(index, t, searchExamineMax); driver == "" || n < fewest {
				driver, fewest = t, n
			}
		}
		msgs := tx.Bucket(bucketMessages)
		prefix := append([]byte(driver), 0)
		c := index.Cursor()
		examined := 0
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit && examined < searchExamineMax; k, _ = c.Next() {
			examined++
			rest := k[len(prefix):]
			if len(rest) < 16 {
				continue
			}
			id, roomName := binary.BigEndian.Uint64(rest[8:16]), string(rest[16:])
			if !visible(roomName) {
				continue
			}
			mb := msgs.Bucket([]byte(roomName))
			if mb == nil {
				continue
			}
			m, err := getMessage(mb, roomName, id)
			if err != nil {
				if errors.Is(err, errMessageNotFound) {
					continue
				}
				return err
			}
			have := words(m.Body)
			if !m.Deleted && !slices.ContainsFunc(terms, func(t string) bool { return !slices.Contains(have, t) }) {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// searchExamineMax bounds the messages one search decodes, and how far it
// counts a term's postings to find the rarest. A search for words in more
// messages than that finds matches among the newest of them only.
var searchExamineMax = 20_000

// countPostings counts the index entries of term, stopping at max.
func countPostings(words *bbolt.Bucket, term string, max int) int {
	prefix := append([]byte(term), 0)
	n := 0
	c := words.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && n < max; k, _ = c.Next() {
		n++
	}
	return n
}

// --- files ---

// putFile stores a file's description and its a.Size bytes, read from r,
// and returns its id.
//
// The bytes are read inside the write transaction, so however many uploads
// wait for it, only the one being written is in memory. That one is whole,
// though: bbolt takes a value as one []byte and copies it into its own page
// buffer at commit, so a file costs about twice its size in memory while it
// is written (storing blobs in chunks would lift this), and its read from r
// holds up other writers for as long as it takes.
func (st *store) putFile(a attachment, r io.Reader) (attachment, error) {
	err := st.db.Update(func(tx *bbolt.Tx) error {
		data := make([]byte, a.Size)
		if _, err := io.ReadFull(r, data); err != nil {
			return fmt.Errorf("read %d bytes: %w", a.Size, err)
		}
		fb := tx.Bucket(bucketFiles)
		id, err := fb.NextSequence()
		if err != nil {
			return err
		}
		a.ID = id
		if err := putJSON(fb, idKey(id), a); err != nil {
			return err
		}
		return tx.Bucket(bucketBlobs).Put(idKey(id), data)
	})
	if err != nil {
		return attachment{}, fmt.Errorf("store: put file %q: %w", a.Name, err)
	}
	return a, nil
}

// deleteFile removes a file no message refers to: an upload whose message
// was refused or was a resend.
func (st *store) deleteFile(id uint64) error {
	err := st.db.Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketFiles).Delete(idKey(id)); err != nil {
			return err
		}
		return tx.Bucket(bucketBlobs).Delete(idKey(id))
	})
	if err != nil {
		return fmt.Errorf("store: delete file %d: %w", id, err)
	}
	return nil
}

// getFile returns a file's description and bytes, or errFileNotFound.
func (st *store) getFile(id uint64) (attachment, []byte, error) {
	var a attachment
	var data []byte
	err := st.db.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketFiles), idKey(id), &a, errFileNotFound); err != nil {
			return err
		}
		data = bytes.Clone(tx.Bucket(bucketBlobs).Get(idKey(id)))
		return nil
	})
	return a, data, err
}

// --- bots ---

// bot posts into one room through the webhook, with a secret token of which
// only the hash is kept.
type bot struct {
	ID        string    `json:"id"` // the first botIDLen hex digits of the token's hash
	Name      string    `json:"name"`
	Room      string    `json:"room"`
	Formerly  []string  `json:"formerly,omitempty"` // the room's names before renames: old hook URLs still work
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
	// RoomCreated is the creation time of the room the bot was made for:
	// the room's identity, which a rename keeps and a room re-created under
	// the same name does not have. A bot posts to that room or nowhere.
	RoomCreated time.Time `json:"room_created,omitzero"`
	// Revoked is when the bot was revoked (by an admin, or with its room).
	// The record stays so its name stays reserved: its messages in history
	// carry the name, and no person's account may take it, ever.
	Revoked time.Time `json:"revoked,omitzero"`
}

// botIDLen is the length of a bot's id.
const botIDLen = 16

// createBot stores b under the hash of its token, for the room named
// b.Room as it is now (errRoomNotFound if there is none). Its name may not
// be a user's or a live bot's (errNameTaken); a revoked bot's name may be
// given to a new bot.
func (st *store) createBot(b bot, tokenHash string) error {
	return st.updateAccounts(func(tx *bbolt.Tx) error {
		var r room
		if err := getJSON(tx.Bucket(bucketRooms), []byte(b.Room), &r, errRoomNotFound); err != nil {
			return err
		}
		if tx.Bucket(bucketUsers).Get([]byte(b.Name)) != nil || botNamedTx(tx, b.Name, false) {
			return errNameTaken
		}
		b.RoomCreated = r.Created
		return putJSON(tx.Bucket(bucketBots), []byte(tokenHash), b)
	})
}

// botNamedTx reports whether a bot is called name: a live one, or with
// revoked, any bot that ever was.
func botNamedTx(tx *bbolt.Tx, name string, revoked bool) bool {
	found := false
	tx.Bucket(bucketBots).ForEach(func(_, v []byte) error {
		var b bot
		if json.Unmarshal(v, &b) == nil && b.Name == name && (revoked || b.Revoked.IsZero()) {
			found = true
		}
		return nil
	})
	return found
}

// botByToken returns the live bot whose token hashes to tokenHash, or
// errBotNotFound.
func (st *store) botByToken(tokenHash string) (bot, error) {
	b, err := readJSON[bot](st, bucketBots, tokenHash, errBotNotFound)
	if err == nil && !b.Revoked.IsZero() {
		return bot{}, errBotNotFound
	}
	return b, err
}

// listBots returns every live bot, by name.
func (st *store) listBots() ([]bot, error) {
	all, err := listJSON[bot](st, bucketBots, "bot")
	out := slices.DeleteFunc(all, func(b bot) bool { return !b.Revoked.IsZero() })
	slices.SortFunc(out, func(a, b bot) int { return strings.Compare(a.Name, b.Name) })
	return out, err
}

// deleteBot revokes the live bot with id and returns it, or returns
// errBotNotFound.
func (st *store) deleteBot(id string, now time.Time) (bot, error) {
	if len(id) != botIDLen {
		return bot{}, errBotNotFound
	}
	var revoked bot
	err := st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBots)
		k, v := b.Cursor().Seek([]byte(id))
		if k == nil || !bytes.HasPrefix(k, []byte(id)) {
			return errBotNotFound
		}
		if err := json.Unmarshal(v, &revoked); err != nil {
			return fmt.Errorf("bot %s: %w", id, err)
		}
		if !revoked.Revoked.IsZero() {
			return errBotNotFound
		}
		revoked.Revoked = now.UTC()
		return putJSON(b, bytes.Clone(k), revoked)
	})
	return revoked, err
}

// revokeBotsTx revokes every live bot for which gone is true and returns
// them.
func revokeBotsTx(tx *bbolt.Tx, now time.Time, gone func(bot) bool) ([]bot, error) {
	bots := tx.Bucket(bucketBots)
	type hit struct {
		key []byte
		b   bot
	}
	var hits []hit
	err := forEachJSON(bots, "bot", func(k []byte, b bot) error {
		if b.Revoked.IsZero() && gone(b) {
			b.Revoked = now.UTC()
			hits = append(hits, hit{bytes.Clone(k), b})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]bot, len(hits))
	for i, h := range hits {
		if err := putJSON(bots, h.key, h.b); err != nil {
			return nil, err
		}
		out[i] = h.b
	}
	return out, nil
}

// revokeStrayBots revokes the bots whose room is gone: deleted before
// deleting a room revoked its bots, or re-created since under the same
// name (a room created after the bot is not the bot's room). A bot made
// before rooms had identities gets its room's, when that room is older than
// the bot. It runs at start-up and returns what it revoked.
func (st *store) revokeStrayBots(now time.Time) ([]bot, error) {
	var revoked []bot
	err := st.db.Update(func(tx *bbolt.Tx) error {
		rooms := tx.Bucket(bucketRooms)
		roomOf := func(b bot) (room, bool) {
			var r room
			return r, getJSON(rooms, []byte(b.Room), &r, errRoomNotFound) == nil
		}
		var err error
		revoked, err = revokeBotsTx(tx, now, func(b bot) bool {
			r, ok := roomOf(b)
			if !ok {
				return true
			}
			if b.RoomCreated.IsZero() {
				return r.Created.After(b.Created)
			}
			return !r.Created.Equal(b.RoomCreated)
		})
		if err != nil {
			return err
		}
		// Older bots still without an identity get their room's.
		bots := tx.Bucket(bucketBots)
		type hit struct {
			key []byte
			b   bot
		}
		var missing []hit
		err = forEachJSON(bots, "bot", func(k []byte, b bot) error {
			if b.Revoked.IsZero() && b.RoomCreated.IsZero() {
				if r, ok := roomOf(b); ok {
					b.RoomCreated = r.Created
					missing = append(missing, hit{bytes.Clone(k), b})
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, h := range missing {
			if err := putJSON(bots, h.key, h.b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: revoke bots of rooms that are gone: %w", err)
	}
	return revoked, nil
}

// --- administration ---

// setUserFlags changes a user's admin and disabled flags. Disabling deletes
// every session of theirs, in the same transaction; the keys are returned
// so their sockets can be closed.
func (st *store) setUserFlags(name string, admin, disabled bool) (u user, ended []string, err error) {
	err = st.updateAccounts(func(tx *bbolt.Tx) error {
		ended = ended[:0]
		b := tx.Bucket(bucketUsers)
		if err := getJSON(b, []byte(name), &u, errUserNotFound); err != nil {
			return err
		}
		u.Admin, u.Disabled = admin, disabled
		if err := putJSON(b, []byte(name), u); err != nil {
			return err
		}
		if !disabled {
			return nil
		}
		if err := deleteUserResetsTx(tx, name); err != nil {
			return err
		}
		var err error
		ended, err = deleteUserSessionsTx(tx, name)
		return err
	})
	return u, ended, err
}

// setPassword changes a user's password hash and, in the same transaction,
// ends every session of theirs and voids their reset links, as a reset
// does: whoever knew the old password is out. The ended session keys are
// returned so a running server can close their sockets.
func (st *store) setPassword(name string, hash []byte) (ended []string, err error) {
	err = st.updateAccounts(func(tx *bbolt.Tx) error {
		ended = ended[:0]
		b := tx.Bucket(bucketUsers)
		var u user
		if err := getJSON(b, []byte(name), &u, errUserNotFound); err != nil {
			return err
		}
		u.Hash = hash
		if err := putJSON(b, []byte(name), u); err != nil {
			return err
		}
		if err := deleteUserResetsTx(tx, name); err != nil {
			return err
		}
		var err error
		ended, err = deleteUserSessionsTx(tx, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: set password of %q: %w", name, err)
	}
	return ended, nil
}

// deleteUserResetsTx voids every reset link of a user.
func deleteUserResetsTx(tx *bbolt.Tx, name string) error {
	b := tx.Bucket(bucketResets)
	var keys [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var r passwordReset
		if json.Unmarshal(v, &r) == nil && r.User == name {
			keys = append(keys, slices.Clone(k))
		}
		return nil
	})
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return err
}

// isAdminTx reports whether name is an enabled admin as of tx.
func isAdminTx(tx *bbolt.Tx, name string) bool {
	var u user
	return getJSON(tx.Bucket(bucketUsers), []byte(name), &u, errUserNotFound) == nil && u.Admin && !u.Disabled
}

func deleteUserSessionsTx(tx *bbolt.Tx, name string) ([]string, error) {
	var keys []string
	b := tx.Bucket(bucketSessions)
	err := b.ForEach(func(k, v []byte) error {
		var s session
		if json.Unmarshal(v, &s) == nil && s.User == name {
			keys = append(keys, string(k))
		}
		return nil
	})
	for _, k := range keys {
		if err := b.Delete([]byte(k)); err != nil {
			return nil, err
		}
	}
	return keys, err
}

// passwordReset lets one person set a new password once, before Expires.
type passwordReset struct {
	User    string    `json:"user"`
	Expires time.Time `json:"expires"`
}

// putReset stores a reset under the hash of its token. It replaces any
// earlier link of the same user, so at most one is live; a disabled account
// gets none (errUserDisabled), and errUserNotFound if there is no such user.
func (st *store) putReset(tokenHash string, r passwordReset) error {
	return st.db.Update(func(tx *bbolt.Tx) error {
		var u user
		if err := getJSON(tx.Bucket(bucketUsers), []byte(r.User), &u, errUserNotFound); err != nil {
			return err
		}
		if u.Disabled {
			return errUserDisabled
		}
		if err := deleteUserResetsTx(tx, r.User); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketResets), []byte(tokenHash), r)
	})
}

// resetUser returns the user a live reset is for, or errResetInvalid; a
// reset of an account disabled since is not live.
func (st *store) resetUser(tokenHash string, now time.Time) (string, error) {
	var r passwordReset
	err := st.db.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketResets), []byte(tokenHash), &r, errResetInvalid); err != nil {
			return err
		}
		var u user
		if err := getJSON(tx.Bucket(bucketUsers), []byte(r.User), &u, errResetInvalid); err != nil {
			return err
		}
		if u.Disabled || !now.Before(r.Expires) {
			return errResetInvalid
		}
		return nil
	})
	return r.User, err
}

// useReset sets a new password through a reset, once: the reset and every
// session of the user are deleted in the same transaction (their keys are
// returned, to close their sockets).
func (st *store) useReset(tokenHash string, hash []byte, now time.Time) (name string, ended []string, err error) {
	err = st.updateAccounts(func(tx *bbolt.Tx) error {
		ended = ended[:0]
		rb := tx.Bucket(bucketResets)
		var r passwordReset
		if err := getJSON(rb, []byte(tokenHash), &r, errResetInvalid); err != nil {
			return err
		}
		if !now.Before(r.Expires) {
			return errResetInvalid
		}
		if err := rb.Delete([]byte(tokenHash)); err != nil {
			return err
		}
		ub := tx.Bucket(bucketUsers)
		var u user
		if err := getJSON(ub, []byte(r.User), &u, errUserNotFound); err != nil {
			return err
		}
		if u.Disabled { // disabling voids links; this guards any left behind
			return errResetInvalid
		}
		u.Hash = hash
		if err := putJSON(ub, []byte(r.User), u); err != nil {
			return err
		}
		name = r.User
		var err error
		ended, err = deleteUserSessionsTx(tx, r.User)
		return err
	})
	return name, ended, err
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

// pruneRoom removes up to batch of a room's oldest messages that its
// retention says go: older than KeepDays, or beyond the newest
// KeepMessages. Each goes with its index entries, client_id entry and
// file. more says whether another batch remains. One small transaction a
// call, so chat's commits wait for at most one batch.
func (st *store) pruneRoom(name string, now time.Time, batch int) (removed int, more bool, err error) {
	r, ok := st.room(name)
	if !ok || (r.KeepDays <= 0 && r.KeepMessages <= 0) {
		return 0, false, nil
	}
	cutoff := time.Time{}
	if r.KeepDays > 0 {
		cutoff = now.AddDate(0, 0, -r.KeepDays)
	}
	err = st.db.Update(func(tx *bbolt.Tx) error {
		removed, more = 0, false
		mb := tx.Bucket(bucketMessages).Bucket([]byte(name))
		cb := tx.Bucket(bucketClientIDs).Bucket([]byte(name))
		if mb == nil || cb == nil {
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
				tx.Bucket(bucketFiles).Delete(idKey(m.File.ID))
				tx.Bucket(bucketBlobs).Delete(idKey(m.File.ID))
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
					tx.Bucket(bucketFiles).Delete(idKey(m.File.ID))
					tx.Bucket(bucketBlobs).Delete(idKey(m.File.ID))
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

// auditEntry records one thing an admin did.
type auditEntry struct {
	TS     time.Time `json:"ts"`
	Admin  string    `json:"admin"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// audit appends e to the audit log.
func (st *store) audit(e auditEntry) error {
	return st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		b.FillPercent = appendFillPercent
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(b, idKey(seq), e)
	})
}

// auditLog returns up to limit entries, newest first.
func (st *store) auditLog(limit int) ([]auditEntry, error) {
	out := []auditEntry{}
	err := st.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var e auditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit entry: %w", err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
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

// dbSize is the size of the database file.
func (st *store) dbSize() int64 {
	var n int64
	st.db.View(func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// --- helpers ---

func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// getJSON decodes the value under key into v, or returns notFound.
// forEachJSON decodes each value of b as a T and passes it to fn with its
// key; what names the records in errors.
func forEachJSON[T any](b *bbolt.Bucket, what string, fn func(k []byte, v T) error) error {
	return b.ForEach(func(k, v []byte) error {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return fmt.Errorf("%s %q: %w", what, k, err)
		}
		return fn(k, x)
	})
}

// readJSON decodes the record under key in a top-level bucket, or returns
// notFound.
func readJSON[T any](st *store, bucket []byte, key string, notFound error) (T, error) {
	var v T
	err := st.db.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucket), []byte(key), &v, notFound)
	})
	return v, err
}

// listJSON decodes every record of a top-level bucket, in key order.
func listJSON[T any](st *store, bucket []byte, what string) ([]T, error) {
	var out []T
	err := st.db.View(func(tx *bbolt.Tx) error {
		return forEachJSON(tx.Bucket(bucket), what, func(_ []byte, v T) error {
			out = append(out, v)
			return nil
		})
	})
	return out, err
}

func getJSON(b *bbolt.Bucket, key []byte, v any, notFound error) error {
	data := b.Get(key)
	if data == nil {
		return notFound
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %q: %w", key, err)
	}
	return nil
}
