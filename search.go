// search.go owns full-text search: how a message is split into words for
// the index, and GET /api/search, which finds the messages in which every
// word of the query starts a word ("lasag" finds lasagne), in the rooms the
// user may see, newest first.

package main

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

const (
	minWordLen = 2
	maxWordLen = 32
	// maxSearchTerms bounds a query: the first this many distinct words
	// count, the rest are ignored.
	maxSearchTerms = 8
	// maxSearchQuery caps q in bytes, so a query costs little to split
	// however it is made; eight words of 32 letters fit.
	maxSearchQuery = 512
	// maxUserSearches bounds one user's searches in flight: each walks the
	// index in a read transaction, and a script in a loop must not hold
	// every core.
	maxUserSearches = 2
)

// words splits text into the lower-case words the index holds, once each,
// in order of first appearance: runs of letters and digits of 2-32 runes.
func words(text string) []string { return firstWords(text, math.MaxInt) }

// firstWords is words, stopping after n distinct words. Duplicates are
// found with a map, so a text of many words costs linear time.
func firstWords(text string, n int) []string {
	var out []string
	seen := make(map[string]bool)
	for f := range strings.FieldsFuncSeq(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len(out) >= n {
			break
		}
		if l := utf8.RuneCountInString(f); l >= minWordLen && l <= maxWordLen && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// searchSlots counts each user's searches in flight. The zero value is
// ready to use; any goroutine may call it.
type searchSlots struct {
	mu   sync.Mutex
	busy map[string]int // user -> searches in flight; guarded by mu
}

// acquire takes one of user's maxUserSearches slots, reporting false when
// all are in use. A true answer must be followed by release.
func (sl *searchSlots) acquire(user string) bool {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.busy[user] >= maxUserSearches {
		return false
	}
	if sl.busy == nil {
		sl.busy = make(map[string]int)
	}
	sl.busy[user]++
	return true
}

// release gives back a slot taken by acquire.
func (sl *searchSlots) release(user string) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.busy[user]--; sl.busy[user] <= 0 {
		delete(sl.busy, user)
	}
}

// handleSearch answers GET /api/search?q=WORDS&limit=N.
func (s *server) handleSearch(w http.ResponseWriter, r *http.Request, sess session, u user) {
	q := r.URL.Query().Get("q")
	if len(q) > maxSearchQuery {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("a search is at most %d bytes; the first %d words count", maxSearchQuery, maxSearchTerms))
		return
	}
	terms := firstWords(q, maxSearchTerms)
	if len(terms) == 0 {
		writeError(w, http.StatusBadRequest, "search for at least one word of two letters or more")
		return
	}
	limit := defaultPageSize
	if q, err := parseHistoryQuery(r.URL.Query()); err == nil {
		limit = q.Limit
	} else if r.URL.Query().Has("limit") {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.searches.acquire(u.Name) {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("at most %d searches at a time; wait for one to finish", maxUserSearches))
		return
	}
	defer s.searches.release(u.Name)
	visible := func(name string) bool {
		rm, ok := s.st.room(name)
		return ok && rm.visibleTo(u.Name)
	}
	results, err := s.st.search(terms, visible, limit)
	if err != nil {
		s.fail(w, "search", err)
		return
	}
	if results == nil {
		results = []message{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "terms": terms})
}
