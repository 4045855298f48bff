// store_files.go owns shared files: their descriptions and their bytes,
// kept in the same database so one backup holds everything.

package main

import (
	"bytes"
	"errors"
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
// with no message, and returns it with its id: for tools and tests. An
// upload is stored with its message instead (appendRequest.Upload).
func (st *store) putFile(a attachment, r io.Reader) (attachment, error) {
	data := make([]byte, a.Size)
	if _, err := io.ReadFull(r, data); err != nil {
		return attachment{}, fmt.Errorf("store: put file %q: read %d bytes: %w", a.Name, a.Size, err)
	}
	var stored attachment
	err := st.db.Update(func(tx *bbolt.Tx) error {
		var err error
		stored, err = putFileTx(tx, a, data)
		return err
	})
	if err != nil {
		return attachment{}, fmt.Errorf("store: put file %q: %w", a.Name, err)
	}
	return stored, nil
}

// putFileTx stores a file's description and its bytes under the files'
// next id, and returns the description with that id.
//
// An upload's bytes are read inside the write transaction (see appendTx),
// so however many uploads wait for it, only the one being written is in
// memory (the committer takes one upload a batch). That one is whole,
// though: bbolt takes a value as one []byte and copies it into its own page
// buffer at commit, so a file costs about twice its size in memory while it
// is written (storing blobs in chunks would lift this), and its read holds
// up other writers for as long as it takes.
func putFileTx(tx *bbolt.Tx, a attachment, data []byte) (attachment, error) {
	fb := tx.Bucket(bucketFiles)
	id, err := fb.NextSequence()
	if err != nil {
		return attachment{}, err
	}
	a.ID = id
	if err := putJSON(fb, idKey(id), a); err != nil {
		return attachment{}, err
	}
	return a, tx.Bucket(bucketBlobs).Put(idKey(id), data)
}

// deleteFileTx removes a file's description and its bytes.
func deleteFileTx(tx *bbolt.Tx, id uint64) error {
	if err := tx.Bucket(bucketFiles).Delete(idKey(id)); err != nil {
		return err
	}
	return tx.Bucket(bucketBlobs).Delete(idKey(id))
}

// getFile returns a file's description and bytes. It returns the bare
// errFileNotFound if there is no such file (a lookup's miss is an answer),
// and wraps any other error.
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
	switch {
	case errors.Is(err, errFileNotFound):
		return attachment{}, nil, err
	case err != nil:
		return attachment{}, nil, fmt.Errorf("store: get file %d: %w", id, err)
	}
	return a, data, nil
}
