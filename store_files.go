// store_files.go owns shared files: their descriptions and their bytes,
// kept in the same database so one backup holds everything.

package main

import (
	"bytes"
	"fmt"
	"io"

	"go.etcd.io/bbolt"
)

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

// deleteFileTx removes a file's description and its bytes.
func deleteFileTx(tx *bbolt.Tx, id uint64) error {
	if err := tx.Bucket(bucketFiles).Delete(idKey(id)); err != nil {
		return err
	}
	return tx.Bucket(bucketBlobs).Delete(idKey(id))
}

// deleteFile removes a file no message refers to: an upload whose message
// was refused or was a resend.
func (st *store) deleteFile(id uint64) error {
	err := st.db.Update(func(tx *bbolt.Tx) error { return deleteFileTx(tx, id) })
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
