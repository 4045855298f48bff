// search_test.go tests full-text search: words, rooms the searcher may not
// see, edits and deletes keeping the index right, and the tokenizer.

package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
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
	all := func(string) bool { return true }
	got, err := st.search([]string{"commonplace", "zebra"}, all, 50)
	if err != nil || len(got) != 1 || got[0].Body != "commonplace zebra" {
		t.Errorf("search commonplace zebra = %v, %v; want the one old message (found through zebra)", got, err)
	}
	if got, _ := st.search([]string{"commonplace"}, all, 50); len(got) != searchExamineMax {
		t.Errorf("a word in 21 messages found %d, want the newest %d (the bound)", len(got), searchExamineMax)
	}
}
