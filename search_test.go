// search_test.go tests full-text search: words, rooms the searcher may not
// see, edits and deletes keeping the index right, and the tokenizer.

package main

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
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
		return sa.ack(cid)
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
