// search_test.go tests full-text search: words, rooms the searcher may not
// see, edits and deletes keeping the index right, and the tokenizer.

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestWords(t *testing.T) {
	tests := map[string]string{
		"The washing machine is DONE!": "[the washing machine is done]",
		"a b cc":                       "[cc]",
		"Crème brûlée, crème!":         "[crème brûlée]",
		"call 555-1234 at 7pm":         "[call 555 1234 at 7pm]",
		"":                             "[]",
	}
	for in, want := range tests {
		if got := fmt.Sprint(words(in)); got != want {
			t.Errorf("words(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSearch(t *testing.T) {
	ts := newTestServer(t, func(c *config) { c.MsgBurst = 100 })
	ann, bob, carol := ts.loggedIn("ann"), ts.loggedIn("bob"), ts.loggedIn("carol")
	ann.do("POST", "/api/rooms", map[string]any{"name": "secret", "private": true, "members": []string{"bob"}}, nil)
	sa := ann.dial()
	say := func(room, body string) wireFrame {
		cid := fmt.Sprint("c-", room, body)
		sa.say(room, body, cid)
		f := sa.ack(cid)
		// Results are ordered by time at millisecond precision; messages of
		// two rooms in one millisecond have no order between them, so each
		// message here gets a millisecond of its own.
		for !time.Now().UTC().Truncate(time.Millisecond).After(f.TS) {
			runtime.Gosched()
		}
		return f
	}
	say("general", "The washing machine is done")
	say("general", "Who took the car keys?")
	say("secret", "Birthday present: a new washing machine")
	edited := say("general", "The machine needs fixing")
	gone := say("general", "washing machine broke again")

	search := func(c *client, q string) []string {
		t.Helper()
		var res struct{ Results []message }
		if status, body := c.do("GET", "/api/search?q="+url.QueryEscape(q), nil, &res); status != 200 {
			t.Fatalf("search %q: %d %s", q, status, body)
		}
		var out []string
		for _, m := range res.Results {
			out = append(out, m.Room+":"+m.Body)
		}
		return out
	}
	// Newest first, every word required, private rooms only for members.
	if got := fmt.Sprint(search(bob, "washing MACHINE")); got != "[general:washing machine broke again secret:Birthday present: a new washing machine general:The washing machine is done]" {
		t.Errorf("bob: %s", got)
	}
	if got := fmt.Sprint(search(carol, "washing machine")); got != "[general:washing machine broke again general:The washing machine is done]" {
		t.Errorf("carol sees the private room's message? %s", got)
	}
	// Edits and deletes keep the index right.
	sa.send(map[string]any{"type": "edit", "room": "general", "id": edited.ID, "body": "The dishwasher needs fixing"})
	sa.send(map[string]any{"type": "delete", "room": "general", "id": gone.ID})
	sa.expect(func(f wireFrame) bool { return f.Type == "update" && f.ID == gone.ID })
	if got := fmt.Sprint(search(carol, "machine")); got != "[general:The washing machine is done]" {
		t.Errorf("after edit and delete: %s", got)
	}
	if got := fmt.Sprint(search(carol, "dishwasher")); got != "[general:The dishwasher needs fixing]" {
		t.Errorf("edited words: %s", got)
	}
	for _, q := range []string{"", "a", "!!"} {
		if status, _ := carol.do("GET", "/api/search?q="+url.QueryEscape(q), nil, nil); status != http.StatusBadRequest {
			t.Errorf("search %q: %d, want 400", q, status)
		}
	}
}

func TestSearchQueryIsCapped(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	// 150,000 distinct words: split word by word with a linear dedupe, this
	// held a core for about a minute.
	var q strings.Builder
	for i := range 150_000 {
		fmt.Fprintf(&q, "w%s ", strconv.FormatInt(int64(i), 36))
	}
	// Not client.do: on failure it would print the whole URL.
	resp, err := ann.http.Get(ts.URL + "/api/search?q=" + url.QueryEscape(q.String()))
	if err != nil {
		t.Fatalf("a 150,000-word search: %v", err.Error()[:min(len(err.Error()), 200)])
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "at most 512 bytes") {
		t.Errorf("a 150,000-word search: %d %s, want 400 naming the cap", resp.StatusCode, body)
	}
	if status, body := ann.do("GET", "/api/search?q="+url.QueryEscape(strings.Repeat("ab ", maxSearchQuery/3)), nil, nil); status != 200 {
		t.Errorf("a search of %d bytes: %d %s, want 200", maxSearchQuery/3*3, status, body)
	}
}

func TestSearchTermsAreTheFirstEightDistinctWords(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	sa := ann.dial()
	first8 := "alpha bravo charlie delta echo foxtrot golf hotel"
	sa.say("general", first8, "c-1") // lacks the ninth word of the query
	sa.ack("c-1")
	// 20 words, the first ones repeated in other cases: only the first 8
	// distinct count, so "india" and later do not exclude the message.
	q := "Alpha ALPHA alpha bravo bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec"
	var res struct {
		Results []message
		Terms   []string
	}
	if status, body := ann.do("GET", "/api/search?q="+url.QueryEscape(q), nil, &res); status != 200 {
		t.Fatalf("search: %d %s", status, body)
	}
	if got := strings.Join(res.Terms, " "); got != first8 {
		t.Errorf("terms %q, want %q", got, first8)
	}
	if len(res.Results) != 1 || res.Results[0].Body != first8 {
		t.Errorf("results %+v, want the one message", res.Results)
	}
	if got := fmt.Sprint(firstWords("wash Wash WASH machine wash", 8)); got != "[wash machine]" {
		t.Errorf("duplicates: %s, want [wash machine]", got)
	}
}

func TestSearchesPerUserAreBounded(t *testing.T) {
	ts := newTestServer(t, nil)
	ann, bob := ts.loggedIn("ann"), ts.loggedIn("bob")
	slots := &ts.app.srv.searches
	// Hold ann's slots as two searches in flight would.
	for i := range maxUserSearches {
		if !slots.acquire("ann") {
			t.Fatalf("slot %d refused", i)
		}
	}
	status, body := ann.do("GET", "/api/search?q=washing", nil, nil)
	if status != http.StatusTooManyRequests || !strings.Contains(body, "at most 2 searches at a time") {
		t.Errorf("a third search: %d %s, want 429 saying why", status, body)
	}
	if status, body := bob.do("GET", "/api/search?q=washing", nil, nil); status != 200 {
		t.Errorf("another user's search: %d %s, want 200", status, body)
	}
	slots.release("ann")
	if status, body := ann.do("GET", "/api/search?q=washing", nil, nil); status != 200 {
		t.Errorf("after one finished: %d %s, want 200", status, body)
	}
	slots.release("ann")
	slots.mu.Lock()
	defer slots.mu.Unlock()
	if len(slots.busy) != 0 {
		t.Errorf("slots left behind: %v", slots.busy)
	}
}

// A search walks its rarest word's postings and decodes at most
// searchExamineMax messages, so a common long word chosen by the searcher
// cannot make it read the whole history, and the rare word still finds
// its old message.
func TestSearchWalksTheRarestWordWithinABound(t *testing.T) {
	defer func(old int) { searchExamineMax = old }(searchExamineMax)
	searchExamineMax = 5
	st := newTestStore(t)
	reqs := []*appendRequest{{Msg: message{Room: "general", User: "ann", Body: "commonplace zebra"}}}
	for range 20 {
		reqs = append(reqs, &appendRequest{Msg: message{Room: "general", User: "ann", Body: "commonplace chatter"}})
	}
	if err := st.appendMessages(reqs, time.Now()); err != nil {
		t.Fatal(err)
	}
	flushIndex(t, st) // the bound is the index walk's
	all := func(string) bool { return true }
	got, err := st.search([]string{"commonplace", "zebra"}, all, 50)
	if err != nil || len(got) != 1 || got[0].Body != "commonplace zebra" {
		t.Errorf("search commonplace zebra = %v, %v; want the one old message (found through zebra)", got, err)
	}
	if got, _ := st.search([]string{"commonplace"}, all, 50); len(got) != searchExamineMax {
		t.Errorf("a word in 21 messages found %d, want the newest %d (the bound)", len(got), searchExamineMax)
	}
}

// flushIndex writes the index entries of the messages waiting for them,
// so a test can exercise the index walk itself.
func flushIndex(t testing.TB, st *store) {
	t.Helper()
	if err := st.flushIndex(); err != nil {
		t.Fatal(err)
	}
}

// indexedCount is how many index entries the database holds.
func indexedCount(t testing.TB, st *store) int {
	t.Helper()
	n := 0
	if err := st.db.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketWords).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIndexEntriesAreWrittenTogether: a new message's index entries wait
// (its commit writes only the message), search finds it meanwhile, newest
// first among the others, and the commit that brings the waiting to
// indexBatch writes them all.
func TestIndexEntriesAreWrittenTogether(t *testing.T) {
	st := newTestStore(t)
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	mustAppend(t, st, t0, "lasagne for dinner")
	mustAppend(t, st, t0.Add(time.Minute), "who took the lasagne")
	if n := indexedCount(t, st); n != 0 {
		t.Fatalf("%d index entries written with two messages, want them waiting", n)
	}
	got, err := st.search([]string{"lasag"}, func(string) bool { return true }, 50)
	if g := fmt.Sprint(bodies(got)); err != nil || g != "[who took the lasagne lasagne for dinner]" {
		t.Errorf("search lasag before the index is written = %s, %v", g, err)
	}
	want := len(words("lasagne for dinner")) + len(words("who took the lasagne"))
	for i := 2; i < indexBatch; i++ {
		body := fmt.Sprintf("chatter %d", i)
		mustAppend(t, st, t0.Add(time.Duration(i)*time.Minute), body)
		want += len(words(body))
	}
	if n := indexedCount(t, st); n != want {
		t.Errorf("after %d messages: %d index entries, want %d (all written)", indexBatch, n, want)
	}
	if w := st.unindexed.list(); len(w) != 0 {
		t.Errorf("%d messages still waiting", len(w))
	}
	got, _ = st.search([]string{"lasag"}, func(string) bool { return true }, 50)
	if g := fmt.Sprint(bodies(got)); g != "[who took the lasagne lasagne for dinner]" {
		t.Errorf("search lasag from the index = %s", g)
	}
}

// TestSearchMergesWaitingAndIndexed: results from the index and from the
// messages waiting for it come in one order, newest first, the limit
// taking the newest; a message edited while waiting is found by its new
// words only, one deleted not at all, and neither gains entries for what
// it no longer says when the waiting are written.
func TestSearchMergesWaitingAndIndexed(t *testing.T) {
	st := newTestStore(t)
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	mustAppend(t, st, t0, "pizza one")
	mustAppend(t, st, t0.Add(2*time.Minute), "pizza three")
	flushIndex(t, st)
	mustAppend(t, st, t0.Add(time.Minute), "pizza two, written later with an older time")
	mustAppend(t, st, t0.Add(3*time.Minute), "pizza four")
	mustAppend(t, st, t0.Add(4*time.Minute), "pizza five")
	all := func(string) bool { return true }
	got, _ := st.search([]string{"pizz"}, all, 50)
	if g := fmt.Sprint(bodies(got)); g != "[pizza five pizza four pizza three pizza two, written later with an older time pizza one]" {
		t.Errorf("search pizz = %s", g)
	}
	got, _ = st.search([]string{"pizz"}, all, 3)
	if g := fmt.Sprint(bodies(got)); g != "[pizza five pizza four pizza three]" {
		t.Errorf("search pizz, 3 = %s", g)
	}

	// While waiting: edit "pizza four" to say soup, delete "pizza five".
	waiting := st.unindexed.list()
	four, five := waiting[1], waiting[0]
	change := func(r *appendRequest) {
		t.Helper()
		if err := st.appendMessages([]*appendRequest{r}, t0.Add(5*time.Minute)); err != nil || r.Err != nil {
			t.Fatalf("change: %v %v", err, r.Err)
		}
	}
	change(&appendRequest{Op: opEdit, Msg: message{Room: "general", User: "ann", ID: four.id, Body: "soup four"}})
	change(&appendRequest{Op: opDelete, Msg: message{Room: "general", User: "ann", ID: five.id}})
	check := func(when string) {
		t.Helper()
		got, _ := st.search([]string{"pizz"}, all, 50)
		if g := fmt.Sprint(bodies(got)); g != "[pizza three pizza two, written later with an older time pizza one]" {
			t.Errorf("%s: search pizz = %s", when, g)
		}
		got, _ = st.search([]string{"soup"}, all, 50)
		if g := fmt.Sprint(bodies(got)); g != "[soup four]" {
			t.Errorf("%s: search soup = %s", when, g)
		}
	}
	check("waiting")
	flushIndex(t, st)
	check("written")
	// One entry per word still said.
	want := 0
	for _, b := range []string{"pizza one", "pizza three", "pizza two, written later with an older time", "soup four"} {
		want += len(words(b))
	}
	if n := indexedCount(t, st); n != want {
		t.Errorf("%d index entries, want %d", n, want)
	}
	// Search respects who may see: a waiting message in a room not
	// visible is not found.
	mustAppendIn(t, st, "kitchen", t0.Add(6*time.Minute), "pizza in the kitchen")
	got, _ = st.search([]string{"kitchen"}, func(r string) bool { return r != "kitchen" }, 50)
	if len(got) != 0 {
		t.Errorf("a waiting message in a room not visible was found: %s", bodies(got))
	}
}

// TestIndexWrittenAfterACrash: the entries a crash kept from being written
// are written when the database opens again, and a clean close writes
// them before it closes.
func TestIndexWrittenAfterACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	mustAppend(t, st, t0, "lasagne for dinner")
	mustAppendIn(t, st, "kitchen", t0.Add(time.Minute), "the kitchen tap drips")
	// A crash: the file closed as it stands, nothing written on the way out.
	if err := st.db.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := indexedCount(t, st); n != 3+4 {
		t.Errorf("after the crash: %d index entries, want 7", n)
	}
	if w := st.unindexed.list(); len(w) != 0 {
		t.Errorf("%d messages waiting after open, want none", len(w))
	}
	mustAppend(t, st, t0.Add(2*time.Minute), "soup tomorrow")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openAgain(t, path)
	if n := indexedCount(t, st); n != 3+4+2 {
		t.Errorf("after a clean close: %d index entries, want 9", n)
	}
	got, _ := st.search([]string{"drip"}, func(string) bool { return true }, 50)
	if g := fmt.Sprint(bodies(got)); g != "[the kitchen tap drips]" {
		t.Errorf("search drip = %s", g)
	}
}

func openAgain(t *testing.T, path string) *store {
	t.Helper()
	st, err := openStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestWaitingMessagesOfARoomDeletedOrRenamed: a room deleted while its
// messages wait, then made again under its name (its ids start over), has
// its new messages found once each; a renamed room's are found under its
// new name, with the entries the rename wrote.
func TestWaitingMessagesOfARoomDeletedOrRenamed(t *testing.T) {
	st := newTestStore(t)
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	mustAppendIn(t, st, "shopping", t0, "milk and bread")
	if err := st.commitAlone(&appendRequest{Op: opDeleteRoom, Msg: message{Room: "shopping", User: "ann"}}, "delete shopping"); err != nil {
		t.Fatal(err)
	}
	mustAppendIn(t, st, "shopping", t0.Add(time.Minute), "more milk please") // id 1 again
	all := func(string) bool { return true }
	got, _ := st.search([]string{"milk"}, all, 50)
	if g := fmt.Sprint(bodies(got)); g != "[more milk please]" {
		t.Errorf("search milk after the room was made again = %s", g)
	}
	mustAppendIn(t, st, "garden", t0.Add(2*time.Minute), "the roses need water")
	if _, err := st.renameRoom("garden", "yard"); err != nil {
		t.Fatal(err)
	}
	for _, w := range st.unindexed.list() {
		if w.room == "garden" {
			t.Errorf("message %d of the renamed room still waits under its old name", w.id)
		}
	}
	got, _ = st.search([]string{"roses"}, all, 50)
	if len(got) != 1 || got[0].Room != "yard" {
		t.Errorf("search roses after the rename = %+v", got)
	}
}
