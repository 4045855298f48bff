// store_search.go owns the word index: entries kept right through edits
// and deletes, new messages' entries written in batches (unindexed), and
// the search that walks them, each query word matching the indexed words
// that start with it.

package main

import (
	"bytes"
	"cmp"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"

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

// indexBatch is how many new messages wait for their index entries before
// one commit writes them all. A message's words land on as many pages of
// the index as it has distinct words (about 20 of the 37 pages a message
// committed alone wrote, measured by BenchmarkDiskPerMessage): written
// for many messages at once, a common word's page is written once, not
// once per message. That is most of what a household's messages cost an
// SD card. Until then search reads the waiting messages themselves, and
// after a crash openStore writes the entries of any message among each
// room's newest indexBatch that lacks them (indexRecent).
const indexBatch = 256

// unindexed is the messages committed without their index entries yet,
// oldest first, by room and id: what the entries are written from is
// read from the message as stored when they are written, so an edit or a
// delete in between needs no bookkeeping here.
type unindexed struct {
	mu   sync.Mutex
	msgs []roomID
}

// roomID names a message.
type roomID struct {
	room string
	id   uint64
}

// list returns the waiting messages, newest first.
func (u *unindexed) list() []roomID {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := slices.Clone(u.msgs)
	slices.Reverse(out)
	return out
}

// len is how many messages wait.
func (u *unindexed) len() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.msgs)
}

// add records messages committed without their index entries.
func (u *unindexed) add(msgs []roomID) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.msgs = append(u.msgs, msgs...)
}

// drop forgets the messages whose entries were written: those of done,
// wherever they are in the list (another commit may have added more, or
// written some of them, meanwhile).
func (u *unindexed) drop(done []roomID) {
	gone := make(map[roomID]bool, len(done))
	for _, d := range done {
		gone[d] = true
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.msgs = slices.DeleteFunc(u.msgs, func(m roomID) bool { return gone[m] })
}

// dropRoom forgets the waiting messages of the room name.
func (u *unindexed) dropRoom(name string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.msgs = slices.DeleteFunc(u.msgs, func(m roomID) bool { return m.room == name })
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

// indexWaitingTx writes the index entries of the messages in waiting, as
// they are stored now (gone or deleted: none).
func indexWaitingTx(tx *bbolt.Tx, waiting []roomID) error {
	msgs := tx.Bucket(bucketMessages)
	for _, w := range waiting {
		mb := msgs.Bucket([]byte(w.room))
		if mb == nil {
			continue // the room was deleted or renamed (a rename indexes its messages anew)
		}
		m, err := getMessage(mb, w.room, w.id)
		if errors.Is(err, errMessageNotFound) {
			continue
		}
		if err != nil {
			// A record that does not decode cannot be searched for
			// anyway; it must not refuse every commit that follows.
			slog.Warn("index a message", "room", w.room, "id", w.id, "err", err)
			continue
		}
		if !m.Deleted {
			if err := indexTx(tx, &m, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// indexRecent writes the index entries missing from each room's newest
// indexBatch messages: those a crash kept from being written. Their
// first word's entry says whether a message has its entries, since they
// are written together. It writes nothing (and opens no write
// transaction) when none is missing, as after a clean stop.
func (st *store) indexRecent() error {
	var missing []roomID
	err := st.db.View(func(tx *bbolt.Tx) error {
		index := tx.Bucket(bucketWords)
		return tx.Bucket(bucketMessages).ForEachBucket(func(name []byte) error {
			c := tx.Bucket(bucketMessages).Bucket(name).Cursor()
			n := 0
			for k, v := c.Last(); k != nil && n < indexBatch; k, v = c.Prev() {
				n++
				m, err := decodeMessage(string(name), k, v)
				if err != nil {
					continue // it cannot be searched for anyway
				}
				if w := words(m.Body); !m.Deleted && len(w) > 0 && index.Get(wordKey(w[0], &m)) == nil {
					missing = append(missing, roomID{m.Room, m.ID})
				}
			}
			return nil
		})
	})
	if err != nil || len(missing) == 0 {
		return err
	}
	if err := st.db.Update(func(tx *bbolt.Tx) error { return indexWaitingTx(tx, missing) }); err != nil {
		// A full disk must not keep Hearth from starting (where deletes
		// can free space): they wait, as new messages do, and search
		// reads them meanwhile.
		slog.Warn("index messages a stop left unindexed; they wait", "count", len(missing), "err", err)
		slices.Reverse(missing) // the list is oldest first
		st.unindexed.add(missing)
		return nil
	}
	slog.Info("indexed messages a stop left unindexed", "count", len(missing))
	return nil
}

// flushIndex writes the index entries of every waiting message, as a
// clean stop does.
func (st *store) flushIndex() error {
	waiting := st.unindexed.list()
	if len(waiting) == 0 {
		return nil
	}
	if err := st.db.Update(func(tx *bbolt.Tx) error { return indexWaitingTx(tx, waiting) }); err != nil {
		return fmt.Errorf("store: index %d waiting messages: %w", len(waiting), err)
	}
	st.unindexed.drop(waiting)
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
	waiting := st.unindexed.list()
	err := st.db.View(func(tx *bbolt.Tx) error {
		msgs := tx.Bucket(bucketMessages)
		// The messages whose index entries are not written yet are read
		// one by one (fewer than indexBatch), and merged by time with
		// what the index finds. An edit may have indexed one of them too.
		var early []message
		seen := map[roomID]bool{} // what the walk below need not read again
		for _, w := range waiting {
			if seen[w] {
				continue
			}
			seen[w] = true
			mb := msgs.Bucket([]byte(w.room))
			if mb == nil || !visible(w.room) {
				continue
			}
			m, err := getMessage(mb, w.room, w.id)
			if errors.Is(err, errMessageNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !m.Deleted && holdsAll(words(m.Body), terms) {
				early = append(early, m)
			}
		}
		// In the index's order: newest first, then by id.
		slices.SortFunc(early, func(a, b message) int {
			if c := b.TS.Compare(a.TS); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		emit := func(m message) {
			for len(early) > 0 && len(out) < limit && (early[0].TS.After(m.TS) || early[0].TS.Equal(m.TS) && early[0].ID < m.ID) {
				out, early = append(out, early[0]), early[1:]
			}
			if len(out) < limit {
				out = append(out, m)
			}
		}
		defer func() {
			for len(early) > 0 && len(out) < limit {
				out, early = append(out, early[0]), early[1:]
			}
		}()
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
			if !visible(roomName) || seen[roomID{roomName, id}] {
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
				emit(m)
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

// searchExamineMax bounds the messages one search decodes from the index,
// and how far it counts a term's postings to find the rarest (the fewer
// than indexBatch messages not in the index yet are read besides). A
// search for words in more messages than that finds matches among the
// newest of them only.
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
