// store_search.go owns the word index: entries kept right through edits
// and deletes, and the search that walks them, each query word matching
// the indexed words that start with it.

package main

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"

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

// search returns up to limit messages, newest first, in rooms visible says
// may be seen, holding for every one of terms (already split by words) a
// word that starts with it: "lasag" finds lasagne, "pizz tonig" finds
// "Pizza tonight?".
func (st *store) search(terms []string, visible func(room string) bool, limit int) ([]message, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	var out []message
	err := st.db.View(func(tx *bbolt.Tx) error {
		// Walk the postings of the rarest term (of every word it starts),
		// and check the others in each message found. Counting costs key
		// steps only; decoding messages is what is capped
		// (searchExamineMax), so a common word chosen by the searcher cannot
		// make one search read the whole history.
		index := tx.Bucket(bucketWords)
		driver, fewest := "", 0
		for _, t := range terms {
			if n := countPostings(index, t, searchExamineMax); driver == "" || n < fewest {
				driver, fewest = t, n
			}
		}
		msgs := tx.Bucket(bucketMessages)
		walk := newPrefixWalk(index, driver, searchPrefixWords)
		examined := 0
		var last []byte
		for len(out) < limit && examined < searchExamineMax {
			rest, ok := walk.next()
			if !ok {
				break
			}
			if bytes.Equal(rest, last) {
				continue // the same message again, under another word of the prefix
			}
			last = rest
			examined++
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
			if !m.Deleted && holdsAll(words(m.Body), terms) {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// holdsAll reports whether every term starts one of have.
func holdsAll(have, terms []string) bool {
	for _, t := range terms {
		if !slices.ContainsFunc(have, func(w string) bool { return strings.HasPrefix(w, t) }) {
			return false
		}
	}
	return true
}

// searchExamineMax bounds the messages one search decodes, and how far it
// counts a term's postings to find the rarest. A search for words in more
// messages than that finds matches among the newest of them only.
var searchExamineMax = 20_000

// searchPrefixWords bounds the different words the rarest term stands for
// in one search (each costs a cursor and two seeks): a prefix that starts
// more words than that is looked for in the first of them in byte order
// only. A household's history has far fewer words to a prefix.
var searchPrefixWords = 10_000

// countPostings counts the index entries of the words that start with
// term, stopping at max.
func countPostings(words *bbolt.Bucket, term string, max int) int {
	prefix := []byte(term)
	n := 0
	c := words.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && n < max; k, _ = c.Next() {
		n++
	}
	return n
}

// prefixWalk yields, newest first, the index entries of every word that
// starts with a prefix. Each word's entries are in time order already, so
// it merges them: one cursor a word, in a heap ordered by the entry each
// stands at. Finding the words costs a seek each.
type prefixWalk []*wordCursor

// wordCursor is one word's place in a prefixWalk.
type wordCursor struct {
	c    *bbolt.Cursor
	word []byte // the word and its \x00
	key  []byte // the entry the cursor is at
}

// newPrefixWalk finds the words of index that start with prefix, at most
// maxWords of them (the first in byte order), and stands at the newest
// entry of each. It lives in the transaction index was taken from.
func newPrefixWalk(index *bbolt.Bucket, prefix string, maxWords int) *prefixWalk {
	w := &prefixWalk{}
	find := index.Cursor()
	for k, _ := find.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)) && len(*w) < maxWords; {
		end := bytes.IndexByte(k, 0)
		if end < 0 {
			k, _ = find.Next() // not an index entry
			continue
		}
		word := k[:end+1]
		c := index.Cursor()
		first, _ := c.Seek(word)
		*w = append(*w, &wordCursor{c: c, word: word, key: first})
		// Past every entry of this word: its keys all sort before word+1.
		k, _ = find.Seek(append(bytes.Clone(k[:end]), 1))
	}
	heap.Init(w)
	return w
}

// next returns the newest entry not yet returned, without its word: the
// message's inverted time, id and room. Two words of the prefix in one
// message yield its entry twice, one after the other.
func (w *prefixWalk) next() ([]byte, bool) {
	if len(*w) == 0 {
		return nil, false
	}
	top := (*w)[0]
	rest := top.key[len(top.word):]
	if k, _ := top.c.Next(); k != nil && bytes.HasPrefix(k, top.word) {
		top.key = k
		heap.Fix(w, 0)
	} else {
		heap.Pop(w)
	}
	return rest, true
}

func (w prefixWalk) Len() int { return len(w) }
func (w prefixWalk) Less(i, j int) bool {
	return bytes.Compare(w[i].key[len(w[i].word):], w[j].key[len(w[j].word):]) < 0
}
func (w prefixWalk) Swap(i, j int) { w[i], w[j] = w[j], w[i] }
func (w *prefixWalk) Push(x any)   { *w = append(*w, x.(*wordCursor)) }
func (w *prefixWalk) Pop() any {
	old := *w
	x := old[len(old)-1]
	*w = old[:len(old)-1]
	return x
}
