// store.go owns the bbolt file: opening (and refusing bad files),
// initialising, closing, the meta keys, the errors every store file
// returns, and the JSON helpers. The store files (store.go and
// store_*.go, one concern each: accounts, sessions, profiles, rooms,
// messages, reads, search, files, bots, audit, backup, push) are the only
// ones that import bbolt, and they never talk to the network.
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
//	files      id (8) → file JSON (its description, and how its bytes are kept)
//	blobs      id (8) → the bytes of a file stored before format 4, whole
//	chunks     file id (8) index (4) → a bucket of one key, "c" → up to
//	           chunkSize (1 MiB) of its bytes (a bucket each, so that bbolt
//	           writes each chunk once: see chunkValue)
//	uploads    file id (8) → upload JSON {user, started}: a file still
//	           arriving, seen by nobody; swept with its chunks at open
//	thumbs     file id (8) width (2) → JPEG/PNG bytes
//	avatars    user → profile picture
//	bots       sha256(token) hex → bot JSON
//	resets     sha256(token) hex → password reset JSON
//	audit      seq (8) → audit entry JSON: what admins did
//	ended      sha256(id) hex → why an admin ended that session
//	push       session key "\x00" subscription id → Web Push subscription JSON
//	notify     user → notification settings JSON (levels, quiet hours)
//	meta keys: cookie keys, format, vapid.private and vapid.public (push)

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime/debug"
	"slices"
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
	// bucketEnded keeps, by session key, why an admin ended a session (its
	// account was disabled) until it would have expired, so that the
	// device is told why when it comes back (see endedSession).
	bucketEnded = []byte("ended")
	// bucketPush holds Web Push subscriptions by session key "\x00" id
	// (store_push.go): each goes with its session.
	bucketPush = []byte("push")
	// bucketNotify holds each person's notification settings by user name.
	bucketNotify = []byte("notify")
	// bucketChunks holds the bytes of files stored from format 4 on, in
	// chunks (store_files.go); bucketUploads the uploads still arriving.
	bucketChunks  = []byte("chunks")
	bucketUploads = []byte("uploads")
	// bucketThumbs holds thumbnails of shared images (by file id, which
	// they go with), and bucketAvatars profile pictures (by user).
	bucketThumbs  = []byte("thumbs")
	bucketAvatars = []byte("avatars")

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
	errNotManager      = errors.New("only the room's creator or an admin can change its members")
	errDefaultRoom     = errors.New("general keeps its name and cannot be deleted")
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

// store is the bbolt database. Its methods are safe for concurrent use.
type store struct {
	db   *bbolt.DB
	path string

	// rooms is every room as the last commit left it: read at open, then
	// written only by appendMessages after each commit (applyRooms), so
	// by whichever goroutine commits (the committer, while a server runs).
	// Membership is checked on every message. roomsMu lets anyone read it.
	roomsMu sync.RWMutex
	rooms   map[string]room

	// accounts caches decoded session and user records for the handshake,
	// which reads both on every socket. Every write of either goes through
	// updateAccounts, which empties the cache after it commits.
	accounts accountCache

	// unindexed is the new messages whose index entries wait to be
	// written together (store_search.go).
	unindexed unindexed
}

// openStore opens (creating if needed) the database at path, migrates an
// older format to this build's (keeping a copy of the file first: see
// store_format.go), makes sure every bucket and the default room exist,
// and deletes uploads a crash left unfinished (sweepUploads). It fails
// with errDatabaseInUse after openTimeout if another process holds the
// file, with errDatabaseCorrupt if the file is not a sound bbolt
// database, and with errNewerFormat if a newer Hearth wrote it; in each
// case the file is left as it was.
func openStore(path string) (*store, error) { return openStoreWith(path, true) }

// openStoreWith is openStore; keepCopy false skips the copy kept before a
// migration (-migration-backup=false).
func openStoreWith(path string, keepCopy bool) (*store, error) {
	db, err := openDB(path, false)
	if err != nil {
		return nil, err
	}
	st := &store{db: db, path: path}
	fresh := isEmpty(db)
	if !fresh {
		if err := st.migrate(keepCopy); err != nil {
			st.db.Close()
			return nil, err
		}
	}
	if err := st.initialise(); err != nil {
		st.db.Close()
		return nil, fmt.Errorf("store: initialise %s: %w", path, err)
	}
	if fresh {
		if err := st.setFormat(); err != nil {
			st.db.Close()
			return nil, fmt.Errorf("store: record the format of %s: %w", path, err)
		}
	}
	if err := st.loadRooms(); err != nil {
		st.db.Close()
		return nil, fmt.Errorf("store: load rooms of %s: %w", path, err)
	}
	// Messages a crash left without their index entries get them now.
	if err := st.indexRecent(); err != nil {
		st.db.Close()
		return nil, err
	}
	// Whoever opens the file for writing holds its lock, so no upload can
	// be under way: any still pending was cut short by a crash or a kill.
	n, err := st.sweepUploads()
	if err != nil {
		st.db.Close()
		return nil, err
	}
	if n > 0 {
		slog.Info("deleted uploads a stop cut short", "count", n, "db", path)
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
	// Nothing may write to, or read as if it understood, a newer format.
	if err := checkFormat(db, path); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// topBuckets are the buckets every database has.
var topBuckets = [][]byte{bucketMeta, bucketUsers, bucketSessions, bucketInvites, bucketRooms, bucketMessages, bucketClientIDs, bucketRevs,
	bucketWords, bucketReads, bucketFiles, bucketBlobs, bucketBots, bucketResets, bucketAudit, bucketEnded, bucketPush, bucketNotify,
	bucketChunks, bucketUploads, bucketThumbs, bucketAvatars}

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
	err := st.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: ping %s: %w", st.path, err)
	}
	return nil
}

// Close closes the database; pending writes were committed by their
// transactions already.
func (st *store) Close() error {
	if err := st.flushIndex(); err != nil {
		slog.Warn("index waiting messages before closing", "err", err) // the next open writes them (indexRecent)
	}
	if err := st.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", st.path, err)
	}
	return nil
}

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
	err := st.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketMeta)
		for k, v := range values {
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: put meta %s: %w", strings.Join(slices.Sorted(maps.Keys(values)), ", "), err)
	}
	return nil
}

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
