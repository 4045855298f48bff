// store_files_test.go tests how files are kept: chunks read back through
// fileReader as written (and old whole blobs too), uploads that stay
// invisible until completed, deleted with their chunks and thumbnails when
// aborted or swept at open, files deleted with everything they own, and
// the bytes each user stores.

package main

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"go.etcd.io/bbolt"
)

// chunkCount is what the chunks, uploads and thumbs buckets hold.
type chunkCount struct {
	chunks, uploads, thumbs int
	bytes                   int64 // of every chunk
}

// countChunksTx counts the chunks, uploads and thumbnails in tx.
func countChunksTx(tx *bbolt.Tx) chunkCount {
	var c chunkCount
	chunks := tx.Bucket(bucketChunks)
	chunks.ForEachBucket(func(k []byte) error {
		c.chunks++
		c.bytes += int64(len(chunks.Bucket(k).Get(chunkValue)))
		return nil
	})
	c.uploads = tx.Bucket(bucketUploads).Stats().KeyN
	c.thumbs = tx.Bucket(bucketThumbs).Stats().KeyN
	return c
}

// countChunks counts what st's chunks, uploads and thumbs buckets hold.
func countChunks(t testing.TB, st *store) chunkCount {
	t.Helper()
	var c chunkCount
	st.db.View(func(tx *bbolt.Tx) error { c = countChunksTx(tx); return nil })
	return c
}

// randomBytes is n bytes that differ from chunk to chunk, so a chunk read
// in the wrong place shows.
func randomBytes(n int, seed uint64) []byte {
	r := rand.NewChaCha8([32]byte{byte(seed)})
	b := make([]byte, n)
	r.Read(b)
	return b
}

// putLegacyFile stores a file as releases before format 4 did: its
// description in files, its bytes whole in blobs.
func putLegacyFile(t testing.TB, st *store, a attachment, data []byte) attachment {
	t.Helper()
	err := st.db.Update(func(tx *bbolt.Tx) error {
		id, err := tx.Bucket(bucketFiles).NextSequence()
		if err != nil {
			return err
		}
		a.ID, a.Size = id, int64(len(data))
		if err := putJSON(tx.Bucket(bucketFiles), idKey(id), a); err != nil {
			return err
		}
		return tx.Bucket(bucketBlobs).Put(idKey(id), data)
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// putChunkedFile stores data as a file in chunks of size bytes: the
// reader follows each file's ChunkSize, so tests can use small chunks.
func putChunkedFile(t testing.TB, st *store, data []byte, size int) attachment {
	t.Helper()
	id, _, err := st.beginUpload("ann", -1, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a := attachment{ID: id, Name: "new.bin", Type: "application/octet-stream", Room: "general", Size: int64(len(data)), ChunkSize: size}
	for off := 0; off < len(data); off += size {
		if err := st.putChunk(id, a.Chunks, data[off:min(off+size, len(data))]); err != nil {
			t.Fatal(err)
		}
		a.Chunks++
	}
	err = st.db.Update(func(tx *bbolt.Tx) error { a, err = completeUploadTx(tx, a, time.Now()); return err })
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestFileReader: a file reads back byte for byte, whatever the reads and
// seeks (iotest.TestReader tries them, a few bytes a read), chunked or
// kept whole in blobs, one byte, one chunk, or two and a half chunks long.
// The chunks are small here (the reader follows each file's ChunkSize) so
// that reads a few bytes at a time stay quick; TestRange reads real ones.
func TestFileReader(t *testing.T) {
	const size = 1000
	st := newTestStore(t)
	for _, tc := range []struct {
		name   string
		size   int
		legacy bool
	}{
		{"one byte", 1, false},
		{"one chunk exactly", size, false},
		{"two and a half chunks", 2*size + size/2, false},
		{"legacy blob", 3 * size, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := randomBytes(tc.size, uint64(tc.size))
			var a attachment
			if tc.legacy {
				a = putLegacyFile(t, st, attachment{Name: "old.bin", Type: "application/octet-stream", Room: "general"}, data)
			} else {
				a = putChunkedFile(t, st, data, size)
			}
			got, r, err := st.openFile(a.ID)
			if err != nil || got.Size != int64(tc.size) {
				t.Fatalf("openFile: %+v %v", got, err)
			}
			if err := iotest.TestReader(r, data); err != nil {
				t.Error(err)
			}
			// A read across a chunk boundary, in one call.
			if tc.size > size+10 {
				r.Seek(size-10, io.SeekStart)
				buf := make([]byte, 20)
				if n, err := r.Read(buf); n != 20 || err != nil || !bytes.Equal(buf, data[size-10:size+10]) {
					t.Errorf("read across the boundary: %d %v", n, err)
				}
			}
		})
	}
	if _, _, err := st.openFile(999); !errors.Is(err, errFileNotFound) {
		t.Errorf("openFile of no file: %v, want errFileNotFound", err)
	}
	// putFile writes chunks of chunkSize.
	data := randomBytes(chunkSize+1, 9)
	a, err := st.putFile(attachment{Name: "big.bin", Room: "general"}, bytes.NewReader(data))
	if err != nil || a.Chunks != 2 || a.ChunkSize != chunkSize || a.Size != int64(len(data)) {
		t.Fatalf("putFile: %+v %v", a, err)
	}
	_, r, _ := st.openFile(a.ID)
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
		t.Errorf("putFile's file reads %d bytes, %v", len(got), err)
	}
}

// TestUploadLifecycle: an upload is invisible while pending; completing it
// in a transaction makes it a file; abortUpload then leaves it alone, but
// deletes a pending upload with its chunks and thumbnails, and nothing of
// another file.
func TestUploadLifecycle(t *testing.T) {
	st := newTestStore(t)
	other, err := st.putFile(attachment{Name: "keep.bin", Room: "general"}, bytes.NewReader(randomBytes(chunkSize+1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	before := countChunks(t, st)

	begin := func() (uint64, attachment) {
		t.Helper()
		id, allowance, err := st.beginUpload("ann", 3*chunkSize, 0, time.Now())
		if err != nil || allowance != -1 {
			t.Fatalf("beginUpload: %d %d %v", id, allowance, err)
		}
		a := attachment{ID: id, Name: "up.bin", Room: "general", User: "ann", ChunkSize: chunkSize}
		if a.Size, a.Chunks, err = st.writeChunks(id, bytes.NewReader(randomBytes(2*chunkSize+5, 2)), nil); err != nil {
			t.Fatal(err)
		}
		if err := st.putThumb(id, 320, []byte("jpeg")); err != nil {
			t.Fatal(err)
		}
		return id, a
	}

	// Aborted while pending: everything of it goes, nothing of the other.
	id, _ := begin()
	if _, err := st.getFile(id); !errors.Is(err, errFileNotFound) {
		t.Errorf("a pending upload is a file: %v", err)
	}
	if c := countChunks(t, st); c.uploads != 1 || c.chunks != before.chunks+3 || c.thumbs != 1 {
		t.Errorf("while pending: %+v", c)
	}
	if err := st.abortUpload(id); err != nil {
		t.Fatal(err)
	}
	if c := countChunks(t, st); c != before {
		t.Errorf("after abort: %+v, want %+v", c, before)
	}
	if err := st.putChunk(id, 3, []byte("late")); !errors.Is(err, errUploadGone) {
		t.Errorf("a chunk for an aborted upload: %v, want errUploadGone", err)
	}

	// Completed: a file, which abortUpload leaves alone.
	id, a := begin()
	err = st.db.Update(func(tx *bbolt.Tx) error { _, err := completeUploadTx(tx, a, time.Now()); return err })
	if err != nil {
		t.Fatal(err)
	}
	if err := st.abortUpload(id); err != nil {
		t.Fatal(err)
	}
	got, err := st.getFile(id)
	if err != nil || got.Size != 2*chunkSize+5 || got.Time.IsZero() {
		t.Fatalf("completed file: %+v %v", got, err)
	}
	if thumb, err := st.getThumb(id, 320); err != nil || string(thumb) != "jpeg" {
		t.Errorf("thumbnail of the completed file: %q %v", thumb, err)
	}
	err = st.db.Update(func(tx *bbolt.Tx) error { _, err := completeUploadTx(tx, a, time.Now()); return err })
	if !errors.Is(err, errUploadGone) {
		t.Errorf("completing it twice: %v, want errUploadGone", err)
	}

	// Deleted: its chunks and thumbnails go with it.
	if err := st.db.Update(func(tx *bbolt.Tx) error { return deleteFileTx(tx, id) }); err != nil {
		t.Fatal(err)
	}
	if c := countChunks(t, st); c != before {
		t.Errorf("after deleting the file: %+v, want %+v", c, before)
	}
	if _, r, err := st.openFile(other.ID); err != nil {
		t.Error(err)
	} else if data, err := io.ReadAll(r); err != nil || !bytes.Equal(data, randomBytes(chunkSize+1, 1)) {
		t.Errorf("the other file: %d bytes, %v", len(data), err)
	}
}

// TestSweepUploadsAtOpen: uploads left pending when the file was closed
// (a crash, a kill) are deleted with their chunks and thumbnails when it
// is opened again; complete files stay.
func TestSweepUploadsAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := st.putFile(attachment{Name: "kept.txt", Room: "general"}, strings.NewReader("kept"))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		id, _, err := st.beginUpload("ann", -1, 0, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		st.writeChunks(id, bytes.NewReader(randomBytes(chunkSize+7, 3)), nil)
		st.putThumb(id, 160, []byte("png"))
	}
	if c := countChunks(t, st); c.uploads != 3 || c.chunks != 7 || c.thumbs != 3 {
		t.Fatalf("before closing: %+v", c)
	}
	st.Close()

	st, err = openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if c := countChunks(t, st); c != (chunkCount{chunks: 1, bytes: 4}) {
		t.Errorf("after opening again: %+v, want only the kept file's chunk", c)
	}
	if _, r, err := st.openFile(kept.ID); err != nil {
		t.Error(err)
	} else if data, _ := io.ReadAll(r); string(data) != "kept" {
		t.Errorf("kept file reads %q", data)
	}
}

// TestUsageAndQuota: what a user stores counts their files and, at their
// declared sizes, their uploads under way; an upload that would pass the
// quota is refused with what they use, writing nothing.
func TestUsageAndQuota(t *testing.T) {
	st := newTestStore(t)
	if _, err := st.putFile(attachment{Name: "a", Room: "general", User: "ann"}, bytes.NewReader(make([]byte, 600))); err != nil {
		t.Fatal(err)
	}
	if _, err := st.putFile(attachment{Name: "b", Room: "general", User: "bob"}, bytes.NewReader(make([]byte, 50))); err != nil {
		t.Fatal(err)
	}
	putLegacyFile(t, st, attachment{Name: "old", Room: "general"}, make([]byte, 70)) // nobody's until migration 4

	for _, tc := range []struct {
		name          string
		declared      int64
		quota         int64
		wantAllowance int64
		wantErr       string
	}{
		{"no quota", 1 << 40, 0, -1, ""},
		{"declared fits", 300, 1000, 400, ""},
		{"declared passes", 401, 1000, 0, "this upload would pass your storage quota of 1000 bytes (you use 600 bytes)"},
		{"unknown size", -1, 1000, 400, ""},
		{"quota used up", -1, 600, 0, "this upload would pass your storage quota of 600 bytes (you use 600 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := countChunks(t, st)
			id, allowance, err := st.beginUpload("ann", tc.declared, tc.quota, time.Now())
			if tc.wantErr != "" {
				var qe *quotaError
				if !errors.As(err, &qe) || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if c := countChunks(t, st); c != before {
					t.Errorf("a refused upload stored %+v", c)
				}
				return
			}
			if err != nil || allowance != tc.wantAllowance {
				t.Fatalf("allowance %d, %v; want %d", allowance, err, tc.wantAllowance)
			}
			st.abortUpload(id)
		})
	}

	// An upload under way counts at its declared size, for the next.
	id, _, err := st.beginUpload("ann", 300, 1000, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.beginUpload("ann", 101, 1000, time.Now()); err == nil || !strings.Contains(err.Error(), "you use 900 bytes") {
		t.Errorf("a second upload past the quota with the first under way: %v", err)
	}
	used, err := st.usage()
	if err != nil || used["ann"] != 900 || used["bob"] != 50 || len(used) != 2 {
		t.Errorf("usage = %v, %v; want ann 900 (one under way), bob 50", used, err)
	}
	st.abortUpload(id)
}
