// store_format.go owns the database's format version and the migrations
// that bring an older file up to this build's format. The format is kept in
// meta; a file without one is format 0 (every file from before formats were
// recorded). Opening a file runs the migrations from its format to this
// build's, each in its own transaction and each safe to run twice, after
// keeping a copy of the file as PATH.before-format-N. A file from a newer
// Hearth is refused before anything is written to it.
//
// Every change to stored records comes with a migration here and a golden
// database in testdata/golden (see golden_test.go).

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
)

// databaseFormat is the format of the records this build writes.
const databaseFormat = 4

// keyFormat is the meta key holding the format, in decimal.
var keyFormat = []byte("format")

// migration brings a database from format to-1 to format to.
type migration struct {
	to   int
	what string
	run  func(tx *bbolt.Tx) error // must be safe to run again on its own result
}

// migrations are applied in order; migrations[i].to is i+1.
var migrations = []migration{
	{1, "reserve the names of bots revoked before revoked bots were kept", reserveOldBotNamesTx},
	{2, "keep why an admin ended a session (the ended bucket)", func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketEnded)
		return err
	}},
	{3, "keep phone notifications: push subscriptions and each person's notification settings", func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketPush, bucketNotify} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	}},
	{4, "keep files in chunks (chunks, uploads), thumbnails and profile pictures, and say who shared each file", func(tx *bbolt.Tx) error {
		// Files stored before stay whole in blobs and are read from there:
		// copying every blob into chunks in one transaction would need
		// the whole database in memory.
		for _, name := range [][]byte{bucketChunks, bucketUploads, bucketThumbs, bucketAvatars} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return attributeFilesTx(tx)
	}},
}

// newerFormatError refuses a file written by a newer Hearth.
type newerFormatError struct {
	path   string
	format int
}

func (e newerFormatError) Error() string {
	return fmt.Sprintf("%s was written by a newer Hearth (database format %d); this binary understands up to format %d; install the newer release or restore a backup",
		e.path, e.format, databaseFormat)
}

// errNewerFormat is what a newerFormatError matches with errors.Is.
var errNewerFormat = errors.New("database written by a newer Hearth")

func (e newerFormatError) Is(target error) bool { return target == errNewerFormat }

// formatOf reads the format of an open database: 0 when none is recorded.
func formatOf(db *bbolt.DB) (int, error) {
	format := 0
	err := db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		v := meta.Get(keyFormat)
		if v == nil {
			return nil
		}
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 0 {
			return fmt.Errorf("%w: format %q", errDatabaseCorrupt, v)
		}
		format = n
		return nil
	})
	return format, err
}

// checkFormat refuses a database newer than this build understands.
func checkFormat(db *bbolt.DB, path string) error {
	format, err := formatOf(db)
	if err != nil {
		return fmt.Errorf("store: read the format of %s: %w", path, err)
	}
	if format > databaseFormat {
		return newerFormatError{path, format}
	}
	return nil
}

// isEmpty reports whether the file has no buckets yet: a new database.
func isEmpty(db *bbolt.DB) bool {
	empty := true
	db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
	})
	return empty
}

// migrate brings st's file to databaseFormat. With keepCopy, the file is
// first copied to PATH.before-format-N, and a failed migration puts that
// copy back, so the file is as it was; without, each migration is still
// all or nothing, and the file stays at the last format reached.
func (st *store) migrate(keepCopy bool) (err error) {
	from, err := formatOf(st.db)
	if err != nil {
		return fmt.Errorf("store: read the format of %s: %w", st.path, err)
	}
	if from == databaseFormat {
		return nil
	}
	copyPath := fmt.Sprintf("%s.before-format-%d", st.path, from)
	if keepCopy {
		err := writeFileAtomic(copyPath, func(f *os.File) error { _, err := st.writeBackup(f); return err })
		if err != nil {
			return fmt.Errorf("store: keep a copy of %s before migrating it (free some space, or start with -migration-backup=false): %w", st.path, err)
		}
	}
	applied := 0
	for _, m := range migrations[from:] {
		err := st.db.Update(func(tx *bbolt.Tx) error {
			if err := m.run(tx); err != nil {
				return err
			}
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			return meta.Put(keyFormat, []byte(strconv.Itoa(m.to)))
		})
		if err != nil {
			err = fmt.Errorf("store: migrate %s to format %d (%s): %w", st.path, m.to, m.what, err)
			if applied == 0 {
				return fmt.Errorf("%w; the file is as it was", err) // the failed transaction wrote nothing
			}
			if keepCopy {
				if rerr := st.restoreCopy(copyPath); rerr != nil {
					return fmt.Errorf("%w; and putting back the copy failed: %v (it is at %s)", err, rerr, copyPath)
				}
				return fmt.Errorf("%w; the file is as it was", err)
			}
			return err
		}
		applied++
	}
	slog.Info(fmt.Sprintf("migrated %s from format %d to %d", st.path, from, databaseFormat), "copy", copyPath)
	return nil
}

// restoreCopy puts the copy taken before a failed migration back in place
// and reopens it.
func (st *store) restoreCopy(copyPath string) error {
	if err := st.db.Close(); err != nil {
		return err
	}
	if err := copyFile(copyPath, st.path); err != nil {
		return err
	}
	db, err := openDB(st.path, false)
	if err != nil {
		return err
	}
	st.db = db
	return nil
}

// setFormat records databaseFormat in a new database.
func (st *store) setFormat() error {
	return st.db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return meta.Put(keyFormat, []byte(strconv.Itoa(databaseFormat)))
	})
}

// reserveOldBotNamesTx is migration 1. Before format 1, revoking a bot
// deleted its record, so nothing kept a person's account from taking the
// name its messages in history carry. It keeps a revoked record for every
// bot name found in history that no bot record holds.
func reserveOldBotNamesTx(tx *bbolt.Tx) error {
	bots, msgs := tx.Bucket(bucketBots), tx.Bucket(bucketMessages)
	if bots == nil || msgs == nil {
		return nil
	}
	known := map[string]bool{}
	if err := forEachJSON(bots, "bot", func(_ []byte, b bot) error { known[b.Name] = true; return nil }); err != nil {
		return err
	}
	found := map[string]bool{}
	err := msgs.ForEachBucket(func(room []byte) error {
		return msgs.Bucket(room).ForEach(func(k, v []byte) error {
			if !bytes.Contains(v, []byte(`"o":true`)) { // only bots' messages carry it
				return nil
			}
			var sm storedMessage
			if err := json.Unmarshal(v, &sm); err != nil {
				return fmt.Errorf("message in %q: %w", room, err)
			}
			if sm.Bot && !known[sm.User] {
				found[sm.User] = true
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for name := range found {
		// Not a token's hash, so no token finds it; deleteBot's hex ids
		// cannot reach it either.
		key := []byte("retired\x00" + name)
		if bots.Get(key) != nil {
			continue
		}
		if err := putJSON(bots, key, bot{Name: name, Revoked: time.Now().UTC(), CreatedBy: "hearth"}); err != nil {
			return err
		}
	}
	return nil
}
