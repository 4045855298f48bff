// store_backup.go owns copies of the database: the hot backup written in
// one read transaction, checking a backup before it is restored, and
// compaction.

package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"go.etcd.io/bbolt"
)

// writeBackup writes a consistent copy of the database to w, from one read
// transaction: writers go on meanwhile. It returns the bytes written.
func (st *store) writeBackup(w io.Writer) (int64, error) {
	// The copy holds every index entry (or, if they cannot be written
	// now, the copy's first open writes them: indexRecent).
	if err := st.flushIndex(); err != nil {
		slog.Warn("index waiting messages before a backup", "err", err)
	}
	var n int64
	err := st.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: write backup of %s: %w", st.path, err)
	}
	return n, nil
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

// dbSize is the size of the database file.
func (st *store) dbSize() int64 {
	var n int64
	st.db.View(func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// reclaimable estimates the bytes compactDB (hearth compact) would give
// back: the pages bbolt keeps free inside the file after deletes (free and
// pending, bbolt's own counts as of the last write transaction, or of
// opening), and the tail of the file past its last page, which bbolt
// allocates ahead of need. Compaction may give back a little more, as it
// packs pages full, or a little less, as the new file is allocated ahead
// in its turn. It reads no page.
func (st *store) reclaimable() int64 {
	stats := st.db.Stats()
	free := int64(stats.FreePageN+stats.PendingPageN) * int64(st.db.Info().PageSize)
	if fi, err := os.Stat(st.path); err == nil {
		free += max(0, fi.Size()-st.dbSize())
	}
	return free
}
