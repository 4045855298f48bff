// store_search.go owns the word index: entries kept right through edits
// and deletes, and the search that walks them.

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"

	"go.etcd.io/bbolt"
)

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
