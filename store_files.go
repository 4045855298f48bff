// store_files.go owns shared files: their descriptions and their bytes,
// kept in the same database so one backup holds everything. A file's bytes
// are stored in chunks of at most chunkSize, written as they arrive over
// many small transactions while the file is an upload (invisible, in the
// uploads bucket), and read back a little at a time by fileReader, so no
// file is ever whole in memory. Files stored before format 4 keep their
// bytes as one value in blobs, and are read from there. Thumbnails of a
// file (the thumbs bucket, written by the image pipeline) go with it.

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"go.etcd.io/bbolt"
)

// chunkSize is the most bytes one chunk of a file holds: the memory an
// upload or a read needs at once, and one write transaction's worth of an
// upload. 1 MiB keeps a 200 MiB video to 200 keys and each transaction
// short enough that chat commits between two chunks wait little.
const chunkSize = 1 << 20

// attachment is a file shared in a message. The files bucket holds it with
// everything the store needs to read it; the copy in a message (and on the
// wire) is only its description: Room, User, Chunks, ChunkSize and Time are
// cleared there (see appendTx).
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
	// User is who uploaded it: their storage quota counts it. Files
	// stored before format 4 get it from their message (migration 4).
	User string `json:"user,omitempty"`
	// Chunks is how many chunks of ChunkSize bytes (the last one shorter)
	// hold the bytes in the chunks bucket; 0 for a file stored before
	// format 4, whose bytes are one value in blobs.
	Chunks    int `json:"chunks,omitempty"`
	ChunkSize int `json:"chunk_size,omitempty"`
	// Time is when the file was complete: its Last-Modified. Zero for
	// files stored before format 4.
	Time time.Time `json:"time,omitzero"`
	// Thumbs are the sizes (the long side, in pixels) of the thumbnails
	// made of an image (photos.go), smallest first, for GET
	// /api/files/{id}/thumb?size=N. None for other files, for images that
	// could not be decoded, and for files stored before format 4.
	Thumbs []int `json:"thumbs,omitempty"`
	// Voice marks a voice message recorded in the client, and DurationMS
	// is its length as the recording page timed it (a WebM from
	// MediaRecorder carries none), for the player to show before it loads.
	Voice      bool  `json:"voice,omitempty"`
	DurationMS int64 `json:"duration_ms,omitempty"`
}

// description is a as a message carries it: what the store needs to read
// the file stays in the files bucket.
func (a attachment) description() attachment {
	a.Room, a.User, a.Chunks, a.ChunkSize, a.Time = "", "", 0, 0, time.Time{}
	return a
}

// uploadRecord is an upload under way, in the uploads bucket under its
// file's id: its chunks are being written and nobody can see it yet.
type uploadRecord struct {
	User    string    `json:"user"`
	Started time.Time `json:"started"`
	// Declared is the size the client announced (Content-Length), or -1.
	// Quotas count it for the whole upload from the start, so that two
	// uploads at once cannot each fit a quota the pair would pass.
	Declared int64 `json:"declared"`
}

// errUploadGone is what writing to, or completing, an upload that is no
// longer pending returns: it was completed, deleted, or swept at start-up.
var errUploadGone = errors.New("upload is no longer pending")

// quotaError refuses an upload that would take its uploader past their
// storage quota. Its text is what they are told.
type quotaError struct {
	Quota, Used int64
}

func (e *quotaError) Error() string {
	return fmt.Sprintf("this upload would pass your storage quota of %s (you use %s)", byteSize64(e.Quota), byteSize64(e.Used))
}

// chunkKey is the key of chunk index of file id: the id first, so a file's
// chunks are together and in order, and a prefix finds them all.
func chunkKey(id uint64, index int) []byte {
	return binary.BigEndian.AppendUint32(idKey(id), uint32(index))
}

// Each chunk is the one value (under chunkValue) of a bucket of its own,
// under chunkKey in the chunks bucket, so that bbolt writes a chunk once
// and never again. Were the chunks the values of one bucket, bbolt would
// keep two to four of them on each leaf page (it never splits a leaf of
// four keys or fewer), and every chunk added would rewrite the leaf with
// the one to three before it: about four times the writes, and reading
// them back through the map. A chunk's bucket is its own leaf, and
// the chunks bucket holds only their small headers.
var chunkValue = []byte("c")

// chunkTx returns chunk index of file id as stored in tx (valid while tx
// is open), or nil.
func chunkTx(tx *bbolt.Tx, id uint64, index int) []byte {
	cb := tx.Bucket(bucketChunks).Bucket(chunkKey(id, index))
	if cb == nil {
		return nil
	}
	return cb.Get(chunkValue)
}

// thumbKey is the key of file id's thumbnail width pixels wide in thumbs:
// the id first, so deleting the file finds its thumbnails by prefix.
func thumbKey(id uint64, width int) []byte {
	return binary.BigEndian.AppendUint16(idKey(id), uint16(width))
}

// beginUpload registers a new upload by user that announced declared bytes
// (-1 when it did not say) and returns the id its file will have. Until
// completeUploadTx, nothing but its uploader's handler knows the id, and
// the start-up sweep deletes it with its chunks.
//
// With quota > 0, what user stores (their files, and their uploads under
// way at their declared sizes) is counted in the same transaction, so two
// uploads starting at once are counted one after the other; an upload that
// would pass the quota is refused with a *quotaError, and otherwise
// allowance is how many bytes it may still write (-1 without a quota).
func (st *store) beginUpload(user string, declared, quota int64, now time.Time) (id uint64, allowance int64, err error) {
	allowance = -1
	err = st.db.Update(func(tx *bbolt.Tx) error {
		if quota > 0 {
			used, err := usedTx(tx, user)
			if err != nil {
				return err
			}
			// Every upload holds at least a byte, so a full quota refuses
			// whatever the size.
			if used >= quota || (declared > 0 && used+declared > quota) {
				return &quotaError{Quota: quota, Used: used}
			}
			allowance = quota - used
		}
		var err error
		id, err = tx.Bucket(bucketFiles).NextSequence()
		if err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketUploads), idKey(id), uploadRecord{User: user, Started: now.UTC(), Declared: declared})
	})
	var qe *quotaError
	switch {
	case errors.As(err, &qe):
		return 0, 0, err
	case err != nil:
		return 0, 0, fmt.Errorf("store: begin an upload by %q: %w", user, err)
	}
	return id, allowance, nil
}

// writeChunks reads r to its end and stores it as the chunks of upload id,
// one write transaction a chunk, so that memory holds one chunk at a time
// whatever the size. Before storing each chunk it calls check (when not
// nil) with the chunk's index, the bytes stored before it and the chunk;
// an error from check stops it. It returns the bytes and chunks stored.
// On error, what was stored stays until abortUpload (or the start-up
// sweep) deletes it.
func (st *store) writeChunks(id uint64, r io.Reader, check func(index int, before int64, chunk []byte) error) (size int64, chunks int, err error) {
	buf := make([]byte, chunkSize)
	for {
		n, err := fill(r, buf)
		if n > 0 {
			if check != nil {
				if err := check(chunks, size, buf[:n]); err != nil {
					return size, chunks, err
				}
			}
			if err := st.putChunk(id, chunks, buf[:n]); err != nil {
				return size, chunks, err
			}
			size += int64(n)
			chunks++
		}
		switch {
		case err == io.EOF:
			return size, chunks, nil
		case err != nil:
			return size, chunks, err
		}
	}
}

// fill reads from r until buf is full or r ends. Unlike io.ReadFull, it
// returns io.EOF at the end, whatever it read, and any other error as r
// returned it: a body cut short (io.ErrUnexpectedEOF from net/http) must
// not pass for a short last chunk.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// putChunk stores chunk index of upload id, in its own transaction. It
// returns errUploadGone if the upload is not pending, so that no chunk is
// ever stored without an upload or a file to own it.
func (st *store) putChunk(id uint64, index int, data []byte) error {
	err := st.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketUploads).Get(idKey(id)) == nil {
			return errUploadGone
		}
		b := tx.Bucket(bucketChunks)
		b.FillPercent = appendFillPercent // ids and indexes only grow
		cb, err := b.CreateBucketIfNotExists(chunkKey(id, index))
		if err != nil {
			return err
		}
		return cb.Put(chunkValue, data)
	})
	if err != nil {
		return fmt.Errorf("store: write chunk %d of upload %d: %w", index, id, err)
	}
	metricUploadBytes.Add(len(data))
	return nil
}

// completeUploadTx makes pending upload a.ID a file: its description (a,
// with Time set to now) goes into files and the upload leaves uploads, in
// tx, the transaction of the message that carries it. It returns the file
// as stored, or errUploadGone if the upload is not pending.
//
// The sharer's quota, if they have one, is checked again here, against the
// files they have completed: two uploads of unknown length sent at once
// were each allowed what was left, and only one of them fits.
func completeUploadTx(tx *bbolt.Tx, a attachment, now time.Time) (attachment, error) {
	ub := tx.Bucket(bucketUploads)
	if ub.Get(idKey(a.ID)) == nil {
		return attachment{}, errUploadGone
	}
	var u user
	if getJSON(tx.Bucket(bucketUsers), []byte(a.User), &u, errUserNotFound) == nil && u.QuotaBytes > 0 {
		used, err := completedUsageTx(tx, a.User)
		if err != nil {
			return attachment{}, err
		}
		if used+a.Size > u.QuotaBytes {
			return attachment{}, &quotaError{Quota: u.QuotaBytes, Used: used}
		}
	}
	a.Time = now.UTC()
	if err := putJSON(tx.Bucket(bucketFiles), idKey(a.ID), a); err != nil {
		return attachment{}, err
	}
	return a, ub.Delete(idKey(a.ID))
}

// abortUpload deletes upload id, its chunks and any thumbnails made of it,
// if it is still pending; a completed file is left alone, so calling it
// after a commit that may or may not have stored the file is safe.
func (st *store) abortUpload(id uint64) error {
	err := st.db.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketUploads).Get(idKey(id)) == nil {
			return nil
		}
		return deleteUploadTx(tx, id)
	})
	if err != nil {
		return fmt.Errorf("store: abort upload %d: %w", id, err)
	}
	return nil
}

// deleteUploadTx deletes a pending upload with its chunks and thumbnails.
func deleteUploadTx(tx *bbolt.Tx, id uint64) error {
	if err := deletePrefixTx(tx.Bucket(bucketChunks), idKey(id)); err != nil {
		return err
	}
	if err := deletePrefixTx(tx.Bucket(bucketThumbs), idKey(id)); err != nil {
		return err
	}
	return tx.Bucket(bucketUploads).Delete(idKey(id))
}

// sweepUploads deletes every upload still pending, with its chunks: at
// start-up, before anything serves, these can only be uploads a crash or
// a kill cut short. It returns how many it deleted. One transaction: an
// upload's chunks are deleted without reading them.
func (st *store) sweepUploads() (int, error) {
	n := 0
	empty := true
	st.db.View(func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(bucketUploads).Cursor().First()
		empty = k == nil
		return nil
	})
	if empty {
		return 0, nil // the common case, without a write
	}
	err := st.db.Update(func(tx *bbolt.Tx) error {
		n = 0
		ub := tx.Bucket(bucketUploads)
		for k, _ := ub.Cursor().First(); k != nil; k, _ = ub.Cursor().First() {
			if len(k) != 8 {
				if err := ub.Delete(k); err != nil {
					return err
				}
				continue
			}
			if err := deleteUploadTx(tx, binary.BigEndian.Uint64(k)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: sweep unfinished uploads in %s: %w", st.path, err)
	}
	return n, nil
}

// deletePrefixTx deletes every key of b that starts with prefix, and
// every bucket (a chunk's). It seeks again after each delete: a bbolt
// cursor may skip the key after one it deleted. A bucket's pages are
// freed without reading what they hold.
func deletePrefixTx(b *bbolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Seek(prefix) {
		var err error
		if v == nil {
			err = b.DeleteBucket(bytes.Clone(k))
		} else {
			err = c.Delete()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// putFile stores a file's description and the bytes read from r (to its
// end; a.Size is set from them) with no message, and returns it with its
// id: for tools and tests. An upload is stored with its message instead
// (handleUpload).
func (st *store) putFile(a attachment, r io.Reader) (attachment, error) {
	id, _, err := st.beginUpload(a.User, -1, 0, time.Now())
	if err != nil {
		return attachment{}, fmt.Errorf("store: put file %q: %w", a.Name, err)
	}
	a.ID, a.ChunkSize = id, chunkSize
	if a.Size, a.Chunks, err = st.writeChunks(id, r, nil); err != nil {
		st.abortUpload(id)
		return attachment{}, fmt.Errorf("store: put file %q: %w", a.Name, err)
	}
	err = st.db.Update(func(tx *bbolt.Tx) error {
		var err error
		a, err = completeUploadTx(tx, a, time.Now())
		return err
	})
	if err != nil {
		st.abortUpload(id)
		return attachment{}, fmt.Errorf("store: put file %q: %w", a.Name, err)
	}
	return a, nil
}

// deleteFileTx removes a file: its description, its bytes (chunks, or the
// blob of a file stored before format 4) and its thumbnails.
func deleteFileTx(tx *bbolt.Tx, id uint64) error {
	if err := tx.Bucket(bucketFiles).Delete(idKey(id)); err != nil {
		return err
	}
	if err := tx.Bucket(bucketBlobs).Delete(idKey(id)); err != nil {
		return err
	}
	if err := deletePrefixTx(tx.Bucket(bucketChunks), idKey(id)); err != nil {
		return err
	}
	return deletePrefixTx(tx.Bucket(bucketThumbs), idKey(id))
}

// getFile returns a file's description as stored. It returns the bare
// errFileNotFound if there is no such file (a lookup's miss is an answer;
// an upload still under way is no file yet), and wraps any other error.
func (st *store) getFile(id uint64) (attachment, error) {
	var a attachment
	err := st.db.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketFiles), idKey(id), &a, errFileNotFound)
	})
	switch {
	case errors.Is(err, errFileNotFound):
		return attachment{}, err
	case err != nil:
		return attachment{}, fmt.Errorf("store: get file %d: %w", id, err)
	}
	return a, nil
}

// openFile returns a file's description and a reader of its bytes; errors
// are getFile's.
func (st *store) openFile(id uint64) (attachment, *fileReader, error) {
	a, err := st.getFile(id)
	if err != nil {
		return attachment{}, nil, err
	}
	return a, newFileReader(st, a), nil
}

// fileReader reads the bytes of one file (or of a complete upload not yet
// committed) as an io.ReadSeeker, for http.ServeContent, exports and the
// image pipeline. Each Read is its own short read transaction and copies
// out at most what it returns, so a reader holds no more than its caller's
// buffer, and writers are never held up for the length of a download. A
// fileReader is for one goroutine at a time.
type fileReader struct {
	st  *store
	a   attachment // Size, Chunks and ChunkSize say where the bytes are
	off int64
}

// newFileReader reads the file a describes as stored in st: in chunks, or
// in blobs when a.Chunks is 0. A read of a file deleted meanwhile fails
// with errFileNotFound.
func newFileReader(st *store, a attachment) *fileReader {
	return &fileReader{st: st, a: a}
}

// Read copies the file's bytes from the current offset into p, as many as
// fit, from one read transaction.
func (r *fileReader) Read(p []byte) (int, error) {
	if r.off >= r.a.Size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.a.Size-r.off)]
	n := 0
	err := r.st.db.View(func(tx *bbolt.Tx) error {
		for n < len(p) {
			piece, err := filePieceTx(tx, r.a, r.off+int64(n))
			if err != nil {
				return err
			}
			n += copy(p[n:], piece)
		}
		return nil
	})
	r.off += int64(n)
	if err != nil {
		return n, fmt.Errorf("store: read file %d at byte %d: %w", r.a.ID, r.off, err)
	}
	return n, nil
}

// filePieceTx returns a's bytes from off to the end of the chunk (or the
// blob) holding off: valid only while tx is open.
func filePieceTx(tx *bbolt.Tx, a attachment, off int64) ([]byte, error) {
	var v []byte
	if a.Chunks == 0 {
		v = tx.Bucket(bucketBlobs).Get(idKey(a.ID))
	} else {
		v, off = chunkTx(tx, a.ID, int(off/int64(a.ChunkSize))), off%int64(a.ChunkSize)
	}
	switch {
	case v == nil:
		return nil, errFileNotFound
	case off >= int64(len(v)):
		return nil, io.ErrUnexpectedEOF // shorter than its description says
	}
	return v[off:], nil
}

// Seek sets the offset of the next Read, as io.Seeker says.
func (r *fileReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.a.Size
	default:
		return 0, fmt.Errorf("store: seek in file %d: bad whence %d", r.a.ID, whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("store: seek in file %d: negative position %d", r.a.ID, offset)
	}
	r.off = offset
	return offset, nil
}

// usedTx counts the bytes user stores: the files they uploaded, and their
// uploads under way at their declared sizes.
func usedTx(tx *bbolt.Tx, user string) (int64, error) {
	used, err := usageTx(tx, user)
	return used[user], err
}

// usage returns the bytes each user stores (see usedTx); users who store
// nothing are absent.
func (st *store) usage() (map[string]int64, error) {
	var used map[string]int64
	err := st.db.View(func(tx *bbolt.Tx) error {
		var err error
		used, err = usageTx(tx, "")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: count storage used: %w", err)
	}
	return used, nil
}

// usageTx counts the bytes of only (every user when empty). A record that
// does not name only is skipped before it is decoded: counting one user's
// files, as each upload under a quota does, reads every description but
// decodes only theirs.
func usageTx(tx *bbolt.Tx, only string) (map[string]int64, error) {
	used, err := filesUsageTx(tx, only)
	if err != nil {
		return nil, err
	}
	err = forEachJSON(tx.Bucket(bucketUploads), "upload", func(_ []byte, u uploadRecord) error {
		if only == "" || u.User == only {
			used[u.User] += max(u.Declared, 0)
		}
		return nil
	})
	return used, err
}

// putThumb stores a thumbnail of file id, width pixels wide, replacing any
// of that width. For the image pipeline: made while the file is still an
// upload, it goes with the upload if that is aborted or swept, and with the
// file when the file is deleted.
func (st *store) putThumb(id uint64, width int, data []byte) error {
	err := st.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketThumbs).Put(thumbKey(id, width), data)
	})
	if err != nil {
		return fmt.Errorf("store: put thumbnail %d of file %d: %w", width, id, err)
	}
	return nil
}

// getThumb returns a copy of file id's thumbnail width pixels wide, or the
// bare errFileNotFound when there is none.
func (st *store) getThumb(id uint64, width int) ([]byte, error) {
	var data []byte
	st.db.View(func(tx *bbolt.Tx) error {
		data = bytes.Clone(tx.Bucket(bucketThumbs).Get(thumbKey(id, width)))
		return nil
	})
	if data == nil {
		return nil, errFileNotFound
	}
	return data, nil
}

// attributeFilesTx is part of migration 4: every file gets the name of
// who shared it (User), from its message, so that storage quotas count
// files stored before. Only records that change are written: safe to run
// again.
func attributeFilesTx(tx *bbolt.Tx) error {
	files, msgs := tx.Bucket(bucketFiles), tx.Bucket(bucketMessages)
	if files == nil || msgs == nil {
		return nil
	}
	return msgs.ForEachBucket(func(room []byte) error {
		return msgs.Bucket(room).ForEach(func(k, v []byte) error {
			if !bytes.Contains(v, []byte(`"f":`)) { // only messages with a file carry it
				return nil
			}
			var sm storedMessage
			if err := json.Unmarshal(v, &sm); err != nil {
				return fmt.Errorf("message in %q: %w", room, err)
			}
			if sm.File == nil {
				return nil
			}
			var a attachment
			if err := getJSON(files, idKey(sm.File.ID), &a, errFileNotFound); errors.Is(err, errFileNotFound) {
				return nil // deleted with its message
			} else if err != nil {
				return err
			}
			if a.User != "" {
				return nil
			}
			a.User = sm.User
			return putJSON(files, idKey(sm.File.ID), a)
		})
	})
}

// filesUsageTx is the bytes of the completed files of each sharer (only
// that one's, when only is set).
func filesUsageTx(tx *bbolt.Tx, only string) (map[string]int64, error) {
	used := map[string]int64{}
	var mark []byte
	if only != "" {
		mark, _ = json.Marshal(only)
	}
	err := tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
		if mark != nil && !bytes.Contains(v, mark) {
			return nil
		}
		var a struct {
			User string `json:"user"`
			Size int64  `json:"size"`
		}
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("file %x: %w", k, err)
		}
		if a.User != "" && (only == "" || a.User == only) {
			used[a.User] += a.Size
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return used, nil
}

// completedUsageTx is the bytes of name's completed files.
func completedUsageTx(tx *bbolt.Tx, name string) (int64, error) {
	used, err := filesUsageTx(tx, name)
	return used[name], err
}
