// search.go owns full-text search: how a message is split into words for
// the index, and GET /api/search, which finds messages holding every word
// of the query in the rooms the user may see, newest first.

package main

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"unicode"
)

const (
	minWordLen = 2
	maxWordLen = 32
	// maxSearchTerms bounds a query.
	maxSearchTerms = 8
)

// words splits text into the lower-case words the index holds, once each,
// in order of first appearance: runs of letters and digits of 2-32 runes.
func words(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if n := len([]rune(f)); n >= minWordLen && n <= maxWordLen && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// handleSearch answers GET /api/search?q=WORDS&limit=N.
func (s *server) handleSearch(w http.ResponseWriter, r *http.Request, sess session, u user) {
	terms := words(r.URL.Query().Get("q"))
	if len(terms) == 0 {
		writeError(w, http.StatusBadRequest, "search for at least one word of two letters or more")
		return
	}
	terms = terms[:min(len(terms), maxSearchTerms)]
	limit := defaultPageSize
	if q, err := parseHistoryQuery(r.URL.Query()); err == nil {
		limit = q.Limit
	} else if r.URL.Query().Has("limit") {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	visible := func(name string) bool {
		rm, ok := s.st.room(name)
		return ok && rm.visibleTo(u.Name)
	}
	results, err := s.st.search(terms, visible, limit)
	if err != nil {
		slog.Error("search", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	if results == nil {
		results = []message{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "terms": terms})
}
